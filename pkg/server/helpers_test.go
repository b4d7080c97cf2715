package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtp"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// Test credentials of the AUTH mechanisms.
const (
	testUser     = "joe"
	testPassword = "s3cret"
)

// fixedNow is the clock of every test server: the date of spec-mail-smtp.md §10 item 23.
var fixedNow = time.Date(2026, 11, 25, 23, 54, 19, 0, time.FixedZone("IST", 5*3600+1800))

// testCerts is a throw-away CA (from smtptest) with a server certificate for localhost,
// 127.0.0.1 and ::1, and a client configuration that trusts the CA.
type testCerts struct {
	server *tls.Config // with the certificate
	client *tls.Config // trusting the CA, for server name localhost
	caPEM  []byte      // the CA, for clients that read a file
}

// certs makes a new CA and certificate; use one testCerts per test for both ends.
func certs(t testing.TB) testCerts {
	t.Helper()
	ca := smtptest.NewCA(t, smtptest.CertOptions{})
	return testCerts{server: ca.ServerConfig(t), client: ca.ClientConfig("localhost"), caPEM: ca.CertPEM}
}

// logRecorder is a slog.Handler that writes records to the test log and keeps them.
type logRecorder struct {
	mu      *sync.Mutex
	t       testing.TB
	records *[]logRecord
	attrs   []slog.Attr
	done    *bool
}

type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

func newLogRecorder(t testing.TB) *logRecorder {
	h := &logRecorder{mu: new(sync.Mutex), t: t, records: new([]logRecord), done: new(bool)}
	t.Cleanup(func() {
		h.mu.Lock()
		*h.done = true
		h.mu.Unlock()
	})
	return h
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Level: r.Level, Msg: r.Message, Attrs: map[string]string{}}
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	add := func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.records = append(*h.records, rec)
	if !*h.done {
		h.t.Log(b.String())
	}
	return nil
}

func (h *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

func (h *logRecorder) WithGroup(string) slog.Handler { return h }

func (h *logRecorder) all() []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]logRecord(nil), *h.records...)
}

// find returns the records with message msg.
func (h *logRecorder) find(msg string) []logRecord {
	var out []logRecord
	for _, r := range h.all() {
		if r.Msg == msg {
			out = append(out, r)
		}
	}
	return out
}

// recBackend records what reaches it. Its behaviour is chosen by the local part of the
// addresses, so that transcripts can trigger every kind of backend answer:
//
//	MAIL mail-temp@…    → temporary plain error (generic 451)
//	MAIL mail-reply@…   → wrapped 550 5.7.1 reply
//	RCPT unknown@…      → wrapped 550 5.1.1 reply
//	RCPT perm@…         → plain error (generic 550)
//	RCPT temp@…         → temporary plain error (generic 451)
//	RCPT forward@…      → 251 reply (accepted)
//	MAIL data-temp@…    → Data: temporary error (451) after reading everything
//	MAIL data-perm@…    → Data: plain error (554)
//	MAIL data-reply@…   → Data: wrapped 452 4.3.1 reply
//	MAIL piped@…        → Data: 250 Ok, mail was piped
//	MAIL early@…        → Data: returns a 554 reply without reading
type recBackend struct {
	mu       sync.Mutex
	mails    []*mail
	aborted  []*mail // Data's reader failed
	sessions []server.ConnInfo
	logouts  int
	resets   int
}

type mail struct {
	Conn     server.ConnInfo
	From     string
	MailOpts server.MailOptions
	Rcpts    []string
	RcptOpts []server.RcptOptions
	Data     []byte
	Err      error // Data's reader error
}

// secret is part of every plain backend error: it must never reach a client.
const secret = "backend-secret-detail"

func (b *recBackend) NewSession(c server.ConnInfo) (server.Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sessions = append(b.sessions, c)
	return &recSession{b: b, conn: c}, nil
}

func (b *recBackend) delivered() []*mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*mail(nil), b.mails...)
}

type recSession struct {
	b    *recBackend
	conn server.ConnInfo
	cur  *mail
}

func localPart(a string) string {
	l, _, _ := strings.Cut(a, "@")
	return l
}

