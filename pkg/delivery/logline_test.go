package delivery

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/syslogsock"
	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/smtp"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

var logTime = time.Date(2026, 11, 25, 18, 37, 6, 0, time.UTC)

// The lines of spec-mail-smtp.md §5.5, which were read off the reference.
func TestLogLine(t *testing.T) {
	t.Parallel()
	rcpts := []string{"b@example.org", "c@example.org"}
	tests := []struct {
		name   string
		e      LogEntry
		format string
		want   string
	}{
		{"success", LogEntry{Time: logTime, Host: "127.0.0.1", Auth: true, User: "u", From: "a@example.com", Recipients: rcpts, MailSize: 136,
			Reply: &smtp.Reply{Code: 250, Lines: []string{"250 OK queued"}}, Exit: sysexits.OK}, "",
			"Nov 25 18:37:06 host=127.0.0.1 tls=off auth=on user=u from=a@example.com recipients=b@example.org,c@example.org mailsize=136 smtpstatus=250 smtpmsg='250 OK queued' exitcode=EX_OK"},
		{"rcpt refused, quotes sanitised", LogEntry{Time: logTime, Host: "127.0.0.1", From: "a@example.com", Recipients: rcpts, MailSize: -1,
			Reply: &smtp.Reply{Code: 550, Lines: []string{"550 5.1.1 <c@example.org>: user 'c' unknown"}}, ErrorMsg: "recipient address c@example.org not accepted by the server", Exit: sysexits.DataErr}, "",
			"Nov 25 18:37:06 host=127.0.0.1 tls=off auth=off from=a@example.com recipients=b@example.org,c@example.org smtpstatus=550 smtpmsg='550 5.1.1 <c@example.org>: user ?c? unknown' errormsg='recipient address c@example.org not accepted by the server' exitcode=EX_DATAERR"},
		{"multi-line reply, ISO time", LogEntry{Time: logTime.Add(time.Second), Host: "127.0.0.1", From: "a@example.com", Recipients: rcpts[:1], MailSize: 136,
			Reply: &smtp.Reply{Code: 554, Lines: []string{"554-5.7.1 multi", "554 5.7.1 line"}}, ErrorMsg: "the server did not accept the mail", Exit: sysexits.Unavailable}, "%Y-%m-%dT%H:%M:%S",
			"2026-11-25T18:37:07 host=127.0.0.1 tls=off auth=off from=a@example.com recipients=b@example.org smtpstatus=554 smtpmsg='554-5.7.1 multi\\n554 5.7.1 line' errormsg='the server did not accept the mail' exitcode=EX_UNAVAILABLE"},
		{"connect failure", LogEntry{Time: logTime, Host: "127.0.0.1", From: "a@example.com", Recipients: rcpts[:1], MailSize: -1,
			ErrorMsg: "cannot connect to 127.0.0.1, port 1: Connection refused", Exit: sysexits.TempFail}, "",
			"Nov 25 18:37:06 host=127.0.0.1 tls=off auth=off from=a@example.com recipients=b@example.org errormsg='cannot connect to 127.0.0.1, port 1: Connection refused' exitcode=EX_TEMPFAIL"},
		{"socket, tls, no time", LogEntry{Time: logTime, Socket: "/run/lmtp", TLS: true, Auth: false, User: "hidden", Recipients: []string{"x"}, MailSize: 3, Exit: sysexits.OK}, "none",
			"socket=/run/lmtp tls=on auth=off from= recipients=x mailsize=3 exitcode=EX_OK"},
		{"control characters", LogEntry{Time: logTime, Host: "h", Recipients: []string{"x"}, ErrorMsg: "bad\r\nthing", Exit: 99}, "",
			"Nov 25 18:37:06 host=h tls=off auth=off from= recipients=x errormsg='bad??thing' exitcode=BUG:UNKNOWN"},
	}
	for _, tt := range tests {
		got, err := tt.e.Line(tt.format)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	e := LogEntry{Time: logTime}
	for _, f := range []string{"%Q", strings.Repeat("x", 128)} {
		if _, err := e.Line(f); f != "%Q" && !errors.Is(err, ErrInvalidTimeFormat) {
			t.Errorf("format %q: err = %v", f, err)
		}
	}
}

func TestAppendLog(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	name := filepath.Join(dir, "msmtp.log")
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := AppendLog(name, strings.Repeat("x", 1000), nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat(strings.Repeat("x", 1000)+"\n", 20); string(data) != want {
		t.Errorf("log file has %d bytes, lines interleaved or lost", len(data))
	}
	var stdout bytes.Buffer
	if err := AppendLog("-", "line", &stdout); err != nil || stdout.String() != "line\n" {
		t.Errorf("logfile - wrote %q, %v", stdout.String(), err)
	}
	err = AppendLog(filepath.Join(dir, "missing", "x.log"), "the line", nil)
	var le *LogFileError
	if !errors.As(err, &le) || err.Error() != "cannot log to "+filepath.Join(dir, "missing", "x.log")+": cannot open: No such file or directory" || le.Line != "the line" {
		t.Errorf("err = %v", err)
	}
}

func TestSyslog(t *testing.T) {
	t.Parallel()
	if !syslogsock.Supported {
		t.Skip("no syslog on this system")
	}
	dir := testutil.TempDir(t)
	path := filepath.Join(dir, "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Skip("unix datagram sockets unavailable:", err)
	}
	defer conn.Close()
	s := Syslog{Sockets: []string{filepath.Join(dir, "absent"), path}, Now: func() time.Time { return time.Date(2026, 11, 25, 18, 37, 14, 0, time.UTC) }}
	for _, tt := range []struct {
		facility string
		failed   bool
		want     string
	}{
		{"LOG_USER", false, "<14>Nov 25 18:37:14 msmtp: host=x exitcode=EX_OK"},
		{"LOG_MAIL", true, "<19>Nov 25 18:37:14 msmtp: host=x exitcode=EX_OK"},
		{"LOG_LOCAL7", false, "<190>Nov 25 18:37:14 msmtp: host=x exitcode=EX_OK"},
	} {
		if err := s.Send(tt.facility, tt.failed, "host=x exitcode=EX_OK"); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 512)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != tt.want {
			t.Errorf("datagram %q, want %q", got, tt.want)
		}
	}
	if err := s.Send("mail", false, "x"); err == nil {
		t.Error("bad facility accepted")
	}
}
