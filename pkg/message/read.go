package message

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// DefaultMaxHeaderSize is the bound on the header section used when ReadOptions.MaxHeaderSize
// is zero. Real header sections are a few KiB; even a mail with thousands of recipients in its
// To field stays far below this.
const DefaultMaxHeaderSize = 4 << 20

// maxNamePeek bounds how far ReadHeader looks into the first line to decide whether it is a
// header field. RFC 5322 §2.1.1 limits lines to 998 characters, so a longer field name is not
// one.
const maxNamePeek = 1000

// ReadOptions says how to read a mail. The zero value treats every byte as data, as msmtp
// does whether or not -i is given.
type ReadOptions struct {
	// MaxHeaderSize bounds the header section, in bytes of input. Zero or less means
	// DefaultMaxHeaderSize.
	MaxHeaderSize int64

	// DotEndsInput makes a line consisting of a single '.' (followed by LF, CRLF or the end of
	// the input) end the mail, in the header section or in the body; the line and everything
	// after it are not part of the mail. This is sendmail's rule when neither -i nor -oi is
	// given, which callers such as Symfony Mailer rely on (peers.md §4 row 7). msmtp ignores
	// it and reads on; we follow sendmail and Postfix. Keep it false for mail that did not
	// come from a sendmail-style caller (for example mail received over SMTP).
	DotEndsInput bool
}

func (o ReadOptions) limit() int64 {
	if o.MaxHeaderSize <= 0 {
		return DefaultMaxHeaderSize
	}
	return o.MaxHeaderSize
}

// ReadHeader reads the header section of a mail from r and leaves r at the start of the body,
// to be read with NewBody (with the same options).
//
// The header section ends after the first empty line (spec-mail-smtp.md §1.2); without one,
// the whole input is header and the body is empty. Lines are kept as they are: NUL bytes,
// 8-bit bytes and lines of any length pass unchanged. Every CR is deleted except one directly
// before LF, as msmtp does, so "Subject: bare\rcr" becomes "Subject: barecr" while CRLF line
// ends stay intact for the SMTP data writer.
//
// Differences from msmtp:
//   - A first line "From " (an mbox separator) is dropped.
//   - If the first line is not a header field (a field name of printable ASCII followed by
//     optional blanks and ':') and not empty, the mail has no header section: ReadHeader
//     consumes nothing more and the whole input is the body. When the header is written, an
//     empty line then separates the generated fields from the body. An empty mail is treated
//     the same way. msmtp treats any first paragraph as header (§1.4, §11.9). The decision
//     looks at the first 1000 bytes of the line at most, and no further than r's buffer
//     (bufio.NewReader's 4096 bytes are enough), without consuming them.
//   - With DotEndsInput, a lone-dot line ends the mail (see ReadOptions).
//
// The error is a *HeaderTooLargeError when the header section exceeds the bound, or an
// *InputError when r fails.
func ReadHeader(r *bufio.Reader, opts ReadOptions) (*Header, error) {
	hr := headerReader{r: r, opts: opts, limit: opts.limit(), h: &Header{}}
	if err := hr.read(); err != nil {
		return nil, err
	}
	return hr.h, nil
}

// headerReader is the state of one ReadHeader call.
type headerReader struct {
	r        *bufio.Reader
	opts     ReadOptions
	limit    int64
	consumed int64
	h        *Header
	prevCR   bool // the last byte consumed was a CR (deleted unless LF follows)
}

func (hr *headerReader) read() error {
	if end, err := hr.atEnd(); err != nil || end {
		hr.h.noHeader = true
		return err
	}
	if b, _ := hr.r.Peek(5); string(b) == "From " {
		// An mbox separator line, written by programs that pipe a mailbox entry; it is not a
		// header field. Drop it.
		if err := hr.discardLine(); err != nil {
			return err
		}
		if end, err := hr.atEnd(); err != nil || end {
			hr.h.noHeader = true
			return err
		}
	}
	isHeader, err := firstLineIsHeader(hr.r)
	if err != nil {
		return &InputError{Err: err}
	}
	if !isHeader {
		hr.h.noHeader = true
		return nil
	}
	h := hr.h
	for {
		start := len(h.raw)
		eof, err := hr.readLine()
		if err != nil {
			return err
		}
		line := h.raw[start:]
		switch {
		case len(line) == 0:
			// The input ended at a line start.
		case string(line) == "\n" || string(line) == "\r\n":
			h.sep = string(line)
			h.raw = h.raw[:start]
			return nil
		case (line[0] == ' ' || line[0] == '\t') && len(h.fields) > 0:
			h.fields[len(h.fields)-1].end = len(h.raw)
		default:
			f := field{start: start, end: len(h.raw), nameEnd: -1}
			if i := bytes.IndexByte(line, ':'); i >= 0 {
				f.nameEnd = start + i
			}
			h.fields = append(h.fields, f)
		}
		if eof {
			return nil
		}
		if end, err := hr.atEnd(); err != nil || end {
			return err
		}
	}
}

