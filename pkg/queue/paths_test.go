package queue

import (
	"errors"
	"testing"
)

func TestDefaultDir(t *testing.T) {
	t.Parallel()
	envs := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	full := envs("HOME", "/home/joe", "LOCALAPPDATA", `C:\Users\joe\AppData\Local`, "ProgramData", `C:\ProgramData`, "ALLUSERSPROFILE", `C:\AllUsers`)
	tests := []struct {
		goos   string
		getenv func(string) string
		scope  Scope
		want   string
		err    error
	}{
		{"linux", full, UserScope, "/home/joe/.msmtp.queue", nil},
		{"linux", envs("HOME", "/home/joe/"), UserScope, "/home/joe/.msmtp.queue", nil},
		{"linux", envs("HOME", "/"), UserScope, "/.msmtp.queue", nil},
		{"darwin", full, UserScope, "/home/joe/.msmtp.queue", nil},
		{"freebsd", full, SystemScope, "/var/spool/msmtp", nil},
		{"linux", envs(), SystemScope, "/var/spool/msmtp", nil},
		{"linux", envs(), UserScope, "", ErrNoQueueDir},
		{"windows", full, UserScope, `C:\Users\joe\AppData\Local\msmtp\queue`, nil},
		{"windows", full, SystemScope, `C:\ProgramData\msmtp\queue`, nil},
		{"windows", envs("ALLUSERSPROFILE", `C:\AllUsers\`), SystemScope, `C:\AllUsers\msmtp\queue`, nil},
		{"windows", envs("HOME", "/home/joe"), UserScope, "", ErrNoQueueDir},
		{"windows", envs("LOCALAPPDATA", `C:\L`), SystemScope, "", ErrNoQueueDir},
	}
	for _, tt := range tests {
		got, err := DefaultDir(tt.goos, tt.getenv, tt.scope)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("DefaultDir(%s, scope %d) = %q, %v; want %q, %v", tt.goos, tt.scope, got, err, tt.want, tt.err)
		}
	}
}
