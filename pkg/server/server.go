package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Defaults of the Server settings that are left zero.
const (
	DefaultHostname          = "localhost"
	DefaultMaxRecipients     = 1000
	DefaultMaxLineLength     = 4096
	DefaultMaxBadCommands    = 20
	DefaultMaxSessions       = 100
	DefaultCommandTimeout    = 5 * time.Minute // RFC 5321 §4.5.3.2.7
	DefaultDataTimeout       = 5 * time.Minute
	DefaultAuthFailureDelay  = time.Second      // upstream msmtpd, spec-mail-smtp.md §8.6
	DefaultAuthFailureWindow = 60 * time.Second // ditto
)

// maxAuthFailures is the number of failed AUTH exchanges after which a session is closed.
// Upstream allows one; RFC 4954 lets a client try again, but a client that keeps failing is
// guessing passwords.
const maxAuthFailures = 3

// lookupTimeout bounds the reverse DNS lookups for the Received header.
const lookupTimeout = 5 * time.Second

// rejectWriteTimeout bounds the write of the 421 reply to a connection over MaxSessions, so
// that the accept loop never stalls on it.
const rejectWriteTimeout = time.Second

// Server is an SMTP server. Set its fields before the first call of a Serve method and do not
// change them afterwards; a Server must not be copied after first use. The zero value of
// every field except Backend is usable: numeric limits and timeouts use the Default constants
// when zero and are disabled when negative.
type Server struct {
	// Hostname names the server in the greeting and in the EHLO and HELO replies:
	// "localhost" by default, as upstream msmtpd.
	Hostname string
	// Greeting is the text of the 220 greeting: Hostname + " ESMTP " + Software by default.
	// Lines separated by "\n" give a multi-line greeting.
	Greeting string
	// Software names the program in the greeting and in the Received header's "by" clause:
	// "msmtpd" by default; msmtp's -bs mode says "msmtp".
	Software string
	// Backend receives the mail. It is required.
	Backend Backend

	// TLSConfig enables STARTTLS (RFC 3207), which is offered when it is set and the
	// connection is not yet encrypted, and is required by ServeTLS.
	TLSConfig *tls.Config

	// Auth lists the SASL mechanisms offered with AUTH, in the order advertised. AUTH is
	// offered only on connections where it is allowed: with TLS, from a loopback address
	// or on a connection without addresses (stdin), or anywhere with AllowInsecureAuth.
	Auth []AuthMechanism
	// AuthRequired makes MAIL fail with 530 5.7.0 until the client has authenticated.
	AuthRequired bool
	// AllowInsecureAuth allows AUTH without TLS from any address, not only loopback.
	AllowInsecureAuth bool
	// AuthFailureDelay is how long a session waits before it answers AUTH when a recent
	// authentication failed (upstream: 1 s): sessions that start within AuthFailureWindow
	// after a failure in any session, every later AUTH of a session that has failed, and
	// every AUTH in ServeConn's single-connection mode, which cannot know about failures in
	// other processes.
	AuthFailureDelay time.Duration
	// AuthFailureWindow is upstream's 60 s (see AuthFailureDelay).
	AuthFailureWindow time.Duration

	// MaxMessageBytes limits the size of a message as the client sends it (without the
	// Received header, after dot-unstuffing). It is advertised as SIZE n; a MAIL with a
	// larger SIZE= gets 552, and so does a message that grows past it (the rest of its
	// data is read and discarded so the session stays in step). Zero or negative: no
	// limit, advertised as a bare SIZE.
	MaxMessageBytes int64
	// MaxRecipients limits the recipients of one message; RCPT beyond it gets
	// 452 4.5.3 (RFC 5321 §4.5.3.1.10).
	MaxRecipients int
	// MaxLineLength limits command lines, CRLF excluded (RFC 5321 §4.5.3.1.4), and the
	// lines of an AUTH exchange. Data lines of any length stream through.
	MaxLineLength int
	// MaxBadCommands is the number of rejected commands (unknown, out of sequence,
	// malformed, too long) after which the client is disconnected with 421.
	MaxBadCommands int
	// MaxSessions limits concurrent sessions. A connection beyond it gets
	// `421 4.3.2 Too many connections, try again later` at once and is closed.
	MaxSessions int

	// CommandTimeout bounds the wait for each command line, the TLS handshake, and each
	// write. A client silent for longer gets 421 and is disconnected.
	CommandTimeout time.Duration
	// DataTimeout bounds each read during DATA: it is renewed whenever data arrives, so a
	// slow but steady sender is served and only a silent one is cut off. It applies only
	// to connections that support read deadlines (a StreamConn may not).
	DataTimeout time.Duration

	// Logger receives one record per session start and end and per message, with
	// attributes. Nil discards.
	Logger *slog.Logger
	// LookupAddr does reverse DNS for the Received header; the first name is used, and
	// none when it fails. Nil uses net.DefaultResolver.LookupAddr.
	LookupAddr func(ctx context.Context, addr string) ([]string, error)
	// Now is the clock for the Received header's date and the auth failure window. Nil
	// uses time.Now. Its time zone is the one the date is written in.
	Now func() time.Time
	// Sleep waits for d or until ctx ends, for AuthFailureDelay. Nil uses a timer.
	Sleep func(ctx context.Context, d time.Duration)

	mu              sync.Mutex
	initialized     bool
	ctx             context.Context    // ends when the server is closed
	cancel          context.CancelFunc // ends ctx
	listeners       map[net.Listener]struct{}
	sessions        map[*session]struct{}
	closing         bool          // Shutdown or Close was called
	drained         chan struct{} // made by Shutdown, closed when no session is left
	lastAuthFailure time.Time
	nextID          uint64
}

