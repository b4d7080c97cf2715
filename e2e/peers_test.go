package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// Our msmtp against real SMTP servers: go-smtp's server, Python's aiosmtpd, Postfix's
// smtp-sink and upstream's msmtpd 1.8.23.

// peerMail is a mail as a real server received it.
type peerMail struct {
	From  string
	Rcpts []string
	Data  []byte
	TLS   bool
}

// goSMTPBackend records what go-smtp's server receives.
type goSMTPBackend struct {
	mu    sync.Mutex
	mails []peerMail
}

func (b *goSMTPBackend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &goSMTPSession{b: b, conn: c}, nil
}

func (b *goSMTPBackend) received() []peerMail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]peerMail(nil), b.mails...)
}

type goSMTPSession struct {
	b    *goSMTPBackend
	conn *gosmtp.Conn
	mail peerMail
}

func (s *goSMTPSession) Mail(from string, _ *gosmtp.MailOptions) error {
	s.mail.From = from
	return nil
}

func (s *goSMTPSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.mail.Rcpts = append(s.mail.Rcpts, to)
	return nil
}

func (s *goSMTPSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.mail
	m.Data = data
	_, m.TLS = s.conn.TLSConnectionState()
	s.b.mu.Lock()
	s.b.mails = append(s.b.mails, m)
	s.b.mu.Unlock()
	return nil
}

func (s *goSMTPSession) Reset()        { s.mail.From, s.mail.Rcpts = "", nil }
func (s *goSMTPSession) Logout() error { return nil }

// TestGoSMTPServer sends through go-smtp's server, in clear text and with STARTTLS (a
// certificate from a test CA, trusted with --tls-trust-file).
func TestGoSMTPServer(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t, "msmtp")
	ca := smtptest.NewCA(t, smtptest.CertOptions{})
	for _, tc := range []struct {
		name string
		tls  bool
	}{
		{"plain", false},
		{"starttls", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			be := &goSMTPBackend{}
			srv := gosmtp.NewServer(be)
			srv.Domain = "gosmtp.test"
			srv.ReadTimeout, srv.WriteTimeout = connTimeout, connTimeout
			srv.ErrorLog = goSMTPLog{t}
			if tc.tls {
				srv.TLSConfig = ca.ServerConfig(t)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = srv.Serve(ln)
			}()
			t.Cleanup(func() {
				srv.Close()
				<-done
			})
			dir := testutil.TempDir(t)
			args := []string{"-C", msmtprc(t, dir, ln.Addr().(*net.TCPAddr).Port, "from a@example.com"), "b@example.org", "c@example.org"}
			if tc.tls {
				ca := testutil.WriteFile(t, dir, "ca.pem", string(ca.CertPEM), 0o644)
				args = append([]string{"--tls", "--tls-trust-file=" + ca}, args...)
			}
			res := execute(t, run{Path: bin, Args: args, Stdin: "Subject: go-smtp\n\n.dot\nbody\n"})
			if res.Code != 0 || res.Stderr != "" {
				t.Fatalf("msmtp: %s", res)
			}
			mails := be.received()
			if len(mails) != 1 {
				t.Fatalf("go-smtp received %d mails, want 1", len(mails))
			}
			m := mails[0]
			if m.From != "a@example.com" || !cmp.Equal(m.Rcpts, []string{"b@example.org", "c@example.org"}) || m.TLS != tc.tls {
				t.Errorf("envelope from %q to %q, TLS %v; want a@example.com to b@ and c@example.org, TLS %v", m.From, m.Rcpts, m.TLS, tc.tls)
			}
			mail, err := normalizeMail(m.Data, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			want := "From: a@example.com\nDate: <now>\nMessage-ID: <ID@example.com>\nSubject: go-smtp\n\n.dot\nbody\n"
			if diff := cmp.Diff(want, mail); diff != "" {
				t.Errorf("mail (-want +got):\n%s", diff)
			}
		})
	}
}

// goSMTPLog sends go-smtp's error log to the test log.
type goSMTPLog struct{ t *testing.T }

func (l goSMTPLog) Printf(format string, v ...any) { l.t.Logf("go-smtp: "+format, v...) }
func (l goSMTPLog) Println(v ...any)               { l.t.Log(append([]any{"go-smtp:"}, v...)...) }

