package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// logBuffer collects log lines for assertions.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) write(failed bool, msg string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	level := "info"
	if failed {
		level = "error"
	}
	b.lines = append(b.lines, level+": "+msg)
	return nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

func (b *logBuffer) logger() *slog.Logger { return newLineLogger(b) }

// deliverWith runs one delivery through a commandDeliverer for the command text.
func deliverWith(t *testing.T, command string, env envelope, mail string) (*smtp.Reply, *logBuffer) {
	t.Helper()
	tmpl, err := parseCommandTemplate(command)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	d := &commandDeliverer{tmpl: tmpl, log: logs.logger(), waitDelay: 10 * time.Second, env: helperEnv()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = d.Deliver(ctx, env, strings.NewReader(mail))
	var r *smtp.Reply
	if !errors.As(err, &r) {
		t.Fatalf("Deliver returned %v, not a reply\nlog:\n%s", err, logs)
	}
	return r, logs
}

func TestCommandArguments(t *testing.T) {
	t.Parallel()
	rcpts := []string{"r1@example.org", "postmaster", `"john doe"@example.org`}
	tests := []struct {
		name, tail, from string
		want             []string
	}{
		{"sender replaces the first %F", "-f %F -- x%F", "a@example.com", []string{"-f", "a@example.com", "--", "x%F"}},
		{"null sender", "-f %F --", "", []string{"-f", "MAILER-DAEMON", "--"}},
		{"inside a word", "--from=%F", "a@example.com", []string{"--from=a@example.com"}},
		{"no %F: no sender", "--", "a@example.com", []string{"--"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := testutil.TempDir(t)
			r, logs := deliverWith(t, helperCommand(t, dir, "-", tt.tail), envelope{from: tt.from, rcpts: rcpts}, "Subject: x\n\nbody\n")
			if r.Code != 250 || r.Lines[0] != "250 2.0.0 Ok, mail was piped" {
				t.Errorf("reply %q\nlog:\n%s", r.Lines, logs)
			}
			argv, mail, ok := recorded(t, dir)
			if !ok {
				t.Fatalf("the command recorded nothing\nlog:\n%s", logs)
			}
			want := append(tt.want, rcpts...)
			if diff := cmp.Diff(want, argv); diff != "" {
				t.Errorf("arguments (-want +got):\n%s", diff)
			}
			if mail != "Subject: x\n\nbody\n" {
				t.Errorf("mail %q", mail)
			}
			if !strings.Contains(logs.String(), "info: pipe command is ") || !strings.Contains(logs.String(), "info: mail was piped successfully") {
				t.Errorf("log:\n%s", logs)
			}
		})
	}
}

// TestExitStatusReplies checks upstream's table (spec-mail-smtp.md §8.3 item 9): 451 for the
// temporary sysexits codes, 554 for every other failure.
func TestExitStatusReplies(t *testing.T) {
	t.Parallel()
	codes := []int{0, 1, 100, 127}
	for c := 64; c <= 78; c++ {
		codes = append(codes, c)
	}
	for _, code := range codes {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			dir := testutil.TempDir(t)
			r, logs := deliverWith(t, helperCommand(t, dir, fmt.Sprintf("exit=%d", code), "-f %F --"),
				envelope{from: "a@example.com", rcpts: []string{"b@example.org"}}, "x\n")
			want := fmt.Sprintf("554 5.3.0 Pipe command reported error %d", code)
			switch code {
			case 0:
				want = "250 2.0.0 Ok, mail was piped"
			case 68, 69, 71, 75:
				want = fmt.Sprintf("451 4.3.0 Pipe command reported error %d", code)
			}
			if diff := cmp.Diff([]string{want}, r.Lines); diff != "" {
				t.Errorf("reply (-want +got):\n%s\nlog:\n%s", diff, logs)
			}
			if code != 0 && !strings.Contains(logs.String(), fmt.Sprintf("error: pipe command reported error %d", code)) {
				t.Errorf("log:\n%s", logs)
			}
		})
	}
}

