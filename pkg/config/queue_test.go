package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration // 0: invalid
		text string        // FormatDuration of the result
	}{
		{"90", 90 * time.Second, "1m30s"},
		{"1", time.Second, "1s"},
		{"90s", 90 * time.Second, "1m30s"},
		{"30m", 30 * time.Minute, "30m"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"5d", 5 * 24 * time.Hour, "5d"},
		{"1d12h", 36 * time.Hour, "1d12h"},
		{"2h2h", 4 * time.Hour, "4h"},
		{"36500d", 36500 * 24 * time.Hour, "36500d"},
		{"", 0, ""},
		{"0", 0, ""},
		{"0s", 0, ""},
		{"1w", 0, ""},
		{"m", 0, ""},
		{"5 m", 0, ""},
		{"-5m", 0, ""},
		{"1.5h", 0, ""},
		{"5m3", 0, ""},
		{"36501d", 0, ""},
		{"9999999999999s", 0, ""},
	} {
		got, err := ParseDuration(tc.in)
		if tc.want == 0 {
			if err == nil || !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("ParseDuration(%q) = %v, %v; want ErrInvalidArgument", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		if s := FormatDuration(got); s != tc.text {
			t.Errorf("FormatDuration(%v) = %q, want %q", got, s, tc.text)
		}
		if back, err := ParseDuration(FormatDuration(got)); err != nil || back != got {
			t.Errorf("FormatDuration(%v) does not read back: %v, %v", got, back, err)
		}
	}
}

// TestQueueValues checks the arguments each queue command accepts and what it stores.
func TestQueueValues(t *testing.T) {
	t.Parallel()
	get := map[string]func(a *Account) any{
		"queue":           func(a *Account) any { return a.Queue },
		"queue_dir":       func(a *Account) any { return a.QueueDir },
		"queue_exit_code": func(a *Account) any { return a.QueueExitCode },
		"queue_retry_min": func(a *Account) any { return a.QueueRetryMin },
		"queue_retry_max": func(a *Account) any { return a.QueueRetryMax },
		"queue_expire":    func(a *Account) any { return a.QueueExpire },
	}
	tests := []struct {
		cmd, arg string
		want     any // stored value; nil means invalid argument
	}{
		{"queue", "on", true},
		{"queue", "", true},
		{"queue", "off", false},
		{"queue", "yes", nil},
		{"queue_dir", "/var/spool/x", "/var/spool/x"},
		{"queue_dir", "~/q", "/home/tester/q"},
		{"queue_dir", "", ""},
		{"queue_exit_code", "0", 0},
		{"queue_exit_code", "75", 75},
		{"queue_exit_code", "1", nil},
		{"queue_exit_code", "075", nil},
		{"queue_retry_min", "30s", 30 * time.Second},
		{"queue_retry_min", "", time.Duration(0)},
		{"queue_retry_min", "0", nil},
		{"queue_retry_max", "2h", 2 * time.Hour},
		{"queue_expire", "3d", 72 * time.Hour},
		{"queue_expire", "3 days", nil},
	}
	for _, tc := range tests {
		rc := "account default\n" + tc.cmd + " " + tc.arg + "\n"
		f, err := Parse(strings.NewReader(rc), "F", ParseOptions{Home: "/home/tester"})
		if tc.want == nil {
			want := "F: line 2: invalid argument " + tc.arg + " for command " + tc.cmd
			if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("%s %q: error %v, want %q", tc.cmd, tc.arg, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tc.cmd, tc.arg, err)
			continue
		}
		if got := get[tc.cmd](f.Accounts[0]); got != tc.want {
			t.Errorf("%s %q stored %v, want %v", tc.cmd, tc.arg, got, tc.want)
		}
	}
	// queue_exit_code needs its argument, as the other commands with a fixed list do.
	if _, err := Parse(strings.NewReader("queue_exit_code\n"), "F", ParseOptions{}); err == nil ||
		err.Error() != "F: line 1: command queue_exit_code needs an argument" {
		t.Errorf("queue_exit_code without argument: %v", err)
	}
}

// TestQueueOverrides checks --queue and --queue-dir, the command-line forms.
func TestQueueOverrides(t *testing.T) {
	t.Parallel()
	f := newFakeEnv()
	f.add(rcName, "account default\nhost h\nfrom a@example.org\nqueue on\nqueue_dir /q\n")
	for _, tc := range []struct {
		args    []string
		queue   bool
		dir     string
		invalid string
	}{
		{nil, true, "/q", ""},
		{[]string{"--queue=off"}, false, "/q", ""},
		{[]string{"--queue-dir=/other"}, true, "/other", ""},
		{[]string{"--queue-dir=~/x"}, true, "/home/tester/x", ""},
		{[]string{"--queue=maybe"}, false, "", "invalid argument maybe for --queue"},
	} {
		req, err := request(t, append([]string{"-C", rcName}, tc.args...)...)
		if tc.invalid != "" {
			if err == nil || err.Error() != tc.invalid {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.invalid)
			}
			continue
		}
		req.Env = f.env()
		a, err := Resolve(req)
		if err != nil {
			t.Fatal(err)
		}
		if a.Queue != tc.queue || a.QueueDir != tc.dir {
			t.Errorf("%q: queue %v, dir %q; want %v, %q", tc.args, a.Queue, a.QueueDir, tc.queue, tc.dir)
		}
	}
	f.add(rcName, "account default\nhost h\nfrom a@example.org\n")
	req, _ := request(t, "-C", rcName, "--queue")
	req.Env = f.env()
	if a, err := Resolve(req); err != nil || !a.Queue || a.Origin(KeyQueue).Kind != OriginCommandLine {
		t.Errorf("--queue: %v, queue %v", err, a != nil && a.Queue)
	}
}