func (s *recSession) Mail(from string, opts server.MailOptions) error {
	switch localPart(from) {
	case "mail-temp":
		return server.MarkTemporary(errors.New("mail: " + secret))
	case "mail-reply":
		return fmt.Errorf("policy: %w", smtp.NewReply(550, smtp.EnhancedCode{Class: 5, Subject: 7, Detail: 1}, "Sender rejected"))
	}
	s.cur = &mail{Conn: s.conn, From: from, MailOpts: opts}
	return nil
}

func (s *recSession) Rcpt(to string, opts server.RcptOptions) error {
	switch localPart(to) {
	case "unknown":
		return fmt.Errorf("lookup %s: %w", to, smtp.NewReply(550, smtp.EnhBadDestMailbox, "No such user here"))
	case "perm":
		return errors.New("rcpt: " + secret)
	case "temp":
		return server.MarkTemporary(errors.New("rcpt: " + secret))
	case "forward":
		s.cur.Rcpts = append(s.cur.Rcpts, to)
		s.cur.RcptOpts = append(s.cur.RcptOpts, opts)
		return smtp.NewReply(251, smtp.EnhRecipientOK, "User not local; will forward")
	}
	s.cur.Rcpts = append(s.cur.Rcpts, to)
	s.cur.RcptOpts = append(s.cur.RcptOpts, opts)
	return nil
}

func (s *recSession) Data(r io.Reader) error {
	if localPart(s.cur.From) == "early" {
		return smtp.NewReply(554, smtp.EnhPermGeneric, "Rejected without reading")
	}
	data, err := io.ReadAll(r)
	s.cur.Data, s.cur.Err = data, err
	if err != nil {
		s.b.mu.Lock()
		s.b.aborted = append(s.b.aborted, s.cur)
		s.b.mu.Unlock()
		return err
	}
	switch localPart(s.cur.From) {
	case "data-temp":
		return server.MarkTemporary(errors.New("data: " + secret))
	case "data-perm":
		return errors.New("data: " + secret)
	case "data-reply":
		return fmt.Errorf("queue: %w", smtp.NewReply(452, smtp.EnhMailSystemFull, "Queue full"))
	}
	s.b.mu.Lock()
	s.b.mails = append(s.b.mails, s.cur)
	s.b.mu.Unlock()
	if localPart(s.cur.From) == "piped" {
		return smtp.NewReply(250, smtp.EnhancedCode{}, "Ok, mail was piped")
	}
	return nil
}

func (s *recSession) Reset() {
	s.cur = nil
	s.b.mu.Lock()
	s.b.resets++
	s.b.mu.Unlock()
}

func (s *recSession) Logout() error {
	s.b.mu.Lock()
	s.b.logouts++
	s.b.mu.Unlock()
	return nil
}

// formatMails renders deliveries for a golden file; data lines are Go-quoted so that CR,
// NUL and missing line endings are visible.
func formatMails(mails []*mail) string {
	var b strings.Builder
	for i, m := range mails {
		fmt.Fprintf(&b, "--- mail %d\n", i+1)
		tlsOn := m.Conn.TLS != nil
		fmt.Fprintf(&b, "conn: hello=%q esmtp=%v tls=%v user=%q\n", m.Conn.Hello, m.Conn.ESMTP, tlsOn, m.Conn.User)
		fmt.Fprintf(&b, "from: <%s> %+v\n", m.From, m.MailOpts)
		for j, r := range m.Rcpts {
			fmt.Fprintf(&b, "rcpt: <%s> %+v\n", r, m.RcptOpts[j])
		}
		b.WriteString("data:\n")
		data := m.Data
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			var line []byte
			if i < 0 {
				line, data = data, nil
			} else {
				line, data = data[:i+1], data[i+1:]
			}
			b.WriteString(strconv.Quote(string(line)) + "\n")
		}
	}
	return b.String()
}

// plainMech and loginMech are the AUTH mechanisms of the tests: go-sasl's PLAIN server and a
// small LOGIN server, both checking testUser/testPassword.
func plainMech() server.AuthMechanism {
	return server.AuthMechanism{Name: "PLAIN", New: func(_ server.ConnInfo, login func(string)) sasl.Server {
		return sasl.NewPlainServer(func(_, user, pass string) error {
			if user != testUser || pass != testPassword {
				return errors.New("invalid credentials for " + user)
			}
			login(user)
			return nil
		})
	}}
}

func loginMech() server.AuthMechanism {
	return server.AuthMechanism{Name: "LOGIN", New: func(_ server.ConnInfo, login func(string)) sasl.Server {
		return &loginServer{login: login}
	}}
}

