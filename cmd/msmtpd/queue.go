package main

// --queue (docs/queue.md): each mail is stored durably before its final dot gets 250, and a
// runner delivers the queue in the background — through --command, or in-process with an
// msmtprc account — with back-off, bounces and expiry (pkg/queue). The queue survives
// restarts: the runner takes up at start whatever is left.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/msmtp-go/msmtp/pkg/queue"
	"github.com/msmtp-go/msmtp/pkg/relay"
	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtp"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// queueDir is the queue directory: --queue=DIR or queue_dir, else the system's queue for
// root and on Windows (where msmtpd runs as a service), the user's otherwise.
func queueDir(o *options, lookupEnv func(string) (string, bool)) (string, error) {
	if o.queueDir != "" {
		return o.queueDir, nil
	}
	scope := queue.UserScope
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		scope = queue.SystemScope
	}
	return queue.DefaultDir(runtime.GOOS, func(k string) string { v, _ := lookupEnv(k); return v }, scope)
}

// openQueue opens the queue of --queue; its errors keep msmtpd from starting.
func (d *daemon) openQueue(fsys queue.FS) (*queue.Queue, error) {
	dir, err := queueDir(d.opts, d.sys.lookupEnv)
	if err != nil {
		return nil, usagef("%v", err)
	}
	q, err := queue.Open(dir, queue.Options{
		FS:       fsys,
		Logger:   d.log,
		Backoff:  d.opts.backoff,
		Hostname: d.opts.hostname,
	})
	if err != nil {
		return nil, usagef("cannot open the queue: %v", err)
	}
	return q, nil
}

// queueStore is the backend's side of the queue: it stores each mail and answers for it.
type queueStore struct {
	q   *queue.Queue
	log *slog.Logger
	// queuedBy, account and msmtprc say how the runner is to deliver the mail (relay's
	// ExtraQueuedBy and the envelope's Account and ConfigFile).
	queuedBy, account, msmtprc string
}

// Textual replies of the queue.
const (
	textQueuedFormat = "Ok: queued as %s"
	textCannotQueue  = "Cannot store the mail, try again later"
)

// store queues one complete mail (with LF line ends, the Received header first) for the
// envelope. The reply is 250 only once the mail is on stable storage; a storage failure
// gets 451 and nothing is queued.
func (qs *queueStore) store(ctx context.Context, env envelope, rcptOpts []server.RcptOptions, mail io.Reader) error {
	qe := queue.Envelope{
		Account:    qs.account,
		ConfigFile: qs.msmtprc,
		Sender:     env.from,
		EnvID:      env.mailOpts.EnvelopeID,
		Extras:     map[string]string{relay.ExtraQueuedBy: qs.queuedBy},
	}
	switch env.mailOpts.Return {
	case server.ReturnFull:
		qe.Ret = queue.ReturnFull
	case server.ReturnHeaders:
		qe.Ret = queue.ReturnHeaders
	}
	for i, addr := range env.rcpts {
		r := queue.Recipient{Address: addr}
		if i < len(rcptOpts) {
			for _, n := range rcptOpts[i].Notify {
				r.Notify = append(r.Notify, string(n))
			}
			if o := rcptOpts[i].OriginalRecipient; o != "" {
				r.ORcpt = rcptOpts[i].OriginalRecipientType + ";" + o
			}
		}
		qe.Recipients = append(qe.Recipients, r)
	}
	id, err := qs.q.Enqueue(ctx, qe, mail)
	if err == nil {
		return relay.ExitReply(sysexits.OK, fmt.Sprintf(textQueuedFormat, id))
	}
	if ctx.Err() != nil {
		return smtp.NewReply(smtp.CodeLocalError, smtp.EnhTempLocalError, textShuttingDown)
	}
	qs.log.Error("cannot queue the mail", "from", env.from, "rcpts", strings.Join(env.rcpts, ","), "error", err)
	var ee *queue.EnvelopeError
	if errors.As(err, &ee) {
		// Only an envelope the engine let through and the queue refuses: never retried.
		return smtp.NewReply(smtp.CodeTransactionFailed, smtp.EnhPermDelivery, "Cannot store the mail: invalid envelope")
	}
	return smtp.NewReply(smtp.CodeLocalError, smtp.EnhTempLocalError, textCannotQueue)
}

