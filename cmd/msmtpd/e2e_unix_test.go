//go:build !windows

package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// TestSIGTERMWithSessionInFlight: SIGTERM closes the listener and the idle sessions (421),
// lets the transaction in progress finish and be delivered, then msmtpd exits 0.
func TestSIGTERMWithSessionInFlight(t *testing.T) {
	t.Parallel()
	rec := testutil.TempDir(t)
	d := startDaemon(t, nil, "--shutdown-timeout=1m", "--command="+helperCommand(t, rec, "-", "-f %F --"))
	busy, err := net.Dial("tcp", d.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	converse(t, busy, [][2]string{
		{"", "220 "}, {"EHLO busy\r\n", "250-"}, {"MAIL FROM:<a@example.com>\r\n", "250 "},
		{"RCPT TO:<b@example.org>\r\n", "250 "}, {"DATA\r\n", "354 "},
		{"Subject: in flight\r\n\r\nfirst half\r\n", ""},
	})
	idle, err := net.Dial("tcp", d.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	converse(t, idle, [][2]string{{"", "220 "}, {"EHLO idle\r\n", "250-"}})

	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	converse(t, idle, [][2]string{{"", "421 4.3.2 Service shutting down"}})
	// The listener closes: new clients are refused (soon; the signal is asynchronous).
	deadline := time.Now().Add(e2eTimeout)
	for {
		c, err := net.Dial("tcp", d.addr())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("msmtpd still accepts connections after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	converse(t, busy, [][2]string{
		{"second half\r\n.\r\n", "250 2.0.0 Ok, mail was piped"},
		{"", "421 4.3.2 Service shutting down"},
	})
	select {
	case <-d.done:
		if d.err != nil {
			t.Errorf("msmtpd: %v, want exit 0", d.err)
		}
	case <-time.After(e2eTimeout):
		t.Fatal("msmtpd did not exit")
	}
	wantDelivered(t, rec, []string{"-f", "a@example.com", "--", "b@example.org"}, "first half\nsecond half\n")
}

// TestSIGTERMShutdownTimeout: a transaction that does not finish within shutdown_timeout is
// cut off; its mail is not delivered (the client got no 250 and keeps it).
func TestSIGTERMShutdownTimeout(t *testing.T) {
	t.Parallel()
	rec := testutil.TempDir(t)
	d := startDaemon(t, nil, "--shutdown-timeout=1", "--command="+helperCommand(t, rec, "-", "-f %F --"))
	c, err := net.Dial("tcp", d.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	converse(t, c, [][2]string{
		{"", "220 "}, {"EHLO slow\r\n", "250-"}, {"MAIL FROM:<a@example.com>\r\n", "250 "},
		{"RCPT TO:<b@example.org>\r\n", "250 "}, {"DATA\r\n", "354 "}, {"Subject: never ends\r\n\r\n", ""},
	})
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
		if d.err != nil {
			t.Errorf("msmtpd: %v, want exit 0", d.err)
		}
	case <-time.After(e2eTimeout):
		t.Fatal("msmtpd did not exit after the shutdown timeout")
	}
	_ = c.SetReadDeadline(time.Now().Add(e2eTimeout))
	if line, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		t.Errorf("the cut-off client got %q", line)
	}
	if argv, _, _ := recorded(t, rec); argv != nil {
		t.Errorf("an unfinished mail was delivered: %q", argv)
	}
	if !strings.Contains(d.log(), "disconnected") {
		t.Errorf("log:\n%s", d.log())
	}
}

// upstreamMsmtp returns Debian's msmtp 1.8.23 (the reference client) or skips.
func upstreamMsmtp(t *testing.T) string {
	t.Helper()
	const p = "/usr/bin/msmtp"
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not installed (.ci/install-peers installs Debian's msmtp)", p)
	}
	return p
}

// upstreamRecorder is the command of upstream's tests, with absolute file names: it writes
// the mail to DIR/mail and the recipients, separated by blanks, to DIR/rcpt.
func upstreamRecorder(dir string) string {
	return "cat > " + shellQuote(filepath.Join(dir, "mail")) + "; echo > " + shellQuote(filepath.Join(dir, "rcpt"))
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUpstreamAuthPlain is upstream's tests/test-auth-plain.sh against our msmtpd.
func TestUpstreamAuthPlain(t *testing.T) {
	t.Parallel()
	msmtp := upstreamMsmtp(t)
	dir := testutil.TempDir(t)
	d := startDaemon(t, nil, "--interface=::1", "--auth=testuser,echo testpassword", "--command="+upstreamRecorder(dir))
	out, stderr, code := runProgram(t, []string{"HOME=" + dir}, "Subject: Test\n\nThis is a test.\n", msmtp,
		"--host=::1", "--port="+itoa(d.ports[0]), "--auth=plain", "--user=testuser", "--passwordeval=echo testpassword",
		"--from", "test@example.com", "recipient@example.com")
	if code != 0 {
		t.Fatalf("msmtp exit %d\n%s%s", code, out, stderr)
	}
	if got := readFile(t, filepath.Join(dir, "rcpt")); got != "recipient@example.com\n" {
		t.Errorf("recipients %q", got)
	}
	if mail := readFile(t, filepath.Join(dir, "mail")); !strings.Contains(mail, "with ESMTPA;") || !strings.HasSuffix(mail, "\n\nThis is a test.\n") {
		t.Errorf("mail:\n%s", mail)
	}
}

// TestUpstreamHeaderHandling is the msmtpd part of upstream's tests/test-header-handling.sh:
// msmtp 1.8.23 reads the envelope from the mail's hostile headers and sends through our
// msmtpd, whose command must get the 14 recipients in order, and the mail without Bcc.
func TestUpstreamHeaderHandling(t *testing.T) {
	t.Parallel()
	msmtp := upstreamMsmtp(t)
	dir := testutil.TempDir(t)
	d := startDaemon(t, nil, "--interface=::1", "--command="+upstreamRecorder(dir))
	mail := readFile(t, filepath.Join("testdata", "header-handling.eml"))
	port := "--port=" + itoa(d.ports[0])
	env := []string{"HOME=" + dir}

	_, stderr, code := runProgram(t, env, mail, msmtp, "--host=::1", port, "--set-from-header=on", "--from", "test@example.com", "recipient@example.com")
	if code != 0 {
		t.Fatalf("msmtp exit %d\n%s", code, stderr)
	}
	if got := readFile(t, filepath.Join(dir, "rcpt")); got != "recipient@example.com\n" {
		t.Errorf("command-line recipient: %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "mail")); !strings.Contains(got, "\nFrom: test@example.com\n") {
		t.Errorf("From header:\n%s", got)
	}

	_, stderr, code = runProgram(t, env, mail, msmtp, "--host=::1", port, "--set-from-header=on", "--read-envelope-from", "--read-recipients")
	if code != 0 {
		t.Fatalf("msmtp exit %d\n%s", code, stderr)
	}
	want := "to1@example.com to2@example.com to3@example.com to4 to5@example.com to6@example.com " +
		"to7@example.com to8@example.com to9@example.com to10@localhost to11@example.com to12 " +
		"to13@localhost bcc@example.com\n"
	if got := readFile(t, filepath.Join(dir, "rcpt")); got != want {
		t.Errorf("recipients\n got %q\nwant %q", got, want)
	}
	got := readFile(t, filepath.Join(dir, "mail"))
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "Bcc:") {
			t.Errorf("Bcc header not removed: %q", line)
		}
	}
	for _, s := range []string{"\nFrom: from@example.com\n", "\nDate: ", "\nMessage-ID: <"} {
		if !strings.Contains(got, s) {
			t.Errorf("mail lacks %q:\n%s", s, got)
		}
	}
}
