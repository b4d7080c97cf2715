package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/relay"
	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtp"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// envelope is a mail's envelope as the client sent it.
type envelope struct {
	from     string // "" for the null sender <>
	rcpts    []string
	conn     server.ConnInfo
	mailOpts server.MailOptions
}

// deliverer delivers one complete mail: commandDeliverer pipes it to a command, upstream's
// way; relayDeliverer delivers it in-process through the delivery library. Both decide the
// client's reply the same way, through relay.ExitReply.
type deliverer interface {
	// Deliver delivers mail (complete, with LF line ends, the Received header first) to
	// env's recipients. It returns nil for the engine's default success reply, or an error
	// holding the *smtp.Reply the client gets (a 2xx one for success with another text);
	// any other error gets a generic reply and is only logged.
	Deliver(ctx context.Context, env envelope, mail io.Reader) error
}

// nullSenderName stands for the null sender <> on a command line: msmtp turns it back into
// <> (spec-mail-smtp.md §8.4).
const nullSenderName = "MAILER-DAEMON"

// outputLimit is how much of a command's standard output and error is kept for the log.
const outputLimit = 4 << 10

// defaultWaitDelay bounds the wait for a command's output after it exited (a background
// process it started may hold the pipes open) and for it to die after it was killed.
const defaultWaitDelay = 5 * time.Second

// Replies of the command backend: upstream's texts (spec-mail-smtp.md §8.3 item 9).
const (
	textPiped          = "Ok, mail was piped"
	textCannotStart    = "Cannot start pipe command"
	textFailed         = "Pipe command failed to execute"
	textReportedFormat = "Pipe command reported error %d"
	textTimedOut       = "Pipe command timed out"
	textShuttingDown   = "Service shutting down, try again later"
)

// commandDeliverer runs --command for each mail.
type commandDeliverer struct {
	tmpl *commandTemplate
	// timeout kills a command that runs longer; 0 means no limit.
	timeout time.Duration
	// waitDelay is exec.Cmd.WaitDelay; 0 means defaultWaitDelay.
	waitDelay time.Duration
	// env is the command's environment in os/exec's form; nil inherits msmtpd's.
	env []string
	log *slog.Logger
}

// startsWithDash reports an address that a command would take for an option. The engine
// refuses these already (553); this check keeps the command backend safe on its own.
func startsWithDash(addr string) bool {
	return strings.HasPrefix(strings.TrimLeft(addr, `"`), "-")
}

func (d *commandDeliverer) Deliver(ctx context.Context, env envelope, mail io.Reader) error {
	for _, a := range append([]string{env.from}, env.rcpts...) {
		if startsWithDash(a) {
			return smtp.NewReply(smtp.CodeMailboxNameInvalid, smtp.EnhBadDestSyntax, "Addresses must not start with '-'")
		}
	}
	if ctx.Err() != nil {
		return smtp.NewReply(smtp.CodeLocalError, smtp.EnhTempLocalError, textShuttingDown)
	}
	from := env.from
	if from == "" {
		from = nullSenderName
	}
	argv := d.tmpl.argv(from, env.rcpts)
	// The engine logs each mail with its envelope; "remote" ties these lines to it.
	log := d.log
	if ra := env.conn.RemoteAddr; ra != nil {
		log = log.With("remote", ra.String())
	}
	log.Info("pipe command is " + sanitize(displayCommand(argv)))

	cctx, cancel := ctx, context.CancelFunc(func() {})
	if d.timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, d.timeout)
	}
	defer cancel()
	cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
	prepareCommand(cmd)
	cmd.Env = d.env
	cmd.Stdin = mail
	// Never the client's connection (upstream's inetd mode gives the command the socket as
	// its standard output): what a command prints goes to the log.
	var stdout, stderr cappedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = d.waitDelay
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = defaultWaitDelay
	}
	if err := cmd.Start(); err != nil {
		log.Error("cannot start pipe command", "error", err)
		if ctx.Err() != nil {
			return smtp.NewReply(smtp.CodeLocalError, smtp.EnhTempLocalError, textShuttingDown)
		}
		return smtp.NewReply(smtp.CodeTransactionFailed, smtp.EnhPermDelivery, textCannotStart)
	}
	werr := cmd.Wait()
	ps := cmd.ProcessState
	ok := ps != nil && ps.Exited() && ps.ExitCode() == 0
	logOutput(log, ok, &stdout, &stderr)

	switch {
	case ok:
		// Also when the wait for the output timed out (exec.ErrWaitDelay): the command
		// said it delivered the mail.
		log.Info("mail was piped successfully")
		return relay.ExitReply(sysexits.OK, textPiped)
	case ctx.Err() != nil:
		log.Error("pipe command killed: msmtpd is shutting down")
		return smtp.NewReply(smtp.CodeLocalError, smtp.EnhTempLocalError, textShuttingDown)
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		log.Error("pipe command killed after running too long", "timeout", d.timeout)
		return smtp.NewReply(smtp.CodeLocalError, smtp.EnhTempLocalError, textTimedOut)
	case ps != nil && ps.Exited():
		n := ps.ExitCode()
		log.Error(fmt.Sprintf("pipe command reported error %d", n), "status", sysexits.Code(n).String())
		return relay.ExitReply(sysexits.Code(n), fmt.Sprintf(textReportedFormat, n))
	}
	attrs := []any{"error", werr}
	if sig, ok := exitSignal(ps); ok {
		attrs = append(attrs, "signal", sig)
	}
	log.Error("pipe command failed to execute", attrs...)
	return smtp.NewReply(smtp.CodeTransactionFailed, smtp.EnhPermDelivery, textFailed)
}

// logOutput logs what a command printed, if anything.
func logOutput(log *slog.Logger, ok bool, stdout, stderr *cappedBuffer) {
	if stdout.total == 0 && stderr.total == 0 {
		return
	}
	var attrs []any
	for _, o := range []struct {
		name string
		buf  *cappedBuffer
	}{{"stdout", stdout}, {"stderr", stderr}} {
		if o.buf.total == 0 {
			continue
		}
		attrs = append(attrs, o.name, strings.TrimRight(string(o.buf.data), "\r\n"))
		if o.buf.total > int64(len(o.buf.data)) {
			attrs = append(attrs, o.name+"_bytes", o.buf.total)
		}
	}
	if ok {
		log.Info("pipe command output", attrs...)
	} else {
		log.Error("pipe command output", attrs...)
	}
}

// cappedBuffer keeps the first outputLimit bytes written to it and counts the rest. It
// never fails, so a chatty command is never blocked or broken by it.
type cappedBuffer struct {
	data  []byte
	total int64
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.total += int64(len(p))
	if room := outputLimit - len(b.data); room > 0 {
		b.data = append(b.data, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
