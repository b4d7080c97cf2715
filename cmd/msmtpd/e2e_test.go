package main

// End-to-end tests: the built msmtpd program on 127.0.0.1:0, with a --command that records
// its arguments and the mail (upstream's own test technique), driven by real clients.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// e2eTimeout bounds every program a test runs and every wait.
const e2eTimeout = 60 * time.Second

// daemonProc is a running msmtpd.
type daemonProc struct {
	cmd    *exec.Cmd
	dir    string // its files: port, log
	ports  []int
	stderr *syncBuffer
	done   chan struct{} // closed when it exited
	err    error         // Wait's result, once done
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDaemon runs msmtpd with args, plus --port=0 unless args name listeners, and a port
// file and a log file in a fresh directory. It waits until msmtpd listens and stops it when
// the test ends.
func startDaemon(t *testing.T, env []string, args ...string) *daemonProc {
	t.Helper()
	bin := testutil.Binary(t, "msmtpd")
	dir := testutil.TempDir(t)
	full := []string{"--port-file=" + filepath.Join(dir, "port"), "--log=" + filepath.Join(dir, "log")}
	if !slicesContainsPrefix(args, "--listen", "--port") {
		full = append(full, "--port=0")
	}
	full = append(full, args...)
	d := &daemonProc{dir: dir, stderr: &syncBuffer{}, done: make(chan struct{})}
	d.cmd = exec.Command(bin, full...)
	d.cmd.Env = append(helperEnv(), env...)
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		d.stop(t)
		if t.Failed() {
			t.Logf("msmtpd stderr:\n%s\nmsmtpd log:\n%s", d.stderr, d.log())
		}
	})
	deadline := time.Now().Add(e2eTimeout)
	for {
		data, err := os.ReadFile(filepath.Join(dir, "port"))
		if err == nil {
			for _, f := range strings.Fields(string(data)) {
				p, _ := strconv.Atoi(f)
				d.ports = append(d.ports, p)
			}
			return d
		}
		select {
		case <-d.done:
			t.Fatalf("msmtpd %q exited: %v\n%s", full, d.err, d.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("msmtpd did not start listening within %v", e2eTimeout)
		}
	}
}

func slicesContainsPrefix(args []string, prefixes ...string) bool {
	for _, a := range args {
		for _, p := range prefixes {
			if strings.HasPrefix(a, p) {
				return true
			}
		}
	}
	return false
}

// addr is host:port of the first listener.
func (d *daemonProc) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.ports[0])) }

func (d *daemonProc) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "log"))
	return string(b)
}

// stop ends msmtpd (SIGTERM where there are signals) and waits for it.
func (d *daemonProc) stop(t *testing.T) {
	select {
	case <-d.done:
		return
	default:
	}
	if runtime.GOOS == "windows" {
		_ = d.cmd.Process.Kill()
	} else {
		_ = d.cmd.Process.Signal(terminateSignal())
	}
	select {
	case <-d.done:
	case <-time.After(e2eTimeout):
		_ = d.cmd.Process.Kill()
		<-d.done
		t.Errorf("msmtpd did not stop within %v", e2eTimeout)
	}
}

