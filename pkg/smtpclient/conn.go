package smtpclient

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineConn bounds every Read and Write of the connection it wraps by the session's
// timeout, and interrupts them when the current operation's context ends. Upstream sets
// SO_RCVTIMEO/SO_SNDTIMEO, which GnuTLS then ignores (spec-mail-smtp.md §11.1); because TLS
// runs on top of this wrapper here, the handshake and every record are bounded too.
type deadlineConn struct {
	net.Conn
	timeout atomic.Int64 // time.Duration; 0 means none

	mu        sync.Mutex
	cancelErr error // set when the watched context ended
}

func newDeadlineConn(c net.Conn, timeout time.Duration) *deadlineConn {
	d := &deadlineConn{Conn: c}
	d.timeout.Store(int64(timeout))
	return d
}

func (c *deadlineConn) setTimeout(d time.Duration) { c.timeout.Store(int64(d)) }

func (c *deadlineConn) deadline() time.Time {
	if d := time.Duration(c.timeout.Load()); d > 0 {
		return time.Now().Add(d)
	}
	return time.Time{}
}

// The deadline is set before the cancellation check: a context that ends after the check
// sets a deadline in the past (in watch), which then wins over ours.
func (c *deadlineConn) Read(p []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(c.deadline())
	if err := c.cancelled(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	_ = c.Conn.SetWriteDeadline(c.deadline())
	if err := c.cancelled(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

func (c *deadlineConn) cancelled() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancelErr
}

// watch interrupts I/O when ctx ends, until the returned stop is called.
func (c *deadlineConn) watch(ctx context.Context) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	s := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cancelErr = context.Cause(ctx)
		c.mu.Unlock()
		_ = c.Conn.SetDeadline(time.Unix(1, 0))
	})
	// If the context has already ended, the connection stays interrupted: the caller
	// learns it from the error of the interrupted I/O, and the session is broken.
	return func() { s() }
}

// transcript writes the --debug conversation (spec-mail-smtp.md §5.2): every line received
// as `<-- ` + the raw line, every line sent as `--> ` + the raw line, in the order they
// happen. A nil *transcript writes nothing.
type transcript struct {
	w        io.Writer
	inStart  bool // the next received byte starts a line
	outStart bool // the next sent byte starts a line
}

func newTranscript(w io.Writer) *transcript {
	if w == nil {
		return nil
	}
	return &transcript{w: w, inStart: true, outStart: true}
}

var (
	prefixIn  = []byte("<-- ")
	prefixOut = []byte("--> ")
)

func (t *transcript) received(p []byte) {
	if t != nil {
		t.inStart = prefixLines(t.w, prefixIn, p, t.inStart)
	}
}

func (t *transcript) sent(p []byte) {
	if t != nil {
		t.outStart = prefixLines(t.w, prefixOut, p, t.outStart)
	}
}

// sentLine logs one command line (without its CRLF).
func (t *transcript) sentLine(line string) {
	if t != nil {
		t.sent([]byte(line + "\r\n"))
	}
}

// prefixLines writes p with prefix before each line start and reports whether p ended a
// line. Transcript write errors are ignored: a debug stream must not break the session.
func prefixLines(w io.Writer, prefix, p []byte, atStart bool) bool {
	for len(p) > 0 {
		if atStart {
			_, _ = w.Write(prefix)
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			_, _ = w.Write(p)
			return false
		}
		_, _ = w.Write(p[:i+1])
		p = p[i+1:]
		atStart = true
	}
	return atStart
}

// teeReader copies what is read from r into the transcript as received lines.
type teeReader struct {
	r io.Reader
	t *transcript
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.t.received(p[:n])
	}
	return n, err
}

// dataTee copies the encoded mail data into the transcript as sent lines.
type dataTee struct {
	w io.Writer
	t *transcript
}

func (d dataTee) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	d.t.sent(p[:n])
	return n, err
}
