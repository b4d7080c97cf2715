// Package relay connects the two halves of the project: it is a pkg/server Backend that
// delivers each mail it receives through pkg/delivery, as `msmtp -f SENDER -- RECIPIENTS`
// would, but in-process. msmtpd uses it for --account, and msmtp for -bs (SMTP on standard
// input and output, as Symfony, Laravel and Nextcloud call sendmail).
//
// It also owns the one mapping from a delivery's exit status to the SMTP reply msmtpd gives
// (spec-mail-smtp.md §8.3 item 9), which msmtpd's --command backend shares.
package relay

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/oauth2"
	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtp"
	"github.com/msmtp-go/msmtp/pkg/smtpclient"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// Resolver chooses the account for a mail, given its envelope sender ("" for <>) and its
// header, as `msmtp -f SENDER` chooses one (pkg/config's Resolve).
type Resolver func(ctx context.Context, from string, header *message.Header) (*config.Account, error)

// Backend delivers every mail through the delivery library. It must not be copied after
// first use.
type Backend struct {
	// Context bounds every delivery; cancelling it abandons deliveries in flight (their
	// clients get a temporary failure). Nil means context.Background().
	Context context.Context
	// Resolve picks the account of each mail.
	Resolve Resolver
	// Delivery is the outside world of the delivery library.
	Delivery delivery.Options
	// Logger receives one record per failed delivery with the full error, which the
	// client does not see. Nil discards.
	Logger *slog.Logger
	// SessionIdle is how long the upstream session of a delivered mail stays open for the
	// next mail of the same account (DefaultSessionIdle when zero; negative: a new session
	// for every mail). Call Close when the backend is no longer used.
	SessionIdle time.Duration

	sessions sessionCache

	// readers keeps the input buffers of Data between mails: a new 64 KiB buffer for each
	// mail is a large allocation, cleared and soon garbage, and msmtpd makes one per mail
	// (bench/msmtpd.sh measured 11% of the daemon's CPU time per in-process mail).
	readers sync.Pool
}

// readerSize is the input buffer of Data: the header section is read through it.
const readerSize = 64 << 10

// reader returns a buffered reader of r, reusing a buffer of an earlier mail if there is one.
func (b *Backend) reader(r io.Reader) *bufio.Reader {
	if br, ok := b.readers.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, readerSize)
}

// putReader takes back a reader that reader returned, once its mail is done with it.
func (b *Backend) putReader(br *bufio.Reader) {
	br.Reset(nil) // no reference to the finished mail's stream
	b.readers.Put(br)
}

// NewSession implements server.Backend.
func (b *Backend) NewSession(server.ConnInfo) (server.Session, error) {
	return &session{b: b}, nil
}

type session struct {
	b     *Backend
	from  string
	envID string
	rcpts []string
}

func (s *session) Mail(from string, opts server.MailOptions) error {
	s.from, s.envID = from, opts.EnvelopeID
	return nil
}

