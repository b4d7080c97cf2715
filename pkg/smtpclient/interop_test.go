package smtpclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// The client against an independent implementation: github.com/emersion/go-smtp's server.

// recorder is a go-smtp backend that records what it receives.
type recorder struct {
	mu       sync.Mutex
	user     string
	from     string
	mailOpts gosmtp.MailOptions
	rcpts    []string
	rcptOpts []gosmtp.RcptOptions
	dataSum  [32]byte
	dataLen  int
	data     []byte // kept when small
	// lmtpStatus gives the LMTP status per recipient (nil = accepted).
	lmtpStatus map[string]error
}

func (r *recorder) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return &session{r}, nil }

type session struct{ r *recorder }

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != "user" || pass != "secret" {
			return errors.New("invalid credentials")
		}
		s.r.mu.Lock()
		s.r.user = user
		s.r.mu.Unlock()
		return nil
	}), nil
}

func (s *session) Mail(from string, opts *gosmtp.MailOptions) error {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.from = from
	if opts != nil {
		s.r.mailOpts = *opts
	}
	return nil
}

func (s *session) Rcpt(to string, opts *gosmtp.RcptOptions) error {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.rcpts = append(s.r.rcpts, to)
	if opts != nil {
		s.r.rcptOpts = append(s.r.rcptOpts, *opts)
	}
	return nil
}

func (s *session) Data(rd io.Reader) error {
	h := sha256.New()
	var small bytes.Buffer
	n, err := io.Copy(io.MultiWriter(h, &limitedBuffer{&small, 1 << 16}), rd)
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	copy(s.r.dataSum[:], h.Sum(nil))
	s.r.dataLen = int(n)
	s.r.data = small.Bytes()
	return err
}