// TestQueuePretend checks that --pretend shows the queue lines, after aliases, only for an
// account with queue on.
func TestQueuePretend(t *testing.T) {
	t.Parallel()
	f := newFakeEnv()
	f.add(rcName, "account q\nhost h\nfrom a@example.org\nqueue on\nqueue_expire 36h\n"+
		"account p\nhost h\nfrom a@example.org\nqueue_dir /q\n")
	dump := func(name string) string {
		a, err := Resolve(Request{File: Some(rcName), Account: Some(name), Env: f.env()})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WritePretend(&b, a, PretendOptions{Mode: ModeSendmail}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	want := "aliases = (not set)\nqueue = on\nqueue_dir = (not set)\nqueue_exit_code = 0\n" +
		"queue_retry_min = (not set)\nqueue_retry_max = (not set)\nqueue_expire = 1d12h\nreading recipients"
	if q := dump("q"); !strings.Contains(q, want) {
		t.Errorf("--pretend of a queueing account lacks\n%s\nin\n%s", want, q)
	}
	if p := dump("p"); strings.Contains(p, "queue") {
		t.Errorf("an account with queue off prints queue lines:\n%s", p)
	}
}

// TestQueueSettings checks which account the management commands take their queue settings
// from, and that nothing is run or checked to find it.
func TestQueueSettings(t *testing.T) {
	t.Parallel()
	const rc = "defaults\nqueue_dir /d\naccount default\nhost h\nqueue_dir /default\nauth on\nuser u\npasswordeval echo pw\n" +
		"account other\nqueue_dir /other\nqueue_expire 1d\n"
	for _, tc := range []struct {
		name    string
		rc      string
		args    []string
		wantDir string
		wantErr string
	}{
		{"the default account", rc, nil, "/default", ""},
		{"-a", rc, []string{"-a", "other"}, "/other", ""},
		{"no default account", "defaults\nqueue_dir /d\naccount other\nqueue_dir /other\n", nil, "", ""},
		{"no file", "", nil, "", ""},
		{"-a without the account", rc, []string{"-a", "nosuch"}, "", "account nosuch not found in " + rcName},
		{"--queue-dir", rc, []string{"--queue-dir=/cli"}, "/cli", ""},
		{"--host reads no file", "syntax error here\n", []string{"--host=h"}, "", ""},
		{"a broken file", "account default\nqueue_expire soon\n", nil, "", "invalid argument soon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeEnv()
			if tc.rc != "" {
				f.add(rcName, tc.rc)
			}
			req, err := request(t, append([]string{"-C", rcName}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if tc.rc == "" {
				req.File = OptString{}
			}
			req.Env = f.env()
			a, err := QueueSettings(req)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.QueueDir != tc.wantDir {
				t.Errorf("queue_dir %q, want %q", a.QueueDir, tc.wantDir)
			}
			if len(f.ran) > 0 {
				t.Errorf("QueueSettings ran %q", f.ran)
			}
		})
	}
}