type loginServer struct {
	login func(string)
	step  int
	user  string
}

func (s *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		s.step = 1
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		s.user = string(resp)
		s.step = 2
		return []byte("Password:"), false, nil
	default:
		if s.user != testUser || string(resp) != testPassword {
			return nil, true, errors.New("invalid credentials")
		}
		s.login(s.user)
		return nil, true, nil
	}
}

// fakeLookup answers reverse lookups for the addresses tests use.
func fakeLookup(_ context.Context, addr string) ([]string, error) {
	switch addr {
	case "127.0.0.1":
		return []string{"localhost."}, nil
	case "192.0.2.1":
		return []string{"mx.example.org."}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
}

// sleepRecorder is an injected Sleep that returns at once and counts its calls.
type sleepRecorder struct {
	mu    sync.Mutex
	calls []time.Duration
}

func (s *sleepRecorder) sleep(_ context.Context, d time.Duration) {
	s.mu.Lock()
	s.calls = append(s.calls, d)
	s.mu.Unlock()
}

func (s *sleepRecorder) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// remoteListener reports a chosen remote address for every connection it accepts, so that a
// test on 127.0.0.1 can play a client from elsewhere.
type remoteListener struct {
	net.Listener
	remote net.Addr
}

func (l remoteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return remoteConn{Conn: c, remote: l.remote}, nil
}

type remoteConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.remote }

func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// serve runs srv on l until the test ends; the cleanup shuts it down and checks that Serve
// returned ErrServerClosed.
func serve(t testing.TB, srv *server.Server, l net.Listener, mode serveMode) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		if mode == serveImplicitTLS {
			done <- srv.ServeTLS(l)
		} else {
			done <- srv.Serve(l)
		}
	}()
	t.Cleanup(func() {
		shutdown(t, srv)
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
}

type serveMode int

const (
	servePlain serveMode = iota
	serveImplicitTLS
)

// shutdown stops srv and waits for its sessions.
func shutdown(t testing.TB, srv *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// newServer returns a server with the test clock, lookup, logger and an instant Sleep.
func newServer(t testing.TB, b server.Backend) (*server.Server, *logRecorder, *sleepRecorder) {
	logs := newLogRecorder(t)
	sl := &sleepRecorder{}
	return &server.Server{
		Backend:    b,
		Logger:     slog.New(logs),
		LookupAddr: fakeLookup,
		Now:        func() time.Time { return fixedNow },
		Sleep:      sl.sleep,
	}, logs, sl
}

// dial connects to l's address.
func dial(t testing.TB, l net.Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// client is a minimal line-oriented SMTP client for tests that need more control than a
// transcript (hostile input, timing).
type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func newClient(t testing.TB, c net.Conn) *client {
	return &client{t: t, conn: c, r: bufio.NewReader(c)}
}

// send writes raw bytes.
func (c *client) send(s string) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// reply reads one reply and returns its lines joined by "\n".
func (c *client) reply() string {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r, err := smtp.ReadReply(c.r)
	if err != nil {
		c.t.Fatalf("reading reply: %v (got %v)", err, r)
	}
	return r.Error()
}

// expect reads one reply and checks that it starts with prefix.
func (c *client) expect(prefix string) string {
	c.t.Helper()
	got := c.reply()
	if !strings.HasPrefix(got, prefix) {
		c.t.Fatalf("reply %q, want prefix %q", got, prefix)
	}
	return got
}

// cmd sends a command line and checks the reply's prefix.
func (c *client) cmd(line, prefix string) string {
	c.t.Helper()
	c.send(line + "\r\n")
	return c.expect(prefix)
}

// expectClosed checks that the server closes the connection without sending anything more.
func (c *client) expectClosed() {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := c.r.ReadByte()
	if err == nil {
		rest, _ := c.r.Peek(c.r.Buffered())
		c.t.Fatalf("server sent %q, want the connection closed", append([]byte{b}, rest...))
	}
	if isTimeoutErr(err) {
		c.t.Fatal("server did not close the connection")
	}
}

func isTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

// tryReply reads one reply; unlike reply it may be called from any goroutine.
func (c *client) tryReply() (string, error) {
	r, err := smtp.ReadReply(c.r)
	if err != nil {
		return "", err
	}
	return r.Error(), nil
}
