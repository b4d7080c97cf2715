package e2e

// The durable queue end to end (docs/queue.md): the real msmtp and msmtpd programs, a server
// that is away and comes back, expiry and bounces, postfix's smtp-source against msmtpd, and
// msmtpd killed in the middle.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// queueSetup is a home directory with a user configuration (~/.msmtprc, or %APPDATA% on
// Windows) that names the queue directory — the tests run as root, whose default queue
// would be /var/spool/msmtp — and a work directory with the msmtprc the mails are sent
// with, named relative to it.
type queueSetup struct {
	home, work, queue string
	env               []string
	bin               string
}

func newQueueSetup(t *testing.T) *queueSetup {
	t.Helper()
	home := testutil.TempDir(t)
	s := &queueSetup{home: home, work: filepath.Join(home, "work"), queue: filepath.Join(home, "queue"),
		env: msmtpEnv(home), bin: testutil.Binary(t, "msmtp")}
	if err := os.Mkdir(s.work, 0o700); err != nil {
		t.Fatal(err)
	}
	writeUserConfig(t, home, refusedPort(t), "queue_dir "+s.queue)
	return s
}

// rc writes work/msmtprc: account default at 127.0.0.1:port with queue_dir and the lines.
func (s *queueSetup) rc(t *testing.T, port int, lines ...string) {
	t.Helper()
	testutil.WriteFile(t, s.work, "msmtprc", msmtprcText(port, append([]string{"from a@example.com", "queue_dir " + s.queue}, lines...)...), 0o600)
}

// msmtp runs msmtp (or the name it is installed as) in the work directory.
func (s *queueSetup) msmtp(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return execute(t, run{Path: s.bin, Args: args, Stdin: stdin, Env: s.env, Dir: s.work})
}

// queued lists the envelope files in the queue directory.
func (s *queueSetup) queued(t *testing.T) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(s.queue, "*.env"))
	if err != nil {
		t.Fatal(err)
	}
	return matches
}

var queuedAs = regexp.MustCompile(`mail queued as ([0-9A-F]+) in `)

