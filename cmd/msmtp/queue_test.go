package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/queue"
	"github.com/msmtp-go/msmtp/pkg/secret"
	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtp"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// sinkMail is one mail a sink received.
type sinkMail struct {
	from  string
	rcpts []string
	data  string
}

// sink is an SMTP server on 127.0.0.1 (pkg/server) that records what it receives. Recipients
// listed in refuse get that reply to RCPT.
type sink struct {
	port   int
	conns  atomic.Int32
	mu     sync.Mutex
	mails  []sinkMail
	refuse map[string]string
}

func startSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{refuse: map[string]string{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	srv := &server.Server{
		Backend:    server.BackendFunc(func(server.ConnInfo) (server.Session, error) { return &sinkSession{s: s}, nil }),
		LookupAddr: func(context.Context, string) ([]string, error) { return nil, errors.New("no DNS in tests") },
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(&countListener{Listener: ln, n: &s.conns})
	}()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return s
}

func (s *sink) received() []sinkMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkMail(nil), s.mails...)
}

func (s *sink) refuseRcpt(addr, reply string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[addr] = reply
}

type countListener struct {
	net.Listener
	n *atomic.Int32
}

func (l *countListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

type sinkSession struct {
	s *sink
	m sinkMail
}

func (ss *sinkSession) Mail(from string, _ server.MailOptions) error {
	ss.m = sinkMail{from: from}
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ server.RcptOptions) error {
	ss.s.mu.Lock()
	reply := ss.s.refuse[to]
	ss.s.mu.Unlock()
	if reply != "" {
		code, _ := strconv.Atoi(reply[:3])
		return &smtp.Reply{Code: code, Lines: []string{reply}}
	}
	ss.m.rcpts = append(ss.m.rcpts, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.m.data = strings.ReplaceAll(string(b), "\r\n", "\n")
	ss.s.mu.Lock()
	ss.s.mails = append(ss.s.mails, ss.m)
	ss.s.mu.Unlock()
	return nil
}

func (ss *sinkSession) Reset()        { ss.m = sinkMail{} }
func (ss *sinkSession) Logout() error { return nil }

// queueEnv is a home directory with an msmtprc whose account sends to a port the test
// chooses, and the queue in ~/.msmtp.queue (on Windows under LOCALAPPDATA).
type queueEnv struct {
	home, rc string
	fs       queue.FS
}

func newQueueEnv(t *testing.T) *queueEnv {
	t.Helper()
	home := testutil.TempDir(t)
	return &queueEnv{home: home, rc: filepath.Join(home, "msmtprc")}
}

// writeRC writes the msmtprc: account default at 127.0.0.1:port, from a@example.com, with
// the extra lines.
func (e *queueEnv) writeRC(t *testing.T, port int, lines ...string) {
	t.Helper()
	text := "account default\nhost 127.0.0.1\nport " + strconv.Itoa(port) + "\nfrom a@example.com\n" + strings.Join(lines, "\n") + "\n"
	testutil.WriteFile(t, e.home, "msmtprc", text, 0o600)
}

// queueDir is where the default queue is.
func (e *queueEnv) queueDir() string {
	if runtime.GOOS == "windows" {
		return filepath.Join(e.home, "AppData", "Local", "msmtp", "queue")
	}
	return filepath.Join(e.home, ".msmtp.queue")
}

type msmtpResult struct {
	code           sysexits.Code
	stdout, stderr string
}

func (r msmtpResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs msmtp in-process as main does, with argv0 and args, the user's files in the
// home directory and no system configuration file.
func (e *queueEnv) run(t *testing.T, stdin, argv0 string, args ...string) msmtpResult {
	t.Helper()
	vars := map[string]string{"HOME": e.home, "USER": "tester", "LOCALAPPDATA": filepath.Join(e.home, "AppData", "Local"),
		"APPDATA": filepath.Join(e.home, "AppData", "Roaming"), "ProgramData": filepath.Join(e.home, "ProgramData")}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	var stdout, stderr bytes.Buffer
	a := &app{ctx: context.Background(), args: append([]string{argv0}, args...), stdin: strings.NewReader(stdin),
		stdout: &stdout, stderr: &stderr, lookupEnv: lookup, queueFS: e.fs}
	a.runner = &secret.Runner{Stderr: &stderr}
	a.env = config.OSEnv()
	a.env.LookupEnv, a.env.SysConfDir, a.env.Euid = lookup, e.home, 1000
	a.env.Eval = a.runner.Hook(a.ctx)
	a.env.PasswordEval = a.env.Eval
	code := a.main()
	return msmtpResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// msmtp runs msmtp with -C msmtprc.
func (e *queueEnv) msmtp(t *testing.T, stdin string, args ...string) msmtpResult {
	t.Helper()
	return e.run(t, stdin, "msmtp", append([]string{"-C", e.rc}, args...)...)
}

// queued returns the envelopes in the queue.
func (e *queueEnv) queued(t *testing.T) []queue.Entry {
	t.Helper()
	q, err := queue.Open(e.queueDir(), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := q.List()
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// refused returns a port nothing listens on.
func refused(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

const testMail = "Subject: queued\n\nbody\n"

// TestQueueServerAway is the queue's promise: with the server away, `msmtp --queue` keeps the
// mail and exits 0, saying so; mailq lists it; once the server is back `msmtp -q` delivers
// it once, and the queue is empty.
func TestQueueServerAway(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t)
	e.writeRC(t, refused(t), "logfile "+filepath.Join(e.home, "log"))
	r := e.msmtp(t, testMail, "--queue", "b@example.org")
	if r.code != sysexits.OK || !strings.Contains(r.stderr, "msmtp: cannot connect to 127.0.0.1") ||
		!strings.Contains(r.stderr, "msmtp: mail queued as ") {
		t.Fatalf("msmtp --queue with the server away:\n%s", r)
	}
	list := e.queued(t)
	if len(list) != 1 {
		t.Fatalf("%d queued, want 1", len(list))
	}
	id := string(list[0].Envelope.ID)
	if log := readFile(t, filepath.Join(e.home, "log")); !strings.Contains(log, "; mail queued as "+id+"' exitcode=EX_TEMPFAIL") {
		t.Errorf("the log line does not say the mail was queued:\n%s", log)
	}

	r = e.run(t, "", "mailq", "-C", e.rc)
	if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "b@example.org") ||
		!strings.Contains(r.stdout, "(1 attempt, next ") || !strings.Contains(r.stdout, "-- 1 Kbytes in 1 Request.") {
		t.Errorf("mailq:\n%s", r)
	}

	s := startSink(t)
	e.writeRC(t, s.port)
	if r := e.msmtp(t, "", "-q", "--force"); r.code != 0 || r.stderr != "" {
		t.Errorf("msmtp -q:\n%s", r)
	}
	mails := s.received()
	if len(mails) != 1 || mails[0].from != "a@example.com" || strings.Join(mails[0].rcpts, ",") != "b@example.org" {
		t.Fatalf("delivered %+v, want the mail once", mails)
	}
	if !strings.Contains(mails[0].data, "\nFrom: a@example.com\nDate: ") || !strings.HasSuffix(mails[0].data, "Subject: queued\n\nbody\n") {
		t.Errorf("the mail as delivered:\n%s", mails[0].data)
	}
	if r := e.msmtp(t, "", "-q", "--force"); r.code != 0 || len(s.received()) != 1 {
		t.Errorf("a second run sent again:\n%s", r)
	}
	if r := e.msmtp(t, "", "-bp"); r.stdout != "Mail queue is empty\n" {
		t.Errorf("-bp after delivery:\n%s", r)
	}
}

// TestQueueExitCode: queue_exit_code 75 makes a queued mail visible to the caller.
func TestQueueExitCode(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t)
	e.writeRC(t, refused(t), "queue on", "queue_exit_code 75")
	if r := e.msmtp(t, testMail, "b@example.org"); r.code != sysexits.TempFail || !strings.Contains(r.stderr, "mail queued as") {
		t.Errorf("queue_exit_code 75:\n%s", r)
	}
	// --queue=off on the command line overrides msmtprc: msmtp fails as without a queue.
	if r := e.msmtp(t, testMail, "--queue=off", "b@example.org"); r.code != sysexits.TempFail || strings.Contains(r.stderr, "queued") {
		t.Errorf("--queue=off:\n%s", r)
	}
	if n := len(e.queued(t)); n != 1 {
		t.Errorf("%d queued, want 1", n)
	}
}

// TestQueuePermanentFailure: a permanent failure fails as without a queue — same messages,
// same exit status — and leaves nothing queued.
func TestQueuePermanentFailure(t *testing.T) {
	t.Parallel()
	s := startSink(t)
	s.refuseRcpt("bad@example.org", "550 5.1.1 no such user")
	e := newQueueEnv(t)
	e.writeRC(t, s.port, "queue on")
	r := e.msmtp(t, testMail, "good@example.org", "bad@example.org")
	want := "msmtp: recipient address bad@example.org not accepted by the server\n" +
		"msmtp: server message: 550 5.1.1 no such user\n" +
		"msmtp: could not send mail (account default from " + e.rc + ")\n"
	if r.code != sysexits.DataErr || r.stderr != want {
		t.Errorf("got\n%s\nwant exit 65 and\n%s", r, want)
	}
	if n := len(e.queued(t)); n != 0 {
		t.Errorf("%d messages left queued", n)
	}
	if n := len(s.received()); n != 0 {
		t.Errorf("%d mails delivered, want none (one refused recipient fails the mail, as msmtp)", n)
	}
}

// TestQueueOnly: --queue-only and msmtpq store the mail as it was read — without the header
// fields msmtp adds when it sends, after the lone dot that ends it without -i — with the
// envelope a later run needs, and try nothing.
func TestQueueOnly(t *testing.T) {
	t.Parallel()
	s := startSink(t)
	e := newQueueEnv(t)
	aliases := testutil.WriteFile(t, e.home, "aliases", "team: ann@example.org, bob@example.org\n", 0o600)
	e.writeRC(t, s.port, "aliases "+aliases, "dsn_notify failure", "dsn_return headers")
	r := e.msmtp(t, "Subject: q\n\nline\n..dotted\n.\nnot part of the mail\n", "--queue-only", "--port="+strconv.Itoa(s.port), "-V", "env-1", "team", "carl@example.org")
	if r.code != 0 || r.stderr != "" || r.stdout != "" {
		t.Fatalf("--queue-only:\n%s", r)
	}
	r = e.run(t, testMail, "msmtpq", "-C", e.rc, "-f", "<>", "dan@example.org")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("msmtpq:\n%s", r)
	}
	if n := s.conns.Load(); n != 0 {
		t.Errorf("%d connections; --queue-only must not try", n)
	}
	list := e.queued(t)
	if len(list) != 2 {
		t.Fatalf("%d queued, want 2", len(list))
	}
	env := list[0].Envelope
	data := readFile(t, filepath.Join(e.queueDir(), string(env.ID)+".eml"))
	if data != "Subject: q\n\nline\n.dotted\n" {
		t.Errorf("the queued copy is %q, want the mail as read", data)
	}
	var rcpts []string
	for _, r := range env.Recipients {
		rcpts = append(rcpts, r.Address+" "+strings.Join(r.Notify, ","))
	}
	abs, _ := filepath.Abs(e.rc)
	settings, _ := json.Marshal(env.Extras)
	if strings.Join(rcpts, "; ") != "ann@example.org FAILURE; bob@example.org FAILURE; carl@example.org FAILURE" ||
		env.Sender != "a@example.com" || env.Account != "default" || env.ConfigFile != abs ||
		env.Ret != queue.ReturnHeaders || env.EnvID != "env-1" ||
		env.Extras["queued_by"] != "msmtp" || !strings.Contains(env.Extras["msmtp_settings"], `["port","`+strconv.Itoa(s.port)+`"]`) {
		t.Errorf("envelope: recipients %q, sender %q, account %q from %q, RET %q, ENVID %q, extras %s",
			rcpts, env.Sender, env.Account, env.ConfigFile, env.Ret, env.EnvID, settings)
	}
	if null := list[1].Envelope; null.Sender != "" {
		t.Errorf("msmtpq -f '<>' queued sender %q, want the null sender", null.Sender)
	}
}

// TestQueueBackoff: a run delivers only what is due; --force delivers at once.
func TestQueueBackoff(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t)
	e.writeRC(t, refused(t), "queue on", "queue_retry_min 1h")
	if r := e.msmtp(t, testMail, "b@example.org"); r.code != 0 {
		t.Fatalf("%s", r)
	}
	s := startSink(t)
	e.writeRC(t, s.port, "queue on", "queue_retry_min 1h")
	if r := e.msmtp(t, "", "-q"); r.code != 0 || s.conns.Load() != 0 {
		t.Errorf("-q before the message is due: %d connections\n%s", s.conns.Load(), r)
	}
	if r := e.msmtp(t, "", "--flush", "--force", "-v"); r.code != 0 || len(s.received()) != 1 || !strings.Contains(r.stdout, ": done\n") {
		t.Errorf("--flush --force: %d delivered\n%s", len(s.received()), r)
	}
}

// TestQueueManagement: -qR and -qS filters, mailq's selection, --queue-drop, msmtp-queue and
// --queue-purge.
func TestQueueManagement(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t)
	e.writeRC(t, refused(t))
	for _, rcpt := range []string{"ann@example.org", "bob@example.net", "carl@example.org"} {
		if r := e.msmtp(t, testMail, "--queue-only", rcpt); r.code != 0 {
			t.Fatalf("%s", r)
		}
	}
	ids := map[string]string{}
	for _, en := range e.queued(t) {
		ids[en.Envelope.Recipients[0].Address] = string(en.Envelope.ID)
	}
	r := e.msmtp(t, "", "-bp", "-qRexample.org")
	if !strings.Contains(r.stdout, "ann@example.org") || strings.Contains(r.stdout, "bob@") || !strings.Contains(r.stdout, "carl@") {
		t.Errorf("-bp -qRexample.org:\n%s", r)
	}
	r = e.msmtp(t, "", "-bp", "-q!Rexample.org")
	if strings.Contains(r.stdout, "ann@example.org") || !strings.Contains(r.stdout, "bob@") || strings.Contains(r.stdout, "carl@") {
		t.Errorf("-bp -q!Rexample.org:\n%s", r)
	}
	if r := e.msmtp(t, "", "--queue-drop="+ids["ann@example.org"], "--queue-drop=NOSUCH"); r.code != sysexits.NoInput ||
		r.stderr != "msmtp: NOSUCH: no such message in the queue\n" {
		t.Errorf("--queue-drop:\n%s", r)
	}
	// msmtp-queue takes no msmtp options: the queue is the default one.
	if r := e.run(t, "", "msmtp-queue", "-p", ids["bob@example.net"]); r.code != 0 {
		t.Errorf("msmtp-queue -p:\n%s", r)
	}
	if r := e.run(t, "", "msmtp-queue"); !strings.Contains(r.stdout, "carl@example.org") || strings.Contains(r.stdout, "ann@") {
		t.Errorf("msmtp-queue -d:\n%s", r)
	}
	if r := e.msmtp(t, "", "--queue-drop=../x"); r.code != sysexits.Usage {
		t.Errorf("--queue-drop of a bad ID:\n%s", r)
	}
	if r := e.msmtp(t, "", "--queue-purge"); r.code != 0 {
		t.Errorf("--queue-purge:\n%s", r)
	}
	if n := len(e.queued(t)); n != 0 {
		t.Errorf("%d left after --queue-purge", n)
	}
	if r := e.run(t, "", "msmtp-queue", "-h"); r.code != 0 || !strings.Contains(r.stdout, "msmtp --queue-purge") {
		t.Errorf("msmtp-queue -h:\n%s", r)
	}
}

// TestQueueNothingQueued: the management modes neither fail nor create a queue directory when
// nothing was ever queued.
func TestQueueNothingQueued(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t)
	e.writeRC(t, refused(t))
	for _, args := range [][]string{{"-bp"}, {"-q"}, {"--queue-purge"}} {
		r := e.msmtp(t, "", args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%q:\n%s", args, r)
		}
	}
	if r := e.msmtp(t, "", "-bp"); r.stdout != "Mail queue is empty\n" {
		t.Errorf("-bp:\n%s", r)
	}
	if _, err := os.Stat(e.queueDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the queue directory was created: %v", err)
	}
}

