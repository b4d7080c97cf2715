//go:build !windows

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// TestShellRunsSubstitution runs commands with shell syntax through /bin/sh and checks that
// the sender reaches the command exactly as the quoting around %F says, whatever it contains,
// and that the recipients follow as separate arguments.
func TestShellRunsSubstitution(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	marker := filepath.Join(dir, "pwned")
	senders := append(hostileAddresses(marker), "plain@example.com", "MAILER-DAEMON")
	rcpts := []string{`"a b"@x`, "$(touch " + marker + ")", "'q'@x"}
	tests := []struct {
		template string
		want     func(from string) string
	}{
		{`printf '<%s>' %F; printf '[%s]'`, func(f string) string { return "<" + f + ">" }},
		{`printf '<%s>' "x%Fy"; printf '[%s]'`, func(f string) string { return "<x" + f + "y>" }},
		{`printf '<%s>' 'x%Fy'; printf '[%s]'`, func(f string) string { return "<x" + f + "y>" }},
		{`printf '<%s>' \%F; printf '[%s]'`, func(f string) string { return "<" + f + ">" }},
		{`printf '<%s>' "\%F"; printf '[%s]'`, func(f string) string { return `<\` + f + ">" }},
		{`printf '<%s>' "$(printf '%s' %F)"; printf '[%s]'`, func(f string) string { return "<" + f + ">" }},
		{`printf '<%s>' ${UNSET_X:-%F}; printf '[%s]'`, func(f string) string { return "<" + f + ">" }},
		{`printf '<%s>' "${UNSET_X:-%F}"; printf '[%s]'`, func(f string) string { return "<" + f + ">" }},
		{`printf '<%s>' --from=%F; printf '[%s]'`, func(f string) string { return "<--from=" + f + ">" }},
	}
	for _, tt := range tests {
		tmpl, err := parseShellCommand(tt.template)
		if err != nil || !tmpl.shell {
			t.Fatalf("%q: %v, shell %v", tt.template, err, tmpl != nil && tmpl.shell)
		}
		for _, from := range senders {
			argv := tmpl.argv(from, rcpts)
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%q with %q: %v", tt.template, from, err)
			}
			want := tt.want(from) + "[" + strings.Join(rcpts, "][") + "]"
			if string(out) != want {
				t.Errorf("%q with sender %q:\n got %q\nwant %q", tt.template, from, out, want)
			}
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("an address was executed: the marker file exists")
	}
}
