package server

import (
	"errors"
	"os"
	"strings"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// Errors the engine returns or hands to a backend.
var (
	// ErrServerClosed is returned by Serve and ServeTLS after Shutdown or Close, and by
	// ServeConn for a session that ended because the server shut down.
	ErrServerClosed = errors.New("server closed")
	// ErrMessageTooLarge is the error a Session's Data reader returns once the message
	// passes Server.MaxMessageBytes. The client gets 552 whatever the backend returns.
	ErrMessageTooLarge = errors.New("message exceeds the maximum message size")
	// ErrTimeout is wrapped by ServeConn's error when the client fell silent for longer
	// than the command or data timeout.
	ErrTimeout = errors.New("client timed out")
	// ErrTooManyErrors is wrapped by ServeConn's error when the client sent more bad
	// commands, or failed authentication more often, than the server allows.
	ErrTooManyErrors = errors.New("too many errors from client")
	// ErrTooManySessions is returned by ServeConn when Server.MaxSessions sessions are
	// already running; the client got `421 4.3.2 Too many connections, try again later`.
	ErrTooManySessions = errors.New("too many sessions")
	// ErrNoBackend is returned by the Serve methods when Server.Backend is nil.
	ErrNoBackend = errors.New("server has no backend")
)

// MarkTemporary wraps err so that the engine answers it with a temporary (4xx) generic reply
// instead of a permanent one. The result unwraps to err; MarkTemporary(nil) is nil.
func MarkTemporary(err error) error {
	if err == nil {
		return nil
	}
	return temporaryError{err}
}

type temporaryError struct{ err error }

func (e temporaryError) Error() string   { return e.err.Error() }
func (e temporaryError) Unwrap() error   { return e.err }
func (e temporaryError) Temporary() bool { return true }

// isTemporary reports whether an error in err's chain says it is temporary.
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// backendReply finds the *smtp.Reply a backend chose in err's chain. It returns nil when
// there is none, or when the reply cannot be sent safely: a code outside 200–599 (a 3xx
// cannot end a command the engine handles), no lines, lines that do not carry the reply's
// code, or a CR or LF inside a line, which would let the text inject further replies.
func backendReply(err error) *smtp.Reply {
	var r *smtp.Reply
	if !errors.As(err, &r) || r == nil {
		return nil
	}
	if r.Code < 200 || r.Code >= 600 || r.Intermediate() || len(r.Lines) == 0 {
		return nil
	}
	code := r.Lines[0][:min(3, len(r.Lines[0]))]
	for i, l := range r.Lines {
		if len(l) < 3 || l[:3] != code || strings.ContainsAny(l, "\r\n") {
			return nil
		}
		last := i == len(r.Lines)-1
		switch {
		case len(l) == 3 && last:
		case len(l) > 3 && l[3] == ' ' && last:
		case len(l) > 3 && l[3] == '-' && !last:
		default:
			return nil
		}
	}
	if code != r.Lines[len(r.Lines)-1][:3] || smtpCode(code) != r.Code {
		return nil
	}
	return r
}

func smtpCode(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// isTimeout reports a read or write deadline that passed.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
