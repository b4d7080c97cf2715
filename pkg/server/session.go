package server

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// Enhanced codes the engine uses that pkg/smtp does not name.
var (
	enhNotAccepting  = smtp.EnhancedCode{Class: 4, Subject: 3, Detail: 2} // RFC 3463: system not accepting network messages
	enhTooManyErrors = smtp.EnhancedCode{Class: 4, Subject: 7, Detail: 0}
	enhAuthCancelled = smtp.EnhancedCode{Class: 5, Subject: 7, Detail: 0}
	enhAuthLineLong  = smtp.EnhancedCode{Class: 5, Subject: 5, Detail: 6} // RFC 4954 §6
	enhNoTLS         = smtp.EnhancedCode{Class: 5, Subject: 5, Detail: 1}
	enhVrfy          = smtp.EnhancedCode{Class: 2, Subject: 0, Detail: 0}
)

// errQuit ends a session normally (QUIT); errNoQuit ends it when the client closed the
// connection between transactions. Both make ServeConn return nil.
var (
	errQuit   = errors.New("client sent QUIT")
	errNoQuit = errors.New("client closed the connection without QUIT")
)

// session is one client connection. Its fields belong to the goroutine that runs it, except
// those under mu, which Shutdown touches.
type session struct {
	srv *Server
	id  uint64
	log *slog.Logger
	raw net.Conn // the accepted connection: deadlines and closing go here
	// conn is raw, or the TLS connection over it after a handshake.
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	// perRead, when positive, renews the read deadline before every read: the DATA rule.
	perRead time.Duration
	line    []byte // buffer for command lines, reused

	info         ConnInfo
	greeted      bool // EHLO or HELO seen (since the last STARTTLS)
	authDelay    bool // answer AUTH only after Server.AuthFailureDelay
	backend      Session
	tx           *transaction
	badCommands  int
	authFailures int
	mails        int
	start        time.Time

	namesDone             bool // reverse lookups made
	remoteName, localName string

	mu      sync.Mutex
	idle    bool // waiting for a command outside a transaction
	closing bool // shutting down: end the session once no transaction is open
}

// transaction is the state of one mail transaction, from MAIL to the end of DATA.
type transaction struct {
	from      string
	opts      MailOptions
	rcpts     []string
	rcptTried bool // a RCPT command reached the backend or the limit
}

func newSession(s *Server, c net.Conn, id uint64, authDelay bool) *session {
	ss := &session{srv: s, id: id, raw: c, conn: c, authDelay: authDelay}
	ss.info.RemoteAddr = c.RemoteAddr()
	ss.info.LocalAddr = c.LocalAddr()
	ss.log = s.logger().With("session", id, "remote", addrString(ss.info.RemoteAddr))
	ss.br = bufio.NewReader(sessionReader{ss})
	ss.bw = bufio.NewWriter(sessionWriter{ss})
	return ss
}

// sessionReader reads from the session's current connection (plain or TLS), applying the
// DATA deadline rule.
type sessionReader struct{ ss *session }

func (r sessionReader) Read(p []byte) (int, error) {
	if d := r.ss.perRead; d > 0 {
		_ = r.ss.raw.SetReadDeadline(time.Now().Add(d))
	}
	return r.ss.conn.Read(p)
}

type sessionWriter struct{ ss *session }

func (w sessionWriter) Write(p []byte) (int, error) { return w.ss.conn.Write(p) }

// run serves the session, logs its end and releases it.
func (ss *session) run() (err error) {
	ss.start = time.Now()
	defer ss.srv.remove(ss)
	defer ss.closeConn()
	defer ss.cleanup()
	defer func() {
		if r := recover(); r != nil {
			ss.log.Error("panic in SMTP session", "panic", r, "stack", string(debug.Stack()))
			ss.reply(smtp.CodeServiceUnavailable, smtp.EnhTempLocalError, "Internal error, closing connection")
			_ = ss.flush()
			err = fmt.Errorf("server: panic in session: %v", r)
		}
	}()
	err = ss.serve()
	attrs := []any{"helo", ss.info.Hello, "mails", ss.mails, "duration", time.Since(ss.start)}
	switch {
	case err == nil || errors.Is(err, errQuit):
		ss.log.Info("client ended session", attrs...)
		return nil
	case errors.Is(err, errNoQuit):
		ss.log.Info("client ended session without sending QUIT", attrs...)
		return nil
	}
	ss.log.Warn("session aborted", append(attrs, "error", err)...)
	return err
}

