package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// fixedNow is the clock of the engine in these tests.
func fixedNow() time.Time { return time.Date(2026, 11, 25, 18, 24, 20, 0, time.UTC) }

// serveScript plays a client's input against msmtpd's backend with the given command and
// returns the server's replies, one per line, and the session's error.
func serveScript(t *testing.T, command, spoolDir string, limit int64, input string) ([]string, error) {
	t.Helper()
	tmpl, err := parseCommandTemplate(command)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	b := &backend{
		ctx:      context.Background(),
		deliver:  &commandDeliverer{tmpl: tmpl, log: logs.logger(), env: helperEnv()},
		spoolDir: spoolDir,
	}
	srv := &server.Server{
		Backend:         b,
		Now:             fixedNow,
		MaxMessageBytes: limit,
		Logger:          logs.logger(),
		LookupAddr:      func(context.Context, string) ([]string, error) { return nil, os.ErrNotExist },
	}
	var out bytes.Buffer
	err = srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader(input), W: &out})
	b.inflight.stopAndWait()
	t.Logf("log:\n%s", logs)
	return strings.Split(strings.TrimSuffix(out.String(), "\r\n"), "\r\n"), err
}

func TestMailPipedWithLFAndReceivedFirst(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	input := "EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n" +
		"Subject: lines\r\n\r\nCRLF line\r\nbare\rCR stays\r\n..leading dot\r\nlast line without CRLF\r\n.\r\nQUIT\r\n"
	replies, err := serveScript(t, helperCommand(t, dir, "-", "-f %F --"), dir, 0, input)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"220 localhost ESMTP msmtpd", "250-localhost", "250-PIPELINING", "250-8BITMIME", "250-SMTPUTF8",
		"250-SIZE", "250-ENHANCEDSTATUSCODES", "250 DSN", "250 2.1.0 Ok", "250 2.1.5 Ok", "354 Send data",
		"250 2.0.0 Ok, mail was piped", "221 2.0.0 Bye"}
	if diff := cmp.Diff(want, replies); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
	_, mail, ok := recorded(t, dir)
	if !ok {
		t.Fatal("nothing delivered")
	}
	wantMail := "Received: from client.example ([])\n\tby [] (msmtpd) with ESMTP;\n\tWed, 25 Nov 2026 18:24:20 +0000\n" +
		"Subject: lines\n\nCRLF line\nbare\rCR stays\n.leading dot\nlast line without CRLF\n"
	if diff := cmp.Diff(wantMail, mail); diff != "" {
		t.Errorf("mail (-want +got):\n%s", diff)
	}
}

// TestHELOSessionPlainReplies: a client that greets with HELO (PHP on Windows) gets upstream's
// replies without enhanced status codes, also from the backend, and an LF mail passes as is.
func TestHELOSessionPlainReplies(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	input := "HELO php\r\nMAIL FROM:<www@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: php\n\nbare LF body\n.\nQUIT\r\n"
	replies, err := serveScript(t, helperCommand(t, dir, "-", "-f %F --"), dir, 0, input)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"220 localhost ESMTP msmtpd", "250 localhost", "250 Ok", "250 Ok", "354 Send data", "250 Ok, mail was piped", "221 Bye"}
	if diff := cmp.Diff(want, replies); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
	_, mail, _ := recorded(t, dir)
	if want := "Received: from php ([])\n\tby [] (msmtpd) with SMTP;\n\tWed, 25 Nov 2026 18:24:20 +0000\nSubject: php\n\nbare LF body\n"; mail != want {
		t.Errorf("mail %q, want %q", mail, want)
	}
}

