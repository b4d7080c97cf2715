package delivery

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/msmtp-go/msmtp/pkg/auth"
	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/oauth2"
	"github.com/msmtp-go/msmtp/pkg/secret"
	"github.com/msmtp-go/msmtp/pkg/smtpclient"
)

// Options are what a delivery needs from outside: the network, the password sources, the
// clock and random numbers for generated headers, and where --debug and the log go. The
// zero value works: it dials with a net.Dialer, finds no stored passwords, and uses the
// real clock.
type Options struct {
	// Dialer opens connections; nil means a net.Dialer.
	Dialer smtpclient.Dialer
	// Passwords are consulted when the account has neither password nor passwordeval and
	// the mechanism needs one: keyring, netrc files, then the terminal. Nil finds none.
	Passwords *secret.Sources
	// Transcript receives the --debug conversation; ShowCredentials leaves AUTH in it.
	Transcript      io.Writer
	ShowCredentials bool
	// AfterTLS is called after each TLS handshake (for --debug's TLS block).
	AfterTLS func(tls.ConnectionState)
	// Now and Location give the Date header and the log time; Random the Message-ID.
	Now      func() time.Time
	Location *time.Location
	Random   io.Reader
	// Hostname names this machine for a Message-ID when nothing better is known.
	Hostname func() (string, error)
	// Stdout receives the log line of `logfile -`.
	Stdout io.Writer
	// Syslog sends the log line to syslog when the account asks for it.
	Syslog Syslog
	// OpenAliases opens the aliases file; nil means os.Open.
	OpenAliases func(name string) (io.ReadCloser, error)
	// OAuth2 gets the access tokens of accounts with oauth2_provider (docs/oauth2.md); nil
	// works too (the real world, no keyring, nothing shared between calls).
	OAuth2 *oauth2.Manager
}

// Envelope is a mail's sender and recipients as the caller determined them, before alias
// expansion.
type Envelope struct {
	// From is the envelope-from. "MAILER-DAEMON" (in any case) is sent as the null sender
	// "<>", as upstream does for msmtpd's pipe command.
	From string
	// Recipients are the envelope recipients, each once.
	Recipients []string
	// EnvelopeID is the DSN envelope identifier (sendmail's -V); "" sends none.
	EnvelopeID string
}

// Mail is one mail to deliver: the account it goes through, its envelope, its header
// section as read by pkg/message, and the rest of the input.
type Mail struct {
	Account  *config.Account
	Envelope Envelope
	Header   *message.Header
	Body     io.Reader
	// Date, when not zero, is the time a generated Date header shows instead of now: the
	// queue sends a mail with the time it was submitted.
	Date time.Time
	// Random, when not nil, replaces Options.Random for a generated Message-ID: the queue
	// derives it from the queue ID, so that every attempt gives a mail the same Message-ID.
	Random io.Reader
	// BodySize is the size of Body in bytes when it is known beforehand (standard input is
	// a file, or a queued mail), 0 when not. With it the mail's size is declared with
	// SIZE= and a mail the server would refuse as too big fails before it is sent
	// (RFC 1870); upstream never checks.
	BodySize int64
}

// Result is what happened to a mail, also when Send fails.
type Result struct {
	// Recipients are the envelope recipients after alias expansion: what RCPT got.
	Recipients []string
	// SMTP is the session's per-recipient outcome; nil when the mail never reached
	// the server.
	SMTP *smtpclient.Result
	// Log is the log line's content; LogErr is set when writing it failed (the caller
	// reports that on stderr without changing the exit code, as upstream does).
	Log    *LogEntry
	LogErr error
}

// Send delivers one mail with the account's settings: it expands aliases, rewrites the
// header (From, To, Date, Message-ID, Bcc), opens one session (TLS, authentication with the
// password found where upstream looks for it), sends the envelope and the mail, and writes
// the log line to the account's logfile and syslog.
//
// The error, when not nil, carries what ExitCode needs; its text is msmtp's message
// (`recipient address b@example.org not accepted by the server`), and Report prints it the
// way msmtp does.
func Send(ctx context.Context, opts Options, mail Mail) (*Result, error) {
	acct := mail.Account
	res := &Result{Recipients: mail.Envelope.Recipients}
	err := send(ctx, opts, mail, res)
	res.Log = logEntry(opts, acct, mail.Envelope.From, res, err)
	res.LogErr = writeLog(opts, acct, res.Log)
	return res, err
}

func send(ctx context.Context, opts Options, mail Mail, res *Result) error {
	header, err := prepare(opts, mail, res)
	if err != nil {
		return err
	}
	c, err := Dial(ctx, opts, mail.Account)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := transmit(ctx, c, mail, header, res); err != nil {
		return err
	}
	return c.Quit()
}

