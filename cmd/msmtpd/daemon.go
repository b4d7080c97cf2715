package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/msmtp-go/msmtp/pkg/auth"
	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/oauth2"
	"github.com/msmtp-go/msmtp/pkg/queue"
	"github.com/msmtp-go/msmtp/pkg/relay"
	"github.com/msmtp-go/msmtp/pkg/secret"
	"github.com/msmtp-go/msmtp/pkg/server"
)

// daemon is a configured msmtpd: everything is ready to listen or to serve one connection.
// A Windows service runs the same steps as run: newDaemon, then listen and serve until its
// context ends (or serveConn for one connection).
type daemon struct {
	opts      *options
	sys       *system
	log       *slog.Logger
	tlsConfig *tls.Config
	users     auth.Users
	backend   *backend
	// stopDeliveries ends backend.ctx: commands still running are killed.
	stopDeliveries context.CancelFunc

	// With --queue: the queue, the transport its runner delivers with, and the runner.
	queue     *queue.Queue
	transport queue.Transport
	runner    *runner

	listeners []boundListener
}

type boundListener struct {
	spec listenSpec
	l    net.Listener
	srv  *server.Server
}

// newDaemon prepares everything that can fail before msmtpd listens: the log, the TLS
// certificate, the users' passwords, the delivery. Errors are *usageError.
func newDaemon(ctx context.Context, o *options, sys *system, stdout, stderr io.Writer) (*daemon, error) {
	sink, err := newSink(o.log, sys, stderr)
	if err != nil {
		return nil, err
	}
	d := &daemon{opts: o, sys: sys, log: newLineLogger(sink)}
	if d.tlsConfig, err = loadTLS(o, sys.now); err != nil {
		return nil, err
	}
	if d.users, err = loadUsers(ctx, o.users, sys); err != nil {
		return nil, err
	}
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.stopDeliveries = cancel
	d.backend = &backend{ctx: dctx, spoolDir: o.spoolDir}
	if o.inProcess {
		d.backend.deliver, err = d.relayDeliverer(dctx, stdout)
	} else {
		d.backend.deliver, err = d.commandDeliverer()
	}
	if err == nil && o.queue {
		err = d.setUpQueue(dctx, stdout)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	if rd, ok := d.backend.deliver.(*relayDeliverer); ok {
		// In-process delivery keeps upstream sessions open between mails: end them too.
		d.stopDeliveries = func() {
			cancel()
			_ = rd.backend.Close()
		}
	}
	return d, nil
}

// setUpQueue opens the queue of --queue: the backend stores each mail in it, and the runner
// delivers it in-process with its msmtprc account, or through the command.
func (d *daemon) setUpQueue(ctx context.Context, stdout io.Writer) error {
	q, err := d.openQueue(d.opts.queueFS)
	if err != nil {
		return err
	}
	d.queue = q
	store := &queueStore{q: q, log: d.log, queuedBy: relay.QueuedByCommand}
	if d.opts.inProcess {
		store.queuedBy = relay.QueuedByMsmtpd
		if d.opts.accountGiven {
			store.account = d.opts.account
		}
		if d.opts.msmtprcGiven {
			store.msmtprc = absolute(d.opts.msmtprc)
		}
	}
	d.backend.queue = store
	env, dopts := d.inProcessWorld(ctx, stdout)
	t := &runnerTransport{inner: &relay.QueueTransport{Env: env, Delivery: dopts, Logger: d.log}}
	if cd, ok := d.backend.deliver.(*commandDeliverer); ok {
		t.command = cd
	} else if cd, err := d.commandDeliverer(); err == nil {
		// Mail queued while msmtpd ran with --command goes through the default command.
		t.command = cd.(*commandDeliverer)
	}
	d.transport = t
	return nil
}

func (d *daemon) commandDeliverer() (deliverer, error) {
	text := d.opts.command
	if text == "" {
		exe, err := d.sys.executable()
		if err != nil {
			return nil, usagef("cannot find the msmtp program next to msmtpd: %v; use --command", err)
		}
		text = defaultCommand(exe)
	}
	tmpl, err := parseCommandTemplate(text)
	if err != nil {
		return nil, usagef("invalid command %s: %v", text, err)
	}
	return &commandDeliverer{tmpl: tmpl, timeout: d.opts.commandTimeout, log: d.log}, nil
}

// relayDeliverer sets up in-process delivery: each mail goes through the msmtprc account
// that `msmtp [-C FILE] [-a ACCOUNT] -f SENDER` would use.
func (d *daemon) relayDeliverer(ctx context.Context, stdout io.Writer) (deliverer, error) {
	if d.opts.msmtprcGiven {
		if _, err := os.Stat(d.opts.msmtprc); err != nil {
			return nil, usagef("%s", strerror(err))
		}
	}
	env, dopts := d.inProcessWorld(ctx, stdout)
	o := d.opts
	resolve := func(_ context.Context, from string, header *message.Header) (*config.Account, error) {
		overrides := new(config.Overrides)
		if err := overrides.Set("from", &from); err != nil {
			return nil, err
		}
		fromHeader := config.OptString{}
		if f := header.EnvelopeFrom(); f != "" {
			fromHeader = config.Some(f)
		}
		return config.Resolve(config.Request{
			Mode:       config.ModeSendmail,
			Account:    config.OptString{Value: o.account, Set: o.accountGiven},
			File:       config.OptString{Value: o.msmtprc, Set: o.msmtprcGiven},
			Overrides:  overrides,
			FromHeader: fromHeader,
			Env:        env,
		})
	}
	return &relayDeliverer{backend: &relay.Backend{
		Context:  ctx,
		Resolve:  resolve,
		Delivery: dopts,
		Logger:   d.log,
	}}, nil
}

// inProcessWorld is the outside world of in-process delivery: msmtprc's environment, with
// eval and passwordeval, and the delivery library's options.
func (d *daemon) inProcessWorld(ctx context.Context, stdout io.Writer) (config.Env, delivery.Options) {
	evalRunner := (&secret.Runner{}).Hook(ctx)
	env := config.OSEnv()
	env.LookupEnv = d.sys.lookupEnv
	env.Eval, env.PasswordEval = evalRunner, evalRunner
	home, _ := d.sys.lookupEnv("HOME")
	if home == "" && env.HomeDir != nil {
		home = env.HomeDir()
	}
	if d.opts.inetd {
		// Standard output is the client's connection: `logfile -` must not write there.
		stdout = io.Discard
	}
	return env, delivery.Options{
		// No terminal prompt: nobody is there to answer it for each mail.
		Passwords: &secret.Sources{
			Keyring:    d.sys.keyring,
			NetrcFiles: secret.NetrcFiles(home, d.sys.lookupEnv),
		},
		Hostname: os.Hostname,
		Stdout:   stdout,
		Now:      d.sys.now,
		// One Manager for every session: concurrent deliveries share one refresh.
		OAuth2: &oauth2.Manager{Keyring: d.sys.keyring},
	}
}

// newServer makes the engine for one listener (or for --inetd).
func (d *daemon) newServer(mode tlsMode) *server.Server {
	o := d.opts
	srv := &server.Server{
		Hostname:        o.hostname,
		Backend:         d.backend,
		MaxMessageBytes: o.maxMessageSize,
		MaxRecipients:   unlimitedIfZero(o.maxRecipients),
		MaxSessions:     unlimitedIfZero(o.maxSessions),
		CommandTimeout:  unlimitedIfZero(o.timeout),
		DataTimeout:     unlimitedIfZero(o.timeout),
		Logger:          d.log,
		Now:             d.sys.now,
	}
	if len(d.users) > 0 {
		srv.Auth = authMechanisms(d.users)
		srv.AuthRequired = true
		srv.AllowInsecureAuth = o.allowInsecureAuth
	}
	if mode != tlsNone {
		srv.TLSConfig = d.tlsConfig
	}
	return srv
}

// unlimitedIfZero turns our "0 means no limit" into the engine's "negative means none".
func unlimitedIfZero[T int | time.Duration](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

// listen binds every listener; if one cannot be bound, none stays open. It then logs the
// addresses and writes the port file.
func (d *daemon) listen(ctx context.Context) error {
	var lc net.ListenConfig
	for _, spec := range d.opts.listeners {
		l, err := lc.Listen(ctx, "tcp", spec.addr.String())
		if err != nil {
			d.closeListeners()
			// Upstream's words, and its IP:PORT without brackets.
			return usagef("cannot bind to %s:%d: %s", spec.addr.Addr(), spec.addr.Port(), strerror(err))
		}
		srv := d.newServer(spec.mode)
		d.listeners = append(d.listeners, boundListener{spec: spec, l: d.filter(l), srv: srv})
	}
	var ports []string
	for _, bl := range d.listeners {
		d.log.Info("listening on "+bl.l.Addr().String(), "tls", bl.spec.mode.String())
		d.warnExposure(bl.spec)
		ports = append(ports, fmt.Sprint(bl.l.Addr().(*net.TCPAddr).Port))
	}
	if d.opts.portFile != "" {
		if err := writeFileAtomic(d.opts.portFile, strings.Join(ports, "\n")+"\n"); err != nil {
			d.closeListeners()
			return usagef("cannot write the port file: %s", strerror(err))
		}
	}
	return nil
}

// warnExposure logs the two ways a listener on a network address goes wrong: open to anyone
// who can reach it, or closed to everyone because AUTH needs TLS there.
func (d *daemon) warnExposure(spec listenSpec) {
	if spec.addr.Addr().IsLoopback() {
		return
	}
	switch {
	case len(d.users) == 0 && len(d.opts.allowNetworks) == 0:
		d.log.Warn("listening on a network address without authentication or allow_network: "+
			"anyone who can reach it can send mail", "listener", spec.addr.String())
	case len(d.users) > 0 && spec.mode == tlsNone && !d.opts.allowInsecureAuth:
		d.log.Warn("authentication is required but offered to non-loopback clients only with TLS, "+
			"which this listener lacks: they cannot send (set tls, or allow_insecure_auth)",
			"listener", spec.addr.String())
	}
}

func (d *daemon) closeListeners() {
	for _, bl := range d.listeners {
		bl.l.Close()
	}
	d.listeners = nil
}

// filter applies allow_network to a listener.
func (d *daemon) filter(l net.Listener) net.Listener {
	if len(d.opts.allowNetworks) == 0 {
		return l
	}
	return &allowListener{Listener: l, allow: d.opts.allowNetworks, log: d.log}
}

// serve runs the listeners until ctx ends, then shuts down gracefully: no new connections,
// transactions in progress may finish within shutdown_timeout, then the rest are cut off and
// the commands still running are killed. It returns nil after a shutdown, or the error of a
// listener that failed (after shutting the others down the same way).
func (d *daemon) serve(ctx context.Context) error {
	d.startRunner(ctx)
	errc := make(chan error, len(d.listeners))
	for _, bl := range d.listeners {
		go func() {
			if bl.spec.mode == tlsImplicit {
				errc <- bl.srv.ServeTLS(bl.l)
			} else {
				errc <- bl.srv.Serve(bl.l)
			}
		}()
	}
	running := len(d.listeners)
	var failure error
	select {
	case <-ctx.Done():
		d.log.Info("shutting down")
	case err := <-errc:
		running--
		failure = err
		d.log.Error("listener failed, shutting down", "error", err)
	}
	d.shutdown()
	for ; running > 0; running-- {
		if err := <-errc; failure == nil && err != nil && !errors.Is(err, server.ErrServerClosed) {
			failure = err
		}
	}
	if errors.Is(failure, server.ErrServerClosed) {
		failure = nil
	}
	return failure
}

// shutdown stops every server within shutdown_timeout, then kills what is left and waits
// for the deliveries to end.
func (d *daemon) shutdown() {
	sctx, cancel := context.WithTimeout(context.Background(), d.opts.shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, bl := range d.listeners {
		wg.Go(func() {
			if err := bl.srv.Shutdown(sctx); err != nil {
				d.log.Error("sessions still running after the shutdown timeout were disconnected",
					"listener", bl.l.Addr().String(), "timeout", d.opts.shutdownTimeout)
			}
		})
	}
	wg.Wait()
	// The runner first: it shares the deliveries' outside world (passwordeval), which
	// stopDeliveries ends.
	d.stopRunner()
	d.stopDeliveries()
	d.backend.inflight.stopAndWait()
	d.log.Info("msmtpd stopped")
}

// serveConn serves one connection in the calling goroutine (--inetd). It returns true when
// the session ended normally.
func (d *daemon) serveConn(ctx context.Context, c net.Conn) (ok bool) {
	defer func() {
		if ok && ctx.Err() == nil {
			d.runQueueOnce(ctx)
		}
		d.stopDeliveries()
		d.backend.inflight.stopAndWait()
	}()
	if ra := c.RemoteAddr(); ra != nil && len(d.opts.allowNetworks) > 0 && !allowed(ra, d.opts.allowNetworks) {
		refuse(c, d.log)
		return false
	}
	mode := d.opts.listeners[0].mode
	srv := d.newServer(mode)
	if mode == tlsImplicit {
		c = tls.Server(c, d.tlsConfig)
	}
	// A signal lets the transaction in progress finish, as in daemon mode, for at most
	// shutdown_timeout.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		t := time.NewTimer(d.opts.shutdownTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			srv.Close()
		case <-done:
		}
	}()
	return srv.ServeConn(ctx, c) == nil
}

// allowListener refuses connections from outside the allowed networks.
type allowListener struct {
	net.Listener
	allow []netip.Prefix
	log   *slog.Logger
}

func (l *allowListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if allowed(c.RemoteAddr(), l.allow) {
			return c, nil
		}
		// In its own goroutine: a client that does not read must not hold up the others.
		go refuse(c, l.log)
	}
}

// allowed reports whether a client address is in one of the networks.
func allowed(a net.Addr, networks []netip.Prefix) bool {
	var ip netip.Addr
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	default:
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return false
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap()
	for _, n := range networks {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// refuseTimeout bounds the write of the refusal.
const refuseTimeout = 2 * time.Second

// refuse answers a client from a network that is not allowed with a 554 greeting (RFC 5321
// §3.1: "no SMTP service here") and disconnects it, rather than closing silently, so that
// the client's log says why.
func refuse(c net.Conn, log *slog.Logger) {
	log.Warn("connection refused: client not in allow_network", "remote", c.RemoteAddr().String())
	_ = c.SetWriteDeadline(time.Now().Add(refuseTimeout))
	_, _ = io.WriteString(c, "554 5.7.1 Access denied\r\n")
	c.Close()
}

// writeFileAtomic writes a file so that a reader sees either nothing or all of it.
func writeFileAtomic(name, content string) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".msmtpd-port-*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
