package smtpclient

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"

	"github.com/msmtp-go/msmtp/internal/oserr"
)

// defaultProxyPort is msmtp's proxy_port default.
const defaultProxyPort = 1080

// dial opens the transport connection: a unix socket, a TCP connection to the server, or
// one to the SOCKS5 proxy followed by the proxy's CONNECT. The connect is bounded by the
// timeout (spec-mail-smtp.md §2.1).
func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	o := &c.opts
	dialer, err := c.dialer()
	if err != nil {
		return nil, err
	}
	dctx := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	if o.Socket != "" {
		conn, err := dialer.DialContext(dctx, "unix", o.Socket)
		if err != nil {
			return nil, newError(OpDial, "cannot connect to "+o.Socket+": "+connectText(err), err, ErrConnect)
		}
		return conn, nil
	}
	if o.ProxyHost == "" {
		return c.dialTCP(dctx, dialer, c.host, c.ascii, o.Port)
	}
	if len(c.ascii) > 255 {
		return nil, newError(OpDial, "proxy failure: host name too long", nil, ErrUnavailable)
	}
	port := o.ProxyPort
	if port == 0 {
		port = defaultProxyPort
	}
	conn, err := c.dialTCP(dctx, dialer, o.ProxyHost, asciiHost(o.ProxyHost), port)
	if err != nil {
		return nil, err
	}
	// The proxy's answers are read under the session's timeout, like any other reply.
	dc := newDeadlineConn(conn, o.Timeout)
	stop := dc.watch(ctx)
	err = socksConnectTo(dc, c.ascii, uint16(o.Port))
	stop()
	if err != nil {
		conn.Close()
		var se *socksError
		if errors.As(err, &se) {
			return nil, newError(OpDial, se.Error(), err, ErrUnavailable)
		}
		dir := reading
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "write" {
			dir = writing
		}
		return nil, ioError(OpDial, dir, false, err)
	}
	return conn, nil
}

// dialTCP connects to name:port; shown is the name for messages, name the one resolved.
func (c *Client) dialTCP(ctx context.Context, d Dialer, shown, name string, port int) (net.Conn, error) {
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(name, strconv.Itoa(port)))
	if err == nil {
		return conn, nil
	}
	var dnsErr *net.DNSError
	var sysErr *os.SyscallError
	switch {
	case errors.As(err, &dnsErr):
		return nil, newError(OpDial, "cannot locate host "+shown+": "+describeDNS(dnsErr), err, ErrHostNotFound)
	case errors.As(err, &sysErr) && sysErr.Syscall == "bind":
		return nil, newError(OpDial, "cannot bind source ip "+c.opts.SourceIP+": "+oserr.Text(err), err, ErrOS)
	}
	return nil, newError(OpDial, "cannot connect to "+shown+", port "+strconv.Itoa(port)+": "+connectText(err), err, ErrConnect)
}

// connectText describes a failed connect: a timeout is the kernel's ETIMEDOUT text, whoever
// noticed it first.
func connectText(err error) string {
	if isTimeout(err) {
		return "Connection timed out"
	}
	return oserr.Text(err)
}

// dialer returns the dialer to use, bound to SourceIP when one is set.
func (c *Client) dialer() (Dialer, error) {
	o := &c.opts
	var local net.Addr
	if o.SourceIP != "" {
		ip := net.ParseIP(o.SourceIP)
		if ip == nil {
			return nil, newError(OpDial, "cannot bind source ip "+o.SourceIP+": Invalid argument", nil, ErrOS)
		}
		if o.Socket == "" {
			local = &net.TCPAddr{IP: ip}
		}
	}
	switch d := o.Dialer.(type) {
	case nil:
		return &net.Dialer{LocalAddr: local}, nil
	case *net.Dialer:
		if local == nil {
			return d, nil
		}
		bound := *d
		bound.LocalAddr = local
		return &bound, nil
	default:
		return d, nil
	}
}