func TestCommandFailures(t *testing.T) {
	t.Parallel()
	env := envelope{from: "a@example.com", rcpts: []string{"b@example.org"}}
	t.Run("cannot start", func(t *testing.T) {
		t.Parallel()
		dir := testutil.TempDir(t)
		r, logs := deliverWith(t, shellQuote(dir+"/no-such-program")+" -f %F --", env, "x\n")
		if r.Lines[0] != "554 5.3.0 Cannot start pipe command" {
			t.Errorf("reply %q", r.Lines)
		}
		if !strings.Contains(logs.String(), "error: cannot start pipe command") {
			t.Errorf("log:\n%s", logs)
		}
	})
	t.Run("killed", func(t *testing.T) {
		t.Parallel()
		if runtime.GOOS == "windows" {
			t.Skip("Windows has no signals")
		}
		dir := testutil.TempDir(t)
		r, logs := deliverWith(t, helperCommand(t, dir, "kill", "-f %F --"), env, "x\n")
		if r.Lines[0] != "554 5.3.0 Pipe command failed to execute" {
			t.Errorf("reply %q", r.Lines)
		}
		if !strings.Contains(logs.String(), "signal=killed") {
			t.Errorf("log:\n%s", logs)
		}
	})
	t.Run("chatty command", func(t *testing.T) {
		t.Parallel()
		dir := testutil.TempDir(t)
		r, logs := deliverWith(t, helperCommand(t, dir, "chatty", "-f %F --"), env, "x\n")
		if r.Lines[0] != "250 2.0.0 Ok, mail was piped" {
			t.Errorf("reply %q", r.Lines)
		}
		l := logs.String()
		if !strings.Contains(l, "info: pipe command output") || !strings.Contains(l, "stdout_bytes=231000") || !strings.Contains(l, "stderr_bytes=231000") {
			t.Errorf("log:\n%s", l)
		}
	})
	t.Run("chatty and failing", func(t *testing.T) {
		t.Parallel()
		dir := testutil.TempDir(t)
		r, logs := deliverWith(t, helperCommand(t, dir, "chatty,exit=75", "-f %F --"), env, "x\n")
		if r.Lines[0] != "451 4.3.0 Pipe command reported error 75" {
			t.Errorf("reply %q", r.Lines)
		}
		if !strings.Contains(logs.String(), "error: pipe command output") {
			t.Errorf("log:\n%s", logs)
		}
	})
	t.Run("does not read its input", func(t *testing.T) {
		t.Parallel()
		dir := testutil.TempDir(t)
		big := strings.Repeat("a long mail that the command never reads\n", 100000)
		r, _ := deliverWith(t, helperCommand(t, dir, "noread", "-f %F --"), env, big)
		if r.Lines[0] != "250 2.0.0 Ok, mail was piped" {
			t.Errorf("reply %q: the exit status decides, as upstream", r.Lines)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		dir := testutil.TempDir(t)
		tmpl, err := parseCommandTemplate(helperCommand(t, dir, "sleep=1m", "-f %F --"))
		if err != nil {
			t.Fatal(err)
		}
		logs := &logBuffer{}
		d := &commandDeliverer{tmpl: tmpl, log: logs.logger(), timeout: 200 * time.Millisecond, waitDelay: 10 * time.Second, env: helperEnv()}
		start := time.Now()
		err = d.Deliver(context.Background(), env, strings.NewReader("x\n"))
		var r *smtp.Reply
		if !errors.As(err, &r) || r.Lines[0] != "451 4.3.0 Pipe command timed out" {
			t.Errorf("Deliver: %v", err)
		}
		if time.Since(start) > 30*time.Second {
			t.Errorf("the command was not killed in time")
		}
	})
	t.Run("leading dash", func(t *testing.T) {
		t.Parallel()
		dir := testutil.TempDir(t)
		for _, e := range []envelope{
			{from: "-oQ/tmp/x@example.com", rcpts: []string{"b@example.org"}},
			{from: "a@example.com", rcpts: []string{"b@example.org", "-X/tmp/log"}},
			{from: "a@example.com", rcpts: []string{`"-X/tmp/log"@example.org`}},
		} {
			r, _ := deliverWith(t, helperCommand(t, dir, "-", "-f %F --"), e, "x\n")
			if r.Code != 553 {
				t.Errorf("%+v: reply %q", e, r.Lines)
			}
			if _, _, ok := recorded(t, dir); ok {
				t.Fatalf("%+v: the command ran", e)
			}
		}
	})
}

// hostileAddresses are addresses that would run commands if they reached a shell's parser.
// Most are valid RFC 5321 mailboxes (quoted local parts may hold almost anything); the line
// breaks cannot come through SMTP but test the quoting itself.
func hostileAddresses(marker string) []string {
	return []string{
		`"a;touch ` + marker + `"@example.org`,
		`"$(touch ` + marker + `)"@example.org`,
		"\"`touch " + marker + "`\"@example.org",
		"`touch${IFS}" + marker + "`@example.org",
		"a|touch${IFS}" + marker + "@example.org",
		"a&touch${IFS}" + marker + "&@example.org",
		`"it's"@example.org`,
		`"say \"hi\""@example.org`,
		`"back\\slash"@example.org`,
		"$HOME@example.org",
		"*@example.org",
		"~root@example.org",
		"\"a\nb;touch " + marker + "\"@example.org",
		"\"a\r\nRCPT TO:<x@y>\"@example.org",
		"jörg@exämple.org",
		"%F@example.org",
		`"%F"@example.org`,
	}
}

// TestNoInjection passes hostile addresses to commands that run directly and through the
// shell, and checks that each arrives as one unchanged argument and nothing is executed.
func TestNoInjection(t *testing.T) {
	t.Parallel()
	type variant struct {
		name, prefix, tail string
	}
	variants := []variant{
		{"direct", "", "-f %F --"},
		{"direct, %F inside a word", "", "--from=%F --"},
	}
	if runtime.GOOS != "windows" {
		// The same helper, but through /bin/sh: an assignment in front is shell syntax.
		variants = append(variants, variant{"shell", "X=1 ", "-f %F --"}, variant{"shell, quoted %F", "X=1 ", `-f "%F" --`},
			variant{"shell, single-quoted %F", "X=1 ", `-f '%F' --`}, variant{"shell, %F inside a word", "X=1 ", `--from=%F --`})
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			dir := testutil.TempDir(t)
			marker := dir + "/pwned"
			hostile := hostileAddresses(marker)
			for _, from := range hostile {
				command := v.prefix + helperCommand(t, dir, "-", v.tail)
				if tmpl, _ := parseCommandTemplate(command); tmpl.shell != (v.prefix != "") {
					t.Fatalf("%q: shell = %v", command, tmpl.shell)
				}
				r, logs := deliverWith(t, command, envelope{from: from, rcpts: hostile}, "x\n")
				if r.Code != 250 {
					t.Fatalf("from %q: reply %q\nlog:\n%s", from, r.Lines, logs)
				}
				argv, _, ok := recorded(t, dir)
				if !ok {
					t.Fatalf("from %q: nothing recorded\nlog:\n%s", from, logs)
				}
				fromArg := "-f"
				if strings.HasPrefix(v.tail, "--from") {
					fromArg = "--from=" + from
				}
				want := []string{fromArg}
				if fromArg == "-f" {
					want = append(want, from)
				}
				want = append(append(want, "--"), hostile...)
				if diff := cmp.Diff(want, argv); diff != "" {
					t.Errorf("from %q: arguments (-want +got):\n%s", from, diff)
				}
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("an address was executed: the marker file exists")
			}
		})
	}
}

func TestLogOutputIsBounded(t *testing.T) {
	t.Parallel()
	var b cappedBuffer
	chunk := bytes.Repeat([]byte("x"), 1000)
	for i := 0; i < 10; i++ {
		if n, err := b.Write(chunk); n != 1000 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if len(b.data) != outputLimit || b.total != 10000 {
		t.Errorf("kept %d of %d bytes", len(b.data), b.total)
	}
}
