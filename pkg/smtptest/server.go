package smtptest

import (
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// ServerOptions configures a Server. The zero value is ready to use.
type ServerOptions struct {
	// TLSConfig is the server side of !starttls. When nil and the script has a TLS step,
	// the server gets a certificate for localhost, 127.0.0.1 and ::1 from a fresh CA
	// (Server.CA).
	TLSConfig *tls.Config
	// Timeout bounds each read and write of the play (see PlayOptions.Timeout) and the
	// wait for the client to connect in Wait; zero means DefaultTimeout.
	Timeout time.Duration
	// Listener, when set, is used instead of a new TCP listener on 127.0.0.1:0 (for
	// example a unix socket listener). The server closes it.
	Listener net.Listener
	// Quiet turns off logging the transcript with t.Logf as it happens.
	Quiet bool
}

// Server is a fake SMTP server on a loopback listener that accepts one connection and plays
// the server's part of a script on it (PlayServer). Create it with NewServer; the test's
// cleanup closes it and reports a mismatch the test did not collect with Wait.
type Server struct {
	// CA issued the server's certificate when ServerOptions.TLSConfig was nil and the
	// script needs TLS; nil otherwise.
	CA *CA

	t        testing.TB
	ln       net.Listener
	script   *Script
	opts     PlayOptions
	timeout  time.Duration
	accepted chan struct{}
	done     chan struct{}

	mu     sync.Mutex
	err    error
	p      *player
	waited bool
}

// ErrNoClient is Wait's result when no client connected.
var ErrNoClient = errors.New("smtptest: no client connected")

// NewServer starts a server that plays script. It fails the test if it cannot listen.
func NewServer(t testing.TB, script *Script, opts ServerOptions) *Server {
	t.Helper()
	s := &Server{
		t:        t,
		script:   script,
		timeout:  opts.Timeout,
		accepted: make(chan struct{}),
		done:     make(chan struct{}),
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	s.opts = PlayOptions{TLSConfig: opts.TLSConfig, Timeout: s.timeout}
	if !opts.Quiet {
		s.opts.Logf = t.Logf
	}
	if s.opts.TLSConfig == nil && needsTLS(script) {
		s.CA = NewCA(t, CertOptions{})
		s.opts.TLSConfig = s.CA.ServerConfig(t)
	}
	s.ln = opts.Listener
	if s.ln == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.ln = ln
	}
	go s.serve()
	t.Cleanup(func() {
		s.mu.Lock()
		waited := s.waited
		s.mu.Unlock()
		if err := s.Wait(); err != nil && !waited && !errors.Is(err, ErrNoClient) {
			t.Errorf("smtptest server: %v", err)
		}
	})
	return s
}

func needsTLS(s *Script) bool {
	for _, st := range s.Steps {
		if st.Kind == StartTLS {
			return true
		}
	}
	return false
}

func (s *Server) serve() {
	defer close(s.done)
	conn, err := s.ln.Accept()
	s.ln.Close()
	if err != nil {
		s.setErr(ErrNoClient)
		return
	}
	close(s.accepted)
	p := newPlayer(conn, s.script, ServerSide, s.opts)
	s.mu.Lock()
	s.p = p
	s.mu.Unlock()
	s.setErr(p.playAndClose())
}

func (s *Server) setErr(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// Addr returns the listener's address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Host returns the listener's IP address as a string ("127.0.0.1").
func (s *Server) Host() string {
	host, _, _ := net.SplitHostPort(s.ln.Addr().String())
	return host
}

// Port returns the listener's TCP port.
func (s *Server) Port() int {
	_, port, _ := net.SplitHostPort(s.ln.Addr().String())
	n, _ := strconv.Atoi(port)
	return n
}

// ClientConfig returns a TLS client configuration that trusts the server's CA and verifies
// the name serverName. It returns nil when the server has no CA of its own.
func (s *Server) ClientConfig(serverName string) *tls.Config {
	if s.CA == nil {
		return nil
	}
	return s.CA.ClientConfig(serverName)
}

// Wait waits until the play has ended and returns its result: nil, a *MismatchError, or
// ErrNoClient when no client connected within the timeout.
func (s *Server) Wait() error {
	s.mu.Lock()
	s.waited = true
	s.mu.Unlock()
	select {
	case <-s.accepted:
	case <-s.done:
	case <-time.After(s.timeout):
		s.ln.Close()
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Transcript returns the dialogue so far, one "S: " or "C: " line per line exchanged.
func (s *Server) Transcript() string {
	s.mu.Lock()
	p := s.p
	s.mu.Unlock()
	if p == nil {
		return ""
	}
	return p.transcript()
}