// atEnd reports whether the input ends here, at a line start: at EOF, or, with DotEndsInput,
// at a lone-dot line, which is left unread so that NewBody stops at it as well.
func (hr *headerReader) atEnd() (bool, error) {
	if _, err := hr.r.Peek(1); err != nil {
		if err == io.EOF {
			return true, nil
		}
		return false, &InputError{Err: err}
	}
	if !hr.opts.DotEndsInput {
		return false, nil
	}
	lone, err := loneDot(hr.r, true)
	if err != nil {
		return false, &InputError{Err: err}
	}
	return lone, nil
}

// take counts n consumed bytes against the bound.
func (hr *headerReader) take(n int) error {
	hr.consumed += int64(n)
	if hr.consumed > hr.limit {
		return &HeaderTooLargeError{Limit: hr.limit}
	}
	return nil
}

// discardLine consumes one line, counting it against the bound.
func (hr *headerReader) discardLine() error {
	for {
		frag, err := hr.r.ReadSlice('\n')
		if e := hr.take(len(frag)); e != nil {
			return e
		}
		switch {
		case err == nil, err == io.EOF:
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
		default:
			return &InputError{Err: err}
		}
	}
}

// readLine appends one line to the raw header, deleting CRs that do not precede LF. eof is
// true when the line ended at the end of the input instead of at LF.
func (hr *headerReader) readLine() (eof bool, err error) {
	for {
		frag, rerr := hr.r.ReadSlice('\n')
		if e := hr.take(len(frag)); e != nil {
			return false, e
		}
		hr.appendClean(frag)
		switch {
		case rerr == nil:
			return false, nil
		case rerr == io.EOF:
			hr.prevCR = false // a CR at the very end precedes no LF: deleted
			return true, nil
		case errors.Is(rerr, bufio.ErrBufferFull):
		default:
			return false, &InputError{Err: rerr}
		}
	}
}

// appendClean appends frag to the raw header without CRs, except that a CR directly before
// LF (possibly at the end of the previous fragment) is kept.
func (hr *headerReader) appendClean(frag []byte) {
	h := hr.h
	for len(frag) > 0 {
		i := bytes.IndexAny(frag, "\r\n")
		if i < 0 {
			if hr.prevCR {
				hr.prevCR = false
			}
			h.raw = append(h.raw, frag...)
			return
		}
		if i > 0 {
			hr.prevCR = false
			h.raw = append(h.raw, frag[:i]...)
		}
		if frag[i] == '\r' {
			hr.prevCR = true
		} else {
			if hr.prevCR {
				h.raw = append(h.raw, '\r')
			}
			hr.prevCR = false
			h.raw = append(h.raw, '\n')
		}
		frag = frag[i+1:]
	}
}

// firstLineIsHeader reports whether the line at the start of r is a header field or the empty
// line, without consuming anything. CRs are ignored, as they are deleted from the header.
func firstLineIsHeader(r *bufio.Reader) (bool, error) {
	limit := min(maxNamePeek, r.Size())
	nameLen := 0
	afterName := false
	for i := 0; i < limit; i++ {
		b, err := r.Peek(i + 1)
		if len(b) <= i {
			if err == io.EOF || errors.Is(err, bufio.ErrBufferFull) {
				return false, nil
			}
			return false, err
		}
		switch c := b[i]; {
		case c == '\r':
		case c == '\n':
			return nameLen == 0, nil // the empty line: an empty header section
		case c == ':':
			return nameLen > 0, nil
		case c == ' ' || c == '\t':
			// RFC 5322 §4.5 obs-optional allows blanks between the name and the colon, but a
			// line starting with a blank is a continuation line without a field.
			if nameLen == 0 {
				return false, nil
			}
			afterName = true
		case c > ' ' && c < 0x7f && !afterName: // ftext, RFC 5322 §3.6.8
			nameLen++
		default:
			return false, nil
		}
	}
	return false, nil
}

