package main

// The queue (docs/queue.md): sendmail mode with `queue on`, --queue or --queue-only stores the
// mail first and then tries to send it from the queue; -q, --flush and sendmail -q deliver
// what is queued; mailq, -bp and --queue-list show it; --queue-drop and --queue-purge remove
// it. The durable spool is pkg/queue; relay.QueueTransport delivers from it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/queue"
	"github.com/msmtp-go/msmtp/pkg/relay"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// settingsRecorder passes the command-line settings on to the overrides and keeps them, so
// that a queued mail is later sent with the account as this command line made it.
type settingsRecorder struct {
	overrides *config.Overrides
	list      []relay.Setting
}

func (r *settingsRecorder) Set(option string, arg *string) error {
	if err := r.overrides.Set(option, arg); err != nil {
		return err
	}
	s := relay.Setting{Option: option}
	if arg != nil {
		v := *arg
		s.Value = &v
	}
	r.list = append(r.list, s)
	return nil
}

// queueDir is the queue directory of an account: queue_dir (or --queue-dir), else the
// default: the system's queue for root on Unix-like systems, the user's otherwise.
func (a *app) queueDir(acct *config.Account) (string, error) {
	if acct.QueueDir != "" {
		return acct.QueueDir, nil
	}
	scope := queue.UserScope
	if runtime.GOOS != "windows" && a.env.Euid == 0 {
		scope = queue.SystemScope
	}
	getenv := func(k string) string { v, _ := a.lookupEnv(k); return v }
	return queue.DefaultDir(runtime.GOOS, getenv, scope)
}

// openQueue opens the queue of an account, with its back-off and expiry.
func (a *app) openQueue(acct *config.Account) (*queue.Queue, error) {
	dir, err := a.queueDir(acct)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return queue.Open(dir, queue.Options{
		FS:       a.queueFS,
		Logger:   slog.New(&stderrHandler{w: a.stderr, prefix: a.inv.Program + ": queue: "}),
		Hostname: host,
		Backoff:  queue.Backoff{Initial: acct.QueueRetryMin, Max: acct.QueueRetryMax, Expiry: acct.QueueExpire},
	})
}

// queueFailure prints why a mail could not be queued and returns the exit status: nothing
// was stored, and the caller must not think it was.
func (a *app) queueFailure(err error) sysexits.Code {
	var ie *queue.InputError
	if errors.As(err, &ie) {
		return a.fail(ie.Err) // the mail could not be read: as without a queue
	}
	a.errorf("cannot queue the mail: %s", delivery.Sanitize(err.Error()))
	var ee *queue.EnvelopeError
	if errors.As(err, &ee) {
		return sysexits.DataErr
	}
	return sysexits.TempFail
}

// sendQueued is sendmail mode with the queue: the mail as read (before the header is
// rewritten, which happens when it is sent) is stored with its envelope, then, unless
// --queue-only, sent from the queue at once. A temporary failure leaves it queued; any
// other outcome is reported as without a queue.
func (a *app) sendQueued(acct *config.Account, header *message.Header, body io.Reader, rcpts []string) sysexits.Code {
	if acct.Aliases != "" {
		expanded, err := config.ExpandAliases(acct.Aliases, rcpts, openFile)
		if err != nil {
			return a.fail(err)
		}
		rcpts = message.MergeRecipients(expanded)
	}
	env := queue.Envelope{
		Account: acct.Name,
		Sender:  acct.From.Value,
		Ret:     string(acct.DSNReturn),
		EnvID:   a.inv.EnvelopeID.Value,
		Extras:  map[string]string{relay.ExtraQueuedBy: relay.QueuedByMsmtp},
	}
	if strings.EqualFold(env.Sender, "MAILER-DAEMON") {
		env.Sender = "" // as delivery sends it: the null sender, which is never bounced
	}
	if a.inv.File.Given {
		// Absolute, so that `msmtp -q` finds it from any directory.
		abs, err := filepath.Abs(a.inv.File.Value)
		if err != nil {
			return a.fail(err)
		}
		env.ConfigFile = abs
	}
	if len(a.settings.list) > 0 {
		env.Extras[relay.ExtraSettings] = relay.EncodeSettings(a.settings.list)
	}
	var notify []string
	if acct.DSNNotify != "" {
		notify = strings.Split(acct.DSNNotify, ",")
	}
	for _, r := range rcpts {
		env.Recipients = append(env.Recipients, queue.Recipient{Address: r, Notify: notify})
	}

	q, err := a.openQueue(acct)
	if err != nil {
		return a.queueFailure(err)
	}
	var head bytes.Buffer
	if _, err := header.WriteTo(&head); err != nil {
		return a.queueFailure(err)
	}
	id, err := q.Enqueue(a.ctx, env, io.MultiReader(&head, body))
	if err != nil {
		return a.queueFailure(err)
	}
	if a.inv.QueueOnly {
		if a.inv.Debug {
			fmt.Fprintf(a.stdout, "mail queued as %s in %s\n", id, q.Dir())
		}
		return sysexits.OK
	}
	return a.firstAttempt(q, id, acct)
}