// prepare expands the aliases into res.Recipients and returns the rewritten header block.
func prepare(opts Options, mail Mail, res *Result) ([]byte, error) {
	acct := mail.Account
	if acct.Aliases != "" {
		open := opts.OpenAliases
		if open == nil {
			open = func(name string) (io.ReadCloser, error) { return os.Open(name) }
		}
		rcpts, err := config.ExpandAliases(acct.Aliases, mail.Envelope.Recipients, open)
		if err != nil {
			return nil, err
		}
		// An alias may expand to an address that is also given directly, or two aliases to
		// the same address: still one RCPT per address.
		res.Recipients = message.MergeRecipients(rcpts)
	}
	if !mail.Date.IsZero() {
		date := mail.Date
		opts.Now = func() time.Time { return date }
	}
	if mail.Random != nil {
		opts.Random = mail.Random
	}
	return rewriteHeader(opts, acct, mail.Envelope.From, res.Recipients, mail.Header)
}

// transmit sends the envelope, the header block and the body through an open session.
func transmit(ctx context.Context, c *smtpclient.Client, mail Mail, header []byte, res *Result) error {
	env := smtpEnvelope(mail.Account, mail.Envelope, res.Recipients)
	if mail.BodySize > 0 {
		// An estimate: line endings may still become CRLF. RFC 1870 §6.1 asks for the
		// size as well as it can be known, and a slightly low figure only moves a refusal
		// to the end of the data.
		env.Size = int64(len(header)) + mail.BodySize
	}
	smtpRes, err := c.Send(ctx, env, io.MultiReader(bytes.NewReader(header), mail.Body))
	res.SMTP = smtpRes
	return err
}