// loneDot reports whether r is at a line holding a single '.', followed by LF, CRLF or the end
// of the input. With block false it decides from the buffered bytes only and reports an
// undecidable case as io.ErrNoProgress.
func loneDot(r *bufio.Reader, block bool) (bool, error) {
	for n := 1; n <= 3; n++ {
		if !block && r.Buffered() < n {
			return false, io.ErrNoProgress
		}
		b, err := r.Peek(n)
		if len(b) < n {
			if err == io.EOF {
				// ".": the input ends after the dot. Anything shorter is not a lone dot.
				return len(b) == 1 && b[0] == '.', nil
			}
			return false, err
		}
		switch n {
		case 1:
			if b[0] != '.' {
				return false, nil
			}
		case 2:
			if b[1] == '\n' {
				return true, nil
			}
			if b[1] != '\r' {
				return false, nil
			}
		case 3:
			return b[2] == '\n', nil
		}
	}
	return false, nil
}

// NewBody returns a reader of the body of a mail, r being positioned after the header section
// by ReadHeader (called with the same options). The body is copied as it is, in constant
// memory; with DotEndsInput it ends at a lone-dot line. Errors from r other than io.EOF are
// returned as *InputError.
func NewBody(r *bufio.Reader, opts ReadOptions) io.Reader {
	return &bodyReader{r: r, dotEnds: opts.DotEndsInput, atLineStart: true}
}

// newlineDot is where a line starting with a dot begins, the only lines the lone-dot rule
// has to look at.
var newlineDot = []byte("\n.")

// bodyReader streams the body. It tracks line starts only for the lone-dot rule.
type bodyReader struct {
	r           *bufio.Reader
	dotEnds     bool
	atLineStart bool
	done        bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !b.dotEnds {
		n, err := b.r.Read(p)
		return n, b.wrap(err)
	}
	n := 0
	for n < len(p) {
		if b.atLineStart {
			// Decide about the next line; block only while nothing has been copied, so data
			// already available is never held back waiting for more.
			lone, err := loneDot(b.r, n == 0)
			if errors.Is(err, io.ErrNoProgress) {
				break
			}
			if err != nil {
				return n, b.wrap(err)
			}
			if lone {
				b.done = true
				if n == 0 {
					return 0, io.EOF
				}
				break
			}
			// Without -i, sendmail reads standard input with SMTP's transparency: a line
			// starting with two dots loses one (sendmail's collect). Callers that dot-stuff
			// for it, such as Symfony Mailer's -t mode, depend on that (symfony#50875);
			// Postfix does not do it, which is why their links got doubled dots.
			// (A first '.' made loneDot look at two bytes, so peeking them cannot block.)
			if b1, _ := b.r.Peek(1); len(b1) == 1 && b1[0] == '.' {
				if b2, _ := b.r.Peek(2); len(b2) == 2 && b2[1] == '.' {
					_, _ = b.r.Discard(1)
				}
				b.atLineStart = false
			}
		}
		if b.r.Buffered() == 0 {
			if n > 0 {
				break
			}
			if _, err := b.r.Peek(1); err != nil {
				return 0, b.wrap(err)
			}
		}
		chunk, _ := b.r.Peek(min(b.r.Buffered(), len(p)-n))
		// Only a line that starts with '.' can be a lone dot, so copy up to the next such
		// line in one go (or the whole chunk) instead of line by line: a 64 MiB body is
		// read about twice as fast (BenchmarkBody).
		b.atLineStart = chunk[len(chunk)-1] == '\n'
		if i := bytes.Index(chunk, newlineDot); i >= 0 {
			chunk = chunk[:i+1]
			b.atLineStart = true
		}
		n += copy(p[n:], chunk)
		_, _ = b.r.Discard(len(chunk))
	}
	return n, nil
}

func (b *bodyReader) wrap(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return &InputError{Err: err}
}