// initLocked sets up the internal state on first use. s.mu must be held.
func (s *Server) initLocked() {
	if s.initialized {
		return
	}
	s.initialized = true
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.listeners = make(map[net.Listener]struct{})
	s.sessions = make(map[*session]struct{})
}

// Serve accepts connections on l and serves each in its own goroutine until Shutdown or
// Close, then returns ErrServerClosed. Other errors are l's: Serve retries temporary accept
// errors (too many open files) with a growing pause and returns on the others. Serve
// closes l when it returns.
func (s *Server) Serve(l net.Listener) error {
	return s.serve(l, modePlain)
}

// ServeTLS is Serve with implicit TLS (RFC 8314): each connection starts with a TLS
// handshake using TLSConfig, which must be set, and STARTTLS is not offered.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.TLSConfig == nil {
		l.Close()
		return errors.New("server: ServeTLS needs a TLSConfig")
	}
	return s.serve(l, modeImplicitTLS)
}

type listenMode int

const (
	modePlain listenMode = iota
	modeImplicitTLS
)

func (s *Server) serve(l net.Listener, mode listenMode) error {
	defer l.Close()
	if s.Backend == nil {
		return ErrNoBackend
	}
	s.mu.Lock()
	s.initLocked()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()

	var pause time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			//lint:ignore SA1019 Temporary is deprecated but still how EMFILE is reported.
			if errors.As(err, &ne) && ne.Temporary() {
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				s.logger().Warn("accept failed, retrying", "error", err, "pause", pause)
				s.sleep(s.ctx, pause)
				continue
			}
			return err
		}
		pause = 0
		if mode == modeImplicitTLS {
			c = tls.Server(c, s.TLSConfig)
		}
		ss, err := s.admit(c, admitOptions{})
		if err != nil {
			continue
		}
		go func() { _ = ss.run() }()
	}
}

// ServeConn serves one connection in the calling goroutine and returns when the session
// ends: nil after QUIT or when the client closed the connection between transactions, and
// otherwise an error that wraps ErrTimeout, ErrTooManyErrors, ErrServerClosed,
// io.ErrUnexpectedEOF (the client went away inside a transaction) or the connection's I/O
// or TLS error. It is the single-connection mode of `msmtpd --inetd` and `msmtp -bs`; use
// StreamConn to serve a reader and a writer. A *tls.Conn gets its handshake first (implicit
// TLS).
//
// When ctx ends the session is shut down as by Shutdown: at once when it waits for a command
// outside a transaction, otherwise once the transaction is over. ServeConn closes c.
func (s *Server) ServeConn(ctx context.Context, c net.Conn) error {
	if s.Backend == nil {
		c.Close()
		return ErrNoBackend
	}
	ss, err := s.admit(c, admitOptions{single: true})
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, ss.interrupt)
	defer stop()
	return ss.run()
}

type admitOptions struct {
	single bool // ServeConn's single-connection mode
}

