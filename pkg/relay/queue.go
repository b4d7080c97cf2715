package relay

// The queue's side of the relay: QueueTransport delivers the messages of pkg/queue through
// pkg/delivery, for `msmtp --queue` and `msmtp -q` and for msmtpd's background runner. It
// lives here because, like Backend, it joins a mail that arrived some other way (stored in
// the queue) with the delivery library, and it shares Backend's view of failures: what
// msmtpd would answer with 451 is a temporary failure, anything else permanent.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/queue"
	"github.com/msmtp-go/msmtp/pkg/smtp"
	"github.com/msmtp-go/msmtp/pkg/smtpclient"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// Keys of queue.Envelope.Extras that say how a queued message is to be delivered.
const (
	// ExtraQueuedBy names who queued the message: QueuedByMsmtp, QueuedByMsmtpd or
	// QueuedByCommand.
	ExtraQueuedBy = "queued_by"
	// ExtraSettings holds msmtp's command-line account settings (--port=2525, --tls, -N
	// ...), which apply again when the message is sent (EncodeSettings).
	ExtraSettings = "msmtp_settings"
)

// The values of ExtraQueuedBy.
const (
	// QueuedByMsmtp: msmtp in sendmail mode. The account is Envelope.Account of the
	// configuration files msmtp reads, or of Envelope.ConfigFile when -C named one, with
	// the command-line settings of ExtraSettings; the recipients are the ones left after
	// alias expansion.
	QueuedByMsmtp = "msmtp"
	// QueuedByMsmtpd: msmtpd with in-process delivery (--account, --file). The account is
	// Envelope.Account, or the one the sender chooses, of Envelope.ConfigFile; aliases
	// are expanded when the message is sent.
	QueuedByMsmtpd = "msmtpd"
	// QueuedByCommand: msmtpd with --command. Only msmtpd, which knows the command, can
	// deliver it; QueueTransport cannot.
	QueuedByCommand = "msmtpd-command"
)

// Setting is one command-line account setting of msmtp, as config.Overrides.Set takes it.
type Setting struct {
	Option string
	Value  *string // nil for an option given without its optional argument
}

// EncodeSettings writes settings for ExtraSettings: a JSON list of [option, value] pairs,
// the value null when it was not given.
func EncodeSettings(settings []Setting) string {
	pairs := make([][]*string, len(settings))
	for i, s := range settings {
		opt := s.Option
		pairs[i] = []*string{&opt, s.Value}
	}
	b, _ := json.Marshal(pairs) // strings and nulls always marshal
	return string(b)
}

// DecodeSettings reads what EncodeSettings wrote.
func DecodeSettings(s string) ([]Setting, error) {
	var pairs [][]*string
	if err := json.Unmarshal([]byte(s), &pairs); err != nil {
		return nil, fmt.Errorf("the stored command-line settings are damaged: %w", err)
	}
	out := make([]Setting, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 || p[0] == nil {
			return nil, errors.New("the stored command-line settings are damaged")
		}
		out[i] = Setting{Option: *p[0], Value: p[1]}
	}
	return out, nil
}

// AccountFunc returns the account that delivers a queued message; header is the message's
// header section as stored (for %F in from).
type AccountFunc func(ctx context.Context, env *queue.Envelope, header *message.Header) (*config.Account, error)

// QueuedAccount resolves the account of a queued message the way the program that queued it
// chose it (see QueuedByMsmtp and QueuedByMsmtpd), with env as the outside world. The
// sender only decides the account when the message names none; it is never the
// envelope-from that is sent, which is the message's Sender.
func QueuedAccount(env config.Env) AccountFunc {
	return func(_ context.Context, qe *queue.Envelope, header *message.Header) (*config.Account, error) {
		ov := new(config.Overrides)
		if s := qe.Extras[ExtraSettings]; s != "" {
			settings, err := DecodeSettings(s)
			if err != nil {
				return nil, err
			}
			for _, st := range settings {
				if err := ov.Set(st.Option, st.Value); err != nil {
					return nil, err
				}
			}
		}
		// As `msmtp -f SENDER` would choose it; the null sender as msmtpd's command gets it.
		from := qe.Sender
		if from == "" {
			from = nullSender
		}
		if err := ov.Set("from", &from); err != nil {
			return nil, err
		}
		req := config.Request{Mode: config.ModeSendmail, Overrides: ov, Env: env}
		if qe.Account != "" {
			req.Account = config.Some(qe.Account)
		}
		if qe.ConfigFile != "" {
			req.File = config.Some(qe.ConfigFile)
		}
		if f := header.EnvelopeFrom(); f != "" {
			req.FromHeader = config.Some(f)
		}
		acct, err := config.Resolve(req)
		if err != nil {
			return nil, err
		}
		if qe.Extras[ExtraQueuedBy] == QueuedByMsmtp {
			acct.Aliases = "" // expanded before the message was queued
		}
		return acct, nil
	}
}