func (s *session) LMTPData(rd io.Reader, status gosmtp.StatusCollector) error {
	if err := s.Data(rd); err != nil {
		return err
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, rc := range s.r.rcpts {
		status.SetStatus(rc, s.r.lmtpStatus[rc])
	}
	return nil
}

type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

type interopServer struct {
	rec  *recorder
	host string
	port int
	ca   *smtptest.CA
}

// startGoSMTP runs a go-smtp server on 127.0.0.1:0; implicit wraps the listener in TLS.
func startGoSMTP(t *testing.T, configure func(*gosmtp.Server), implicit bool) *interopServer {
	t.Helper()
	rec := &recorder{}
	ca := smtptest.NewCA(t, smtptest.CertOptions{})
	s := gosmtp.NewServer(rec)
	s.Domain = "gosmtp.test"
	s.TLSConfig = ca.ServerConfig(t)
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.ErrorLog = discardLogger{}
	if configure != nil {
		configure(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	if implicit {
		ln = tls.NewListener(ln, s.TLSConfig)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ln)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return &interopServer{rec: rec, host: "127.0.0.1", port: addr.Port, ca: ca}
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

func (s *interopServer) options() Options {
	return Options{Host: s.host, Port: s.port, Domain: "client.test", Timeout: 10 * time.Second, TLSConfig: s.ca.ClientConfig("")}
}

func TestInteropPlain(t *testing.T) {
	t.Parallel()
	srv := startGoSMTP(t, nil, false)
	c, err := Open(context.Background(), srv.options())
	if err != nil {
		t.Fatal(err)
	}
	caps := c.Capabilities()
	if !caps.Pipelining || !caps.EightBitMIME {
		t.Errorf("go-smtp's capabilities not seen: %+v", caps)
	}
	env := Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b@example.org"}, {Address: "c@example.org"}}}
	res, err := c.Send(context.Background(), env, strings.NewReader("Subject: hi\n\n.dot\nlast"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	rec := srv.rec
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.from != "a@example.com" || strings.Join(rec.rcpts, ",") != "b@example.org,c@example.org" {
		t.Errorf("envelope %q %q", rec.from, rec.rcpts)
	}
	if want := "Subject: hi\r\n\r\n.dot\r\nlast\r\n"; string(rec.data) != want {
		t.Errorf("data %q, want %q", rec.data, want)
	}
	if rec.mailOpts.Body != "" || rec.mailOpts.Size != 0 {
		t.Errorf("unasked MAIL parameters: %+v", rec.mailOpts)
	}
	if res.Size != 23 || res.Reply == nil || res.Reply.Code != 250 {
		t.Errorf("result %+v", res)
	}
}

func TestInteropStartTLSAuth(t *testing.T) {
	t.Parallel()
	srv := startGoSMTP(t, nil, false) // AllowInsecureAuth is off: AUTH only after TLS
	opts := srv.options()
	opts.TLS = StartTLS
	opts.Authenticate = plainAuth
	c, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.TLSConnectionState(); !ok {
		t.Error("no TLS")
	}
	env := Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b@example.org"}}}
	if _, err := c.Send(context.Background(), env, strings.NewReader("x\n")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	srv.rec.mu.Lock()
	defer srv.rec.mu.Unlock()
	if srv.rec.user != "user" {
		t.Errorf("authenticated as %q", srv.rec.user)
	}
}

func TestInteropAuthRejected(t *testing.T) {
	t.Parallel()
	srv := startGoSMTP(t, func(s *gosmtp.Server) { s.AllowInsecureAuth = true }, false)
	opts := srv.options()
	opts.Authenticate = func(*Capabilities, *tls.ConnectionState) (sasl.Client, error) {
		return sasl.NewPlainClient("", "user", "wrong"), nil
	}
	_, err := Open(context.Background(), opts)
	var e *Error
	if !errors.As(err, &e) || err.Error() != "authentication failed (method PLAIN)" || e.Reply == nil || e.Reply.Code != 454 { // go-smtp answers a plain Go error with 454
		t.Errorf("error %v, reply %v", err, e.Reply)
	}
}

func TestInteropImplicitTLS(t *testing.T) {
	t.Parallel()
	srv := startGoSMTP(t, nil, true)
	opts := srv.options()
	opts.TLS = ImplicitTLS
	c, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	env := Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b@example.org"}}}
	if _, err := c.Send(context.Background(), env, strings.NewReader("x\n")); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestInteropLMTP(t *testing.T) {
	t.Parallel()
	srv := startGoSMTP(t, func(s *gosmtp.Server) { s.LMTP = true }, false)
	srv.rec.lmtpStatus = map[string]error{"c@example.org": &gosmtp.SMTPError{Code: 552, EnhancedCode: gosmtp.EnhancedCode{5, 2, 2}, Message: "over quota"}}
	opts := srv.options()
	opts.Protocol = LMTP
	c, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	env := Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b@example.org"}, {Address: "c@example.org"}, {Address: "b@example.org"}}}
	res, err := c.Send(context.Background(), env, strings.NewReader("x\n"))
	if err == nil || err.Error() != "could not send mail to all recipients" {
		t.Fatalf("error %v", err)
	}
	var got []int
	for _, r := range res.Recipients {
		got = append(got, r.Data.Code)
	}
	if len(got) != 3 || got[0] != 250 || got[1] != 552 || got[2] != 250 {
		t.Errorf("per-recipient codes %v, want [250 552 250]", got)
	}
	if res.Recipients[1].Accepted(LMTP) || !res.Recipients[0].Accepted(LMTP) {
		t.Error("Accepted disagrees with the codes")
	}
}

func TestInteropSizeDSNUTF8(t *testing.T) {
	t.Parallel()
	srv := startGoSMTP(t, func(s *gosmtp.Server) {
		s.MaxMessageBytes = 1000
		s.EnableDSN = true
		s.EnableSMTPUTF8 = true
	}, false)
	opts := srv.options()
	opts.RequireDSN = true
	c, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if caps := c.Capabilities(); !caps.HasSize || caps.Size != 1000 || !caps.DSN || !caps.SMTPUTF8 {
		t.Fatalf("capabilities %+v", caps)
	}
	env := Envelope{
		From:       "jörg@example.com",
		Return:     ReturnHeaders,
		EnvelopeID: "id+1 x",
		Size:       2000,
		Recipients: []Recipient{{Address: "b@example.org", Notify: "SUCCESS,FAILURE", OriginalRecipient: "B+1@example.org"}},
	}
	if _, err := c.Send(context.Background(), env, strings.NewReader("x\n")); !errors.Is(err, ErrTooBig) {
		t.Fatalf("oversized mail: %v", err)
	}
	env.Size = 3
	if _, err := c.Send(context.Background(), env, strings.NewReader("x\n")); err != nil {
		t.Fatal(err)
	}
	rec := srv.rec
	rec.mu.Lock()
	defer rec.mu.Unlock()
	mo := rec.mailOpts
	if mo.Size != 3 || mo.Return != gosmtp.DSNReturnHeaders || mo.EnvelopeID != "id+1 x" || !mo.UTF8 {
		t.Errorf("MAIL options %+v", mo)
	}
	ro := rec.rcptOpts[0]
	if len(ro.Notify) != 2 || ro.Notify[0] != gosmtp.DSNNotifySuccess || ro.OriginalRecipient != "B+1@example.org" || ro.OriginalRecipientType != gosmtp.DSNAddressTypeRFC822 {
		t.Errorf("RCPT options %+v", ro)
	}
}

// A 10 MiB mail streams through intact.
func TestInteropLargeBody(t *testing.T) {
	t.Parallel()
	srv := startGoSMTP(t, nil, false)
	opts := srv.options()
	opts.TLS = StartTLS
	c, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line := strings.Repeat("x", 70) + "\n"
	body := strings.Repeat(line, (10<<20)/len(line))
	want := sha256.Sum256([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	env := Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b@example.org"}}}
	res, err := c.Send(context.Background(), env, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != int64(len(body)) {
		t.Errorf("mail size %d, want %d", res.Size, len(body))
	}
	srv.rec.mu.Lock()
	defer srv.rec.mu.Unlock()
	if srv.rec.dataSum != want {
		t.Errorf("the server received %d bytes that differ from the mail", srv.rec.dataLen)
	}
}