// attempt is what msmtp learns of its own attempt to send a queued mail.
type attempt struct {
	acct *config.Account
	res  *delivery.Result
	err  error
	done bool
}

// firstAttempt sends the mail msmtp just queued, as msmtp without a queue would send it, and
// leaves it queued after a temporary failure.
func (a *app) firstAttempt(q *queue.Queue, id queue.ID, acct *config.Account) sysexits.Code {
	opts := a.deliveryOptions(a.stdout)
	preset := acct.Clone()
	preset.Aliases = "" // expanded before the mail was queued
	var at attempt
	rep, runErr := q.Run(a.ctx, queue.RunOptions{
		Transport: &relay.QueueTransport{
			Account: func(context.Context, *queue.Envelope, *message.Header) (*config.Account, error) {
				return preset, nil
			},
			Delivery:     opts,
			FirstAttempt: true,
			Attempted: func(_ *queue.Envelope, acct *config.Account, res *delivery.Result, err error) {
				at = attempt{acct: acct, res: res, err: err, done: true}
			},
		},
		IDs:       []queue.ID{id},
		Force:     true,
		Permanent: queue.LeaveToCaller,
	})
	var mr *queue.MessageReport
	for i := range rep.Messages {
		if rep.Messages[i].ID == id {
			mr = &rep.Messages[i]
		}
	}
	delivered := mr != nil && len(mr.Outcomes) > 0 && !slices.ContainsFunc(mr.Outcomes, func(o queue.Outcome) bool {
		return o.Status != queue.Delivered
	})
	stillQueued := mr == nil || mr.Disposition == queue.StillQueued || mr.Disposition == queue.Busy
	if delivered {
		stillQueued = false // even if the queue could not record it: the server has it
	}

	// The log line of the attempt, saying when the mail stays queued.
	if at.done && at.res != nil && at.res.Log != nil {
		if stillQueued && at.err != nil {
			at.res.Log.ErrorMsg += "; mail queued as " + string(id)
		}
		delivery.WriteLog(opts, at.acct, at.res)
		a.reportLog(at.res)
	}
	if at.done && at.err != nil {
		delivery.Report(a.stderr, a.inv.Program, at.acct, at.res, at.err)
	}
	switch {
	case runErr != nil:
		a.errorf("%s", delivery.Sanitize(runErr.Error()))
	case mr != nil && mr.Err != nil && !errors.Is(mr.Err, context.Canceled):
		a.errorf("%s", delivery.Sanitize(mr.Err.Error()))
	}
	switch {
	case delivered:
		if mr.Disposition != queue.Completed {
			a.errorf("the mail was sent, but it could not be removed from the queue: it may be sent again")
		}
		return sysexits.OK
	case stillQueued:
		if !at.done && mr != nil && mr.Disposition != queue.Busy && len(mr.Outcomes) > 0 {
			a.errorf("%s", delivery.Sanitize(mr.Outcomes[0].Text))
		}
		a.errorf("mail queued as %s in %s; `%s -q` will send it", id, q.Dir(), a.inv.Program)
		return sysexits.Code(acct.QueueExitCode)
	}
	// Failed for good: reported as without a queue, and no longer queued.
	if at.err != nil {
		return delivery.ExitCode(at.err)
	}
	code := sysexits.Unavailable
	if mr != nil && len(mr.Outcomes) > 0 {
		if o := mr.Outcomes[0]; o.Code != sysexits.OK {
			code = o.Code
		}
		a.errorf("%s", delivery.Sanitize(mr.Outcomes[0].Text))
	}
	return code
}

// queueSettings is the account whose queue settings the management modes use.
func (a *app) queueSettings() (*config.Account, error) {
	return config.QueueSettings(config.Request{
		Account:   config.OptString{Value: a.inv.Account.Value, Set: a.inv.Account.Given},
		File:      config.OptString{Value: a.inv.File.Value, Set: a.inv.File.Given},
		Overrides: a.settings.overrides,
		Env:       a.env,
		Info:      a.info(),
	})
}

