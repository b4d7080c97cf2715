package smtp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits a client applies to the replies it reads. They are msmtp's: a server that exceeds
// them is broken or hostile, and msmtp reports it rather than reading without bound.
const (
	// MaxReplyLineBytes is the longest reply line accepted, line ending included: a
	// 1021-character line plus CRLF is fine, one byte more is an invalid reply.
	MaxReplyLineBytes = 1023
	// MaxReplyLines is the largest number of lines in one multi-line reply.
	MaxReplyLines = 50
)

// Errors returned by ReadReply for a reply that breaks the syntax of RFC 5321 §4.2.
var (
	// ErrEmptyReply means the connection ended before the first byte of a reply.
	ErrEmptyReply = errors.New("the server sent an empty reply")
	// ErrInvalidReply means a reply line was not three digits followed by a blank or a
	// hyphen, was longer than MaxReplyLineBytes, or the connection ended inside a reply.
	ErrInvalidReply = errors.New("the server sent an invalid reply")
	// ErrReplyTooLong means a multi-line reply had more than MaxReplyLines lines.
	//
	//lint:ignore ST1005 this is upstream's exact wording, which users may search for
	ErrReplyTooLong = errors.New("Rejecting server reply that is longer than 50 lines. Increase SMTP_MAXLINES.")
)

// Common reply codes (RFC 5321 §4.2.2 and §4.2.3). Named so that code reads as the RFC does.
const (
	CodeSystemStatus        = 211
	CodeHelp                = 214
	CodeServiceReady        = 220
	CodeServiceClosing      = 221
	CodeAuthSucceeded       = 235 // RFC 4954
	CodeOK                  = 250
	CodeUserNotLocal        = 251
	CodeCannotVerify        = 252
	CodeAuthContinue        = 334 // RFC 4954
	CodeStartMailInput      = 354
	CodeServiceUnavailable  = 421
	CodeMailboxBusy         = 450
	CodeLocalError          = 451
	CodeInsufficientStorage = 452
	CodeTempAuthFailure     = 454 // RFC 4954
	CodeSyntaxError         = 500
	CodeParamSyntaxError    = 501
	CodeNotImplemented      = 502
	CodeBadSequence         = 503
	CodeParamNotImplemented = 504
	CodeAuthRequired        = 530 // RFC 4954
	CodeAuthFailed          = 535 // RFC 4954
	CodeMailboxUnavailable  = 550
	CodeUserNotLocalTryFwd  = 551
	CodeExceededStorage     = 552
	CodeMailboxNameInvalid  = 553
	CodeTransactionFailed   = 554
	CodeParamsNotRecognized = 555
)

// Reply is one SMTP reply: a three-digit code and one or more lines of text.
//
// Lines holds every line exactly as it was sent, code and separator included but without the
// line ending ("250-mx.example.org", "250 SIZE 10240000"). msmtp reports and logs replies in
// that raw form (`server message: 554 go away`, `smtpmsg='250 OK queued'`), and keeping the
// raw lines also keeps a server's oddities (a continuation line with a different code) visible.
//
// Reply implements error, so a server's refusal can travel up the stack unchanged and a
// backend of pkg/server can choose the exact reply by returning one.
type Reply struct {
	Code  int
	Lines []string
}

// NewReply builds a reply to send. Each text line becomes one reply line; when enhanced is
// not the zero value it is written before the text of every line (RFC 2034 §3). With no text
// the reply is the bare code.
func NewReply(code int, enhanced EnhancedCode, text ...string) *Reply {
	if len(text) == 0 {
		text = []string{""}
	}
	r := &Reply{Code: code, Lines: make([]string, len(text))}
	for i, t := range text {
		sep := "-"
		if i == len(text)-1 {
			sep = " "
		}
		line := fmt.Sprintf("%03d%s", code, sep)
		switch {
		case enhanced.IsZero():
			// An empty text keeps its blank ("334 "): RFC 4954 servers send an empty
			// challenge that way, and upstream msmtpd does too.
			line += t
		case t == "":
			line += enhanced.String()
		default:
			line += enhanced.String() + " " + t
		}
		r.Lines[i] = line
	}
	return r
}