// aiosmtpdServer is a small server on aiosmtpd: it listens on 127.0.0.1, port 0 (through
// asyncio, since aiosmtpd's Controller cannot take port 0), prints the port, and writes
// each mail as N.json into the directory of its first argument before it answers 250.
const aiosmtpdServer = `
import asyncio, json, os, sys
from aiosmtpd.smtp import SMTP

class Handler:
    def __init__(self, out):
        self.out, self.n = out, 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        rec = {"from": envelope.mail_from, "rcpts": envelope.rcpt_tos,
               "data": envelope.original_content.decode("latin-1")}
        tmp = os.path.join(self.out, "%d.tmp" % self.n)
        with open(tmp, "w") as f:
            json.dump(rec, f)
        os.rename(tmp, os.path.join(self.out, "%d.json" % self.n))
        return "250 OK stored"

async def main():
    loop = asyncio.get_running_loop()
    handler = Handler(sys.argv[1])
    srv = await loop.create_server(lambda: SMTP(handler, hostname="aiosmtpd.test"), "127.0.0.1", 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await srv.serve_forever()

asyncio.run(main())
`

// TestAiosmtpd sends through Python's aiosmtpd.
func TestAiosmtpd(t *testing.T) {
	t.Parallel()
	python := pythonWithAiosmtpd(t)
	bin := testutil.Binary(t, "msmtp")
	dir := testutil.TempDir(t)
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	script := testutil.WriteFile(t, dir, "server.py", aiosmtpdServer, 0o644)
	port := startDaemon(t, python, []string{script, out}, dir)
	res := execute(t, run{Path: bin, Args: []string{
		"-C", msmtprc(t, dir, port, "from a@example.com"), "-t",
	}, Stdin: "To: b@example.org, C <c@example.org>\nBcc: d@example.org\nSubject: aiosmtpd\n\n.dot\nbody\n"})
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("msmtp: %s", res)
	}
	data, err := os.ReadFile(filepath.Join(out, "1.json"))
	if err != nil {
		t.Fatalf("aiosmtpd stored no mail: %v", err)
	}
	var rec struct {
		From  string   `json:"from"`
		Rcpts []string `json:"rcpts"`
		Data  string   `json:"data"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.From != "a@example.com" || !cmp.Equal(rec.Rcpts, []string{"b@example.org", "c@example.org", "d@example.org"}) {
		t.Errorf("envelope from %q to %q", rec.From, rec.Rcpts)
	}
	mail, err := normalizeMail([]byte(rec.Data), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := "From: a@example.com\nDate: <now>\nMessage-ID: <ID@example.com>\nTo: b@example.org, C <c@example.org>\nSubject: aiosmtpd\n\n.dot\nbody\n"
	if diff := cmp.Diff(want, mail); diff != "" {
		t.Errorf("mail (-want +got):\n%s", diff)
	}
}

// pythonWithAiosmtpd returns a python3 that can import aiosmtpd, or skips the test.
func pythonWithAiosmtpd(t *testing.T) string {
	t.Helper()
	skipOnWindows(t, "aiosmtpd")
	seen := map[string]bool{}
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		p, err := exec.LookPath(name)
		if err != nil || seen[p] {
			continue
		}
		seen[p] = true
		if exec.Command(p, "-c", "import aiosmtpd").Run() == nil {
			return p
		}
	}
	t.Skip("no python3 with aiosmtpd (Debian: python3-aiosmtpd; .ci/install-peers installs it)")
	return ""
}

// startDaemon starts a server program that prints its port on the first line of its
// standard output, and stops it when the test ends.
func startDaemon(t *testing.T, path string, args []string, dir string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(path), stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		port, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			t.Fatalf("%s printed %q, not a port; stderr:\n%s", path, line, stderr.String())
		}
		return port
	case <-time.After(runTimeout):
		t.Fatalf("%s did not print its port within %v; stderr:\n%s", path, runTimeout, stderr.String())
	}
	return 0
}

// lockedBuffer is a bytes.Buffer for a process's output that the test may read while the
// process runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestSMTPSink sends through Postfix's smtp-sink, which writes each transaction (with its
// MAIL and RCPT arguments) to a dump file. smtp-sink cannot listen on port 0, so a free port
// is found first and the start retried if another program took it meanwhile.
func TestSMTPSink(t *testing.T) {
	t.Parallel()
	postfix := filepath.Join(peersDir(), "postfix")
	sink := lookPeer(t, filepath.Join(postfix, "usr", "sbin", "smtp-sink"))
	bin := testutil.Binary(t, "msmtp")
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := testutil.TempDir(t)
	dumps := filepath.Join(dir, "dumps")
	if err := os.Mkdir(dumps, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Join(postfix, "usr", "lib", "postfix"))
	port := startOnFreePort(t, "smtp-sink", func(port int) *exec.Cmd {
		cmd := exec.Command(sink, "-u", u.Username, "-d", filepath.Join(dumps, "dump-"),
			"127.0.0.1:"+strconv.Itoa(port), "10")
		cmd.Env = env
		return cmd
	})
	res := execute(t, run{Path: bin, Args: []string{
		"-C", msmtprc(t, dir, port, "from a@example.com"),
		"-N", "failure,delay", "-R", "hdrs", "b@example.org", "to4",
	}, Stdin: "Subject: smtp-sink\n\n.dot\nbody\n"})
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("msmtp: %s", res)
	}
	dump := waitForFile(t, dumps)
	head, mail, ok := strings.Cut(dump, "\n")
	var envelope []string
	for ok && strings.HasPrefix(head, "X-") {
		envelope = append(envelope, head)
		head, mail, ok = strings.Cut(mail, "\n")
	}
	wantEnvelope := []string{
		"X-Client-Addr: 127.0.0.1",
		"X-Client-Proto: ESMTP",
		"X-Helo-Args: localhost",
		"X-Mail-Args: <a@example.com> RET=HDRS",
		"X-Rcpt-Args: <b@example.org> NOTIFY=FAILURE,DELAY",
		"X-Rcpt-Args: <to4> NOTIFY=FAILURE,DELAY",
	}
	if diff := cmp.Diff(wantEnvelope, envelope); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
	// Next comes smtp-sink's own Received field, then the mail with LF line ends and a
	// blank line smtp-sink adds at the end.
	if !strings.HasPrefix(head, "Received: from localhost ([127.0.0.1])") {
		t.Errorf("the dump goes on with %q, want smtp-sink's Received field", head)
	}
	mail = regexp.MustCompile(`^(\t.*\n)*`).ReplaceAllString(mail, "")
	got, err := normalizeMail([]byte(strings.ReplaceAll(mail, "\n", "\r\n")), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := "From: a@example.com\nDate: <now>\nMessage-ID: <ID@example.com>\nSubject: smtp-sink\n\n.dot\nbody\n\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mail (-want +got):\n%s", diff)
	}
}

// startOnFreePort starts the server that newCmd makes for a port that was free a moment
// ago, and retries with another port when the server cannot have it (another program took
// it) or when the server that answers is not the one started. It stops the server when the
// test ends.
func startOnFreePort(t *testing.T, name string, newCmd func(port int) *exec.Cmd) int {
	t.Helper()
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		cmd := newCmd(port)
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if lastErr = waitForGreeting(port, exited); lastErr == nil {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
				if t.Failed() {
					t.Logf("%s output:\n%s", name, out.String())
				}
			})
			return port
		}
		_ = cmd.Process.Kill()
		<-exited
		lastErr = fmt.Errorf("%w; output: %s", lastErr, out.String())
	}
	t.Fatalf("%s did not start: %v", name, lastErr)
	return 0
}

// waitForGreeting waits until the server started on port greets, and checks that it is that
// server (it is still running) and not another program that got the port.
func waitForGreeting(port int, exited <-chan error) error {
	deadline := time.Now().Add(runTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("the server ended: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		greeting, err := bufio.NewReader(c).ReadString('\n')
		_, _ = io.WriteString(c, "QUIT\r\n")
		c.Close()
		if err != nil || !strings.HasPrefix(greeting, "220") {
			return fmt.Errorf("greeting %q: %v", greeting, err)
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the server ended: %v (another program has port %d)", err, port)
		case <-time.After(50 * time.Millisecond):
		}
		return nil
	}
	return errors.New("no greeting in time")
}

// waitForFile returns the content of the one file that appears in dir.
func waitForFile(t *testing.T, dir string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) > 1 {
			t.Fatalf("%d files in %s, want 1", len(entries), dir)
		}
		if len(entries) == 1 {
			data, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
			if err != nil {
				t.Fatal(err)
			}
			return string(data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no file in %s", dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