// nullSender is how msmtp's command line and msmtpd's pipe command write the null sender <>.
const nullSender = "MAILER-DAEMON"

// QueueTransport is the queue.Transport of msmtp and msmtpd: it sends each queued message
// through the delivery library with the message's account, as `msmtp -f SENDER` would,
// rewriting the header at that moment (From, Date, Message-ID as the account says; the Date
// is the time the message was queued, and every attempt gives the message the same
// Message-ID). Messages of one account share one SMTP session, with RSET between them; a
// server that cannot be reached is tried once per run for all of them.
//
// Outside FirstAttempt, a refused recipient does not fail the others: each gets the outcome
// its own reply says (5xx rejected, 4xx deferred), and the message is sent to the rest. A
// failure to connect, start TLS or log in is about the account, not the message: the message
// is deferred, whatever the exit status, until the administrator fixes it or the message
// expires. Other failures follow the server's reply class where there is one, msmtp's exit
// status (sysexits.Code.Temporary) otherwise.
type QueueTransport struct {
	// Account finds the account of a message; nil means QueuedAccount(Env).
	Account AccountFunc
	// Env is the outside world of QueuedAccount.
	Env config.Env
	// Delivery is the outside world of the delivery library.
	Delivery delivery.Options
	// FirstAttempt is the attempt msmtp makes when it is given the mail: the outcome
	// follows msmtp's exit status alone, and the first refused recipient fails the whole
	// mail, so that the caller learns what it would learn without a queue.
	FirstAttempt bool
	// Attempted, when set, is called after each attempt with the account (nil when it could
	// not be found), the delivery's result (nil when no server was reached) and its error.
	// It then writes the log line itself (delivery.WriteLog); without it the transport
	// writes one line per attempt, as msmtp does per mail.
	Attempted func(env *queue.Envelope, acct *config.Account, res *delivery.Result, err error)
	// Logger receives what cannot be reported otherwise: a log file that cannot be written.
	// Nil discards.
	Logger *slog.Logger
}

// Open implements queue.Transport. The connection is made by the first Send, which knows
// the account of its message (messages of one AccountRef may differ in their stored
// command-line settings).
func (t *QueueTransport) Open(context.Context, queue.AccountRef) (queue.Session, error) {
	return &queueSession{t: t, accounts: map[string]resolved{}, dialErrs: map[string]error{}}, nil
}

// resolved is the account of a key, or why there is none.
type resolved struct {
	acct *config.Account
	err  error
}

// queueSession is one queue.Session: the accounts resolved so far, the open delivery session,
// and the servers that could not be reached.
type queueSession struct {
	t        *QueueTransport
	accounts map[string]resolved
	dialErrs map[string]error
	cur      *delivery.Session
	curKey   string
}

// accountKey identifies the account of a message: messages with equal keys are sent with
// one account, and so through one session. The sender counts only when the message names no
// account (msmtpd chooses it by the sender then).
func accountKey(env *queue.Envelope) string {
	var b strings.Builder
	b.WriteString(env.ConfigFile + "\x00" + env.Account + "\x00")
	for _, k := range slices.Sorted(maps.Keys(env.Extras)) {
		b.WriteString(k + "=" + env.Extras[k] + "\x00")
	}
	if env.Account == "" {
		b.WriteString("sender=" + env.Sender)
	}
	return b.String()
}

func (s *queueSession) account(ctx context.Context, key string, env *queue.Envelope, header *message.Header) (*config.Account, error) {
	if r, ok := s.accounts[key]; ok {
		return r.acct, r.err
	}
	find := s.t.Account
	if find == nil {
		find = QueuedAccount(s.t.Env)
	}
	acct, err := find(ctx, env, header)
	s.accounts[key] = resolved{acct, err}
	return acct, err
}

// session returns an open delivery session for the account, reusing the current one when
// the key is the same.
func (s *queueSession) session(ctx context.Context, key string, acct *config.Account) (*delivery.Session, error) {
	if s.cur != nil && s.curKey == key {
		return s.cur, nil
	}
	if err := s.dialErrs[key]; err != nil {
		return nil, err
	}
	s.drop()
	sess, err := delivery.OpenSession(ctx, s.t.Delivery, acct)
	if err != nil {
		if ctx.Err() == nil {
			s.dialErrs[key] = err
		}
		return nil, err
	}
	s.cur, s.curKey = sess, key
	return sess, nil
}

