package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/msmtp-go/msmtp/pkg/relay"
	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// backend is msmtpd's server.Backend: it receives each mail completely (see spool.go) and
// then hands it to the deliverer.
type backend struct {
	// ctx bounds the deliveries; it ends when msmtpd stops for good (after the graceful
	// shutdown period), which kills the commands still running.
	ctx      context.Context
	deliver  deliverer
	spoolDir string
	// queue, with --queue, stores each mail instead of delivering it (queue.go).
	queue *queueStore
	// inflight counts the deliveries in progress, so that msmtpd exits only after the
	// last one has ended (no command is left behind).
	inflight tracker
}

// tracker counts work in progress and, once stopped, refuses new work, so that waiting for
// the end of the work cannot race with its start (as sync.WaitGroup's Add and Wait would).
type tracker struct {
	mu       sync.Mutex
	n        int
	stopping bool
	idle     chan struct{} // closed when n drops to 0 after stop
}

// begin registers work; it returns false once stopAndWait was called.
func (t *tracker) begin() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping {
		return false
	}
	t.n++
	return true
}

// end ends work that begin registered.
func (t *tracker) end() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
}

// stopAndWait refuses new work and waits for the work in progress to end.
func (t *tracker) stopAndWait() {
	t.mu.Lock()
	t.stopping = true
	if t.n == 0 {
		t.mu.Unlock()
		return
	}
	idle := make(chan struct{})
	t.idle = idle
	t.mu.Unlock()
	<-idle
}

func (b *backend) NewSession(conn server.ConnInfo) (server.Session, error) {
	return &session{b: b, conn: conn}, nil
}

type session struct {
	b        *backend
	conn     server.ConnInfo
	from     string
	opts     server.MailOptions
	rcpts    []string
	rcptOpts []server.RcptOptions
}

func (s *session) Mail(from string, opts server.MailOptions) error {
	if startsWithDash(from) {
		return s.reply(smtp.NewReply(smtp.CodeMailboxNameInvalid, smtp.EnhBadSenderSyntax, "Addresses must not start with '-'"))
	}
	s.from, s.opts = from, opts
	return nil
}

func (s *session) Rcpt(to string, opts server.RcptOptions) error {
	if startsWithDash(to) {
		return s.reply(smtp.NewReply(smtp.CodeMailboxNameInvalid, smtp.EnhBadDestSyntax, "Addresses must not start with '-'"))
	}
	s.rcpts = append(s.rcpts, to)
	s.rcptOpts = append(s.rcptOpts, opts)
	return nil
}

// Data receives the whole mail before anything is delivered: if the client goes away or
// the mail grows too large, the read fails and nothing is delivered (the engine answers
// the client, if it is still there).
func (s *session) Data(r io.Reader) error {
	sp := &spool{dir: s.b.spoolDir}
	defer sp.Close()
	lw := &lfWriter{w: sp}
	if _, err := io.Copy(lw, r); err != nil {
		var we *spoolWriteError
		if errors.As(err, &we) {
			return server.MarkTemporary(fmt.Errorf("cannot store the mail: %w", we.err))
		}
		return err
	}
	if err := lw.Flush(); err != nil {
		return server.MarkTemporary(fmt.Errorf("cannot store the mail: %w", err))
	}
	mail, err := sp.Reader()
	if err != nil {
		return server.MarkTemporary(fmt.Errorf("cannot read the stored mail: %w", err))
	}
	if !s.b.inflight.begin() {
		return s.reply(smtp.NewReply(smtp.CodeLocalError, smtp.EnhTempLocalError, textShuttingDown))
	}
	defer s.b.inflight.end()
	env := envelope{from: s.from, rcpts: s.rcpts, conn: s.conn, mailOpts: s.opts}
	if s.b.queue != nil {
		return s.reply(s.b.queue.store(s.b.ctx, env, s.rcptOpts, mail))
	}
	return s.reply(s.b.deliver.Deliver(s.b.ctx, env, mail))
}

func (s *session) Reset() {
	s.from, s.opts, s.rcpts, s.rcptOpts = "", server.MailOptions{}, nil, nil
}

func (s *session) Logout() error { return nil }

// reply adapts a reply in err to the session: a client that greeted with HELO gets upstream
// msmtpd's plain texts, without enhanced status codes (RFC 2034 codes are only for clients
// that saw ENHANCEDSTATUSCODES in the EHLO reply).
func (s *session) reply(err error) error {
	var r *smtp.Reply
	if s.conn.ESMTP || !errors.As(err, &r) {
		return err
	}
	return withoutEnhancedCode(r)
}

// withoutEnhancedCode returns r with the enhanced status code removed from each line.
func withoutEnhancedCode(r *smtp.Reply) *smtp.Reply {
	out := &smtp.Reply{Code: r.Code, Lines: make([]string, len(r.Lines))}
	for i, l := range r.Lines {
		if len(l) > 4 {
			word, rest, _ := strings.Cut(l[4:], " ")
			if _, ok := smtp.ParseEnhancedCode(word); ok {
				l = l[:4] + rest
			}
		}
		out.Lines[i] = l
	}
	return out
}

// spoolWriteError marks a failure to store the mail (as opposed to a failure to receive it).
type spoolWriteError struct{ err error }

func (e *spoolWriteError) Error() string { return e.err.Error() }
func (e *spoolWriteError) Unwrap() error { return e.err }

// relayDeliverer delivers in-process through pkg/relay, which resolves the account as
// `msmtp -f SENDER` would and sends the mail with the delivery library.
type relayDeliverer struct {
	backend *relay.Backend
}

func (d *relayDeliverer) Deliver(_ context.Context, env envelope, mail io.Reader) error {
	from := env.from
	if from == "" {
		// As the command gets it: `msmtp -f MAILER-DAEMON`, which sends <>.
		from = nullSenderName
	}
	sess, err := d.backend.NewSession(env.conn)
	if err != nil {
		return err
	}
	defer sess.Logout()
	defer sess.Reset()
	if err := sess.Mail(from, env.mailOpts); err != nil {
		return err
	}
	for _, rcpt := range env.rcpts {
		if err := sess.Rcpt(rcpt, server.RcptOptions{}); err != nil {
			return err
		}
	}
	return sess.Data(mail)
}
