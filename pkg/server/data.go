package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// firstLineMax bounds how much of the mail is read ahead to learn its line ending: the
// RFC 5322 line limit plus CRLF. A longer first line leaves the default, CRLF.
const firstLineMax = 1000

// cmdData runs DATA: 354, then the message streamed to the backend, then the final reply.
func (ss *session) cmdData(arg string) error {
	var err error
	rejected := true
	switch {
	case strings.TrimSpace(arg) != "":
		err = ss.protocolError(smtp.CodeParamSyntaxError, smtp.EnhBadParams, "Syntax: DATA")
	case ss.tx == nil:
		err = ss.protocolError(smtp.CodeBadSequence, smtp.EnhBadCommand, "Send MAIL first")
	case len(ss.tx.rcpts) == 0 && ss.tx.rcptTried:
		// RFC 2920 §3.1: a pipelining client learns here that every RCPT failed.
		ss.reply(smtp.CodeTransactionFailed, smtp.EnhBadCommand, "No valid recipients")
	case len(ss.tx.rcpts) == 0:
		err = ss.protocolError(smtp.CodeBadSequence, smtp.EnhBadCommand, "Send RCPT first")
	default:
		rejected = false
	}
	if rejected {
		if err != nil {
			return err
		}
		// DATA must be the last command of a pipelined group (RFC 2920 §3.1). A client
		// that sent more before the 354 is sending its mail regardless of the answer;
		// taking its message as commands would execute whatever the mail contains.
		if ss.br.Buffered() > 0 {
			ss.reply(smtp.CodeServiceUnavailable, smtp.EnhTempProtocol, "Data sent before DATA was accepted, closing connection")
			_ = ss.flush()
			return errors.New("client sent data after a rejected DATA command")
		}
		return nil
	}

	ss.reply(smtp.CodeStartMailInput, smtp.EnhancedCode{}, "Send data")
	if err := ss.flush(); err != nil {
		return err
	}
	tx := ss.tx
	ds := &dataStream{
		dr:     smtp.NewDataReader(ss.br),
		max:    ss.srv.maxMessageBytes(),
		header: ss.receivedHeader(ss.srv.now(), tx.opts.SMTPUTF8),
	}
	ss.perRead = ss.srv.dataTimeout()
	if ss.perRead == 0 {
		_ = ss.raw.SetReadDeadline(time.Time{})
	}
	berr := ss.backend.Data(ds)
	if ds.ioErr == nil && !ds.dr.Done() {
		ds.drain()
	}
	ss.perRead = 0
	ss.endTx()
	ss.mails++

	attrs := []any{"helo", ss.info.Hello, "from", tx.from, "rcpts", tx.rcpts, "size", ds.size}
	if ds.ioErr != nil {
		if berr == nil {
			ss.log.Error("backend accepted a mail whose data was incomplete; it may have delivered a truncated mail", attrs...)
		}
		if isTimeout(ds.ioErr) {
			ss.log.Warn("mail aborted", append(attrs, "result", "timeout", "error", ds.ioErr)...)
			ss.reply(smtp.CodeServiceUnavailable, smtp.EnhTempNetwork, "Timeout exceeded, closing connection")
			_ = ss.flush()
			return fmt.Errorf("%w during DATA", ErrTimeout)
		}
		ss.log.Warn("mail aborted", append(attrs, "result", "disconnected", "error", ds.ioErr)...)
		if errors.Is(ds.ioErr, io.ErrUnexpectedEOF) {
			return fmt.Errorf("client ended session inside DATA: %w", io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("during DATA: %w", ds.ioErr)
	}

	var r *smtp.Reply
	switch {
	case ds.tooBig:
		code, enh := smtp.CodeExceededStorage, smtp.EnhMessageTooBig
		if !ss.enhanced() {
			enh = smtp.EnhancedCode{}
		}
		r = smtp.NewReply(code, enh, "Message size exceeds fixed maximum message size")
		attrs = append(attrs, "error", ErrMessageTooLarge)
	case berr == nil:
		enh := smtp.EnhOK
		if !ss.enhanced() {
			enh = smtp.EnhancedCode{}
		}
		r = smtp.NewReply(smtp.CodeOK, enh, "Ok")
	default:
		r = ss.backendError(berr, smtp.CodeTransactionFailed, "data")
		if !r.Positive() {
			// A backend accepts with its own text by returning a 2xx reply; that is
			// not an error.
			attrs = append(attrs, "error", berr)
		}
	}
	ss.send(r)
	attrs = append(attrs, "code", r.Code, "reply", r.Lines[0])
	if r.Positive() {
		ss.log.Info("mail accepted", append(attrs, "result", "accepted")...)
	} else {
		ss.log.Warn("mail rejected", append(attrs, "result", "rejected")...)
	}
	return nil
}

// dataStream is the reader a Session's Data gets: the Received header, then the decoded
// DATA section, with the size limit applied. Errors are sticky.
type dataStream struct {
	dr      *smtp.DataReader
	header  func(eol string) string
	max     int64 // 0: no limit
	started bool
	pending []byte // header and read-ahead still to be returned
	size    int64  // bytes of decoded data read so far
	err     error  // returned once pending is empty
	ioErr   error  // the connection failed: the mail is incomplete
	tooBig  bool
}

func (d *dataStream) Read(p []byte) (int, error) {
	if !d.started {
		d.start()
	}
	if len(d.pending) > 0 {
		n := copy(p, d.pending)
		d.pending = d.pending[n:]
		return n, nil
	}
	if d.err != nil {
		return 0, d.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := d.dr.Read(p)
	if d.count(n) {
		return 0, d.err
	}
	if err != nil {
		d.setErr(err)
	}
	return n, err
}

// start reads ahead up to the end of the first line to learn the mail's line ending, so
// that the Received header matches it (upstream writes a CRLF header above an LF mail).
func (d *dataStream) start() {
	d.started = true
	buf := make([]byte, firstLineMax)
	n, err := d.dr.Read(buf)
	buf = buf[:n]
	eol := "\r\n"
	if i := bytes.IndexByte(buf, '\n'); i == 0 || i > 0 && buf[i-1] != '\r' {
		eol = "\n"
	}
	d.pending = append([]byte(d.header(eol)), buf...)
	if d.count(n) {
		d.pending = nil
		return
	}
	if err != nil {
		d.setErr(err)
	}
}

// count adds n decoded bytes and reports whether the limit is now exceeded.
func (d *dataStream) count(n int) bool {
	d.size += int64(n)
	if d.max > 0 && d.size > d.max {
		d.tooBig = true
		d.err = ErrMessageTooLarge
		return true
	}
	return false
}

func (d *dataStream) setErr(err error) {
	d.err = err
	if err != io.EOF {
		d.ioErr = err
	}
}

// drain reads what the backend left of the data section, so that the session stays in step.
func (d *dataStream) drain() {
	if _, err := io.Copy(io.Discard, d.dr); err != nil {
		d.ioErr = err
	}
}
