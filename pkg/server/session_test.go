package server_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// TestAuthFailureDelay checks upstream's rule (spec-mail-smtp.md §8.6) in daemon mode: the
// first failure is answered at once; a session that starts within 60 s of a failure has its
// AUTH answers delayed (success or failure); one that starts later does not.
func TestAuthFailureDelay(t *testing.T) {
	t.Parallel()
	srv, _, sleeps := newServer(t, &recBackend{})
	var mu sync.Mutex
	now := fixedNow
	srv.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func(d time.Duration) {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
	}
	srv.Auth = []server.AuthMechanism{plainMech()}
	l := listen(t)
	serve(t, srv, l, servePlain)
	session := func(cred, want string) {
		t.Helper()
		c := newClient(t, dial(t, l))
		c.expect("220 ")
		c.cmd("EHLO c", "250-")
		c.cmd("AUTH PLAIN "+cred, want)
		c.cmd("QUIT", "221 ")
	}
	session("AGpvZQB3cm9uZw==", "535 ")
	if n := sleeps.count(); n != 0 {
		t.Fatalf("first failure delayed %d times", n)
	}
	advance(30 * time.Second)
	session("AGpvZQBzM2NyZXQ=", "235 ")
	if n := sleeps.count(); n != 1 {
		t.Fatalf("AUTH 30 s after a failure delayed %d times, want 1", n)
	}
	advance(31 * time.Second)
	session("AGpvZQBzM2NyZXQ=", "235 ")
	if n := sleeps.count(); n != 1 {
		t.Fatalf("AUTH 61 s after a failure delayed %d times in all, want 1", n)
	}
	if d := sleeps.calls[0]; d != server.DefaultAuthFailureDelay {
		t.Errorf("delay %v, want %v", d, server.DefaultAuthFailureDelay)
	}
}

// TestAuthDelaySingleConnection: ServeConn (--inetd) always delays AUTH answers, since it
// cannot know about failures in other processes.
func TestAuthDelaySingleConnection(t *testing.T) {
	t.Parallel()
	srv, _, sleeps := newServer(t, &recBackend{})
	srv.Auth = []server.AuthMechanism{plainMech()}
	srv.AuthFailureDelay = 3 * time.Second
	var out strings.Builder
	in := "EHLO c\r\nAUTH PLAIN AGpvZQBzM2NyZXQ=\r\nQUIT\r\n"
	if err := srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader(in), W: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "235 2.7.0 Authentication successful") {
		t.Fatalf("output:\n%s", out.String())
	}
	if sleeps.count() != 1 || sleeps.calls[0] != 3*time.Second {
		t.Errorf("sleeps %v, want one of 3s", sleeps.calls)
	}
}

// TestAuthDelayRealSleep uses the default sleeper.
func TestAuthDelayRealSleep(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t, &recBackend{})
	srv.Sleep = nil
	srv.Auth = []server.AuthMechanism{plainMech()}
	srv.AuthFailureDelay = 100 * time.Millisecond
	in := "EHLO c\r\nAUTH PLAIN AGpvZQBzM2NyZXQ=\r\nQUIT\r\n"
	start := time.Now()
	if err := srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader(in), W: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("session took %v, want at least the 100ms delay", d)
	}
}

type panicBackend struct{}

func (panicBackend) NewSession(server.ConnInfo) (server.Session, error) { return panicSession{}, nil }

type panicSession struct{}

func (panicSession) Mail(string, server.MailOptions) error { panic("backend bug") }
func (panicSession) Rcpt(string, server.RcptOptions) error { return nil }
func (panicSession) Data(io.Reader) error                  { return nil }
func (panicSession) Reset()                                {}
func (panicSession) Logout() error                         { return nil }

// TestBackendPanic: a panicking backend costs its client the connection (421), not the
// server.
func TestBackendPanic(t *testing.T) {
	t.Parallel()
	srv, logs, _ := newServer(t, panicBackend{})
	l := listen(t)
	serve(t, srv, l, servePlain)
	for range 2 {
		c := newClient(t, dial(t, l))
		c.expect("220 ")
		c.cmd("EHLO c", "250-")
		c.cmd("MAIL FROM:<a@example.com>", "421 4.3.0 Internal error")
		c.expectClosed()
	}
	shutdown(t, srv)
	if n := len(logs.find("panic in SMTP session")); n != 2 {
		t.Errorf("%d panic records, want 2", n)
	}
}

// TestNewSessionError: the backend can refuse a client when the transaction starts.
func TestNewSessionError(t *testing.T) {
	t.Parallel()
	var calls int
	be := server.BackendFunc(func(c server.ConnInfo) (server.Session, error) {
		calls++
		if calls == 1 {
			return nil, server.MarkTemporary(errors.New(secret))
		}
		return nil, smtp.NewReply(554, smtp.EnhancedCode{Class: 5, Subject: 7, Detail: 1}, "Go away")
	})
	srv, _, _ := newServer(t, be)
	var out strings.Builder
	in := "EHLO c\r\nMAIL FROM:<a@example.com>\r\nMAIL FROM:<a@example.com>\r\nQUIT\r\n"
	if err := srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader(in), W: &out}); err != nil {
		t.Fatal(err)
	}
	want := "451 4.3.0 Temporary local problem, try again later\r\n554 5.7.1 Go away\r\n221 2.0.0 Bye\r\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("output ends %q, want %q", out.String(), want)
	}
}