// fullDisk is a queue.FS whose writes fail as on a full disk.
type fullDisk struct{ queue.OSFS }

func (f fullDisk) OpenFile(name string, flag int, perm fs.FileMode) (queue.File, error) {
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return fullFile{file}, nil
}

type fullFile struct{ queue.File }

func (fullFile) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestQueueStorageFailure: when the mail cannot be stored, msmtp says so and exits 75, never
// 0, and leaves nothing behind.
func TestQueueStorageFailure(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t)
	e.writeRC(t, refused(t), "queue on")
	e.fs = fullDisk{}
	r := e.msmtp(t, testMail, "b@example.org")
	if r.code != sysexits.TempFail || !strings.HasPrefix(r.stderr, "msmtp: cannot queue the mail: queue: write ") {
		t.Errorf("full disk:\n%s", r)
	}
	e.fs = nil
	if n := len(e.queued(t)); n != 0 {
		t.Errorf("%d messages queued", n)
	}
	entries, _ := os.ReadDir(e.queueDir())
	for _, en := range entries {
		if en.Name() != "failed" {
			t.Errorf("left behind: %s", en.Name())
		}
	}
	// A queue directory that is not a directory.
	f := testutil.WriteFile(t, e.home, "notadir", "", 0o600)
	r = e.msmtp(t, testMail, "--queue-dir="+f, "b@example.org")
	if r.code != sysexits.TempFail || !strings.Contains(r.stderr, "msmtp: cannot queue the mail: ") {
		t.Errorf("queue_dir is a file:\n%s", r)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
