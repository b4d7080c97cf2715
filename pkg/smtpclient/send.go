package smtpclient

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// DSNReturn is the RET parameter of MAIL (RFC 3461 §4.3).
type DSNReturn string

// RET values; the zero value sends no RET.
const (
	ReturnFull    DSNReturn = "FULL"
	ReturnHeaders DSNReturn = "HDRS"
)

// Envelope is what Send puts into MAIL and RCPT.
type Envelope struct {
	// From is the envelope sender, sent as given in `MAIL FROM:<From>` ("" for <>).
	From string
	// Recipients get one RCPT each, in this order; a recipient may appear twice.
	Recipients []Recipient
	// Return is RET= (DSN).
	Return DSNReturn
	// EnvelopeID is ENVID= (DSN), sent as xtext (RFC 3461 §4); msmtp never sends it.
	EnvelopeID string
	// Size, when positive, is the mail's size in bytes. It is sent as SIZE= when the
	// server advertises SIZE (RFC 1870), and a mail larger than the server's limit fails
	// with ErrTooBig before anything is sent. msmtp sends no SIZE=.
	Size int64
}

// Recipient is one RCPT TO.
type Recipient struct {
	// Address is sent as given in `RCPT TO:<Address>`.
	Address string
	// Notify is the NOTIFY= value (DSN), such as "NEVER" or "FAILURE,DELAY"; "" sends
	// none.
	Notify string
	// OriginalRecipient, when set, is sent as ORCPT= (RFC 3461 §4.2) with address type
	// rfc822, or utf-8 for a non-ASCII address (RFC 6533). msmtp never sends it.
	OriginalRecipient string
}

// RecipientResult is what the server said about one recipient.
type RecipientResult struct {
	Recipient Recipient
	// Rcpt is the reply to RCPT TO; nil when the command was not sent or not answered.
	Rcpt *smtp.Reply
	// Data is, for LMTP, this recipient's reply after the data (RFC 2033 §4.2); nil for
	// SMTP and when no reply came.
	Data *smtp.Reply
}

// Accepted reports whether the mail was delivered to this recipient: for SMTP an accepted
// RCPT (the caller checks the whole transaction), for LMTP a 250 after the data.
func (r RecipientResult) Accepted(p Protocol) bool {
	if p == LMTP {
		return r.Data != nil && r.Data.Code == smtp.CodeOK
	}
	return r.Rcpt != nil && (r.Rcpt.Code == smtp.CodeOK || r.Rcpt.Code == smtp.CodeUserNotLocal)
}

// Result is the outcome of Send, also on failure.
type Result struct {
	// Recipients are the per-recipient results in RCPT order (a slice, not a map: the
	// same address given twice has two results).
	Recipients []RecipientResult
	// Reply is the final reply: after the data for SMTP, or the last recipient's reply
	// for LMTP; nil when the data was not sent. msmtp logs it as smtpstatus and smtpmsg.
	Reply *smtp.Reply
	// Size is msmtp's mailsize: the bytes of the mail as read, with each line ending
	// counted as one byte (smtp.DataWriter.Size).
	Size int64
}

// pipelineBatch is the most commands msmtp writes before reading replies
// (spec-mail-smtp.md §2.6).
const pipelineBatch = 100

// command is one command of the envelope, with what its reply must be.
type command struct {
	op   Op
	line string
	addr string // the sender or recipient, for messages
	rcpt int    // index into the recipients, for OpRcpt
}

// Send runs one mail transaction: MAIL FROM, RCPT TO for each recipient, DATA, the mail read
// from body (line endings made CRLF, dot-stuffed: smtp.DataWriter), and the final ".". With
// PIPELINING the commands go out in batches of at most 100 with one write each, and the
// replies are read afterwards. MAIL needs 250, RCPT 250 or 251, DATA 354, the end of the
// data 250 (for LMTP one 250 per recipient); the first other reply ends the transaction,
// and a single refused recipient fails the whole mail, as with msmtp.
//
// The result is returned also on failure, with what the server said so far. Errors are
// *Error, with upstream's texts: `envelope from address A not accepted by the server`,
// `recipient address R not accepted by the server`, `the server does not accept mail data`,
// `the server did not accept the mail` (ErrRejected, with the reply); for LMTP `could not
// send mail to all recipients` (ErrRejected, per-recipient replies in the result); `the
// server does not support DSN` (ErrUnsupported) when the envelope uses DSN without the
// capability; ErrTooBig; ErrInput when body fails; ErrIO and ErrProtocol for the
// connection. After an error with the session still usable, call Reset before the next
// Send.
func (c *Client) Send(ctx context.Context, env Envelope, body io.Reader) (*Result, error) {
	res := &Result{Recipients: make([]RecipientResult, len(env.Recipients))}
	for i, r := range env.Recipients {
		res.Recipients[i].Recipient = r
	}
	if err := c.usable(OpMail); err != nil {
		return res, err
	}
	cmds, err := c.envelopeCommands(env)
	if err != nil {
		return res, err
	}
	defer c.dc.watch(ctx)()
	if err := c.sendEnvelope(cmds, res); err != nil {
		return res, err
	}
	if err := c.sendData(body, res); err != nil {
		return res, err
	}
	return res, c.readFinal(res)
}