// cleanup ends an open transaction and the backend session. A panic in the backend here is
// logged, not propagated: the connection is over anyway.
func (ss *session) cleanup() {
	defer func() {
		if r := recover(); r != nil {
			ss.log.Error("panic in SMTP session", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	ss.endTx()
	ss.dropBackend()
}

func (ss *session) closeConn() {
	// A TLS connection sends close_notify: bound that write too.
	_ = ss.raw.SetWriteDeadline(time.Now().Add(rejectWriteTimeout))
	_ = ss.conn.Close()
	_ = ss.raw.Close()
}

// forceClose closes the connection from another goroutine (Server.Close).
func (ss *session) forceClose() { _ = ss.raw.Close() }

// interrupt asks the session to end once it is not inside a transaction. A session waiting
// for a command outside one is woken at once: its read deadline is moved to the past, or,
// for a connection without deadlines, its reading side is closed (CloseRead, as a
// StreamConn has) or else the whole connection.
func (ss *session) interrupt() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closing = true
	if !ss.idle {
		return
	}
	if err := ss.raw.SetReadDeadline(time.Unix(1, 0)); err == nil {
		return
	}
	if cr, ok := ss.raw.(interface{ CloseRead() error }); ok {
		_ = cr.CloseRead()
		return
	}
	_ = ss.raw.Close()
}

func (ss *session) isClosing() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.closing
}

// setIdle marks the session as waiting for a command outside a transaction; it reports
// false when the session is shutting down instead.
func (ss *session) setIdle(idle bool) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if idle && ss.closing {
		return false
	}
	ss.idle = idle
	return true
}

// serve runs the protocol until the session ends. A nil error or errQuit or errNoQuit is a
// normal end.
func (ss *session) serve() error {
	if tc, ok := ss.conn.(*tls.Conn); ok {
		if err := ss.handshake(tc); err != nil {
			return err
		}
	}
	ss.log.Info("starting SMTP session", "local", addrString(ss.info.LocalAddr), "tls", ss.info.TLS != nil)
	greeting := ss.srv.Greeting
	if greeting == "" {
		greeting = ss.srv.hostname() + " ESMTP " + ss.srv.software()
	}
	ss.send(smtp.NewReply(smtp.CodeServiceReady, smtp.EnhancedCode{}, strings.Split(greeting, "\n")...))
	for {
		if ss.tx == nil && ss.isClosing() {
			return ss.shutdownReply()
		}
		line, tooLong, err := ss.readCommand()
		if err != nil {
			return ss.readFailed(err, "waiting for a command")
		}
		if tooLong {
			err = ss.protocolError(smtp.CodeSyntaxError, smtp.EnhBadSyntax, "Line too long")
		} else {
			err = ss.dispatch(line)
		}
		if err != nil {
			return err
		}
	}
}

func (ss *session) shutdownReply() error {
	ss.reply(smtp.CodeServiceUnavailable, enhNotAccepting, "Service shutting down, closing connection")
	_ = ss.flush()
	return ErrServerClosed
}

// readFailed turns a read error into the session's end, with a 421 where the client can
// still hear it.
func (ss *session) readFailed(err error, doing string) error {
	switch {
	case ss.tx == nil && ss.isClosing():
		return ss.shutdownReply()
	case isTimeout(err):
		ss.reply(smtp.CodeServiceUnavailable, smtp.EnhTempNetwork, "Timeout exceeded, closing connection")
		_ = ss.flush()
		return fmt.Errorf("%w %s", ErrTimeout, doing)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if ss.tx != nil {
			return fmt.Errorf("client ended session inside a mail transaction: %w", io.ErrUnexpectedEOF)
		}
		return errNoQuit
	}
	return err
}

// setDeadlines bounds the next command: reading it and writing its replies.
func (ss *session) setDeadlines() {
	var t time.Time
	if d := ss.srv.commandTimeout(); d > 0 {
		t = time.Now().Add(d)
	}
	_ = ss.raw.SetDeadline(t)
}

// flush sends the buffered replies under a fresh write deadline.
func (ss *session) flush() error {
	if ss.bw.Buffered() == 0 {
		return nil
	}
	if d := ss.srv.commandTimeout(); d > 0 {
		_ = ss.raw.SetWriteDeadline(time.Now().Add(d))
	}
	return ss.bw.Flush()
}

// readCommand reads the next command line. Replies are flushed only when no further
// command is already buffered, so that a pipelining client (RFC 2920) gets the replies to a
// group of commands together.
func (ss *session) readCommand() (line string, tooLong bool, err error) {
	if ss.br.Buffered() == 0 {
		if err := ss.flush(); err != nil {
			return "", false, err
		}
	}
	ss.setDeadlines()
	if ss.tx == nil {
		if !ss.setIdle(true) {
			return "", false, ErrServerClosed
		}
		defer ss.setIdle(false)
	}
	return ss.readLine()
}

