//go:build !windows

package secret_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/pkg/secret"
)

func TestEvalOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, cmd, want string
	}{
		// spec-cli-config.md C-56: all of these give the password "secret".
		{"C-56 no newline", "printf secret", "secret"},
		{"C-56 LF", `printf 'secret\n'`, "secret"},
		{"C-56 CRLF", `printf 'secret\r\n'`, "secret"},
		{"C-56 second line ignored", `printf 'secret\nother\n'`, "secret"},
		{"C-56 exit status ignored", `printf 'secret\n'; exit 3`, "secret"},
		// C-57: nothing else is trimmed.
		{"C-57 leading blank", `printf ' secret\n'`, " secret"},
		{"C-57 empty first line", `printf '\nsecret\n'`, ""},
		// C-37.
		{"C-37 echo", "echo foo bar", "foo bar"},
		{"C-37 printf CRLF", `printf 'port 26\r\nport 99\n'`, "port 26"},
		// Only one CR, and only before the LF (checked against msmtp 1.8.23).
		{"CR without LF stays", `printf 'secret\r'`, "secret\r"},
		{"one CR removed", `printf 'sec\rret\r\r\n'`, "sec\rret\r"},
		{"trailing blanks stay", `printf 'secret \t\n'`, "secret \t"},
		{"stdin is the null device", `read x; echo "got:$x"`, "got:"},
		{"shell syntax", `for i in 1 2; do printf $i; done; echo`, "12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r secret.Runner
			got, err := r.Eval(context.Background(), tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Eval(%q) = %q, want %q", tt.cmd, got, tt.want)
			}
		})
	}
}

func TestEvalNoOutput(t *testing.T) {
	t.Parallel()
	// C-58 and C-37: no output at all, whatever the exit status.
	for _, cmd := range []string{"true", "false", "cat", "exit 7", "echo hidden >&2"} {
		t.Run(cmd, func(t *testing.T) {
			t.Parallel()
			r := secret.Runner{Stderr: io.Discard}
			_, err := r.Eval(context.Background(), cmd)
			var ee *secret.EvalError
			if !errors.As(err, &ee) || ee.Command != cmd {
				t.Fatalf("error %v, want *EvalError for %q", err, cmd)
			}
			if !errors.Is(err, secret.ErrNoOutput) || !errors.Is(err, io.EOF) {
				t.Errorf("error %v does not wrap ErrNoOutput and io.EOF", err)
			}
			if want := "cannot read output of '" + cmd + "'"; err.Error() != want {
				t.Errorf("error text %q, want %q", err, want)
			}
		})
	}
}

func TestEvalLongLine(t *testing.T) {
	t.Parallel()
	var r secret.Runner
	// An OAuth token-sized line (and much more) is read completely.
	got, err := r.Eval(context.Background(), `head -c 300000 /dev/zero | tr '\0' x; echo; echo second`)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 300000 || strings.Trim(got, "x") != "" {
		t.Errorf("got %d bytes, want 300000 x", len(got))
	}
	// Exactly MaxEvalLine is fine, one more is not.
	got, err = r.Eval(context.Background(), `head -c `+strconv.Itoa(secret.MaxEvalLine)+` /dev/zero | tr '\0' y; printf '\r\n'`)
	if err != nil || len(got) != secret.MaxEvalLine {
		t.Errorf("MaxEvalLine bytes: %d, %v", len(got), err)
	}
	_, err = r.Eval(context.Background(), `head -c `+strconv.Itoa(secret.MaxEvalLine+1)+` /dev/zero | tr '\0' y; echo`)
	if !errors.Is(err, secret.ErrLineTooLong) {
		t.Errorf("MaxEvalLine+1 bytes: %v, want ErrLineTooLong", err)
	}
	// A command that never writes a line end is stopped, not read forever.
	start := time.Now()
	_, err = r.Eval(context.Background(), `exec tr '\0' z </dev/zero`)
	if !errors.Is(err, secret.ErrLineTooLong) {
		t.Errorf("endless line: %v, want ErrLineTooLong", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("endless line took %v", d)
	}
}

func TestEvalStderrAndEnv(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	r := secret.Runner{Stderr: &stderr, Env: []string{"MSMTP_TEST_VAR=from env", "PATH=" + os.Getenv("PATH")}}
	got, err := r.Eval(context.Background(), `echo "warning" >&2; echo "$MSMTP_TEST_VAR"`)
	if err != nil {
		t.Fatal(err)
	}
	if got != "from env" {
		t.Errorf("got %q", got)
	}
	if stderr.String() != "warning\n" {
		t.Errorf("stderr %q", stderr.String())
	}
}

// The command's standard input is /dev/null, not the caller's (which carries the mail).
func TestEvalStdinIsNull(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/fd/0"); err != nil {
		t.Skip("no /proc")
	}
	var r secret.Runner
	got, err := r.Eval(context.Background(), `readlink /proc/self/fd/0`)
	if err != nil {
		t.Fatal(err)
	}
	if got != os.DevNull {
		t.Errorf("stdin of the command is %q, want %s", got, os.DevNull)
	}
}

// Reading stops after the first line: neither a background process that keeps the pipe open
// nor a command that keeps writing holds Eval up.
func TestEvalDoesNotWaitForTheRest(t *testing.T) {
	t.Parallel()
	r := secret.Runner{Stderr: io.Discard, WaitDelay: 100 * time.Millisecond}
	start := time.Now()
	got, err := r.Eval(context.Background(), `sleep 30 & echo $!`)
	if err != nil {
		t.Fatal(err)
	}
	if pid, err := strconv.Atoi(got); err == nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	} else {
		t.Errorf("output %q is not the background pid", got)
	}
	got, err = r.Eval(context.Background(), `yes`)
	if err != nil || got != "y" {
		t.Errorf("yes: %q, %v", got, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestEvalContext(t *testing.T) {
	t.Parallel()
	var r secret.Runner
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.Eval(ctx, "exec sleep 30")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want DeadlineExceeded", err)
	}
	if !strings.HasPrefix(err.Error(), "cannot evaluate 'exec sleep 30': ") {
		t.Errorf("error text %q", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := r.Eval(ctx, "echo x"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}