// TestSessionLifecycle checks when the backend's sessions are made, reset and logged out.
func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	be := &recBackend{}
	srv, _, _ := newServer(t, be)
	srv.Auth = []server.AuthMechanism{plainMech()}
	in := strings.Join([]string{
		"EHLO one",
		"NOOP",                      // no session yet
		"MAIL FROM:<a@example.com>", // session 1
		"RSET",                      // reset 1
		"MAIL FROM:<a@example.com>", // same session
		"RCPT TO:<b@example.org>",   //
		"DATA", "Subject: x", ".",   // reset 2
		"AUTH PLAIN AGpvZQBzM2NyZXQ=", // logout 1
		"MAIL FROM:<a@example.com>",   // session 2 with the user
		"EHLO two",                    // reset 3, logout 2
		"MAIL FROM:<a@example.com>",   // session 3 with the new name
		"",                            // the connection ends inside the transaction: reset 4, logout 3
	}, "\r\n")
	err := srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader(in), W: io.Discard})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ServeConn = %v, want io.ErrUnexpectedEOF", err)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.sessions) != 3 || be.resets != 4 || be.logouts != 3 {
		t.Fatalf("sessions %d, resets %d, logouts %d; want 3, 4, 3", len(be.sessions), be.resets, be.logouts)
	}
	if s := be.sessions[1]; s.User != testUser || s.Hello != "one" {
		t.Errorf("second session %+v, want user %q and hello one", s, testUser)
	}
	if s := be.sessions[2]; s.User != testUser || s.Hello != "two" || !s.ESMTP {
		t.Errorf("third session %+v, want user %q and hello two", s, testUser)
	}
}

// TestNoBackend: a server without a backend refuses to serve.
func TestNoBackend(t *testing.T) {
	t.Parallel()
	var srv server.Server
	if err := srv.Serve(listen(t)); !errors.Is(err, server.ErrNoBackend) {
		t.Errorf("Serve = %v", err)
	}
	if err := srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader(""), W: io.Discard}); !errors.Is(err, server.ErrNoBackend) {
		t.Errorf("ServeConn = %v", err)
	}
	if err := srv.ServeTLS(listen(t)); err == nil {
		t.Error("ServeTLS without TLSConfig succeeded")
	}
}

// TestServeConnResults checks ServeConn's result for the ways a session ends.
func TestServeConnResults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error // nil, or a sentinel the error must wrap
	}{
		{"quit", "EHLO c\r\nQUIT\r\n", nil},
		{"eof between transactions", "EHLO c\r\nNOOP\r\n", nil},
		{"eof before anything", "", nil},
		{"eof inside a transaction", "EHLO c\r\nMAIL FROM:<a@example.com>\r\n", io.ErrUnexpectedEOF},
		{"eof inside data", "EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nx", io.ErrUnexpectedEOF},
		{"too many errors", strings.Repeat("FOO\r\n", 30), server.ErrTooManyErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, logs, _ := newServer(t, &recBackend{})
			err := srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader(tt.in), W: io.Discard})
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("ServeConn = %v, want %v", err, tt.want)
			}
			ended := len(logs.find("client ended session")) + len(logs.find("client ended session without sending QUIT")) + len(logs.find("session aborted"))
			if ended != 1 {
				t.Errorf("%d session end records, want 1", ended)
			}
		})
	}
}

// TestGreeting: a custom greeting, also multi-line.
func TestGreeting(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t, &recBackend{})
	srv.Greeting = "mx.example.org ESMTP ready\nno UCE"
	var out strings.Builder
	if err := srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader("QUIT\r\n"), W: &out}); err != nil {
		t.Fatal(err)
	}
	if want := "220-mx.example.org ESMTP ready\r\n220 no UCE\r\n221 2.0.0 Bye\r\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestTLSHandshakeFailure: a client that speaks plain text to the implicit-TLS port, or
// garbage after STARTTLS, loses its connection; the server goes on serving.
func TestTLSHandshakeFailure(t *testing.T) {
	t.Parallel()
	tc := certs(t)
	srv, logs, _ := newServer(t, &recBackend{})
	srv.TLSConfig = tc.server
	implicit, starttls := listen(t), listen(t)
	serve(t, srv, implicit, serveImplicitTLS)
	serve(t, srv, starttls, servePlain)

	c := newClient(t, dial(t, implicit))
	c.send("EHLO plain.example\r\n")
	c.expectClosed()

	c = newClient(t, dial(t, starttls))
	c.expect("220 ")
	c.cmd("EHLO c", "250-")
	c.cmd("STARTTLS", "220 2.0.0 ")
	c.send("this is not a ClientHello\r\n")
	c.expectClosed()

	// Both listeners still work.
	for _, l := range []net.Listener{implicit, starttls} {
		conn := dial(t, l)
		if l == implicit {
			tlsConn := tls.Client(conn, tc.client)
			if err := tlsConn.Handshake(); err != nil {
				t.Fatal(err)
			}
			conn = tlsConn
		}
		c := newClient(t, conn)
		c.expect("220 ")
		c.cmd("QUIT", "221 ")
	}
	shutdown(t, srv)
	n := 0
	for _, r := range logs.find("session aborted") {
		if strings.Contains(r.Attrs["error"], "TLS handshake failed") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d sessions aborted for a failed TLS handshake, want 2", n)
	}
}