// TestQueueServerAway: the server is away, `msmtp --queue` (with a relative -C, from the
// work directory) exits 0 and says the mail is queued, and mailq lists it; the server is
// back, `msmtp -q` from another directory delivers it exactly once, and mailq is empty.
func TestQueueServerAway(t *testing.T) {
	t.Parallel()
	s := newQueueSetup(t)
	s.rc(t, refusedPort(t))
	r := s.msmtp(t, "Subject: away\n\nbody\n", "-C", "msmtprc", "--queue", "b@example.org")
	m := queuedAs.FindStringSubmatch(r.Stderr)
	if r.Code != 0 || m == nil || !strings.Contains(r.Stderr, "msmtp: cannot connect to 127.0.0.1, port ") {
		t.Fatalf("msmtp --queue with the server away: %s", r)
	}
	id := m[1]
	mailq := installAs(t, s.bin, filepath.Join(s.home, "bin", "mailq"))
	r = execute(t, run{Path: mailq, Env: s.env, Dir: s.home})
	if r.Code != 0 || !regexp.MustCompile(`(?m)^`+id+` +\d+ .* a@example\.com\n.*\(1 attempt, next .*cannot connect.*\)\n +b@example\.org$`).MatchString(r.Stdout) {
		t.Errorf("mailq: %s", r)
	}

	srv := startCapture(t, captureOptions{})
	s.rc(t, srv.Port())
	r = execute(t, run{Path: s.bin, Args: []string{"-q", "--force"}, Env: s.env, Dir: s.home})
	if r.Code != 0 || r.Stderr != "" {
		t.Errorf("msmtp -q: %s", r)
	}
	tx := srv.only(t)
	if tx.From != "a@example.com" || strings.Join(tx.Recipients(), " ") != "b@example.org" {
		t.Errorf("delivered %s", tx.Envelope())
	}
	got, err := normalizeMail(tx.Data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := "From: a@example.com\nDate: <now>\nMessage-ID: <ID@example.com>\nSubject: away\n\nbody\n"; got != want {
		t.Errorf("mail:\n%s\nwant:\n%s", got, want)
	}
	r = execute(t, run{Path: s.bin, Args: []string{"-q", "--force"}, Env: s.env, Dir: s.home})
	if n := len(srv.Delivered()); r.Code != 0 || n != 1 {
		t.Errorf("a second run: %d delivered; %s", n, r)
	}
	if r := execute(t, run{Path: mailq, Env: s.env, Dir: s.home}); r.Stdout != "Mail queue is empty\n" {
		t.Errorf("mailq after delivery: %s", r)
	}
}

// TestQueueBackoffAndForce: a queue run leaves a message that is not due; --force sends it.
func TestQueueBackoffAndForce(t *testing.T) {
	t.Parallel()
	s := newQueueSetup(t)
	s.rc(t, refusedPort(t), "queue on", "queue_retry_min 1h")
	if r := s.msmtp(t, "Subject: b\n\nbody\n", "-C", "msmtprc", "b@example.org"); r.Code != 0 {
		t.Fatal(r)
	}
	srv := startCapture(t, captureOptions{})
	s.rc(t, srv.Port(), "queue on", "queue_retry_min 1h")
	if r := s.msmtp(t, "", "-C", "msmtprc", "-q"); r.Code != 0 || len(srv.Transactions()) != 0 {
		t.Errorf("-q before the retry is due: %d transactions; %s", len(srv.Transactions()), r)
	}
	sendmail := installAs(t, s.bin, filepath.Join(s.home, "bin", "sendmail"))
	if r := execute(t, run{Path: sendmail, Args: []string{"-C", "msmtprc", "-q", "--force"}, Env: s.env, Dir: s.work}); r.Code != 0 {
		t.Error(r)
	}
	srv.only(t)
}

// TestQueueExpiryBounce: a message that still cannot be delivered when it expires is returned
// to its sender with a delivery status notification (RFC 3464), sent with the null sender.
func TestQueueExpiryBounce(t *testing.T) {
	t.Parallel()
	s := newQueueSetup(t)
	srv := startCapture(t, captureOptions{DSN: true})
	rule, err := parseReplyRule("rcpt=b@example.org", "451 4.2.1 mailbox busy")
	if err != nil {
		t.Fatal(err)
	}
	srv.setReply(rule)
	s.rc(t, srv.Port(), "queue on", "queue_expire 1s")
	r := s.msmtp(t, "Subject: will expire\nMessage-ID: <orig@example.com>\n\nbody\n", "-C", "msmtprc", "-V", "env-7", "b@example.org")
	if r.Code != 0 || !strings.Contains(r.Stderr, "msmtp: server message: 451 4.2.1 mailbox busy") || !queuedAs.MatchString(r.Stderr) {
		t.Fatalf("first attempt: %s", r)
	}
	time.Sleep(1100 * time.Millisecond)
	if r := s.msmtp(t, "", "-C", "msmtprc", "-q"); r.Code != 0 || r.Stderr != "" {
		t.Errorf("-q after the expiry: %s", r)
	}
	if n := len(s.queued(t)); n != 0 {
		t.Errorf("%d messages still queued", n)
	}
	var bounce *transaction
	for _, tx := range srv.Delivered() {
		if tx.From == "" {
			bounce = tx
		}
	}
	if bounce == nil || strings.Join(bounce.Recipients(), " ") != "a@example.com" {
		t.Fatalf("no bounce to a@example.com among %d transactions", len(srv.Transactions()))
	}
	checkBounce(t, bounce.Data)
}

// checkBounce checks the MIME structure of a delivery status notification: multipart/report
// with a text for people, the machine-readable status, and the original header section.
func checkBounce(t *testing.T, data []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg.Header.Get("From"), "Mail Delivery System <MAILER-DAEMON@") ||
		msg.Header.Get("To") != "<a@example.com>" || msg.Header.Get("Auto-Submitted") != "auto-replied" {
		t.Errorf("bounce header: %v", msg.Header)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	parts := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		b, _ := io.ReadAll(p)
		types = append(types, ct)
		parts[ct] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	if strings.Join(types, " ") != "text/plain message/delivery-status text/rfc822-headers" {
		t.Fatalf("parts %q", types)
	}
	if !strings.Contains(parts["text/plain"], "<b@example.org>: message expired after ") {
		t.Errorf("text part:\n%s", parts["text/plain"])
	}
	for _, want := range []string{"Original-Envelope-Id: env-7\n", "Final-Recipient: rfc822; b@example.org\n", "Action: failed\n", "Status: 4.2.1\n",
		"Diagnostic-Code: smtp; 451 4.2.1 mailbox busy\n"} {
		if !strings.Contains(parts["message/delivery-status"], want) {
			t.Errorf("the delivery status lacks %q:\n%s", want, parts["message/delivery-status"])
		}
	}
	if !strings.Contains(parts["text/rfc822-headers"], "Subject: will expire\n") || !strings.Contains(parts["text/rfc822-headers"], "Message-ID: <orig@example.com>\n") {
		t.Errorf("the returned header section:\n%s", parts["text/rfc822-headers"])
	}
}

// TestQueueNullSenderFailed: a message from the null sender that cannot be delivered goes to
// failed/ — a bounce could bounce — and no longer shows in mailq.
func TestQueueNullSenderFailed(t *testing.T) {
	t.Parallel()
	s := newQueueSetup(t)
	srv := startCapture(t, captureOptions{})
	rule, err := parseReplyRule("rcpt", "550 5.1.1 no such user")
	if err != nil {
		t.Fatal(err)
	}
	srv.setReply(rule)
	s.rc(t, srv.Port())
	if r := s.msmtp(t, "Subject: null\n\nbody\n", "-C", "msmtprc", "--queue-only", "-f", "<>", "b@example.org"); r.Code != 0 {
		t.Fatal(r)
	}
	envs := s.queued(t)
	if len(envs) != 1 {
		t.Fatalf("%d queued", len(envs))
	}
	id := strings.TrimSuffix(filepath.Base(envs[0]), ".env")
	r := s.msmtp(t, "", "-C", "msmtprc", "-q")
	if r.Code != 0 || !strings.Contains(r.Stderr, "msmtp: "+id+": undeliverable, moved to ") {
		t.Errorf("-q: %s", r)
	}
	for _, suffix := range []string{".eml", ".env", ".reason"} {
		if _, err := os.Stat(filepath.Join(s.queue, "failed", id+suffix)); err != nil {
			t.Error(err)
		}
	}
	if reason := readIfExists(filepath.Join(s.queue, "failed", id+".reason")); !strings.Contains(reason, "null sender") {
		t.Errorf("reason %q", reason)
	}
	if r := s.msmtp(t, "", "-C", "msmtprc", "-bp"); r.Stdout != "Mail queue is empty\n" {
		t.Errorf("-bp: %s", r)
	}
	for _, tx := range srv.Transactions() {
		if tx.Delivered {
			t.Errorf("delivered: %s", tx.Envelope())
		}
	}
}

// TestQueueStorageFailure: a mail that cannot be stored is never reported as sent: exit 75.
func TestQueueStorageFailure(t *testing.T) {
	t.Parallel()
	s := newQueueSetup(t)
	notDir := testutil.WriteFile(t, s.home, "notadir", "", 0o600)
	s.rc(t, refusedPort(t), "queue on")
	r := s.msmtp(t, "Subject: x\n\n", "-C", "msmtprc", "--queue-dir="+notDir, "b@example.org")
	if r.Code != 75 || !strings.HasPrefix(r.Stderr, "msmtp: cannot queue the mail: ") {
		t.Errorf("%s", r)
	}
}

// msmtpdProc is a running msmtpd of ours.
type msmtpdProc struct {
	cmd    *exec.Cmd
	port   int
	stderr *lockedBuffer
	done   chan struct{}
}

// startMsmtpd runs our msmtpd on 127.0.0.1:0 with args and waits until it listens.
func startMsmtpd(t *testing.T, env []string, args ...string) *msmtpdProc {
	t.Helper()
	bin := testutil.Binary(t, "msmtpd")
	dir := testutil.TempDir(t)
	portFile := filepath.Join(dir, "port")
	p := &msmtpdProc{stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"--port=0", "--port-file=" + portFile, "--log=stderr"}, args...)...)
	p.cmd.Env = env
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("msmtpd stderr:\n%s", p.stderr)
		}
	})
	deadline := time.Now().Add(runTimeout)
	for {
		if b, err := os.ReadFile(portFile); err == nil {
			p.port, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("msmtpd exited:\n%s", p.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("msmtpd did not start")
		}
	}
}