// envelopeCommands builds MAIL, the RCPTs and DATA (spec-mail-smtp.md §2.6).
func (c *Client) envelopeCommands(env Envelope) ([]command, error) {
	usesDSN := env.Return != "" || env.EnvelopeID != ""
	utf8Needed := !smtp.IsASCII(env.From)
	if err := checkLine(OpMail, "envelope from address", env.From); err != nil {
		return nil, err
	}
	for _, r := range env.Recipients {
		usesDSN = usesDSN || r.Notify != "" || r.OriginalRecipient != ""
		utf8Needed = utf8Needed || !smtp.IsASCII(r.Address)
		for _, v := range []string{r.Address, r.Notify, r.OriginalRecipient} {
			if err := checkLine(OpRcpt, "recipient", v); err != nil {
				return nil, err
			}
		}
		if strings.ContainsAny(r.Notify, " ") {
			return nil, newError(OpRcpt, "invalid NOTIFY value "+strconv.Quote(r.Notify), nil, ErrInvalidArgument)
		}
	}
	if usesDSN && !c.caps.DSN {
		return nil, unsupported(OpMail, "the server does not support DSN")
	}
	if env.Size > 0 && c.caps.HasSize && c.caps.Size > 0 && env.Size > c.caps.Size {
		return nil, newError(OpMail, fmt.Sprintf("the mail is too big for the server: %d bytes, the limit is %d bytes", env.Size, c.caps.Size), nil, ErrTooBig)
	}
	var b strings.Builder
	b.WriteString("MAIL FROM:<" + env.From + ">")
	if env.Size > 0 && c.caps.HasSize {
		b.WriteString(" SIZE=" + strconv.FormatInt(env.Size, 10))
	}
	switch env.Return {
	case "":
	case ReturnFull, ReturnHeaders:
		b.WriteString(" RET=" + string(env.Return))
	default:
		return nil, newError(OpMail, "invalid RET value "+strconv.Quote(string(env.Return)), nil, ErrInvalidArgument)
	}
	if env.EnvelopeID != "" {
		b.WriteString(" ENVID=" + xtext(env.EnvelopeID))
	}
	// RFC 6531 §3.4: SMTPUTF8 whenever an address is not ASCII, in the local part too
	// (msmtp 1.8.33 looks only at domains, spec-mail-smtp.md §11.16). Without the
	// capability the addresses go out as they are, as with msmtp.
	if utf8Needed && c.caps.SMTPUTF8 {
		b.WriteString(" SMTPUTF8")
	}
	cmds := []command{{op: OpMail, line: b.String(), addr: env.From}}
	for i, r := range env.Recipients {
		line := "RCPT TO:<" + r.Address + ">"
		if r.Notify != "" {
			line += " NOTIFY=" + r.Notify
		}
		if r.OriginalRecipient != "" {
			line += " ORCPT=" + orcpt(r.OriginalRecipient)
		}
		cmds = append(cmds, command{op: OpRcpt, line: line, addr: r.Address, rcpt: i})
	}
	return append(cmds, command{op: OpData, line: "DATA"}), nil
}

// sendEnvelope sends the commands, pipelined when the server allows it, and checks the
// replies.
func (c *Client) sendEnvelope(cmds []command, res *Result) error {
	batch := 1
	if c.caps.Pipelining {
		batch = pipelineBatch
	}
	for start := 0; start < len(cmds); start += batch {
		part := cmds[start:min(start+batch, len(cmds))]
		for _, cmd := range part {
			if err := c.queue(cmd.op, cmd.line, cmd.line); err != nil {
				return err
			}
		}
		if err := c.flush(part[0].op); err != nil {
			return err
		}
		for i, cmd := range part {
			r, err := c.readReply(cmd.op)
			if err != nil {
				return err
			}
			if cmd.op == OpRcpt {
				res.Recipients[cmd.rcpt].Rcpt = r
			}
			if failure := c.checkEnvelopeReply(cmd, r, res); failure != nil {
				c.drainReplies(part[i+1:], res)
				return failure
			}
		}
	}
	return nil
}

