package main

import (
	"io"
	"strings"
	"testing"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// TestEventSource checks that registering and removing an Event Log source may be repeated.
func TestEventSource(t *testing.T) {
	name := testService(t)
	for range 2 {
		if err := installEventSource(name); err != nil {
			t.Fatalf("installEventSource: %v", err)
		}
		if !eventSourceExists(t, name) {
			t.Fatalf("no source %s after installEventSource", name)
		}
	}
	for range 2 {
		if err := removeEventSource(name); err != nil {
			t.Fatalf("removeEventSource: %v", err)
		}
		if eventSourceExists(t, name) {
			t.Fatalf("source %s still there after removeEventSource", name)
		}
	}
}

// TestEventLogSink writes to the Event Log. Wine 8 stores nothing (its ReportEventW is a
// stub, wine.md §4f), so all that can be checked there is that writing works.
func TestEventLogSink(t *testing.T) {
	t.Parallel()
	el, err := openEventLog(defaultServiceName)
	if err != nil {
		t.Fatal(err)
	}
	if err := el.write(false, "msmtpd test: an information event"); err != nil {
		t.Errorf("info: %v", err)
	}
	if err := el.write(true, "msmtpd test: an error event"); err != nil {
		t.Errorf("error: %v", err)
	}
	if err := el.close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := el.write(false, "after close"); err == nil {
		t.Error("writing after close worked")
	}
}

// TestLogToEventLog runs msmtpd.exe --inetd --log=syslog: on Windows syslog is the Event Log,
// which msmtpd.exe could not open if it exited 3. What it logged cannot be read back under
// Wine: its event log keeps nothing, and the trace of ReportEventW (WINEDEBUG=+eventlog) goes
// to the Unix standard error that Wine processes inherit, not to the pipe of a Windows parent.
func TestLogToEventLog(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t, "msmtpd")
	stdout, stderr, code := runProgram(t, nil, "HELO client\r\nQUIT\r\n", bin, "--inetd", "--log=syslog")
	if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "220 ") || !strings.Contains(stdout, "221 ") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestEventLogWriter checks the standard error of the service: each line an error event.
func TestEventLogWriter(t *testing.T) {
	t.Parallel()
	events := &logBuffer{}
	var also strings.Builder
	w := &eventLogWriter{sink: events, also: &also}
	if n, err := w.Write([]byte("msmtpd: cannot bind to 127.0.0.1:25: in use\n\nsecond\x1b line\n")); n != 58 || err != nil {
		t.Errorf("Write = %d, %v", n, err)
	}
	w.info("service started")
	if got, want := events.String(), "error: msmtpd: cannot bind to 127.0.0.1:25: in use\nerror: second? line\ninfo: service started"; got != want {
		t.Errorf("events\n%s\nwant\n%s", got, want)
	}
	if !strings.HasPrefix(also.String(), "msmtpd: cannot bind") {
		t.Errorf("standard error got %q", also.String())
	}
	noLog := &eventLogWriter{also: io.Discard}
	if _, err := noLog.Write([]byte("x\n")); err != nil {
		t.Errorf("without an Event Log: %v", err)
	}
}
