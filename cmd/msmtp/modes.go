package main

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/smtpclient"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// failSession reports an error of --serverinfo or --rmqs: the error and the server's reply
// lines, without sendmail mode's closing "could not send mail" line (spec-mail-smtp.md §5.1).
func (a *app) failSession(err error) sysexits.Code {
	a.errorf("%s", delivery.Sanitize(err.Error()))
	var ce *smtpclient.Error
	if errors.As(err, &ce) && ce.Reply != nil {
		for _, l := range ce.Reply.Lines {
			a.errorf("server message: %s", delivery.Sanitize(l))
		}
	}
	return delivery.ExitCode(err)
}

// serverInfo is --serverinfo: connect, say EHLO (and STARTTLS), and describe the server.
func (a *app) serverInfo(overrides *config.Overrides) sysexits.Code {
	acct, err := a.resolve(config.ModeServerInfo, overrides, config.OptString{})
	if err != nil {
		return a.fail(err)
	}
	if a.inv.Pretend || a.inv.Debug {
		if err := config.WritePretend(a.stdout, acct, config.PretendOptions{Mode: config.ModeServerInfo}); err != nil {
			return a.fail(err)
		}
	}
	if a.inv.Pretend {
		return sysexits.OK
	}
	opts, err := delivery.SessionOptions(a.ctx, a.deliveryOptions(a.stdout), acct)
	if err != nil {
		return a.failSession(err)
	}
	opts.Authenticate = nil // --serverinfo never authenticates
	opts.RequireDSN = false
	c, err := smtpclient.Open(a.ctx, opts)
	if err != nil {
		return a.failSession(err)
	}
	caps := c.Capabilities()
	var tlsState *tls.ConnectionState
	if cs, ok := c.TLSConnectionState(); ok {
		tlsState = &cs
	}
	si := serverInfo{
		LMTP:         acct.Protocol == config.LMTP,
		Server:       acct.Host.Value,
		Port:         acct.Port,
		Caps:         &caps,
		TLS:          tlsState,
		StartTLSUsed: acct.TLS && acct.TLSStartTLS,
		TLSOff:       !acct.TLS,
	}
	if si.Server == "" {
		si.Server = acct.Socket
	}
	if g := c.Greeting(); g != nil && len(g.Text()) > 0 {
		si.Greeting = g.Text()[0]
	}
	if addr, ok := c.RemoteAddr().(*net.TCPAddr); ok && addr != nil {
		si.Addr = addr.IP.String()
		if names, err := net.DefaultResolver.LookupAddr(a.ctx, si.Addr); err == nil && len(names) > 0 {
			si.Canonical = strings.TrimSuffix(names[0], ".")
		}
	}
	_ = c.Quit()
	writeServerInfo(a.stdout, si, time.Local)
	return sysexits.OK
}

// rmqs is --rmqs=ARG: ask the server to start its queue for ARG with ETRN (RFC 1985).
func (a *app) rmqs(overrides *config.Overrides) sysexits.Code {
	acct, err := a.resolve(config.ModeRMQS, overrides, config.OptString{})
	if err != nil {
		return a.fail(err)
	}
	if a.inv.Pretend || a.inv.Debug {
		if err := config.WritePretend(a.stdout, acct, config.PretendOptions{Mode: config.ModeRMQS, RMQS: a.inv.RMQS}); err != nil {
			return a.fail(err)
		}
	}
	if a.inv.Pretend {
		return sysexits.OK
	}
	opts, err := delivery.SessionOptions(a.ctx, a.deliveryOptions(a.stdout), acct)
	if err != nil {
		return a.failSession(err)
	}
	opts.RequireETRN = true
	opts.RequireDSN = false
	c, err := smtpclient.Open(a.ctx, opts)
	if err != nil {
		return a.failSession(err)
	}
	defer c.Close()
	if _, err := c.ETRN(a.ctx, a.inv.RMQS); err != nil {
		return a.failSession(err)
	}
	_ = c.Quit()
	return sysexits.OK
}
