package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/syslogsock"
	"github.com/msmtp-go/msmtp/internal/testutil"
)

func TestFormatLine(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 5, 8, 4, 2, 0, time.UTC)
	if got, want := formatLine(now, 4711, false, "starting SMTP session"), "2026-11-05 08:04:02 msmtpd[4711] info: starting SMTP session"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := formatLine(now, 1, true, "x"), "2026-11-05 08:04:02 msmtpd[1] error: x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLineHandler(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	log := logs.logger().With("session", 3, "remote", "127.0.0.1:4000")
	log.Info("mail accepted", "from", "a@example.com", "rcpts", []string{"b@example.org", `"c d"@x`},
		"size", 1234, "duration", 1500*time.Millisecond, "empty", "")
	log.Warn("mail rejected", "error", errors.New("bad\nthing"), "reply", `554 5.3.0 Pipe command reported error 1`)
	log.WithGroup("tls").Error("handshake", "version", "1.3", slog.Group("peer", "cn", "x"))
	log.Debug("never shown")
	want := `info: mail accepted session=3 remote=127.0.0.1:4000 from=a@example.com rcpts="b@example.org,\"c d\"@x" size=1234 duration=1.5s empty=""
error: mail rejected session=3 remote=127.0.0.1:4000 error="bad\nthing" reply="554 5.3.0 Pipe command reported error 1"
error: handshake session=3 remote=127.0.0.1:4000 tls.version=1.3 tls.peer.cn=x`
	if got := logs.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFileSink(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	now := func() time.Time { return time.Date(2026, 11, 25, 18, 24, 20, 0, time.UTC) }
	name := filepath.Join(dir, "msmtpd.log")
	s := &fileSink{name: name, now: now, pid: 42}
	log := newLineLogger(s)
	log.Info("one")
	// Log rotation: the file is moved away, the next line makes a new one.
	if err := os.Rename(name, name+".1"); err != nil {
		t.Fatal(err)
	}
	log.Error("two")
	for file, want := range map[string]string{
		name + ".1": "2026-11-25 18:24:20 msmtpd[42] info: one\n",
		name:        "2026-11-25 18:24:20 msmtpd[42] error: two\n",
	} {
		got, err := os.ReadFile(file)
		if err != nil || string(got) != want {
			t.Errorf("%s: %q (%v), want %q", file, got, err, want)
		}
	}

	fallback := &logBuffer{}
	bad := &fileSink{name: filepath.Join(dir, "no", "such", "dir", "log"), now: now, pid: 42, fallback: fallback}
	newLineLogger(bad).Info("three")
	got := fallback.String()
	if !strings.HasPrefix(got, "error: cannot open log file, using syslog instead: ") || !strings.HasSuffix(got, "\ninfo: three") {
		t.Errorf("fallback got %q", got)
	}
}

func TestNewSink(t *testing.T) {
	t.Parallel()
	sys := &system{now: time.Now, pid: 1}
	logFile := filepath.Join(testutil.TempDir(t), "log")
	for target, want := range map[string]string{"": "main.discardSink", "none": "main.discardSink", "stderr": "*main.writerSink", logFile: "*main.fileSink"} {
		s, err := newSink(target, sys, os.Stderr)
		if err != nil {
			t.Errorf("%q: %v", target, err)
			continue
		}
		if got := fmt.Sprintf("%T", s); got != want {
			t.Errorf("%q: %s, want %s", target, got, want)
		}
	}
	// syslog is the Event Log on Windows.
	if _, err := newSink("syslog", sys, os.Stderr); err != nil {
		t.Errorf("syslog: %v", err)
	}
	// A log file that cannot be opened: syslog instead, with a word on stderr; without
	// syslog (Windows), msmtpd cannot start.
	var stderr strings.Builder
	_, err := newSink(filepath.Join(logFile, "not-a-dir", "log"), sys, &stderr)
	if syslogsock.Supported {
		if err != nil || !strings.Contains(stderr.String(), "using syslog instead") {
			t.Errorf("unopenable log file: %v, stderr %q", err, stderr.String())
		}
	} else if err == nil || !strings.HasPrefix(err.Error(), "cannot open log file ") {
		t.Errorf("unopenable log file on Windows: %v", err)
	}
}