// rewriteHeader applies the account's header settings and returns the header block to send.
func rewriteHeader(opts Options, acct *config.Account, from string, rcpts []string, h *message.Header) ([]byte, error) {
	hostname := ""
	if opts.Hostname != nil {
		hostname, _ = opts.Hostname()
	}
	ro := message.RewriteOptions{
		EnvelopeFrom: from,
		FullName:     acct.FromFullName.Value,
		Recipients:   rcpts,
		FromHeader:   map[config.Tristate]message.FromHeaderMode{config.TristateAuto: message.FromHeaderAuto, config.TristateOn: message.FromHeaderOn, config.TristateOff: message.FromHeaderOff}[acct.SetFromHeader],
		DateHeader:   message.DateHeaderAuto,
		ToHeader:     map[config.ToHeader]message.ToHeaderMode{config.ToHeaderOff: message.ToHeaderOff, config.ToHeaderOn: message.ToHeaderOn, config.ToHeaderUndisclosedRecipients: message.ToHeaderUndisclosed}[acct.SetToHeader],
		MessageIDDomain: message.MessageIDDomain(message.DomainSources{
			Domain: acct.Domain, EnvelopeFrom: from, Host: acct.Host.Value, Hostname: hostname,
		}),
		Now:      opts.Now,
		Location: opts.Location,
		Random:   opts.Random,
	}
	if acct.SetDateHeader == config.TristateOff {
		ro.DateHeader = message.DateHeaderOff
	}
	if acct.SetMsgIDHeader == config.TristateOff {
		ro.MessageIDHeader = message.MessageIDOff
	}
	if !acct.RemoveBccHeaders {
		ro.BccHeaders = message.BccKeep
	}
	if err := h.Rewrite(ro); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := h.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// smtpEnvelope turns the envelope into MAIL and RCPT parameters.
func smtpEnvelope(acct *config.Account, env Envelope, rcpts []string) smtpclient.Envelope {
	out := smtpclient.Envelope{From: env.From, EnvelopeID: env.EnvelopeID, Return: smtpclient.DSNReturn(acct.DSNReturn)}
	if strings.EqualFold(env.From, "MAILER-DAEMON") {
		out.From = ""
	}
	for _, r := range rcpts {
		out.Recipients = append(out.Recipients, smtpclient.Recipient{Address: r, Notify: acct.DSNNotify})
	}
	return out
}

// Dial opens a session with the account's server: connection, TLS, greeting, EHLO and
// authentication, exactly as for sending. --serverinfo, --rmqs and the queue's session reuse
// use it too.
func Dial(ctx context.Context, opts Options, acct *config.Account) (*smtpclient.Client, error) {
	tokens, err := opts.OAuth2.Source(acct)
	if err != nil {
		return nil, err
	}
	if tokens == nil {
		return open(ctx, opts, acct)
	}
	// The OAuth2 access token is the password of XOAUTH2 and OAUTHBEARER. When the server
	// refuses it (535), Do refreshes it, unless another process already has, and tries once
	// more.
	var c *smtpclient.Client
	err = tokens.Do(ctx, func(token string) error {
		a := acct.Clone()
		a.Password = config.NewSecret(token)
		c, err = open(ctx, opts, a)
		return err
	}, func(err error) bool { return errors.Is(err, smtpclient.ErrAuthFailed) })
	return c, err
}

func open(ctx context.Context, opts Options, acct *config.Account) (*smtpclient.Client, error) {
	o, err := SessionOptions(ctx, opts, acct)
	if err != nil {
		return nil, err
	}
	c, err := smtpclient.Open(ctx, o)
	if err != nil {
		return nil, describeCertificateFailure(err)
	}
	return c, nil
}

// describeCertificateFailure gives a server certificate that Go's own verification rejected
// (unknown issuer, expired, wrong name) the text of DescribeCertificateError, which names the
// issuer, the validity period or the names, instead of pkg/smtpclient's terse GnuTLS wording.
// The session error stays in the chain for ExitCode and the log. Failures of our own checks
// (pins, CRL) are CertificateErrors already and pass unchanged.
func describeCertificateFailure(err error) error {
	var own *CertificateError
	if !errors.Is(err, smtpclient.ErrCertificate) || errors.As(err, &own) {
		return err
	}
	if d := DescribeCertificateError(err); d != nil {
		return &CertificateError{Reason: d.Reason, Err: err}
	}
	return err
}

// SessionOptions builds the smtpclient options for an account. It fails before any network
// traffic for settings that cannot work: unreadable TLS files, an unusable tls_priorities,
// an authentication method this build lacks.
func SessionOptions(ctx context.Context, opts Options, acct *config.Account) (smtpclient.Options, error) {
	o := smtpclient.Options{
		Host:            acct.Host.Value,
		Port:            acct.Port,
		Socket:          acct.Socket,
		ProxyHost:       acct.ProxyHost,
		ProxyPort:       acct.ProxyPort,
		SourceIP:        acct.SourceIP,
		Dialer:          opts.Dialer,
		Timeout:         acct.Timeout,
		Domain:          acct.Domain,
		AfterTLS:        opts.AfterTLS,
		RequireDSN:      acct.DSNNotify != "" || acct.DSNReturn != config.DSNReturnNone,
		Transcript:      opts.Transcript,
		ShowCredentials: opts.ShowCredentials,
		DecodeChallenge: func(mech, text string) ([]byte, error) { return auth.DecodeChallenge(auth.Mechanism(mech), text) },
	}
	if acct.Protocol == config.LMTP {
		o.Protocol = smtpclient.LMTP
	}
	if acct.TLS {
		o.TLS = smtpclient.StartTLS
		if !acct.TLSStartTLS {
			o.TLS = smtpclient.ImplicitTLS
		}
		cfg, err := TLSConfig(tlsSettings(acct))
		if err != nil {
			return o, err
		}
		o.TLSConfig = cfg
	}
	if acct.Auth != config.AuthNone {
		if acct.Auth != config.AuthAuto {
			if err := auth.Mechanism(acct.Auth).Check(); err != nil {
				return o, err
			}
		}
		o.Authenticate = authenticator(ctx, opts, acct)
	}
	return o, nil
}

func tlsSettings(acct *config.Account) TLSSettings {
	s := TLSSettings{
		ServerName: acct.Host.Value,
		TrustFile:  acct.TLSTrustFile,
		CRLFile:    acct.TLSCRLFile,
		CertFile:   acct.TLSCertFile,
		KeyFile:    acct.TLSKeyFile,
		CertCheck:  acct.TLSCertCheck,
		Priorities: acct.TLSPriorities,
	}
	if acct.TLSHostOverride != "" {
		s.ServerName = acct.TLSHostOverride
	}
	for _, fp := range acct.TLSFingerprints {
		s.Fingerprints = append(s.Fingerprints, []byte(fp))
	}
	return s
}

// authenticator chooses the mechanism once the server's capabilities are known, and
// finds the password only then and only if the mechanism needs one (spec-cli-config.md
// §4.1): so a keyring or a prompt is never consulted needlessly.
func authenticator(ctx context.Context, opts Options, acct *config.Account) smtpclient.AuthFunc {
	return func(caps *smtpclient.Capabilities, tlsState *tls.ConnectionState) (sasl.Client, error) {
		sel := auth.Selection{Offered: caps.AuthMechanisms, TLS: tlsState != nil}
		if acct.Auth != config.AuthAuto {
			sel.Requested = auth.Mechanism(acct.Auth)
		}
		var cb *auth.ChannelBinding
		if tlsState != nil {
			if b, err := auth.ChannelBindingFromTLS(tlsState); err == nil {
				cb = &b
				sel.ChannelBinding = true
			}
		}
		mech, err := auth.Choose(sel)
		if err != nil {
			return nil, err
		}
		if mech.NeedsUser() && acct.User == "" {
			return nil, &auth.MissingError{Mechanism: mech, Missing: auth.NeedUser}
		}
		password, ok := acct.Password.Reveal()
		if !ok && mech.NeedsPassword() {
			host := acct.Host.Value
			if host == "" {
				host = acct.Socket
			}
			if opts.Passwords == nil {
				return nil, &auth.MissingError{Mechanism: mech, Missing: auth.NeedPassword}
			}
			s, err := opts.Passwords.Password(ctx, secret.Query{Host: host, User: acct.User, Method: string(mech)})
			if err != nil {
				var nf *secret.NotFoundError
				if errors.As(err, &nf) {
					return nil, &auth.MissingError{Mechanism: mech, Missing: auth.NeedPassword}
				}
				return nil, err
			}
			password = s.Reveal()
		}
		return auth.NewClient(auth.Params{
			Mechanism: mech, User: acct.User, Password: password,
			Host: oauthHost(acct), Port: acct.Port, ChannelBinding: cb, Rand: opts.Random,
		})
	}
}

// oauthHost is OAUTHBEARER's host field: the configured host, or the socket path.
func oauthHost(acct *config.Account) string {
	if acct.Host.Value != "" {
		return acct.Host.Value
	}
	return acct.Socket
}

// Report writes msmtp's error lines for a failed delivery to w (stderr): the error text,
// one `server message:` line per line of the server's reply (LMTP: per refused recipient),
// and `could not send mail (account NAME from FILE)`. Server text is sanitised.
func Report(w io.Writer, prog string, acct *config.Account, res *Result, err error) {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	line := func(s string) { fmt.Fprintf(bw, "%s: %s\n", prog, s) }
	var ce *smtpclient.Error
	lmtpPartial := errors.As(err, &ce) && ce.Op == smtpclient.OpEndOfData && res != nil && res.SMTP != nil && acct != nil && acct.Protocol == config.LMTP && ce.Reply == nil
	if lmtpPartial {
		for _, r := range res.SMTP.Recipients {
			if r.Data == nil || r.Data.Positive() {
				continue
			}
			line("the server refuses to send the mail to " + Sanitize(r.Recipient.Address))
			for _, l := range r.Data.Lines {
				line("LMTP server message: " + Sanitize(l))
			}
		}
	} else {
		line(Sanitize(err.Error()))
		if errors.As(err, &ce) && ce.Reply != nil {
			for _, l := range ce.Reply.Lines {
				line("server message: " + Sanitize(l))
			}
		}
	}
	final := "could not send mail"
	if lmtpPartial {
		final = "could not send mail to all recipients"
	}
	if acct != nil && acct.File != "" {
		final += fmt.Sprintf(" (account %s from %s)", acct.Name, acct.File)
	}
	line(final)
}

// logEntry builds the log line's content.
func logEntry(opts Options, acct *config.Account, from string, res *Result, err error) *LogEntry {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	t := now()
	if opts.Location != nil {
		t = t.In(opts.Location)
	}
	e := &LogEntry{
		Time: t, Host: acct.Host.Value, Socket: acct.Socket, TLS: acct.TLS,
		Auth: acct.Auth != config.AuthNone, User: acct.User, From: from,
		Recipients: res.Recipients, MailSize: -1, Exit: ExitCode(err),
	}
	if res.SMTP != nil {
		e.Reply = res.SMTP.Reply
		if err == nil {
			e.MailSize = res.SMTP.Size
		}
	}
	if err != nil {
		e.ErrorMsg = err.Error()
		var ce *smtpclient.Error
		if errors.As(err, &ce) {
			if ce.Reply != nil {
				e.Reply = ce.Reply
			}
			if acct.Protocol == config.LMTP && ce.Op == smtpclient.OpEndOfData && ce.Reply == nil {
				e.ErrorMsg = "delivery to one or more recipients failed"
				e.Reply = nil
			}
		}
	}
	return e
}

// writeLog writes the entry to the account's logfile and syslog, if it has them.
func writeLog(opts Options, acct *config.Account, e *LogEntry) error {
	var errs []error
	if acct.Logfile != "" {
		line, err := e.Line(acct.LogfileTimeFormat)
		if err != nil {
			errs = append(errs, &LogFileError{File: acct.Logfile, Line: e.Text(), Err: err})
		} else {
			stdout := opts.Stdout
			if stdout == nil {
				stdout = os.Stdout
			}
			errs = append(errs, AppendLog(acct.Logfile, line, stdout))
		}
	}
	if acct.Syslog != "" {
		if err := opts.Syslog.Send(acct.Syslog, e.Exit != 0, e.Text()); err != nil {
			errs = append(errs, fmt.Errorf("cannot log to syslog: %w", err))
		}
	}
	return errors.Join(errs...)
}
