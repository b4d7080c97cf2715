package server

import (
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"time"
)

// StreamConn is a net.Conn made of a reader and a writer, for a session on a pipe pair such
// as stdin and stdout (`msmtp -bs`, `msmtpd --inetd` when stdin is not a socket).
//
// Deadlines are passed on to R and W when they have SetReadDeadline or SetWriteDeadline
// methods (an *os.File on a pipe has), so timeouts work where the platform allows; otherwise
// the Set methods return os.ErrNoDeadline and the session runs without timeouts. Close closes
// R and W when they are io.Closers.
type StreamConn struct {
	// R is what the client sends, W receives the replies.
	R io.Reader
	W io.Writer
	// Local and Remote are the addresses reported for the connection; nil when unknown,
	// which is how the Received header shows empty addresses and how AUTH knows the client
	// is local.
	Local, Remote net.Addr
}

var _ net.Conn = (*StreamConn)(nil)

// Read reads from R.
func (c *StreamConn) Read(p []byte) (int, error) { return c.R.Read(p) }

// Write writes to W.
func (c *StreamConn) Write(p []byte) (int, error) { return c.W.Write(p) }

// Close closes R and W if they can be closed (each once, when they are the same value).
func (c *StreamConn) Close() error {
	var errs []error
	if rc, ok := c.R.(io.Closer); ok {
		errs = append(errs, rc.Close())
	}
	if wc, ok := c.W.(io.Closer); ok && !same(c.W, c.R) {
		errs = append(errs, wc.Close())
	}
	return errors.Join(errs...)
}

// same reports whether two interface values hold the same comparable value (an *os.File
// used for both directions, say) without panicking on uncomparable ones.
func same(a, b any) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta != nil && ta.Comparable() && a == b
}

// CloseRead closes R if it is an io.Closer, leaving W open; a session that is shut down
// uses it to stop waiting for input and still send its 421.
func (c *StreamConn) CloseRead() error {
	if rc, ok := c.R.(io.Closer); ok {
		return rc.Close()
	}
	return nil
}

// LocalAddr returns Local.
func (c *StreamConn) LocalAddr() net.Addr { return c.Local }

// RemoteAddr returns Remote.
func (c *StreamConn) RemoteAddr() net.Addr { return c.Remote }

// SetDeadline sets both deadlines.
func (c *StreamConn) SetDeadline(t time.Time) error {
	return errors.Join(c.SetReadDeadline(t), c.SetWriteDeadline(t))
}

// SetReadDeadline passes the deadline on to R, or returns os.ErrNoDeadline.
func (c *StreamConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.R.(interface{ SetReadDeadline(time.Time) error }); ok {
		return d.SetReadDeadline(t)
	}
	return os.ErrNoDeadline
}

// SetWriteDeadline passes the deadline on to W, or returns os.ErrNoDeadline.
func (c *StreamConn) SetWriteDeadline(t time.Time) error {
	if d, ok := c.W.(interface{ SetWriteDeadline(time.Time) error }); ok {
		return d.SetWriteDeadline(t)
	}
	return os.ErrNoDeadline
}