// existingQueue opens the queue of the management modes. It returns nil when the directory
// does not exist: nothing was ever queued, and listing or flushing should not create it.
func (a *app) existingQueue() (*queue.Queue, *config.Account, sysexits.Code) {
	acct, err := a.queueSettings()
	if err != nil {
		return nil, nil, a.fail(err)
	}
	dir, err := a.queueDir(acct)
	if err != nil {
		a.errorf("%s", err)
		return nil, nil, sysexits.Config
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, acct, sysexits.OK
	}
	q, err := a.openQueue(acct)
	if err != nil {
		a.errorf("%s", delivery.Sanitize(err.Error()))
		return nil, nil, sysexits.IOErr
	}
	return q, acct, sysexits.OK
}

// queueFilter turns the -qI, -qR and -qS options into the queue's filter.
func (a *app) queueFilter() queue.Filter {
	var f queue.Filter
	for _, t := range a.inv.QueueRun.Filters {
		f = append(f, queue.FilterTerm{Field: queue.FilterField(t.Field), Negate: t.Negate, Substring: t.Substring})
	}
	return f
}

// queueList is -bp, --queue-list and mailq: the queue in sendmail's layout, filtered by the
// -q options given with it.
func (a *app) queueList() sysexits.Code {
	q, _, code := a.existingQueue()
	if code != sysexits.OK {
		return code
	}
	var entries []queue.Entry
	if q != nil {
		all, err := q.List()
		if err != nil {
			a.errorf("%s", delivery.Sanitize(err.Error()))
			return sysexits.IOErr
		}
		filter := a.queueFilter()
		for _, e := range all {
			if filter.Match(&e.Envelope) {
				entries = append(entries, e)
			}
		}
	}
	if err := queue.WriteMailq(a.stdout, entries, queue.MailqOptions{}); err != nil {
		return sysexits.IOErr
	}
	return sysexits.OK
}

// queueRun is -q, --flush and sendmail -q: deliver the queued mail that is due (all of it
// with --force), once, or with an interval (-q30m, -qp) until msmtp is stopped. Mail that
// msmtpd queued for its --command is left to msmtpd. The run prints nothing but the mail
// that went to failed/, unless --debug asks for each message.
func (a *app) queueRun() sysexits.Code {
	q, _, code := a.existingQueue()
	if code != sysexits.OK || q == nil {
		return code
	}
	opts := queue.RunOptions{
		Transport: &relay.QueueTransport{
			Env:      a.env,
			Delivery: a.deliveryOptions(a.stdout),
			Logger:   slog.New(&stderrHandler{w: a.stderr, prefix: a.inv.Program + ": "}),
		},
		Force:  a.inv.QueueForce,
		Filter: a.queueFilter(),
	}
	qr := a.inv.QueueRun
	if qr.Interval > 0 || qr.Persistent {
		err := q.Serve(a.ctx, queue.ServeOptions{RunOptions: opts, Poll: qr.Interval})
		if err != nil {
			a.errorf("%s", delivery.Sanitize(err.Error()))
			return sysexits.TempFail
		}
		return sysexits.OK
	}
	ids, err := a.deliverableIDs(q)
	if err != nil {
		a.errorf("%s", delivery.Sanitize(err.Error()))
		return sysexits.TempFail
	}
	if ids != nil && len(ids) == 0 {
		return sysexits.OK
	}
	opts.IDs = ids
	rep, err := q.Run(a.ctx, opts)
	if err != nil {
		a.errorf("%s", delivery.Sanitize(err.Error()))
		return sysexits.TempFail
	}
	for _, m := range rep.Messages {
		a.reportMessage(q, m)
	}
	return sysexits.OK
}

// deliverableIDs returns the messages a run of msmtp may deliver: nil for all of them, or
// the list without the ones msmtpd queued for its --command, restricted to the IDs of
// msmtp-queue -R when it gave some.
func (a *app) deliverableIDs(q *queue.Queue) ([]queue.ID, error) {
	want := a.inv.QueueIDs
	entries, err := q.List()
	if err != nil {
		return nil, err
	}
	foreign := false
	var ids []queue.ID
	for _, e := range entries {
		if e.Envelope.Extras[relay.ExtraQueuedBy] == relay.QueuedByCommand {
			foreign = true
			continue
		}
		if want == nil || slices.Contains(want, string(e.Envelope.ID)) {
			ids = append(ids, e.Envelope.ID)
		}
	}
	for _, w := range want {
		if !slices.Contains(ids, queue.ID(w)) {
			a.errorf("%s: no such message in the queue", delivery.Sanitize(w))
		}
	}
	if !foreign && want == nil {
		return nil, nil
	}
	if ids == nil {
		ids = []queue.ID{}
	}
	return ids, nil
}

