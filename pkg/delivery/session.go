package delivery

import (
	"context"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/smtpclient"
)

// Session is an open session with the server of one account that carries several mails, one
// after another: how the queue sends what it holds (docs/queue.md), with one connection, one
// TLS handshake and one login for all of them instead of one each.
type Session struct {
	opts Options
	acct *config.Account
	c    *smtpclient.Client
	used bool // a transaction was started since the session was opened or reset
}

// OpenSession connects to the account's server and authenticates, exactly as Send does
// (Dial). The error carries what ExitCode needs.
func OpenSession(ctx context.Context, opts Options, acct *config.Account) (*Session, error) {
	c, err := Dial(ctx, opts, acct)
	if err != nil {
		return nil, err
	}
	return &Session{opts: opts, acct: acct, c: c}, nil
}

// Account returns the account the session was opened for.
func (s *Session) Account() *config.Account { return s.acct }

// Send delivers one mail through the session as Send does — aliases, header rewriting,
// MAIL, RCPT, DATA — with the session's account (mail.Account is ignored). It neither ends
// the session nor writes the log line: Result.Log holds the line's content, which the
// caller may complete (the queue adds the queue ID) and writes with WriteLog. After a
// failure the session may still be usable; Reset prepares it for the next mail.
func (s *Session) Send(ctx context.Context, mail Mail) (*Result, error) {
	mail.Account = s.acct
	res := &Result{Recipients: mail.Envelope.Recipients}
	header, err := prepare(s.opts, mail, res)
	if err == nil {
		s.used = true
		err = transmit(ctx, s.c, mail, header, res)
	}
	res.Log = logEntry(s.opts, s.acct, mail.Envelope.From, res, err)
	return res, err
}

// Reset ends the transaction of the last Send with RSET, so that the next Send starts
// afresh; it does nothing when no transaction was started since the last Reset. An error
// means the session is no longer usable: Close it and open another.
func (s *Session) Reset(ctx context.Context) error {
	if !s.used {
		return nil
	}
	if err := s.c.Reset(ctx); err != nil {
		return err
	}
	s.used = false
	return nil
}

// Close ends the session politely (QUIT) where the connection still works.
func (s *Session) Close() error {
	return s.c.Quit()
}

// WriteLog writes res.Log to the account's logfile and syslog, as Send does, and records a
// failure in res.LogErr.
func WriteLog(opts Options, acct *config.Account, res *Result) {
	if res == nil || res.Log == nil {
		return
	}
	res.LogErr = writeLog(opts, acct, res.Log)
}

// NotSent returns the Result of a mail that was never offered to a server — OpenSession
// failed — with its log line, as Send's would be.
func NotSent(opts Options, acct *config.Account, env Envelope, err error) *Result {
	res := &Result{Recipients: env.Recipients}
	res.Log = logEntry(opts, acct, env.From, res, err)
	return res
}