// runnerTransport delivers the queue for msmtpd's runner: mail queued for a pipe command
// through that command (or the default one, `msmtp -f %F --`, when msmtpd now delivers
// in-process), everything else in-process with its msmtprc account (relay.QueueTransport).
type runnerTransport struct {
	command *commandDeliverer
	inner   *relay.QueueTransport
}

func (t *runnerTransport) Open(ctx context.Context, ref queue.AccountRef) (queue.Session, error) {
	s, err := t.inner.Open(ctx, ref)
	if err != nil {
		return nil, err
	}
	return &runnerSession{t: t, inner: s}, nil
}

type runnerSession struct {
	t     *runnerTransport
	inner queue.Session
}

func (s *runnerSession) Send(ctx context.Context, msg *queue.Message) ([]queue.Outcome, error) {
	if msg.Envelope.Extras[relay.ExtraQueuedBy] != relay.QueuedByCommand || s.t.command == nil {
		return s.inner.Send(ctx, msg)
	}
	rcpts := make([]string, len(msg.Recipients))
	for i, r := range msg.Recipients {
		rcpts[i] = r.Address
	}
	err := s.t.command.Deliver(ctx, envelope{from: msg.Envelope.Sender, rcpts: rcpts}, msg.Data)
	if ctx.Err() != nil {
		return nil, ctx.Err() // cut off by the shutdown: the attempt does not count
	}
	o := queue.Outcome{Status: queue.Deferred, Code: sysexits.TempFail}
	var r *smtp.Reply
	if errors.As(err, &r) {
		o.Reply, o.Text = r.Lines, replyText(r)
		switch {
		case r.Positive():
			o = queue.Outcome{Status: queue.Delivered}
		case r.Permanent():
			o.Status, o.Code = queue.Rejected, sysexits.Unavailable
		}
	} else if err != nil {
		o.Text = err.Error()
	}
	outs := make([]queue.Outcome, len(rcpts))
	for i := range outs {
		outs[i] = o
	}
	return outs, nil
}

func (s *runnerSession) Reset(ctx context.Context) error { return s.inner.Reset(ctx) }
func (s *runnerSession) Close() error                    { return s.inner.Close() }

// replyText is the text of a reply without its code and enhanced code.
func replyText(r *smtp.Reply) string {
	text := strings.Join(r.Text(), " ")
	if word, rest, ok := strings.Cut(text, " "); ok {
		if _, isCode := smtp.ParseEnhancedCode(word); isCode {
			return rest
		}
	}
	return text
}

// runner is the queue's background runner (queue.Serve) of a listening msmtpd.
type runner struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// startRunner starts delivering the queue in the background.
func (d *daemon) startRunner(ctx context.Context) {
	if d.queue == nil || d.runner != nil {
		return
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.runner = &runner{cancel: cancel}
	d.runner.done.Go(func() {
		if err := d.queue.Serve(rctx, queue.ServeOptions{RunOptions: queue.RunOptions{Transport: d.transport}}); err != nil {
			d.log.Error("the queue runner stopped", "error", err)
		}
	})
}

// stopRunner stops the background runner and waits for it: a delivery it cuts off leaves
// its mail queued as it was.
func (d *daemon) stopRunner() {
	if d.runner == nil {
		return
	}
	d.runner.cancel()
	d.runner.done.Wait()
}

// runQueueOnce delivers what is due once, for --inetd, where each connection has its own
// process: after its session it tries the queue, so that its mail leaves without waiting
// for another process.
func (d *daemon) runQueueOnce(ctx context.Context) {
	if d.queue == nil {
		return
	}
	if _, err := d.queue.Run(ctx, queue.RunOptions{Transport: d.transport}); err != nil {
		d.log.Error("running the queue failed", "error", err)
	}
}

// absolute makes an msmtprc name absolute, so that the runner finds it whatever the working
// directory later is.
func absolute(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return name
}