// reportMessage tells what a run did with one message: always when it went to failed/,
// otherwise only with --debug.
func (a *app) reportMessage(q *queue.Queue, m queue.MessageReport) {
	env := &m.Envelope
	switch {
	case m.Disposition == queue.MovedToFailed:
		a.errorf("%s: undeliverable, moved to %s", m.ID, filepath.Join(q.Dir(), "failed"))
	case !a.inv.Debug:
	case m.Disposition == queue.Completed:
		fmt.Fprintf(a.stdout, "%s: done\n", m.ID)
	case m.Disposition == queue.Busy:
		fmt.Fprintf(a.stdout, "%s: being delivered by another process\n", m.ID)
	default:
		fmt.Fprintf(a.stdout, "%s: still queued after %d attempts, next at %s: %s\n", m.ID, env.Attempts,
			env.NextAttempt.Local().Format(time.DateTime), delivery.Sanitize(env.LastError))
	}
	if m.Err != nil && !errors.Is(m.Err, context.Canceled) {
		a.errorf("%s: %s", m.ID, delivery.Sanitize(m.Err.Error()))
	}
}

// queueDrop is --queue-drop=ID and msmtp-queue -p: remove the messages.
func (a *app) queueDrop() sysexits.Code {
	q, _, code := a.existingQueue()
	if code != sysexits.OK {
		return code
	}
	status := sysexits.OK
	for _, id := range a.inv.QueueIDs {
		err := queue.ErrNotFound
		if q != nil {
			err = q.Drop(queue.ID(id))
		}
		if err == nil {
			continue
		}
		name := delivery.Sanitize(id)
		switch {
		case errors.Is(err, queue.ErrNotFound):
			a.errorf("%s: no such message in the queue", name)
			status = max(status, sysexits.NoInput)
		case errors.Is(err, queue.ErrInvalidID):
			a.errorf("%s: not a queue ID", name)
			status = max(status, sysexits.Usage)
		case errors.Is(err, queue.ErrLocked):
			a.errorf("%s: the message is being delivered; try again later", name)
			status = max(status, sysexits.TempFail)
		default:
			a.errorf("%s: %s", name, delivery.Sanitize(err.Error()))
			status = max(status, sysexits.IOErr)
		}
	}
	return status
}

// queuePurge is --queue-purge and msmtp-queue -a: remove every queued message (without
// asking, unlike msmtp-queue).
func (a *app) queuePurge() sysexits.Code {
	q, _, code := a.existingQueue()
	if code != sysexits.OK || q == nil {
		return code
	}
	n, err := q.Purge()
	if a.inv.Debug {
		fmt.Fprintf(a.stdout, "%d messages removed from %s\n", n, q.Dir())
	}
	if err != nil {
		a.errorf("%s", delivery.Sanitize(err.Error()))
		if errors.Is(err, queue.ErrLocked) {
			return sysexits.TempFail
		}
		return sysexits.IOErr
	}
	return sysexits.OK
}

// queueHelp is msmtp-queue -h.
func (a *app) queueHelp() sysexits.Code {
	p := a.inv.Program
	fmt.Fprintf(a.stdout, `Usage: %[1]s [-r | -R id... | -d | -p id... | -a | -h]
Manage msmtp's mail queue the way msmtpq's msmtp-queue does.
  -r        send every queued mail now          (msmtp -q --force)
  -R id...  send these queued mails now         (msmtp -q --force, for these ids)
  -d        list the queue; the default         (mailq, msmtp --queue-list)
  -p id...  remove these mails from the queue   (msmtp --queue-drop=id)
  -a        remove every mail, without asking   (msmtp --queue-purge)
  -h        show this help
The ids are the queue IDs that the list shows. msmtpq --q-mgmt takes the same options.
`, p)
	return sysexits.OK
}

// stderrHandler is a slog.Handler for msmtp's few queue warnings: one line on standard
// error, "PREFIX MESSAGE (key=value ...)", warnings and errors only.
type stderrHandler struct {
	w      io.Writer
	prefix string
	attrs  []slog.Attr
}

func (h *stderrHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *stderrHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(h.prefix + r.Message)
	var kv []string
	add := func(at slog.Attr) bool {
		kv = append(kv, at.Key+"="+at.Value.String())
		return true
	}
	for _, at := range h.attrs {
		add(at)
	}
	r.Attrs(add)
	if len(kv) > 0 {
		b.WriteString(" (" + strings.Join(kv, ", ") + ")")
	}
	_, err := io.WriteString(h.w, delivery.Sanitize(b.String())+"\n")
	return err
}

func (h *stderrHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &stderrHandler{w: h.w, prefix: h.prefix, attrs: append(slices.Clone(h.attrs), as...)}
}

func (h *stderrHandler) WithGroup(string) slog.Handler { return h }
