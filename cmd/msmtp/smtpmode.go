package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/relay"
	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// smtpStdio is sendmail's -bs: an SMTP dialogue on standard input and output, through the
// msmtpd engine. Each transaction is delivered as `msmtp -f SENDER -- RECIPIENTS` with this
// run's options would deliver it (Symfony Mailer, Laravel and Nextcloud call sendmail this
// way by default).
func (a *app) smtpStdio() sysexits.Code {
	srv := &server.Server{
		Software: "msmtp",
		Backend: &relay.Backend{
			Context: a.ctx,
			Resolve: a.resolveForSender,
			// Standard output carries the SMTP replies: the transcript of --debug and the
			// log line of `logfile -` go to standard error instead.
			Delivery: a.deliveryOptions(a.stderr),
			Logger:   slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		},
	}
	conn := &server.StreamConn{R: nopCloser{a.stdin}, W: nopWriteCloser{a.stdout}}
	// The session's upstream connection is kept between its mails; end it with the session.
	defer srv.Backend.(*relay.Backend).Close()
	if err := srv.ServeConn(a.ctx, conn); err != nil {
		return sysexits.IOErr
	}
	return sysexits.OK
}

// resolveForSender chooses the account of one -bs transaction: this run's command line with
// -f SENDER added. The command line is parsed again for every mail so that each gets fresh
// overrides (cheap, and no state leaks from one mail to the next).
func (a *app) resolveForSender(_ context.Context, from string, header *message.Header) (*config.Account, error) {
	overrides := new(config.Overrides)
	if _, err := ParseArgs(a.args, ParseConfig{LookupEnv: a.lookupEnv, Settings: overrides}); err != nil {
		return nil, err
	}
	if err := overrides.Set("from", &from); err != nil {
		return nil, err
	}
	fromHeader := config.OptString{}
	if f := header.EnvelopeFrom(); f != "" {
		fromHeader = config.Some(f)
	}
	return config.Resolve(config.Request{
		Mode:       config.ModeSendmail,
		Account:    config.OptString{Value: a.inv.Account.Value, Set: a.inv.Account.Given},
		File:       config.OptString{Value: a.inv.File.Value, Set: a.inv.File.Given},
		Overrides:  overrides,
		FromHeader: fromHeader,
		Env:        a.env,
	})
}

// nopCloser and nopWriteCloser keep the session from closing msmtp's own standard streams.
type nopCloser struct{ io.Reader }

func (nopCloser) Close() error { return nil }

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