// readLine reads one line of at most Server.MaxLineLength bytes before its ending, which
// may be CRLF or a bare LF. A longer line is read to its end and dropped, with tooLong set,
// so memory stays bounded and the session stays in step.
func (ss *session) readLine() (line string, tooLong bool, err error) {
	limit := ss.srv.maxLineLength()
	buf := ss.line[:0]
	for {
		chunk, err := ss.br.ReadSlice('\n')
		if !tooLong {
			if limit > 0 && len(buf)+len(chunk) > limit+2 {
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", false, err
		}
		break
	}
	ss.line = buf[:0]
	if tooLong {
		return "", true, nil
	}
	b := buf[:len(buf)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if limit > 0 && len(b) > limit {
		return "", true, nil
	}
	return string(b), false, nil
}

// enhanced reports whether replies carry enhanced status codes: in every session except one
// opened with HELO, whose clients get upstream msmtpd's plain texts.
func (ss *session) enhanced() bool { return !ss.greeted || ss.info.ESMTP }

// reply queues a reply made by the engine.
func (ss *session) reply(code int, enh smtp.EnhancedCode, text ...string) {
	if !ss.enhanced() {
		enh = smtp.EnhancedCode{}
	}
	ss.send(smtp.NewReply(code, enh, text...))
}

// send queues r. Write errors are sticky in the bufio.Writer and surface at the next flush.
func (ss *session) send(r *smtp.Reply) { _, _ = r.WriteTo(ss.bw) }

// protocolError answers a bad command and counts it; past Server.MaxBadCommands the client
// is told 421 and the session ends with an error wrapping ErrTooManyErrors.
func (ss *session) protocolError(code int, enh smtp.EnhancedCode, text string) error {
	ss.reply(code, enh, text)
	ss.badCommands++
	if limit := ss.srv.maxBadCommands(); limit > 0 && ss.badCommands >= limit {
		ss.reply(smtp.CodeServiceUnavailable, enhTooManyErrors, "Too many errors, closing connection")
		_ = ss.flush()
		return fmt.Errorf("%w: %d bad commands", ErrTooManyErrors, ss.badCommands)
	}
	return nil
}

// backendError answers a command the backend refused. permCode is the code of the generic
// permanent reply (550 for MAIL and RCPT, 554 for DATA).
func (ss *session) backendError(err error, permCode int, op string) *smtp.Reply {
	if r := backendReply(err); r != nil {
		return r
	}
	var r *smtp.Reply
	if errors.As(err, &r) {
		ss.log.Error("backend reply cannot be sent, using a generic one", "op", op, "reply", fmt.Sprintf("%q", r.Lines))
	} else {
		ss.log.Error("backend error", "op", op, "error", err)
	}
	enh := smtp.EnhPermGeneric
	if isTemporary(err) {
		permCode, enh = smtp.CodeLocalError, smtp.EnhTempLocalError
	}
	if !ss.enhanced() {
		enh = smtp.EnhancedCode{}
	}
	switch permCode {
	case smtp.CodeLocalError:
		return smtp.NewReply(permCode, enh, "Temporary local problem, try again later")
	case smtp.CodeTransactionFailed:
		return smtp.NewReply(permCode, enh, "Transaction failed")
	}
	return smtp.NewReply(permCode, enh, "Requested action not taken")
}

// backendSession returns the backend's session, making it on first use.
func (ss *session) backendSession() (Session, error) {
	if ss.backend == nil {
		b, err := ss.srv.Backend.NewSession(ss.info)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, errors.New("backend returned a nil session")
		}
		ss.backend = b
	}
	return ss.backend, nil
}

// endTx abandons the current transaction.
func (ss *session) endTx() {
	if ss.tx == nil {
		return
	}
	ss.tx = nil
	if ss.backend != nil {
		ss.backend.Reset()
	}
}

// dropBackend ends the backend session, so that the next MAIL gets one with the current
// ConnInfo.
func (ss *session) dropBackend() {
	if ss.backend == nil {
		return
	}
	if err := ss.backend.Logout(); err != nil {
		ss.log.Warn("backend logout failed", "error", err)
	}
	ss.backend = nil
}

// handshake runs the TLS handshake under the command timeout.
func (ss *session) handshake(tc *tls.Conn) error {
	ss.setDeadlines()
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake failed: %w", err)
	}
	st := tc.ConnectionState()
	ss.info.TLS = &st
	return nil
}