// drop ends the current delivery session.
func (s *queueSession) drop() {
	if s.cur != nil {
		_ = s.cur.Close()
		s.cur, s.curKey = nil, ""
	}
}

// Send implements queue.Session.
func (s *queueSession) Send(ctx context.Context, msg *queue.Message) ([]queue.Outcome, error) {
	env := &msg.Envelope
	rcpts := make([]string, len(msg.Recipients))
	for i, r := range msg.Recipients {
		rcpts[i] = r.Address
	}
	all := func(o queue.Outcome) []queue.Outcome {
		outs := make([]queue.Outcome, len(rcpts))
		for i := range outs {
			outs[i] = o
		}
		return outs
	}
	if env.Extras[ExtraQueuedBy] == QueuedByCommand {
		return all(s.t.outcome(errors.New("queued by msmtpd for its --command: only msmtpd can deliver it"), true)), nil
	}
	br := bufio.NewReaderSize(msg.Data, 64<<10)
	header, err := message.ReadHeader(br, message.ReadOptions{})
	var inputErr *message.InputError
	if errors.As(err, &inputErr) {
		return nil, err // the queue's copy cannot be read: nothing is sent
	}
	if err != nil {
		return all(s.t.outcome(err, false)), nil
	}
	key := accountKey(env)
	acct, err := s.account(ctx, key, env, header)
	var sess *delivery.Session
	if err == nil {
		sess, err = s.session(ctx, key, acct)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var res *delivery.Result
		if acct != nil {
			denv := delivery.Envelope{From: env.Sender, EnvelopeID: env.EnvID, Recipients: slices.Clone(rcpts)}
			res = delivery.NotSent(s.t.Delivery, acct, denv, err)
		}
		s.attempted(env, acct, res, err)
		return all(s.t.outcome(err, true)), nil
	}

	return s.transact(ctx, msg, acct, sess, header, br, rcpts)
}

// transact sends a message through an open session: to every recipient at once and, when
// some are refused (outside FirstAttempt), again to the others, until each has its outcome.
func (s *queueSession) transact(ctx context.Context, msg *queue.Message, acct *config.Account, sess *delivery.Session,
	header *message.Header, br *bufio.Reader, rcpts []string) ([]queue.Outcome, error) {
	env := &msg.Envelope
	outs := make([]queue.Outcome, len(rcpts))
	todo := make([]int, len(rcpts)) // indexes into rcpts still to try
	for i := range todo {
		todo[i] = i
	}
	// A recipient an alias expands into several cannot be told apart from the others in
	// the server's replies: with aliases, the mail succeeds or fails as a whole.
	split := !s.t.FirstAttempt && acct.Aliases == ""
	for {
		denv := delivery.Envelope{From: env.Sender, EnvelopeID: env.EnvID, Recipients: make([]string, len(todo))}
		for j, i := range todo {
			denv.Recipients[j] = rcpts[i]
		}
		res, err := sess.Send(ctx, delivery.Mail{
			Envelope: denv, Header: header, Body: br,
			Date: env.Created, Random: messageIDSource(env),
		})
		s.attempted(env, acct, res, err)
		switch {
		case err == nil:
			for _, i := range todo {
				outs[i] = queue.Outcome{Status: queue.Delivered}
			}
			return outs, nil
		case ctx.Err() != nil:
			s.drop()
			return nil, ctx.Err()
		case errors.Is(err, smtpclient.ErrInput):
			s.drop() // the transaction was abandoned before its final dot
			return nil, err
		case errors.Is(err, smtpclient.ErrIO), errors.Is(err, smtpclient.ErrProtocol), errors.Is(err, smtpclient.ErrClosed):
			s.drop() // the next message opens a new session
		}
		todo = s.settle(err, res, todo, rcpts, outs, split)
		if len(todo) == 0 {
			return outs, nil
		}
		// Once more, from the start of the message, to the recipients left.
		seeker, ok := msg.Data.(io.Seeker)
		if rerr := sess.Reset(ctx); rerr != nil || !ok {
			s.drop()
			o := s.t.outcome(err, false)
			for _, i := range todo {
				outs[i] = o
			}
			return outs, nil
		}
		if _, err := seeker.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		br.Reset(msg.Data)
		var herr error
		if header, herr = message.ReadHeader(br, message.ReadOptions{}); herr != nil {
			return nil, herr
		}
	}
}

