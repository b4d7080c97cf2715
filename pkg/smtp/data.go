package smtp

import (
	"bufio"
	"bytes"
	"io"
)

// DataWriter encodes a mail for the DATA command (RFC 5321 §4.5.2): every line is sent with a
// CRLF ending and a line starting with '.' gets one more '.' in front. Close ends the data with
// ".\r\n".
//
// Line endings follow msmtp, so that a mail reaches the server as upstream would send it: LF
// and CRLF both become CRLF ("abc\r\r\n" becomes "abc\r" + CRLF); a bare CR inside a line is
// sent unchanged; a last line without an ending gets CRLF. Unlike upstream, the encoding does
// not depend on how the input is chunked: upstream drops a bare CR that happens to sit at byte
// 1022 of a long line (spec-mail-smtp.md §1.3).
//
// The writer streams: it holds no more than the caller's buffer, whatever the mail size.
type DataWriter struct {
	w         io.Writer
	lineStart bool  // the next byte starts a line
	lastCR    bool  // the last byte written was a CR (so a following LF completes a CRLF)
	size      int64 // msmtp's "mailsize": content bytes plus one per line ending
	closed    bool
}

// NewDataWriter returns a writer that encodes onto w. Wrap a net.Conn in a bufio.Writer
// first: the DataWriter writes in small pieces.
func NewDataWriter(w io.Writer) *DataWriter {
	return &DataWriter{w: w, lineStart: true}
}

var (
	crlf   = []byte("\r\n")
	lf     = []byte("\n")
	dot    = []byte(".")
	dotEnd = []byte(".\r\n")
)

// Write encodes p. It reports len(p) on success, whatever number of bytes went out.
func (d *DataWriter) Write(p []byte) (int, error) {
	if d.closed {
		return 0, io.ErrClosedPipe
	}
	n := len(p)
	for len(p) > 0 {
		if d.lineStart && p[0] == '.' {
			if _, err := d.w.Write(dot); err != nil {
				return 0, err
			}
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if _, err := d.w.Write(p); err != nil {
				return 0, err
			}
			d.size += int64(len(p))
			d.lineStart = false
			d.lastCR = p[len(p)-1] == '\r'
			break
		}
		line := p[:i] // without the LF
		cr := len(line) > 0 && line[len(line)-1] == '\r' || len(line) == 0 && d.lastCR && !d.lineStart
		if _, err := d.w.Write(line); err != nil {
			return 0, err
		}
		ending := crlf
		if cr {
			ending = lf // the CR is already out
		}
		if _, err := d.w.Write(ending); err != nil {
			return 0, err
		}
		d.size += int64(len(line)) + 1
		if cr {
			d.size-- // that CR belongs to the line ending, which counts once
		}
		d.lineStart, d.lastCR = true, false
		p = p[i+1:]
	}
	return n, nil
}

// Close completes an unterminated last line and writes the end-of-data line ".\r\n". It does
// not close or flush the underlying writer.
func (d *DataWriter) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if !d.lineStart {
		if _, err := d.w.Write(crlf); err != nil {
			return err
		}
		// A last line "last\r" goes out as "last\r\r\n", as upstream sends it: that CR
		// is content, not half of a line ending.
		d.size++
	}
	_, err := d.w.Write(dotEnd)
	return err
}

// Size returns msmtp's "mailsize" of what was written so far: the bytes of line content plus
// one per line ending (a CRLF counts once). Dot-stuffing and the end-of-data line are not
// counted.
func (d *DataWriter) Size() int64 { return d.size }

// DataReader decodes the DATA section a client sends (RFC 5321 §4.5.2): it removes the
// leading '.' a client adds to lines that start with one and ends at the line holding a single
// '.'. Everything else is passed through byte for byte, line endings included, so a mail is
// stored or relayed exactly as it was sent.
//
// The terminating line may end with CRLF or a bare LF: clients such as PHP's built-in Windows
// mailer send bare-LF bodies. This cannot be used to smuggle a second mail through msmtpd,
// because whatever is accepted here is re-encoded with DataWriter before it goes on.
//
// Lines of any length stream through; the reader never buffers a whole line. If the input ends
// before the terminating line, Read returns io.ErrUnexpectedEOF: the mail is incomplete and
// must not be delivered.
type DataReader struct {
	r     *bufio.Reader
	state dataState
	n     int64
}

type dataState int

const (
	stateLineStart dataState = iota // at the start of a line
	stateInLine                     // inside a line
	stateDone                       // the terminating line was read
)

// NewDataReader returns a reader of the data section that starts at r's position.
func NewDataReader(r *bufio.Reader) *DataReader {
	return &DataReader{r: r}
}

// Read reads decoded mail data.
func (d *DataReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		switch d.state {
		case stateDone:
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		case stateLineStart:
			b, err := d.r.Peek(1)
			if err != nil {
				return n, unexpected(err)
			}
			if b[0] == '.' {
				end, err := d.atTerminator()
				if err != nil {
					return n, unexpected(err)
				}
				if end {
					d.state = stateDone
					continue
				}
				// A stuffed dot: drop it, the rest of the line is data.
				if _, err := d.r.Discard(1); err != nil {
					return n, unexpected(err)
				}
			}
			d.state = stateInLine
		case stateInLine:
			buffered := d.r.Buffered()
			if buffered == 0 {
				if _, err := d.r.Peek(1); err != nil {
					return n, unexpected(err)
				}
				buffered = d.r.Buffered()
			}
			chunk, _ := d.r.Peek(min(buffered, len(p)-n))
			if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
				chunk = chunk[:i+1]
				d.state = stateLineStart
			}
			copy(p[n:], chunk)
			n += len(chunk)
			d.n += int64(len(chunk))
			_, _ = d.r.Discard(len(chunk))
		}
	}
	return n, nil
}

// atTerminator reports whether the line starting at the reader's position is "." followed by
// CRLF or LF, consuming it if so.
func (d *DataReader) atTerminator() (bool, error) {
	for _, t := range []string{".\n", ".\r\n"} {
		b, err := d.r.Peek(len(t))
		if err != nil && len(b) < len(t) {
			if err == io.EOF && len(b) > 0 && string(b) == t[:len(b)] {
				return false, err // input ends inside a possible terminator
			}
			if err != io.EOF {
				return false, err
			}
			continue
		}
		if string(b) == t {
			_, err := d.r.Discard(len(t))
			return true, err
		}
	}
	return false, nil
}

// Size returns the number of decoded bytes read so far.
func (d *DataReader) Size() int64 { return d.n }

// Done reports whether the terminating line has been read.
func (d *DataReader) Done() bool { return d.state == stateDone }

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
