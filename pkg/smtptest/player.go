package smtptest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultTimeout bounds each read and write of a player, and the wait of !stall, when
// PlayOptions.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// maxLine bounds one line the players read; a longer line is reported as a mismatch rather
// than buffered without limit.
const maxLine = 1 << 20

// PlayOptions configures a player.
type PlayOptions struct {
	// TLSConfig is used by !starttls: a server configuration (with a certificate) for
	// PlayServer, a client configuration for PlayClient.
	TLSConfig *tls.Config
	// Timeout bounds each read and write, the TLS handshake and the wait of !stall; zero
	// means DefaultTimeout.
	Timeout time.Duration
	// Logf, when set, receives every transcript line as it happens (t.Logf fits).
	Logf func(format string, args ...any)
}

// MismatchError reports where a dialogue left its script. Error() shows the script position,
// what was expected and what happened, the transcript up to that point and the script.
type MismatchError struct {
	// Script is the script's name.
	Script string
	// Step is the step that failed.
	Step Step
	// Got describes what the peer did instead.
	Got string
	// Err is the I/O or TLS error behind the mismatch, if any.
	Err error
	// Transcript is the dialogue so far, one "S: " or "C: " line per line exchanged.
	Transcript string
	// ScriptText is the script as written.
	ScriptText string
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: want %s, got %s", e.Script, e.Step.LineNo, e.Step.Source, e.Got)
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	b.WriteString("\n--- transcript ---\n")
	b.WriteString(e.Transcript)
	b.WriteString("--- script ---\n")
	b.WriteString(e.ScriptText)
	return b.String()
}

// Unwrap returns the I/O error behind the mismatch.
func (e *MismatchError) Unwrap() error { return e.Err }

// PlayServer plays the server's part of s over conn against the client under test: it sends
// the S lines and checks the C lines. At the end of the script it requires the client to
// close the connection. It closes conn before it returns. The error is a *MismatchError, or
// nil when the dialogue followed the script.
func PlayServer(conn net.Conn, s *Script, opts PlayOptions) error {
	return play(conn, s, ServerSide, opts)
}

// PlayClient plays the client's part of s over conn against the server under test: it sends
// the C lines (consecutive ones with a single Write, as a pipelining client does) and checks
// the S lines. At the end of the script it closes the connection. The error is a
// *MismatchError, or nil when the dialogue followed the script.
func PlayClient(conn net.Conn, s *Script, opts PlayOptions) error {
	return play(conn, s, ClientSide, opts)
}

type player struct {
	conn    net.Conn
	r       *bufio.Reader
	me      Side
	opts    PlayOptions
	script  *Script
	pending bytes.Buffer
	mu      sync.Mutex // guards transcript, read by Server.Transcript while playing
	trans   strings.Builder
}

func play(conn net.Conn, s *Script, me Side, opts PlayOptions) error {
	return newPlayer(conn, s, me, opts).playAndClose()
}

func newPlayer(conn net.Conn, s *Script, me Side, opts PlayOptions) *player {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	return &player{conn: conn, r: bufio.NewReader(conn), me: me, opts: opts, script: s}
}

// playAndClose runs the script and closes the connection (the TLS one, if TLS started).
func (p *player) playAndClose() error {
	defer func() { p.conn.Close() }()
	return p.run()
}

func (p *player) run() error {
	for i := range p.script.Steps {
		st := &p.script.Steps[i]
		if (st.Kind == Line || st.Kind == Match || st.Kind == Raw) && st.Side == p.me {
			if err := p.queue(st); err != nil {
				return err
			}
			continue
		}
		if err := p.flush(st); err != nil {
			return err
		}
		done, err := p.do(st)
		if err != nil || done {
			return err
		}
	}
	end := &Step{Kind: EOF, LineNo: 0, Source: "end of script (the client closes the connection)"}
	if err := p.flush(end); err != nil {
		return err
	}
	if p.me == ClientSide {
		return nil
	}
	_, err := p.do(end)
	return err
}

// queue adds a line of ours to the pending output.
func (p *player) queue(st *Step) error {
	switch st.Kind {
	case Line:
		p.pending.WriteString(st.Text + "\r\n")
	case Raw:
		p.pending.WriteString(st.Text)
	case Match:
		return p.mismatch(st, "a regexp step on the played side, which cannot be sent", nil)
	}
	return nil
}

// flush writes the pending output in one Write.
func (p *player) flush(st *Step) error {
	if p.pending.Len() == 0 {
		return nil
	}
	data := p.pending.Bytes()
	p.record(p.me, data)
	_ = p.conn.SetWriteDeadline(time.Now().Add(p.opts.Timeout))
	_, err := p.conn.Write(data)
	p.pending.Reset()
	if err != nil {
		return p.mismatch(st, "a write error", err)
	}
	return nil
}