// runProgram runs a program to its end with input and returns its output and exit code.
func runProgram(t *testing.T, env []string, stdin string, name string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(helperEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s did not end within %v", name, e2eTimeout)
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// lookPeer returns a peer program's path or skips the test.
func lookPeer(t *testing.T, name string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skipf("%s runs only on Unix-like systems", name)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (.ci/install-peers installs it)", name)
	}
	return p
}

// wantDelivered checks what the helper command recorded.
func wantDelivered(t *testing.T, dir string, wantArgv []string, mailContains ...string) string {
	t.Helper()
	argv, mail, ok := recorded(t, dir)
	if !ok {
		t.Fatal("nothing was delivered")
	}
	if diff := cmp.Diff(wantArgv, argv); diff != "" {
		t.Errorf("arguments (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(mail, "Received: from ") {
		t.Errorf("the mail does not start with the Received header:\n%s", mail)
	}
	if strings.Contains(mail, "\r") {
		t.Errorf("the mail has CR line ends:\n%q", mail)
	}
	for _, s := range mailContains {
		if !strings.Contains(mail, s) {
			t.Errorf("the mail lacks %q:\n%s", s, mail)
		}
	}
	return mail
}

func TestSwaks(t *testing.T) {
	t.Parallel()
	swaks := lookPeer(t, "swaks")
	rec := testutil.TempDir(t)
	d := startDaemon(t, nil, "--command="+helperCommand(t, rec, "-", "-f %F --"))
	rcpts := []string{"`id`|x&y@example.org", `"a;b c"@example.org`, "jörg@exämple.org"}
	out, stderr, code := runProgram(t, nil, "", swaks, "--server", d.addr(), "--from", "$HOME@example.com",
		"--to", strings.Join(rcpts, ","), "--helo", "swaks.example", "--body", "hello from swaks\n.leading dot", "--silent", "1")
	if code != 0 {
		t.Fatalf("swaks exit %d\n%s%s", code, out, stderr)
	}
	wantDelivered(t, rec, append([]string{"-f", "$HOME@example.com", "--"}, rcpts...),
		"Received: from swaks.example (", "with ESMTP;", "hello from swaks\n.leading dot\n")
}

// pyScript is a Python program for smtplib: argv host port mode [user password].
const pyScript = `
import smtplib, ssl, sys, time
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = smtplib.SMTP(host, port, timeout=30)
s.ehlo("py.example")
if "starttls" in mode:
    s.starttls(context=ssl._create_unverified_context())
    s.ehlo("py.example")
if "auth" in mode:
    start = time.monotonic()
    try:
        s.login(sys.argv[4], sys.argv[5])
    except smtplib.SMTPAuthenticationError as e:
        print("AUTHFAIL %d %.2f" % (e.smtp_code, time.monotonic() - start))
        sys.exit(3)
    print("AUTHOK %.2f" % (time.monotonic() - start))
s.sendmail("a@example.com", ["b@example.org", '"x y"@example.org'], b"Subject: from python\r\n\r\nhello\r\n")
s.quit()
print("SENT")
`

func python(t *testing.T, addr string, args ...string) (string, int) {
	t.Helper()
	py := lookPeer(t, "python3")
	host, port, _ := net.SplitHostPort(addr)
	out, stderr, code := runProgram(t, nil, "", py, append([]string{"-c", pyScript, host, port}, args...)...)
	return out + stderr, code
}

func TestPythonSmtplib(t *testing.T) {
	t.Parallel()
	rec := testutil.TempDir(t)
	d := startDaemon(t, nil, "--command="+helperCommand(t, rec, "-", "-f %F --"))
	if out, code := python(t, d.addr(), "plain"); code != 0 || !strings.Contains(out, "SENT") {
		t.Fatalf("python exit %d:\n%s", code, out)
	}
	wantDelivered(t, rec, []string{"-f", "a@example.com", "--", "b@example.org", `"x y"@example.org`},
		"Received: from py.example (", "Subject: from python\n\nhello\n")
}

// TestAuthPasswordEval is upstream's --auth=USER,PASSWORDEVAL with Python's smtplib: the
// right password, a wrong one, and the delay of the next attempt after a failure.
func TestAuthPasswordEval(t *testing.T) {
	t.Parallel()
	rec := testutil.TempDir(t)
	d := startDaemon(t, nil, "--auth=joe,echo s3cret", "--command="+helperCommand(t, rec, "-", "-f %F --"))
	out, code := python(t, d.addr(), "auth", "joe", "s3cret")
	if code != 0 || !strings.Contains(out, "AUTHOK") || !strings.Contains(out, "SENT") {
		t.Fatalf("right password: exit %d\n%s", code, out)
	}
	wantDelivered(t, rec, []string{"-f", "a@example.com", "--", "b@example.org", `"x y"@example.org`}, "with ESMTPA;")

	out, code = python(t, d.addr(), "auth", "joe", "wrong")
	if code != 3 || !strings.Contains(out, "AUTHFAIL 535") {
		t.Fatalf("wrong password: exit %d\n%s", code, out)
	}
	// A failure makes every AUTH within the next minute wait a second (upstream's brake on
	// password guessing).
	out, code = python(t, d.addr(), "auth", "joe", "s3cret")
	var secs float64
	if code != 0 || !strings.Contains(out, "AUTHOK") {
		t.Fatalf("right password after a failure: exit %d\n%s", code, out)
	}
	fmt.Sscanf(out[strings.Index(out, "AUTHOK"):], "AUTHOK %f", &secs)
	if secs < 0.9 {
		t.Errorf("AUTH after a failure took %.2f s, want the 1 s delay", secs)
	}
	// Without AUTH nothing is accepted.
	c, err := gosmtp.Dial(d.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var se *gosmtp.SMTPError
	if err := c.Mail("a@example.com", nil); !errors.As(err, &se) || se.Code != 530 {
		t.Errorf("MAIL without AUTH: %v, want 530", err)
	}
}

// TestGoSMTPStartTLS uses go-smtp's client with STARTTLS on a self-signed certificate, then
// AUTH LOGIN over TLS from a configuration-file user.
func TestGoSMTPStartTLS(t *testing.T) {
	t.Parallel()
	rec := testutil.TempDir(t)
	conf := testutil.WriteFile(t, testutil.TempDir(t), "msmtpd.toml",
		"tls_self_signed = true\n[[user]]\nname = \"ann\"\npassword = \"$2a$10$eoW19jsUgR7Dch0VQnfyru3/D1jMEpe2n0I7zy8X67OxasOOdV9ji\"\n", 0o600)
	d := startDaemon(t, nil, "--config="+conf, "--command="+helperCommand(t, rec, "-", "-f %F --"))
	verify := func(cs tls.ConnectionState) error {
		// Self-signed, but for the loopback address the client used.
		return cs.PeerCertificates[0].VerifyHostname("127.0.0.1")
	}
	// go-smtp greets with EHLO localhost and then upgrades.
	c, err := gosmtp.DialStartTLS(d.addr(), &tls.Config{InsecureSkipVerify: true, VerifyConnection: verify})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewLoginClient("ann", "change me")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("a@example.com", []string{"b@example.org"}, strings.NewReader("Subject: go\r\n\r\nvia go-smtp\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	wantDelivered(t, rec, []string{"-f", "a@example.com", "--", "b@example.org"}, "with ESMTPSA;", "via go-smtp\n")
}

func TestPythonStartTLSAndImplicitTLS(t *testing.T) {
	t.Parallel()
	rec := testutil.TempDir(t)
	d := startDaemon(t, nil, "--listen=127.0.0.1:0", "--listen=127.0.0.1:0/implicit", "--tls-self-signed",
		"--command="+helperCommand(t, rec, "-", "-f %F --"))
	if len(d.ports) != 2 {
		t.Fatalf("ports %v", d.ports)
	}
	if out, code := python(t, d.addr(), "starttls"); code != 0 {
		t.Fatalf("python exit %d:\n%s", code, out)
	}
	wantDelivered(t, rec, []string{"-f", "a@example.com", "--", "b@example.org", `"x y"@example.org`}, "with ESMTPS;")

	conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(d.ports[1])), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	c := gosmtp.NewClient(conn)
	defer c.Close()
	if err := c.SendMail("c@example.com", []string{"d@example.org"}, strings.NewReader("Subject: implicit\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	wantDelivered(t, rec, []string{"-f", "c@example.com", "--", "d@example.org"}, "with ESMTPS;", "Subject: implicit\n")
}

// converse plays a client: each step sends a line (if any) and expects a reply that starts
// with want.
func converse(t *testing.T, conn net.Conn, steps [][2]string) {
	t.Helper()
	r := bufio.NewReader(conn)
	_ = conn.SetDeadline(time.Now().Add(e2eTimeout))
	for _, st := range steps {
		if st[0] != "" {
			if _, err := conn.Write([]byte(st[0])); err != nil {
				t.Fatal(err)
			}
		}
		if st[1] == "" {
			continue
		}
		var reply string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("after %q: %v (got %q)", st[0], err, reply)
			}
			reply += line
			if len(line) < 4 || line[3] != '-' {
				break
			}
		}
		if !strings.HasPrefix(reply, st[1]) {
			t.Fatalf("after %q: reply %q, want %q", st[0], reply, st[1])
		}
	}
}

// TestPHPOnWindowsSession replays what PHP's mail() sends on Windows when sendmail_path is
// unset: HELO, no AUTH, no TLS, one RCPT per recipient, a body with bare LF line ends.
func TestPHPOnWindowsSession(t *testing.T) {
	t.Parallel()
	rec := testutil.TempDir(t)
	d := startDaemon(t, nil, "--command="+helperCommand(t, rec, "-", "-f %F --"))
	conn, err := net.Dial("tcp", d.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	converse(t, conn, [][2]string{
		{"", "220 localhost ESMTP msmtpd\r\n"},
		{"HELO WIN-PHP\r\n", "250 localhost\r\n"},
		{"MAIL FROM:<www@example.com>\r\n", "250 Ok\r\n"},
		{"RCPT TO:<to@example.org>\r\n", "250 Ok\r\n"},
		{"RCPT TO:<cc@example.org>\r\n", "250 Ok\r\n"},
		{"DATA\r\n", "354 Send data\r\n"},
		{"Date: Wed, 25 Nov 2026 18:24:20 +0000\r\nSubject: contact form\r\nTo: to@example.org\r\nCc: cc@example.org\r\n\r\nline one\nline two\n..dot\n\r\n.\r\n", "250 Ok, mail was piped\r\n"},
		{"QUIT\r\n", "221 Bye\r\n"},
	})
	wantDelivered(t, rec, []string{"-f", "www@example.com", "--", "to@example.org", "cc@example.org"},
		"Received: from WIN-PHP (", "with SMTP;", "Subject: contact form\n", "\n\nline one\nline two\n.dot\n\n")
}

func TestInetd(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t, "msmtpd")
	tx := "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: inetd\r\n\r\nbody\r\n"

	rec := testutil.TempDir(t)
	out, stderr, code := runProgram(t, nil, "EHLO pipe\r\n"+tx+".\r\nQUIT\r\n", bin, "--inetd", "--command="+helperCommand(t, rec, "-", "-f %F --"))
	if code != 0 {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	if !strings.HasPrefix(out, "220 localhost ESMTP msmtpd\r\n") || !strings.Contains(out, "250 2.0.0 Ok, mail was piped\r\n221 2.0.0 Bye\r\n") {
		t.Errorf("replies:\n%s", out)
	}
	// On a pipe there are no addresses (upstream writes the same empty brackets).
	wantDelivered(t, rec, []string{"-f", "a@example.com", "--", "b@example.org"}, "Received: from pipe ([])\n\tby [] (msmtpd) with ESMTP;\n")

	// A session that ends inside DATA: exit 1, nothing delivered.
	rec = testutil.TempDir(t)
	_, _, code = runProgram(t, nil, "EHLO pipe\r\n"+tx, bin, "--inetd", "--command="+helperCommand(t, rec, "-", "-f %F --"))
	if code != 1 {
		t.Errorf("session cut inside DATA: exit %d, want 1", code)
	}
	if argv, _, _ := recorded(t, rec); argv != nil {
		t.Errorf("a truncated mail was delivered: %q", argv)
	}

	// The end without QUIT between mails is a normal end, as upstream.
	_, _, code = runProgram(t, nil, "EHLO pipe\r\n", bin, "--inetd", "--command=unused")
	if code != 0 {
		t.Errorf("EOF after EHLO: exit %d, want 0", code)
	}
}

// TestBindConflict: a second msmtpd on a port that is taken exits 3 with upstream's message.
func TestBindConflict(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, nil, "--command=unused")
	bin := testutil.Binary(t, "msmtpd")
	port := strconv.Itoa(d.ports[0])
	_, stderr, code := runProgram(t, nil, "", bin, "--interface=127.0.0.1", "--port="+port, "--command=unused")
	want := bin + ": cannot bind to 127.0.0.1:" + port + ": "
	if code != 3 || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 3 and %q...", code, stderr, want)
	}
	if runtime.GOOS != "windows" && !strings.HasSuffix(stderr, ": Address already in use\n") {
		t.Errorf("stderr %q, want strerror's text", stderr)
	}
}

func TestAllowNetwork(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, nil, "--allow-network=192.0.2.0/24", "--command=unused")
	conn, err := net.Dial("tcp", d.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	converse(t, conn, [][2]string{{"", "554 5.7.1 Access denied\r\n"}})
	if _, err := bufio.NewReader(conn).ReadByte(); err == nil {
		t.Error("the connection stayed open")
	}
}

// TestDefaultCommandAndInProcess sends through msmtpd to our msmtp and on to a second
// msmtpd that records: once with the default command (the msmtp next to msmtpd, `-f %F
// --`, with the null sender as MAILER-DAEMON), once delivered in-process (--account, -C).
func TestDefaultCommandAndInProcess(t *testing.T) {
	t.Parallel()
	testutil.Binary(t, "msmtp") // next to msmtpd: the default command
	rec := testutil.TempDir(t)
	sink := startDaemon(t, nil, "--command="+helperCommand(t, rec, "-", "-f %F --"))
	home := testutil.TempDir(t)
	rcText := fmt.Sprintf("account default\nhost 127.0.0.1\nport %d\nfrom fallback@example.com\n", sink.ports[0])
	// The user configuration file where msmtp looks for it: ~/.msmtprc, and on Windows
	// %APPDATA%\msmtp\msmtprc.
	rc := testutil.WriteFile(t, home, ".msmtprc", rcText, 0o600)
	testutil.WriteFile(t, home, filepath.Join("msmtp", "msmtprc"), rcText, 0o600)
	env := []string{"HOME=" + home, "USERPROFILE=" + home, "APPDATA=" + home}
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"default command", nil},
		{"in-process", []string{"--account=default", "-C", rc}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			front := startDaemon(t, env, mode.args...)
			c, err := gosmtp.Dial(front.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.SendMail("", []string{"b@example.org"}, strings.NewReader("Subject: relayed\r\n\r\nthrough msmtp\r\n")); err != nil {
				t.Fatalf("%v\nfront log:\n%s", err, front.log())
			}
			c.Quit()
			// msmtp turned MAILER-DAEMON back into <>, which the sink's command sees as
			// MAILER-DAEMON again.
			mail := wantDelivered(t, rec, []string{"-f", "MAILER-DAEMON", "--", "b@example.org"}, "Subject: relayed\n", "through msmtp\n")
			if strings.Count(mail, "Received: from ") != 2 {
				t.Errorf("want two Received headers:\n%s", mail)
			}
			piped := strings.Contains(front.log(), "pipe command is ")
			if piped != (mode.args == nil) {
				t.Errorf("pipe command run: %v\nfront log:\n%s", piped, front.log())
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