// settle records in outs what a failed transaction to the recipients todo says about each,
// and returns the recipients to try again: those the server did not refuse, when split allows
// and others were refused; none otherwise.
func (s *queueSession) settle(err error, res *delivery.Result, todo []int, rcpts []string, outs []queue.Outcome, split bool) []int {
	var ce *smtpclient.Error
	errors.As(err, &ce)
	var rr []smtpclient.RecipientResult
	if res != nil && res.SMTP != nil && len(res.SMTP.Recipients) == len(todo) {
		rr = res.SMTP.Recipients
	}
	all := func(o queue.Outcome) []int {
		for _, i := range todo {
			outs[i] = o
		}
		return nil
	}
	switch {
	case ce != nil && ce.Op == smtpclient.OpEndOfData && ce.Reply == nil && rr != nil:
		// LMTP: one reply per recipient after the data.
		for j, i := range todo {
			outs[i] = s.t.replyOutcome(rr[j].Data, err)
			if s.t.FirstAttempt && outs[i].Status != queue.Delivered {
				outs[i] = s.t.outcome(err, false)
			}
		}
		return nil
	case !split || ce == nil || ce.Op != smtpclient.OpRcpt || rr == nil:
		return all(s.t.outcome(err, false))
	}
	var rest []int
	for j, i := range todo {
		if r := rr[j].Rcpt; r != nil && !rr[j].Accepted(smtpclient.SMTP) {
			outs[i] = s.t.replyOutcome(r, fmt.Errorf("recipient address %s not accepted by the server", rcpts[i]))
		} else {
			rest = append(rest, i)
		}
	}
	if len(rest) == len(todo) {
		return all(s.t.outcome(err, false)) // nobody to blame: give up on the message for now
	}
	return rest
}

// attempted reports one attempt: to the caller, or as the account's log line.
func (s *queueSession) attempted(env *queue.Envelope, acct *config.Account, res *delivery.Result, err error) {
	if s.t.Attempted != nil {
		s.t.Attempted(env, acct, res, err)
		return
	}
	if acct == nil || res == nil {
		return
	}
	delivery.WriteLog(s.t.Delivery, acct, res)
	if res.LogErr != nil && s.t.Logger != nil {
		s.t.Logger.Error("cannot write the delivery log", "id", string(env.ID), "error", res.LogErr)
	}
}

// Reset implements queue.Session. A session that cannot be reset is closed; the next
// message opens a new one.
func (s *queueSession) Reset(ctx context.Context) error {
	if s.cur != nil {
		if err := s.cur.Reset(ctx); err != nil {
			s.drop()
		}
	}
	return nil
}

// Close implements queue.Session.
func (s *queueSession) Close() error {
	s.drop()
	return nil
}

// outcome classifies a failure of a whole attempt; beforeServer says that it happened before
// the message was offered to a server (no account, no session).
func (t *QueueTransport) outcome(err error, beforeServer bool) queue.Outcome {
	code := delivery.ExitCode(err)
	o := queue.Outcome{Status: queue.Deferred, Code: code, Text: delivery.Sanitize(err.Error())}
	var ce *smtpclient.Error
	if errors.As(err, &ce) && ce.Reply != nil {
		o.Reply = ce.Reply.Lines
		o.Text += ": " + delivery.Sanitize(strings.Join(ce.Reply.Lines, " "))
	}
	switch {
	case t.FirstAttempt:
		if !code.Temporary() {
			o.Status = queue.Rejected
		}
	case beforeServer:
	case ce != nil && ce.Reply != nil:
		if ce.Reply.Permanent() {
			o.Status = queue.Rejected
		}
	case !code.Temporary():
		o.Status = queue.Rejected
	}
	return o
}

// replyOutcome is the outcome of one recipient from its own reply (RCPT, or LMTP's after the
// data); err describes the failure when there is one.
func (t *QueueTransport) replyOutcome(r *smtp.Reply, err error) queue.Outcome {
	switch {
	case r != nil && r.Code == smtp.CodeOK:
		return queue.Outcome{Status: queue.Delivered}
	case r == nil:
		return t.outcome(err, false)
	}
	o := queue.Outcome{Status: queue.Deferred, Code: sysexits.Unavailable, Reply: r.Lines,
		Text: delivery.Sanitize(err.Error() + ": " + strings.Join(r.Lines, " "))}
	if r.Permanent() {
		o.Status, o.Code = queue.Rejected, sysexits.DataErr
	}
	return o
}

// messageIDSource gives the random bytes of a generated Message-ID, derived from the queued
// message so that every attempt gives it the same one.
func messageIDSource(env *queue.Envelope) io.Reader {
	sum := sha256.Sum256([]byte("msmtp queue\x00" + string(env.ID) + "\x00" +
		env.Created.Format(time.RFC3339Nano) + "\x00" + env.Sender))
	return bytes.NewReader(sum[:])
}