// do runs a step that is not a line of ours. done ends the play without the end-of-script
// check.
func (p *player) do(st *Step) (done bool, err error) {
	switch st.Kind {
	case Line, Raw, Match:
		return false, p.expect(st)
	case StartTLS:
		return st.Fail, p.startTLS(st)
	case Close:
		p.note("!close")
		return true, nil // play's defer closes the connection
	case Sleep:
		p.note("!sleep " + st.Duration.String())
		time.Sleep(st.Duration)
	case Read:
		p.setReadDeadline()
		buf := make([]byte, st.N)
		n, err := io.ReadFull(p.r, buf)
		p.note(fmt.Sprintf("!read %d: read %d bytes", st.N, n))
		if err != nil {
			return false, p.mismatch(st, fmt.Sprintf("%d bytes", n), err)
		}
	case SkipData:
		return false, p.skipData(st)
	case Stall:
		p.note("!stall")
		_ = p.conn.SetReadDeadline(time.Now().Add(p.opts.Timeout))
		_, err := io.Copy(io.Discard, p.r)
		if err != nil && !closedByPeer(err) {
			return true, p.mismatch(st, "no close while stalled", err)
		}
		return true, nil
	case EOF:
		p.setReadDeadline()
		line, err := p.r.ReadSlice('\n')
		if len(line) > 0 {
			p.record(p.me^1, line)
			return true, p.mismatch(st, fmt.Sprintf("%q", line), nil)
		}
		if err == io.EOF || closedByPeer(err) {
			p.note("(closed by " + (p.me ^ 1).String() + ")")
			return true, nil
		}
		return true, p.mismatch(st, "no close", err)
	}
	return false, nil
}

// expect reads one unit from the peer and compares it with st.
func (p *player) expect(st *Step) error {
	p.setReadDeadline()
	if st.Kind == Raw {
		buf := make([]byte, len(st.Text))
		n, err := io.ReadFull(p.r, buf)
		p.record(st.Side, buf[:n])
		if err != nil {
			return p.mismatch(st, fmt.Sprintf("%q", buf[:n]), err)
		}
		if string(buf) != st.Text {
			return p.mismatch(st, fmt.Sprintf("%q", buf), nil)
		}
		return nil
	}
	line, err := p.readLine()
	if line != "" {
		p.record(st.Side, []byte(line))
	}
	if err != nil {
		got := "end of input"
		if line != "" {
			got = fmt.Sprintf("%q", line)
		}
		return p.mismatch(st, got, err)
	}
	body, ok := strings.CutSuffix(line, "\r\n")
	if !ok {
		return p.mismatch(st, fmt.Sprintf("%q (no CRLF line ending)", line), nil)
	}
	if st.Kind == Line && body != st.Text || st.Kind == Match && !st.Regexp.MatchString(body) {
		return p.mismatch(st, fmt.Sprintf("%q", body), nil)
	}
	return nil
}

func (p *player) readLine() (string, error) {
	var buf []byte
	for {
		chunk, err := p.r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return string(buf[:80]) + "...", errors.New("line too long")
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return string(buf), err
	}
}

func (p *player) skipData(st *Step) error {
	lines := 0
	for {
		p.setReadDeadline()
		line, err := p.readLine()
		if err != nil {
			p.note(fmt.Sprintf("!skipdata: %d lines", lines))
			return p.mismatch(st, fmt.Sprintf("end of input after %d data lines", lines), err)
		}
		if line == ".\r\n" || line == ".\n" {
			p.note(fmt.Sprintf("!skipdata: %d lines", lines))
			p.record(st.Side^1, []byte(line))
			return nil
		}
		lines++
	}
}

func (p *player) startTLS(st *Step) error {
	p.note("!starttls")
	if p.opts.TLSConfig == nil {
		return p.mismatch(st, "no TLS configuration in PlayOptions", nil)
	}
	if n := p.r.Buffered(); n > 0 {
		b, _ := p.r.Peek(n)
		return p.mismatch(st, fmt.Sprintf("%q before the handshake", b), nil)
	}
	var tc *tls.Conn
	if p.me == ServerSide {
		tc = tls.Server(p.conn, p.opts.TLSConfig)
	} else {
		tc = tls.Client(p.conn, p.opts.TLSConfig)
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.Timeout)
	defer cancel()
	err := tc.HandshakeContext(ctx)
	switch {
	case st.Fail && err == nil:
		return p.mismatch(st, "a successful handshake", nil)
	case st.Fail:
		p.note("(handshake failed: " + err.Error() + ")")
		return nil
	case err != nil:
		return p.mismatch(st, "a failed handshake", err)
	}
	p.conn = tc
	p.r = bufio.NewReader(tc)
	return nil
}

func (p *player) setReadDeadline() {
	_ = p.conn.SetReadDeadline(time.Now().Add(p.opts.Timeout))
}

// record adds data sent by side to the transcript, one line per line.
func (p *player) record(side Side, data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i+1], data[i+1:]
		}
		var s string
		if body, ok := bytes.CutSuffix(line, []byte("\r\n")); ok && isPrintable(body) {
			s = side.String() + ": " + string(body)
		} else {
			s = side.String() + "= " + fmt.Sprintf("%q", line)
		}
		p.note(s)
	}
}

func (p *player) note(s string) {
	p.mu.Lock()
	p.trans.WriteString(s + "\n")
	p.mu.Unlock()
	if p.opts.Logf != nil {
		p.opts.Logf("%s", s)
	}
}

func (p *player) transcript() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.trans.String()
}

func (p *player) mismatch(st *Step, got string, err error) error {
	return &MismatchError{
		Script:     p.script.Name,
		Step:       *st,
		Got:        got,
		Err:        err,
		Transcript: p.transcript(),
		ScriptText: p.script.Text,
	}
}

func isPrintable(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// closedByPeer reports errors that mean the peer has gone: EOF, or a reset after it closed
// with data of ours still unread.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed)
}