// admit registers a new session, or refuses the connection with 421 when the server is
// closing or full.
func (s *Server) admit(c net.Conn, opts admitOptions) (*session, error) {
	s.mu.Lock()
	s.initLocked()
	if s.closing {
		s.mu.Unlock()
		reject(c, "421 4.3.2 Service shutting down, try again later\r\n")
		return nil, ErrServerClosed
	}
	active := len(s.sessions)
	if limit := s.maxSessions(); limit > 0 && active >= limit {
		s.mu.Unlock()
		s.logger().Warn("too many connections, connection refused",
			"remote", addrString(c.RemoteAddr()), "active", active, "max", limit)
		reject(c, "421 4.3.2 Too many connections, try again later\r\n")
		return nil, ErrTooManySessions
	}
	s.nextID++
	now := s.now()
	authDelay := opts.single ||
		!s.lastAuthFailure.IsZero() && now.Sub(s.lastAuthFailure) < s.authFailureWindow()
	ss := newSession(s, c, s.nextID, authDelay)
	s.sessions[ss] = struct{}{}
	s.mu.Unlock()
	if !opts.single {
		s.logger().Info("connection accepted", "session", ss.id,
			"remote", addrString(c.RemoteAddr()), "active", active+1,
			"max", s.maxSessions(), "auth_delay", authDelay)
	}
	return ss, nil
}

// reject sends a 421 to a connection that gets no session and closes it. The write has a
// short deadline: a fresh connection's send buffer is empty, so it does not block in
// practice, and the accept loop must never stall.
func reject(c net.Conn, line string) {
	_ = c.SetWriteDeadline(time.Now().Add(rejectWriteTimeout))
	_, _ = c.Write([]byte(line))
	c.Close()
}

// remove unregisters a finished session.
func (s *Server) remove(ss *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, ss)
	if s.drained != nil && len(s.sessions) == 0 {
		select {
		case <-s.drained:
		default:
			close(s.drained)
		}
	}
}

// Shutdown stops the server gracefully: it closes the listeners, answers sessions that wait
// for a command outside a mail transaction with `421 4.3.2 Service shutting down` and closes
// them, lets sessions in a transaction finish it (and then closes them the same way), and
// returns nil once no session is left. When ctx ends first it closes the remaining
// connections, which makes their sessions end promptly, and returns ctx's error. Serve
// returns ErrServerClosed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.initLocked()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	if s.drained == nil {
		s.drained = make(chan struct{})
		if len(s.sessions) == 0 {
			close(s.drained)
		}
	}
	drained := s.drained
	list := s.sessionList()
	s.mu.Unlock()
	for _, ss := range list {
		ss.interrupt()
	}
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close stops the server at once: it closes the listeners and every connection. Sessions
// end promptly (a backend's Data sees a read error and must not deliver). Close does not
// wait for the sessions' goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.initLocked()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	list := s.sessionList()
	s.mu.Unlock()
	s.cancel()
	for _, ss := range list {
		ss.forceClose()
	}
	return nil
}

func (s *Server) sessionList() []*session {
	list := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		list = append(list, ss)
	}
	return list
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// recordAuthFailure remembers the time of a failed AUTH for the delay of later sessions.
func (s *Server) recordAuthFailure() {
	s.mu.Lock()
	s.lastAuthFailure = s.now()
	s.mu.Unlock()
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Server) sleep(ctx context.Context, d time.Duration) {
	if s.Sleep != nil {
		s.Sleep(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (s *Server) lookupAddr(ctx context.Context, addr string) ([]string, error) {
	if s.LookupAddr == nil {
		return net.DefaultResolver.LookupAddr(ctx, addr)
	}
	return s.LookupAddr(ctx, addr)
}

func (s *Server) hostname() string {
	if s.Hostname == "" {
		return DefaultHostname
	}
	return s.Hostname
}

// limit applies the zero-means-default, negative-means-none rule.
func limit[T int | int64 | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

func (s *Server) maxSessions() int    { return limit(s.MaxSessions, DefaultMaxSessions) }
func (s *Server) maxRecipients() int  { return limit(s.MaxRecipients, DefaultMaxRecipients) }
func (s *Server) maxLineLength() int  { return limit(s.MaxLineLength, DefaultMaxLineLength) }
func (s *Server) maxBadCommands() int { return limit(s.MaxBadCommands, DefaultMaxBadCommands) }
func (s *Server) maxMessageBytes() int64 {
	return max(s.MaxMessageBytes, 0)
}
func (s *Server) commandTimeout() time.Duration {
	return limit(s.CommandTimeout, DefaultCommandTimeout)
}
func (s *Server) dataTimeout() time.Duration { return limit(s.DataTimeout, DefaultDataTimeout) }
func (s *Server) authFailureDelay() time.Duration {
	return limit(s.AuthFailureDelay, DefaultAuthFailureDelay)
}
func (s *Server) authFailureWindow() time.Duration {
	return limit(s.AuthFailureWindow, DefaultAuthFailureWindow)
}

// addrString formats an address for the log; a nil address (stdin) is "".
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// software is Software or its default.
func (s *Server) software() string {
	if s.Software == "" {
		return "msmtpd"
	}
	return s.Software
}