// Error returns the reply's lines joined by newlines, as msmtp shows them.
func (r *Reply) Error() string { return strings.Join(r.Lines, "\n") }

// Text returns the text of each line without the code and separator.
func (r *Reply) Text() []string {
	out := make([]string, len(r.Lines))
	for i, l := range r.Lines {
		if len(l) > 4 {
			out[i] = l[4:]
		}
	}
	return out
}

// Enhanced returns the enhanced status code at the start of the first line's text
// (RFC 3463), if there is one.
func (r *Reply) Enhanced() (EnhancedCode, bool) {
	if len(r.Lines) == 0 {
		return EnhancedCode{}, false
	}
	t := r.Text()[0]
	word, _, _ := strings.Cut(t, " ")
	return ParseEnhancedCode(word)
}

// Positive reports a 2xx reply.
func (r *Reply) Positive() bool { return r.Code >= 200 && r.Code < 300 }

// Intermediate reports a 3xx reply.
func (r *Reply) Intermediate() bool { return r.Code >= 300 && r.Code < 400 }

// Temporary reports a 4xx reply: the same command may succeed later.
func (r *Reply) Temporary() bool { return r.Code >= 400 && r.Code < 500 }

// Permanent reports a 5xx reply.
func (r *Reply) Permanent() bool { return r.Code >= 500 && r.Code < 600 }

// WriteTo writes the reply's lines, each ended by CRLF.
func (r *Reply) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, l := range r.Lines {
		m, err := io.WriteString(w, l+"\r\n")
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ReadReply reads one reply from r (RFC 5321 §4.2). As msmtp does, the code is taken from the
// first line only; later lines must be syntactically valid but their codes are not compared.
// Bare LF line endings are accepted.
//
// Errors: ErrEmptyReply when the input ends before the first byte; ErrInvalidReply for a
// malformed or over-long line or a reply cut short; ErrReplyTooLong for more than
// MaxReplyLines lines; any other error is the reader's own (a timeout, a reset connection),
// returned unwrapped so the caller can classify it. On error the lines read so far are
// returned in the reply (which may be nil), so a transcript can show them.
func ReadReply(r *bufio.Reader) (*Reply, error) {
	var reply *Reply
	for n := 0; ; n++ {
		if n == MaxReplyLines {
			return reply, ErrReplyTooLong
		}
		line, err := readReplyLine(r)
		if err != nil {
			if err == io.EOF {
				if n == 0 && line == "" {
					return nil, ErrEmptyReply
				}
				return reply, ErrInvalidReply
			}
			return reply, err
		}
		code, last, ok := parseReplyLine(line)
		if !ok {
			return reply, ErrInvalidReply
		}
		if reply == nil {
			reply = &Reply{Code: code}
		}
		reply.Lines = append(reply.Lines, line)
		if last {
			return reply, nil
		}
	}
}

// readReplyLine reads one line and strips its LF and an optional CR before it. A line that
// does not end within MaxReplyLineBytes is an invalid reply; a partial line at EOF is returned
// with io.EOF.
func readReplyLine(r *bufio.Reader) (string, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > MaxReplyLineBytes {
			return "", ErrInvalidReply
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return string(buf), err
		}
		break
	}
	line := buf[:len(buf)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return string(line), nil
}

// parseReplyLine checks "DDD" followed by ' ' or '-' (or nothing: "250" alone is a valid last
// line per RFC 5321 §4.2, whose text is optional).
func parseReplyLine(line string) (code int, last bool, ok bool) {
	if len(line) < 3 {
		return 0, false, false
	}
	for i := 0; i < 3; i++ {
		if line[i] < '0' || line[i] > '9' {
			return 0, false, false
		}
	}
	code, _ = strconv.Atoi(line[:3])
	if len(line) == 3 {
		return code, true, true
	}
	switch line[3] {
	case ' ':
		return code, true, true
	case '-':
		return code, false, true
	}
	return 0, false, false
}