// TestDisconnectInsideData: a client that goes away in the middle of its mail must not get
// anything delivered (upstream delivers the truncated mail, spec-mail-smtp.md §11.2), neither
// a small mail kept in memory nor a large one kept in a file, and no file stays behind.
func TestDisconnectInsideData(t *testing.T) {
	t.Parallel()
	for _, size := range []int{100, 3 << 20} {
		dir := testutil.TempDir(t)
		spoolDir := testutil.TempDir(t)
		body := strings.Repeat("x", 75) + "\r\n"
		input := "EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: cut\r\n\r\n" +
			strings.Repeat(body, size/len(body)+1)
		replies, err := serveScript(t, helperCommand(t, dir, "-", "-f %F --"), spoolDir, 0, input)
		if err == nil {
			t.Errorf("size %d: session ended normally", size)
		}
		if last := replies[len(replies)-1]; last != "354 Send data" {
			t.Errorf("size %d: last reply %q", size, last)
		}
		if argv, _, _ := recorded(t, dir); argv != nil {
			t.Fatalf("size %d: the command ran with %q", size, argv)
		}
		if left, _ := os.ReadDir(spoolDir); len(left) != 0 {
			t.Errorf("size %d: files left in the spool directory: %v", size, left)
		}
	}
}

func TestLargeMailThroughSpoolFile(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	spoolDir := testutil.TempDir(t)
	line := strings.Repeat("0123456789", 7) + "\r\n"
	n := (3 << 20) / len(line)
	input := "EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: big\r\n\r\n" +
		strings.Repeat(line, n) + ".\r\nQUIT\r\n"
	replies, err := serveScript(t, helperCommand(t, dir, "-", "-f %F --"), spoolDir, 0, input)
	if err != nil {
		t.Fatal(err)
	}
	if got := replies[len(replies)-2]; got != "250 2.0.0 Ok, mail was piped" {
		t.Fatalf("reply %q", got)
	}
	_, mail, _ := recorded(t, dir)
	body := mail[strings.Index(mail, "Subject: big\n\n")+len("Subject: big\n\n"):]
	if want := strings.Repeat(strings.TrimSuffix(line, "\r\n")+"\n", n); body != want {
		t.Errorf("body of %d bytes, want %d", len(body), len(want))
	}
	if left, _ := os.ReadDir(spoolDir); len(left) != 0 {
		t.Errorf("files left in the spool directory: %v", left)
	}
}

// TestSessionContinuesAfterFailure: unlike upstream, a failed delivery does not end the
// session; and a mail over the size limit is refused without running the command.
func TestSessionContinuesAfterFailure(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	tx := "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n"
	replies, err := serveScript(t, helperCommand(t, dir, "exit=69", "-f %F --"), dir, 0, "HELO c\r\n"+tx+tx+"QUIT\r\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"220 localhost ESMTP msmtpd", "250 localhost",
		"250 Ok", "250 Ok", "354 Send data", "451 Pipe command reported error 69",
		"250 Ok", "250 Ok", "354 Send data", "451 Pipe command reported error 69", "221 Bye"}
	if diff := cmp.Diff(want, replies); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}

	big := testutil.TempDir(t)
	replies, _ = serveScript(t, helperCommand(t, big, "-", "-f %F --"), big, 100,
		"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"+strings.Repeat("x", 200)+"\r\n.\r\nQUIT\r\n")
	if got := replies[len(replies)-2]; !strings.HasPrefix(got, "552 ") {
		t.Errorf("reply to a mail over the limit: %q", got)
	}
	if argv, _, _ := recorded(t, big); argv != nil {
		t.Errorf("the command ran for a mail over the limit: %q", argv)
	}
}

func TestWithoutEnhancedCode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want *smtp.Reply }{
		{smtp.NewReply(250, smtp.EnhOK, "Ok, mail was piped"), &smtp.Reply{Code: 250, Lines: []string{"250 Ok, mail was piped"}}},
		{smtp.NewReply(451, smtp.EnhTempLocalError, "a", "b"), &smtp.Reply{Code: 451, Lines: []string{"451-a", "451 b"}}},
		{smtp.NewReply(554, smtp.EnhancedCode{}, "5.5.5x stays"), &smtp.Reply{Code: 554, Lines: []string{"554 5.5.5x stays"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, withoutEnhancedCode(tt.in)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in.Lines, diff)
		}
	}
}
