package queue

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message"
)

// maxBounceHeaders bounds the copy of the original header section in a bounce; a header
// section is rarely over a few kilobytes, and a bounce need not carry more.
const maxBounceHeaders = 256 << 10

// errBounceAborted ends the bounce builder when the transport stopped reading.
var errBounceAborted = errors.New("bounce aborted")

// sendBounce returns the message to its sender for the recipients at idx: a delivery
// status notification (RFC 3464) sent through the account's session with the null
// sender, so that it can never bounce in turn. The bounce is built while it is sent; a
// failure to build it reaches the transport as a read error, which must abort the
// transaction (see Session.Send).
func (r *run) sendBounce(ctx context.Context, g *group, c *claimed, env *Envelope, idx []int) error {
	q := r.q
	b := Envelope{
		ID:         env.ID,
		Account:    env.Account,
		ConfigFile: env.ConfigFile,
		Sender:     "",
		Recipients: []Recipient{{Address: env.Sender, State: StatePending, Notify: []string{NotifyNever}}},
		Created:    q.clock.Now(),
		Extras:     env.Clone().Extras,
	}
	pr, pw := io.Pipe()
	built := make(chan error, 1)
	go func() {
		err := q.writeBounce(pw, c, env, idx)
		_ = pw.CloseWithError(err)
		built <- err
	}()
	outs, err := g.send(ctx, &Message{Envelope: b, Recipients: b.Recipients, Data: pr, Size: -1})
	_ = pr.CloseWithError(errBounceAborted)
	if berr := <-built; berr != nil && !errors.Is(berr, errBounceAborted) {
		return fmt.Errorf("building the bounce: %w", berr)
	}
	if err != nil {
		return err
	}
	if len(outs) == 0 || outs[0].Status != Delivered {
		o := Outcome{}
		if len(outs) > 0 {
			o = outs[0]
		}
		return errors.New(o.text())
	}
	return nil
}