func (c *Client) checkEnvelopeReply(cmd command, r *smtp.Reply, res *Result) *Error {
	switch cmd.op {
	case OpMail:
		if r.Code != smtp.CodeOK {
			return replyError(OpMail, "envelope from address "+cmd.addr+" not accepted by the server", r, ErrRejected)
		}
	case OpRcpt:
		if r.Code != smtp.CodeOK && r.Code != smtp.CodeUserNotLocal {
			e := replyError(OpRcpt, "recipient address "+cmd.addr+" not accepted by the server", r, ErrRejected)
			e.Recipient = cmd.addr
			return e
		}
	case OpData:
		if r.Code != smtp.CodeStartMailInput {
			return replyError(OpData, "the server does not accept mail data", r, ErrRejected)
		}
	}
	return nil
}

// drainReplies reads the replies to commands already pipelined after a failed one, within
// the short bound, so that the session ends in a known state and the transcript is complete.
// If DATA was among them and got 354, the server is waiting for the mail: the session cannot
// be ended politely without delivering an empty mail, so it is marked broken and closed
// without QUIT.
func (c *Client) drainReplies(rest []command, res *Result) {
	if len(rest) == 0 {
		return
	}
	c.dc.setTimeout(c.shortTimeout())
	defer c.dc.setTimeout(c.opts.Timeout)
	for _, cmd := range rest {
		r, err := c.readReply(cmd.op)
		if err != nil {
			return // readReply marked the session broken
		}
		if cmd.op == OpRcpt {
			res.Recipients[cmd.rcpt].Rcpt = r
		}
		if cmd.op == OpData && r.Code == smtp.CodeStartMailInput {
			c.broken = true
		}
	}
}

// sendData streams the mail and the final ".".
func (c *Client) sendData(body io.Reader, res *Result) error {
	var w io.Writer = c.w
	if c.tr != nil {
		w = dataTee{w: c.w, t: c.tr}
	}
	dw := smtp.NewDataWriter(w)
	if c.buf == nil {
		c.buf = make([]byte, copyBufferSize)
	}
	for {
		n, rerr := body.Read(c.buf)
		if n > 0 {
			if _, err := dw.Write(c.buf[:n]); err != nil {
				res.Size = dw.Size()
				return c.dataWriteFailed(err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			// Without the final "." the server discards what it got; sending it would
			// deliver a truncated mail.
			res.Size = dw.Size()
			c.broken = true
			return newError(OpData, rerr.Error(), rerr, ErrInput)
		}
	}
	err := dw.Close()
	res.Size = dw.Size() // after Close, which counts the ending of an unterminated last line
	if err != nil {
		return c.dataWriteFailed(err)
	}
	if err := c.w.Flush(); err != nil {
		return c.dataWriteFailed(err)
	}
	return nil
}

// dataWriteFailed reports a write error during the data. A server that gives up early
// often says why before it closes; if a reply is already there, it is kept in the error for
// the `server message:` lines.
func (c *Client) dataWriteFailed(err error) error {
	e := c.ioFailed(OpData, writing, err)
	c.dc.setTimeout(c.shortTimeout())
	if r, rerr := smtp.ReadReply(c.r); rerr == nil {
		e.Reply = r
	}
	return e
}

// readFinal reads the reply (SMTP) or replies (LMTP) after the data.
func (c *Client) readFinal(res *Result) error {
	if c.opts.Protocol != LMTP {
		r, err := c.readReply(OpEndOfData)
		if err != nil {
			return err
		}
		res.Reply = r
		if r.Code != smtp.CodeOK {
			return replyError(OpEndOfData, "the server did not accept the mail", r, ErrRejected)
		}
		return nil
	}
	failed := false
	for i := range res.Recipients {
		r, err := c.readReply(OpEndOfData)
		if err != nil {
			return err
		}
		res.Recipients[i].Data = r
		res.Reply = r
		failed = failed || r.Code != smtp.CodeOK
	}
	if failed {
		return newError(OpEndOfData, "could not send mail to all recipients", nil, ErrRejected)
	}
	return nil
}

// xtext encodes a DSN parameter value (RFC 3461 §4): '+', '=' and bytes outside '!'..'~'
// become "+HH".
func xtext(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' || c == '+' || c == '=' {
			fmt.Fprintf(&b, "+%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// orcpt formats the ORCPT value: rfc822;xtext for an ASCII address, utf-8;utf-8-addr-xtext
// (RFC 6533 §3) otherwise, where '+', '=', '\' and controls become \x{HEX} and other
// characters stay as they are.
func orcpt(addr string) string {
	if smtp.IsASCII(addr) {
		return "rfc822;" + xtext(addr)
	}
	var b strings.Builder
	b.WriteString("utf-8;")
	for i, r := range addr {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(addr[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x{%X}`, addr[i]) // an invalid byte, kept visible
		case r < '!' || r == '+' || r == '=' || r == '\\' || r == 0x7f:
			fmt.Fprintf(&b, `\x{%X}`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