// kill ends msmtpd at once (SIGKILL on Unix) and waits for it.
func (p *msmtpdProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// startCaptureAt starts a capture server on a given address, for a server that comes back
// where the clients expect it.
func startCaptureAt(t *testing.T, addr string) *captureServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &captureServer{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// waitUntil polls cond until it holds, failing the test after runTimeout.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(runTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var messageIDField = regexp.MustCompile(`(?mi)^Message-Id: (<[^>]*>)\r$`)

// TestQueueMsmtpdSMTPSource: postfix's smtp-source sends 200 mails to msmtpd --queue while
// the upstream server is away: every one is answered 250. When the server comes back, each
// is delivered exactly once.
func TestQueueMsmtpdSMTPSource(t *testing.T) {
	t.Parallel()
	postfix := filepath.Join(peersDir(), "postfix")
	source := lookPeer(t, filepath.Join(postfix, "usr", "sbin", "smtp-source"))
	home := testutil.TempDir(t)
	upPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	rc := testutil.WriteFile(t, home, "msmtprc", msmtprcText(upPort, "from relay@example.com"), 0o600)
	qdir := filepath.Join(home, "queue")
	d := startMsmtpd(t, msmtpEnv(home), "--queue="+qdir, "--queue-retry-min=1s", "--queue-retry-max=1s", "--account=default", "-C", rc)

	const n = 200
	cmd := exec.Command(source, "-m", strconv.Itoa(n), "-s", "10", "-f", "a@example.com", "-t", "b@example.org", "127.0.0.1:"+strconv.Itoa(d.port))
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Join(postfix, "usr", "lib", "postfix"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	// smtp-source says HELO: the replies have no enhanced status codes.
	if got := len(regexp.MustCompile(`reply="250 Ok: queued as [0-9A-F]+"`).FindAllString(d.stderr.String(), -1)); got != n {
		t.Errorf("%d mails answered 250, want %d", got, n)
	}
	if envs, _ := filepath.Glob(filepath.Join(qdir, "*.env")); len(envs) != n {
		t.Errorf("%d mails queued, want %d", len(envs), n)
	}

	up := startCaptureAt(t, "127.0.0.1:"+strconv.Itoa(upPort))
	waitUntil(t, "the delivery of every mail", func() bool { return len(up.Delivered()) >= n })
	waitUntil(t, "an empty queue", func() bool {
		envs, _ := filepath.Glob(filepath.Join(qdir, "*.env"))
		return len(envs) == 0
	})
	seen := map[string]int{}
	for _, tx := range up.Delivered() {
		m := messageIDField.FindSubmatch(tx.Data)
		if m == nil {
			t.Fatalf("a delivered mail without smtp-source's Message-Id:\n%s", tx.Data)
		}
		seen[string(m[1])]++
	}
	for id, count := range seen {
		if count != 1 {
			t.Errorf("%s delivered %d times", id, count)
		}
	}
	if len(seen) != n || len(up.Delivered()) != n {
		t.Errorf("%d distinct mails in %d deliveries, want %d", len(seen), len(up.Delivered()), n)
	}
	if p := up.Problems(); len(p) > 0 {
		t.Errorf("protocol problems: %q", p)
	}
}

// TestQueueMsmtpdKilled: msmtpd --queue is killed with SIGKILL while a client sends to it,
// with the upstream server away. Every mail it acknowledged is delivered once a new msmtpd
// runs on the same queue and the server is back: nothing is lost, and nothing is delivered
// truncated.
func TestQueueMsmtpdKilled(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is a Unix matter")
	}
	home := testutil.TempDir(t)
	upPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	rc := testutil.WriteFile(t, home, "msmtprc", msmtprcText(upPort, "from relay@example.com"), 0o600)
	qdir := filepath.Join(home, "queue")
	args := []string{"--queue=" + qdir, "--queue-retry-min=1s", "--queue-retry-max=1s", "--account=default", "-C", rc}
	d := startMsmtpd(t, msmtpEnv(home), args...)

	acked := make(chan int, 1000)
	sent := make(chan error, 1)
	go func() { sent <- sendNumbered(fmt.Sprintf("127.0.0.1:%d", d.port), 1000, acked) }()
	var got []int
	for len(got) < 40 {
		select {
		case i := <-acked:
			got = append(got, i)
		case err := <-sent:
			t.Fatalf("the client stopped early: %v", err)
		case <-time.After(runTimeout):
			t.Fatal("no progress")
		}
	}
	d.kill()
	<-sent
	for len(acked) > 0 {
		got = append(got, <-acked)
	}

	d = startMsmtpd(t, msmtpEnv(home), args...)
	up := startCaptureAt(t, "127.0.0.1:"+strconv.Itoa(upPort))
	delivered := func() map[int]int {
		out := map[int]int{}
		for _, tx := range up.Delivered() {
			m := regexp.MustCompile(`(?m)^Subject: mail (\d+)\r\n(?s:.*)\r\nend of mail \d+\r\n$`).FindSubmatch(tx.Data)
			if m == nil {
				t.Fatalf("a delivered mail is not whole:\n%s", tx.Data)
			}
			i, _ := strconv.Atoi(string(m[1]))
			out[i]++
		}
		return out
	}
	waitUntil(t, "the acknowledged mails", func() bool {
		have := delivered()
		for _, i := range got {
			if have[i] == 0 {
				return false
			}
		}
		return true
	})
	t.Logf("%d mails acknowledged before the kill, %d delivered", len(got), len(delivered()))
}

// sendNumbered sends mails numbered from 1 over one SMTP session and reports each number on
// acked once the server answered its final dot with 250.
func sendNumbered(addr string, n int, acked chan<- int) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	for i := 1; i <= n; i++ {
		if err := c.Mail("a@example.com"); err != nil {
			return err
		}
		if err := c.Rcpt("b@example.org"); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, "Subject: mail %d\r\n\r\n", i)
		for range 200 {
			bw.WriteString("a line of text to give the mail some size\r\n")
		}
		fmt.Fprintf(bw, "end of mail %d\r\n", i)
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		acked <- i
	}
	return c.Quit()
}