func (s *session) Rcpt(to string, _ server.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Reset() {
	s.from, s.envID, s.rcpts = "", "", nil
}

func (s *session) Logout() error { return nil }

// Data reads the header section, chooses the account and delivers. The body is streamed
// straight to the upstream server; if the client's data ends early, the upstream session is
// abandoned before its final dot, so nothing incomplete is delivered.
func (s *session) Data(r io.Reader) error {
	ctx := s.b.Context
	if ctx == nil {
		ctx = context.Background()
	}
	in := s.b.reader(r)
	defer s.b.putReader(in)
	header, err := message.ReadHeader(in, message.ReadOptions{})
	if err != nil {
		return s.fail(nil, err)
	}
	acct, err := s.b.Resolve(ctx, s.from, header)
	if err != nil {
		return s.fail(nil, err)
	}
	from := acct.From.Value
	mail := delivery.Mail{
		Account:  acct,
		Envelope: delivery.Envelope{From: from, Recipients: s.rcpts, EnvelopeID: s.envID},
		Header:   header,
		Body:     in,
	}
	res, err := s.b.send(ctx, mail)
	if res != nil && res.LogErr != nil && s.b.Logger != nil {
		s.b.Logger.Error("cannot write the delivery log", "error", res.LogErr)
	}
	if err != nil {
		return s.fail(acct, err)
	}
	return nil
}

// send delivers one mail, through an idle session of the account's server when there is one
// (see sessionCache), else through a new one, which is kept for the next mail when this one
// went through. The log line is written as delivery.Send writes it.
func (b *Backend) send(ctx context.Context, mail delivery.Mail) (*delivery.Result, error) {
	if b.SessionIdle < 0 {
		return delivery.Send(ctx, b.Delivery, mail)
	}
	key := sessionKey(mail.Account)
	sess := b.sessions.get(ctx, key)
	if sess == nil {
		var err error
		if sess, err = delivery.OpenSession(ctx, b.Delivery, mail.Account); err != nil {
			res := delivery.NotSent(b.Delivery, mail.Account, mail.Envelope, err)
			delivery.WriteLog(b.Delivery, mail.Account, res)
			return res, err
		}
	}
	res, err := sess.Send(ctx, mail)
	delivery.WriteLog(b.Delivery, mail.Account, res)
	if err != nil {
		_ = sess.Close()
		return res, err
	}
	idle := b.SessionIdle
	if idle == 0 {
		idle = DefaultSessionIdle
	}
	b.sessions.put(key, sess, idle)
	return res, nil
}

// Close ends the upstream sessions kept for reuse.
func (b *Backend) Close() error {
	b.sessions.close()
	return nil
}

// fail logs the whole error and returns the reply the client gets.
func (s *session) fail(acct *config.Account, err error) error {
	if s.b.Logger != nil {
		attrs := []any{"from", s.from, "rcpts", strings.Join(s.rcpts, ","), "error", err.Error(), "exitcode", delivery.ExitCode(err).String()}
		if acct != nil {
			attrs = append(attrs, "account", acct.Name)
		}
		s.b.Logger.Error("delivery failed", attrs...)
	}
	return ErrorReply(err)
}

// ErrorReply is the reply for a failed in-process delivery. When the upstream server refused
// the mail, its reply's class is kept (a 4xx stays temporary, a 5xx permanent) and its words
// are passed on, so the client sees what the real server said. Otherwise the reply follows
// the delivery's exit status as ExitReply does, with a generic text; the detail goes to
// the log only.
func ErrorReply(err error) *smtp.Reply {
	var ce *smtpclient.Error
	if errors.As(err, &ce) && ce.Reply != nil && (ce.Reply.Temporary() || ce.Reply.Permanent()) {
		code, enh := smtp.CodeTransactionFailed, smtp.EnhPermDelivery
		if ce.Reply.Temporary() {
			code, enh = smtp.CodeLocalError, smtp.EnhTempLocalError
		}
		words := ""
		if t := ce.Reply.Text(); len(t) > 0 {
			words = t[0]
		}
		if e, ok := ce.Reply.Enhanced(); ok && e.Class == code/100 {
			// The server's enhanced code becomes the reply's own; the text must not
			// repeat it.
			enh = e
			_, words, _ = strings.Cut(words, " ")
		}
		text := delivery.Sanitize(ce.Error())
		if words != "" {
			text += ": " + delivery.Sanitize(words)
		}
		return smtp.NewReply(code, enh, text)
	}
	code := delivery.ExitCode(err)
	var reauth *oauth2.ReauthRequiredError
	if errors.As(err, &reauth) {
		// msmtp exits 77 for a revoked OAuth2 grant, which msmtpd would answer with a
		// permanent 554. But the mail is fine: once the administrator logs in again it can
		// go, so the client is asked to retry.
		return smtp.NewReply(smtp.CodeLocalError, smtp.EnhTempAuth, "Delivery failed temporarily: the relay's OAuth2 login must be renewed")
	}
	return ExitReply(code, fmt.Sprintf("Delivery failed (%s)", code))
}

// ExitReply maps the exit status of a delivery — msmtpd's pipe command or the in-process
// delivery — to msmtpd's reply (spec-mail-smtp.md §8.3 item 9): 250 for success; 451 for
// EX_NOHOST, EX_UNAVAILABLE, EX_OSERR and EX_TEMPFAIL, which a client should retry; 554 for
// every other status.
func ExitReply(code sysexits.Code, text string) *smtp.Reply {
	switch {
	case code == sysexits.OK:
		return smtp.NewReply(smtp.CodeOK, smtp.EnhOK, text)
	case code.Temporary():
		return smtp.NewReply(smtp.CodeLocalError, smtp.EnhTempLocalError, text)
	}
	return smtp.NewReply(smtp.CodeTransactionFailed, smtp.EnhPermDelivery, text)
}