// writeBounce writes the delivery status notification for the recipients at idx:
// multipart/report; report-type=delivery-status with a text for people, the
// message/delivery-status part, and the original message (RET=FULL) or its header
// section (text/rfc822-headers).
func (q *Queue) writeBounce(w io.Writer, c *claimed, env *Envelope, idx []int) error {
	now := q.clock.Now()
	domain := q.hostname
	if at := strings.LastIndexByte(env.Sender, '@'); at >= 0 && at < len(env.Sender)-1 {
		domain = env.Sender[at+1:]
	}
	var boundary [16]byte
	_, _ = rand.Read(boundary[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	var h message.Header
	// go-message writes header fields in the reverse order of Add. The boundary and
	// MIME-Version are set here, not left to CreateWriter, which would add them last
	// and so put them first.
	h.SetContentType("multipart/report", map[string]string{
		"report-type": "delivery-status",
		"boundary":    "=_msmtp_" + hex.EncodeToString(boundary[:]),
	})
	h.AddRaw([]byte("MIME-Version: 1.0\r\n"))
	h.Add("Auto-Submitted", "auto-replied")
	h.AddRaw(fmt.Appendf(nil, "Message-ID: <%s.%d.bounce@%s>\r\n", env.ID, now.UnixNano(), q.hostname))
	h.Add("Date", now.Format(time.RFC1123Z))
	h.Add("Subject", "Undelivered Mail Returned to Sender")
	h.Add("To", "<"+env.Sender+">")
	h.Add("From", "Mail Delivery System <MAILER-DAEMON@"+domain+">")
	mw, err := message.CreateWriter(w, h)
	if err != nil {
		return err
	}

	full := env.Ret == ReturnFull
	var text strings.Builder
	fmt.Fprintf(&text, "This is the mail delivery system at %s.\r\n\r\n", q.hostname)
	text.WriteString("Your message could not be delivered to one or more recipients.\r\n")
	if full {
		text.WriteString("It is attached below.\r\n\r\n")
	} else {
		text.WriteString("Its header section is attached below.\r\n\r\n")
	}
	for _, i := range idx {
		rc := &env.Recipients[i]
		fmt.Fprintf(&text, "<%s>: %s\r\n", rc.Address, rc.Error)
	}
	if err := writePart(mw, "text/plain", map[string]string{"charset": "utf-8"}, text.String()); err != nil {
		return err
	}

	var ds strings.Builder
	writeField(&ds, "Reporting-MTA", "dns; "+q.hostname)
	writeField(&ds, "X-Msmtp-Queue-ID", string(env.ID))
	if env.EnvID != "" {
		writeField(&ds, "Original-Envelope-Id", env.EnvID)
	}
	writeField(&ds, "Arrival-Date", env.Created.Format(time.RFC1123Z))
	for _, i := range idx {
		rc := &env.Recipients[i]
		ds.WriteString("\r\n")
		if rc.ORcpt != "" {
			writeField(&ds, "Original-Recipient", rc.ORcpt)
		}
		writeField(&ds, "Final-Recipient", "rfc822; "+rc.Address)
		writeField(&ds, "Action", "failed")
		writeField(&ds, "Status", cmpOr(rc.Status, "5.0.0"))
		if len(rc.Reply) > 0 {
			writeField(&ds, "Diagnostic-Code", "smtp; "+strings.Join(rc.Reply, " "))
		} else {
			writeField(&ds, "Diagnostic-Code", "X-Msmtp; "+rc.Error)
		}
		if !env.LastAttempt.IsZero() {
			writeField(&ds, "Last-Attempt-Date", env.LastAttempt.Format(time.RFC1123Z))
		}
	}
	if err := writePart(mw, "message/delivery-status", nil, ds.String()); err != nil {
		return err
	}

	data := io.NewSectionReader(c.data, 0, c.size)
	if full {
		eight, err := has8bit(data)
		if err != nil {
			return err
		}
		if _, err := data.Seek(0, io.SeekStart); err != nil {
			return err
		}
		pw, err := mw.CreatePart(partHeader("message/rfc822", nil, eight))
		if err != nil {
			return err
		}
		if err := copyCRLF(pw, data); err != nil {
			return err
		}
	} else {
		hdr, err := headerSection(data)
		if err != nil {
			return err
		}
		pw, err := mw.CreatePart(partHeader("text/rfc822-headers", nil, bytes8bit(hdr)))
		if err != nil {
			return err
		}
		if err := copyCRLF(pw, bytes.NewReader(hdr)); err != nil {
			return err
		}
	}
	return mw.Close()
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func partHeader(ctype string, params map[string]string, eightBit bool) message.Header {
	var h message.Header
	if eightBit {
		h.Set("Content-Transfer-Encoding", "8bit")
	} else {
		h.Set("Content-Transfer-Encoding", "7bit")
	}
	h.SetContentType(ctype, params)
	return h
}

func writePart(mw *message.Writer, ctype string, params map[string]string, body string) error {
	pw, err := mw.CreatePart(partHeader(ctype, params, bytes8bit([]byte(body))))
	if err != nil {
		return err
	}
	if _, err := io.WriteString(pw, body); err != nil {
		return err
	}
	return pw.Close()
}

// writeField writes one header-style field of a delivery-status part, folded at blanks
// so that no line passes 78 characters where that can be helped.
func writeField(b *strings.Builder, name, value string) {
	line := name + ":"
	for i, word := range strings.Fields(value) {
		if i > 0 && len(line)+1+len(word) > 78 {
			b.WriteString(line)
			b.WriteString("\r\n")
			line = "" // the continuation line starts with the blank added below
		}
		line += " " + word
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}

// headerSection returns the message's header fields, without the blank line that ends
// them (the whole message when it has no body), at most maxBounceHeaders bytes, cut at a
// line end.
func headerSection(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	var out []byte
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// An overlong line: keep what fits and go on reading the rest of it.
			err = nil
		}
		if len(out)+len(line) > maxBounceHeaders {
			return out, nil
		}
		if len(line) > 0 && line[len(line)-1] == '\n' && len(bytes.TrimRight(line, "\r\n")) == 0 {
			return out, nil
		}
		out = append(out, line...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func bytes8bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func has8bit(r io.Reader) (bool, error) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if bytes8bit(buf[:n]) {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// copyCRLF copies r to w turning bare LF line ends into CRLF, the line end of the MIME
// structure around it. msmtp stores messages as it reads them, often with LF.
func copyCRLF(w io.Writer, r io.Reader) error {
	buf := make([]byte, 32<<10)
	out := make([]byte, 0, 2*len(buf))
	prevCR := false
	for {
		n, err := r.Read(buf)
		out = out[:0]
		for _, c := range buf[:n] {
			if c == '\n' && !prevCR {
				out = append(out, '\r')
			}
			out = append(out, c)
			prevCR = c == '\r'
		}
		if len(out) > 0 {
			if _, werr := w.Write(out); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
