package smtpclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"golang.org/x/net/idna"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// Protocol is the protocol a session speaks.
type Protocol int

// Protocols.
const (
	SMTP Protocol = iota // RFC 5321
	LMTP                 // RFC 2033: LHLO, and one reply per recipient after the data
)

// TLSMode says whether and how a session uses TLS.
type TLSMode int

// TLS modes.
const (
	NoTLS       TLSMode = iota // plain text
	StartTLS                   // STARTTLS after the first EHLO (RFC 3207); never a silent downgrade
	ImplicitTLS                // TLS from the first byte (RFC 8314)
)

// Dialer opens network connections. *net.Dialer implements it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// AuthFunc chooses the SASL mechanism for a session. It runs after the final EHLO, with
// the capabilities the server advertised and the TLS state (nil without TLS; SCRAM -PLUS
// mechanisms take their channel binding from it). It returns the client that runs the
// exchange, nil for no authentication, or an error that ends the session; that error is
// wrapped unchanged in an *Error with Op OpAuth and the same text.
type AuthFunc func(caps *Capabilities, tlsState *tls.ConnectionState) (sasl.Client, error)

// Options configure a session. The zero value connects to nothing: set Host and Port, or
// Socket.
type Options struct {
	// Host and Port are the server. A host name with non-ASCII characters is converted to
	// its IDNA (punycode) form for resolving, for the proxy and for the TLS server name;
	// error messages show it as given.
	Host string
	Port int
	// Socket is the path of a unix-domain socket to use instead of Host, Port and the
	// proxy. No port is needed then, also for LMTP.
	Socket string
	// ProxyHost and ProxyPort name a SOCKS5 proxy (RFC 1928, no authentication); the
	// server's name is resolved by the proxy. ProxyPort 0 means 1080.
	ProxyHost string
	ProxyPort int
	// SourceIP is the local address to bind to (msmtp's source_ip). It applies to the
	// default dialer and to a Dialer that is a *net.Dialer; another Dialer must bind
	// itself.
	SourceIP string
	// Dialer opens the connections; nil means a net.Dialer.
	Dialer Dialer
	// Timeout bounds the connect, the TLS handshake and every single read and write of
	// the session (also over TLS and unix sockets); 0 means no bound. It is a bound per
	// operation, as msmtp's --timeout is, not one for the whole session.
	Timeout time.Duration

	// Protocol is SMTP or LMTP.
	Protocol Protocol
	// Domain is the argument of EHLO, HELO and LHLO. It is sent as given: an empty
	// Domain sends `EHLO ` with its trailing blank, as msmtp does for --domain=.
	Domain string

	// TLS selects plain text, STARTTLS or implicit TLS.
	TLS TLSMode
	// TLSConfig is the caller's TLS configuration (trust, pins, client certificate).
	// When its ServerName is empty, Host is used. Errors of its VerifyConnection and
	// VerifyPeerCertificate come back as ErrCertificate, wrapped unchanged.
	TLSConfig *tls.Config
	// AfterTLS, when set, is called right after each successful TLS handshake, before the
	// session continues, so that the caller can print the TLS block of --debug at the
	// place msmtp prints it.
	AfterTLS func(tls.ConnectionState)

	// RequireDSN makes Open fail with ErrUnsupported (`the server does not support DSN`)
	// when the server does not advertise DSN, before authenticating, as msmtp does when
	// dsn_notify or dsn_return is set. Send checks again whenever the envelope uses DSN.
	RequireDSN bool
	// RequireETRN makes Open fail with ErrUnsupported when ETRN is not advertised, before
	// authenticating, as msmtp --rmqs does.
	RequireETRN bool

	// Authenticate, when set, makes Open authenticate: without the AUTH capability Open
	// fails with `the server does not support authentication`; otherwise the function
	// picks the mechanism. After the success reply, a client that has a ServerVerified()
	// bool method (mutual mechanisms such as SCRAM) must report true, else Open fails with
	// ErrServerNotVerified.
	Authenticate AuthFunc
	// DecodeChallenge decodes the text of a 334 reply for the mechanism named. nil means
	// base64, where undecodable text fails the exchange with `authentication method M:
	// server sent invalid challenge`. pkg/auth's DecodeChallenge knows which mechanisms
	// ignore their challenges.
	DecodeChallenge func(mechanism, text string) ([]byte, error)

	// Transcript receives the --debug conversation (`<-- ` and `--> ` lines).
	Transcript io.Writer
	// ShowCredentials shows AUTH payloads in the transcript; by default they are replaced
	// by `<redacted>`.
	ShowCredentials bool
}

// quitTimeout bounds the QUIT exchange and the reading of leftover replies after a failure:
// neither may keep a finished session waiting long.
const quitTimeout = 5 * time.Second

// copyBufferSize is the size of the buffer that moves the mail from the caller's reader,
// and of the write buffer: large enough that a mail of a few KiB is one write, and that a
// large one moves in full TLS records.
const copyBufferSize = 32 << 10

// Client is one SMTP or LMTP session, opened by Open. Its methods must not be called
// concurrently.
type Client struct {
	opts  Options
	host  string // Host as given, for messages
	ascii string // Host in ASCII form, for the wire

	dc       *deadlineConn // the transport connection (TCP, unix, or via the proxy)
	conn     net.Conn      // dc, or the TLS connection on top of it
	r        *bufio.Reader
	w        *bufio.Writer
	tr       *transcript
	tlsState *tls.ConnectionState
	remote   net.Addr

	greeting *smtp.Reply
	hello    *smtp.Reply
	caps     Capabilities
	authMech string

	broken bool // the connection is in an unknown state: no QUIT, no more commands
	closed bool
	buf    []byte // the mail copy buffer, kept for the next Send of a reused session
}

// Open connects and runs the start of a session: connect (directly, through a unix socket
// or a SOCKS5 proxy), implicit TLS, the greeting, EHLO (or HELO when EHLO gets anything but
// 250; LHLO for LMTP), STARTTLS with a second EHLO, the DSN and ETRN checks, and AUTH. The
// same function serves sending, --serverinfo (no Authenticate) and --rmqs (RequireETRN).
//
// Errors are *Error. On failure the connection is closed, after a QUIT when the server is
// still in a state to take one (msmtp skips QUIT on most failures; spec-mail-smtp.md §11.22).
func Open(ctx context.Context, opts Options) (*Client, error) {
	c := &Client{opts: opts, host: opts.Host, ascii: asciiHost(opts.Host), tr: newTranscript(opts.Transcript)}
	if err := checkLine(OpHello, "domain", opts.Domain); err != nil {
		return nil, err
	}
	raw, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	if tcp, ok := raw.(interface{ SetNoDelay(bool) error }); ok {
		// Go's default, but a custom dialer might not keep it: with Nagle's algorithm a
		// pipelined batch after a small write waits for the peer's delayed ACK.
		_ = tcp.SetNoDelay(true)
	}
	c.remote = raw.RemoteAddr()
	if opts.ProxyHost != "" && opts.Socket == "" {
		c.remote = nil // the address is the proxy's, not the server's
	}
	c.dc = newDeadlineConn(raw, opts.Timeout)
	c.setConn(c.dc)
	stop := c.dc.watch(ctx)
	defer stop()
	if err := c.start(); err != nil {
		c.abort()
		return nil, err
	}
	return c, nil
}

// asciiHost returns the IDNA form of a host name with non-ASCII characters, and any other
// name unchanged: names that are already ASCII may hold characters IDNA rejects (an
// underscore in an internal name) and must still work. A name IDNA cannot convert is used as
// given, and resolving it then fails with a proper message.
func asciiHost(h string) string {
	if smtp.IsASCII(h) {
		return h
	}
	if a, err := idna.Lookup.ToASCII(h); err == nil {
		return a
	}
	return h
}

// setConn makes conn the session's connection (again after a TLS handshake).
func (c *Client) setConn(conn net.Conn) {
	c.conn = conn
	var r io.Reader = conn
	if c.tr != nil {
		r = teeReader{r: conn, t: c.tr}
	}
	c.r = bufio.NewReader(r)
	c.w = bufio.NewWriterSize(conn, copyBufferSize)
}

func (c *Client) start() error {
	if c.opts.TLS == ImplicitTLS {
		if err := c.handshake(); err != nil {
			return err
		}
	}
	greeting, err := c.readReply(OpGreeting)
	if err != nil {
		return err
	}
	c.greeting = greeting
	if greeting.Code != smtp.CodeServiceReady {
		return replyError(OpGreeting, "cannot get initial OK message from server", greeting, ErrProtocol)
	}
	if err := c.sayHello(); err != nil {
		return err
	}
	if c.opts.TLS == StartTLS {
		if err := c.startTLS(); err != nil {
			return err
		}
		if err := c.sayHello(); err != nil {
			return err
		}
	}
	if c.opts.RequireDSN && !c.caps.DSN {
		return unsupported(OpMail, "the server does not support DSN")
	}
	if c.opts.RequireETRN && !c.caps.ETRN {
		return unsupported(OpETRN, "the server does not support Remote Message Queue Starting")
	}
	if c.opts.Authenticate != nil {
		if !c.caps.Auth {
			return unsupported(OpAuth, "the server does not support authentication")
		}
		client, err := c.opts.Authenticate(&c.caps, c.tlsState)
		if err != nil {
			return newError(OpAuth, err.Error(), err)
		}
		if client != nil {
			return c.authenticate(client)
		}
	}
	return nil
}

// sayHello sends EHLO, falling back to HELO on any reply but 250 as msmtp does, or LHLO.
func (c *Client) sayHello() error {
	c.caps = Capabilities{}
	if c.opts.Protocol == LMTP {
		r, err := c.cmd(OpHello, "LHLO "+c.opts.Domain)
		if err != nil {
			return err
		}
		c.hello = r
		if r.Code != smtp.CodeOK {
			return replyError(OpHello, "command LHLO failed", r, ErrProtocol)
		}
		c.caps = ParseCapabilities(r)
		return nil
	}
	r, err := c.cmd(OpHello, "EHLO "+c.opts.Domain)
	if err != nil {
		return err
	}
	c.hello = r
	if r.Code == smtp.CodeOK {
		c.caps = ParseCapabilities(r)
		return nil
	}
	r, err = c.cmd(OpHello, "HELO "+c.opts.Domain)
	if err != nil {
		return err
	}
	c.hello = r
	if r.Code != smtp.CodeOK {
		return replyError(OpHello, "SMTP server does not accept EHLO or HELO commands", r, ErrProtocol)
	}
	return nil
}

func (c *Client) startTLS() error {
	if !c.caps.STARTTLS {
		return unsupported(OpSTARTTLS, "the server does not support TLS via the STARTTLS command")
	}
	r, err := c.cmd(OpSTARTTLS, "STARTTLS")
	if err != nil {
		return err
	}
	if r.Code != smtp.CodeServiceReady {
		return replyError(OpSTARTTLS, "command STARTTLS failed", r, ErrProtocol)
	}
	if c.r.Buffered() > 0 {
		// Bytes after the 220 came from before the handshake, possibly from a man in the
		// middle, and must not be taken as replies of the TLS session (CVE-2011-0411's
		// client-side twin).
		c.broken = true
		return newError(OpSTARTTLS, "command STARTTLS failed", nil, ErrProtocol)
	}
	return c.handshake()
}

// handshake runs the TLS client handshake on the connection.
func (c *Client) handshake() error {
	cfg := c.tlsConfig()
	tc := tls.Client(c.dc, cfg)
	// The deadlineConn bounds every read and write of the handshake and stops them when
	// the caller's context ends.
	if err := tc.Handshake(); err != nil {
		c.broken = true
		var ce *certError
		var cve *tls.CertificateVerificationError
		switch {
		case errors.As(err, &ce):
			return newError(OpTLS, ce.err.Error(), ce.err, ErrCertificate)
		case errors.As(err, &cve):
			return newError(OpTLS, "TLS certificate verification failed: "+certificateText(err), err, ErrCertificate)
		case isTimeout(err) || c.dc.cancelled() != nil:
			return ioError(OpTLS, reading, false, err)
		}
		return newError(OpTLS, "TLS handshake failed: "+handshakeText(err), err, ErrTLSHandshake, ErrProtocol)
	}
	state := tc.ConnectionState()
	c.tlsState = &state
	c.setConn(tc)
	if c.opts.AfterTLS != nil {
		c.opts.AfterTLS(state)
	}
	return nil
}

// certError marks an error of the caller's own certificate checks.
type certError struct{ err error }

func (e *certError) Error() string { return e.err.Error() }
func (e *certError) Unwrap() error { return e.err }

// tlsConfig returns a copy of the caller's configuration with the server name set and the
// caller's verification callbacks marked, so that their errors are told apart from other
// handshake failures.
func (c *Client) tlsConfig() *tls.Config {
	var cfg *tls.Config
	if c.opts.TLSConfig != nil {
		cfg = c.opts.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.ascii
	} else {
		cfg.ServerName = asciiHost(cfg.ServerName)
	}
	if vc := cfg.VerifyConnection; vc != nil {
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if err := vc(cs); err != nil {
				return &certError{err}
			}
			return nil
		}
	}
	if vp := cfg.VerifyPeerCertificate; vp != nil {
		cfg.VerifyPeerCertificate = func(raw [][]byte, chains [][]*x509.Certificate) error {
			if err := vp(raw, chains); err != nil {
				return &certError{err}
			}
			return nil
		}
	}
	return cfg
}

// authenticate runs the AUTH exchange of RFC 4954 §4.
func (c *Client) authenticate(client sasl.Client) error {
	mech, ir, err := client.Start()
	if err != nil {
		return newError(OpAuth, err.Error(), err, ErrAuthFailed)
	}
	if err := checkLine(OpAuth, "mechanism", mech); err != nil {
		return err
	}
	c.authMech = mech
	failed := "authentication failed (method " + mech + ")"
	line := "AUTH " + mech
	redacted := line
	if ir != nil {
		enc := "="
		if len(ir) > 0 {
			enc = base64Encode(ir)
		}
		line += " " + enc
		redacted += " <redacted>"
	}
	r, err := c.cmdRedacted(OpAuth, line, redacted)
	// A hostile server could keep sending 334s; no mechanism needs more than a handful.
	for round := 0; ; round++ {
		if err != nil {
			return err
		}
		switch r.Code {
		case smtp.CodeAuthSucceeded:
			if m, ok := client.(interface{ ServerVerified() bool }); ok && !m.ServerVerified() {
				return newError(OpAuth, "authentication method "+mech+": "+ErrServerNotVerified.Error(), ErrServerNotVerified, ErrAuthFailed)
			}
			return nil
		case smtp.CodeAuthContinue:
		default:
			return replyError(OpAuth, failed, r, ErrAuthFailed)
		}
		if round == 50 {
			return replyError(OpAuth, failed, r, ErrAuthFailed, ErrProtocol)
		}
		r, err = c.authStep(client, mech, failed, r)
	}
}

// authStep answers one 334 challenge and returns the server's next reply.
func (c *Client) authStep(client sasl.Client, mech, failed string, r *smtp.Reply) (*smtp.Reply, error) {
	challenge, err := c.decodeChallenge(mech, r.Text()[0])
	if err != nil {
		return nil, c.cancelAuth(newError(OpAuth, err.Error(), err, ErrProtocol))
	}
	resp, err := client.Next(challenge)
	if err != nil {
		return nil, c.cancelAuth(newError(OpAuth, failed+": "+err.Error(), err, ErrAuthFailed))
	}
	return c.cmdRedacted(OpAuth, base64Encode(resp), "<redacted>")
}

// cancelAuth ends an exchange the client cannot continue with "*" (RFC 4954 §4), so that the
// session can still QUIT, and returns failure.
func (c *Client) cancelAuth(failure *Error) error {
	r, err := c.cmd(OpAuth, "*")
	if err != nil {
		return err
	}
	failure.Reply = r
	return failure
}

func base64Encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func (c *Client) decodeChallenge(mech, text string) ([]byte, error) {
	if c.opts.DecodeChallenge != nil {
		return c.opts.DecodeChallenge(mech, text)
	}
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("authentication method %s: server sent invalid challenge", mech)
	}
	return b, nil
}

// Greeting returns the server's greeting reply.
func (c *Client) Greeting() *smtp.Reply { return c.greeting }

// Hello returns the reply to the last EHLO, HELO or LHLO.
func (c *Client) Hello() *smtp.Reply { return c.hello }

// Capabilities returns what the server advertised in its last EHLO or LHLO reply.
func (c *Client) Capabilities() Capabilities { return c.caps }

// TLSConnectionState returns the TLS state, and false when the session does not use TLS.
func (c *Client) TLSConnectionState() (tls.ConnectionState, bool) {
	if c.tlsState == nil {
		return tls.ConnectionState{}, false
	}
	return *c.tlsState, true
}

// RemoteAddr returns the address of the server connected to: a *net.TCPAddr, a
// *net.UnixAddr for a socket, or nil through a proxy (the address would be the proxy's).
func (c *Client) RemoteAddr() net.Addr { return c.remote }

// AuthMechanism returns the mechanism of a successful AUTH, or "".
func (c *Client) AuthMechanism() string { return c.authMech }

// Reset sends RSET (RFC 5321 §4.1.1.5), to start a new transaction on a reused session after
// a failed Send. Errors are *Error (ErrRejected for a reply other than 250).
func (c *Client) Reset(ctx context.Context) error {
	if err := c.usable(OpReset); err != nil {
		return err
	}
	defer c.dc.watch(ctx)()
	r, err := c.cmd(OpReset, "RSET")
	if err != nil {
		return err
	}
	if r.Code != smtp.CodeOK {
		return replyError(OpReset, "command RSET failed", r, ErrRejected)
	}
	return nil
}

// ETRN asks the server to start its queue for arg (RFC 1985; msmtp --rmqs), sent verbatim
// (`host`, `@domain`, `#queue`). A reply 250 to 253 is success. Errors are *Error with
// msmtp's texts (spec-mail-smtp.md §7.1): `the server does not support Remote Message Queue
// Starting` (ErrUnsupported), `the server is unable to fulfill the request` for 458/459
// (ErrRejected, ErrUnavailable), `invalid argument for Remote Message Queue Starting` for
// 500/501 (ErrRejected), `command ETRN failed` otherwise (ErrRejected, ErrProtocol).
func (c *Client) ETRN(ctx context.Context, arg string) (*smtp.Reply, error) {
	if err := c.usable(OpETRN); err != nil {
		return nil, err
	}
	if !c.caps.ETRN {
		return nil, unsupported(OpETRN, "the server does not support Remote Message Queue Starting")
	}
	if err := checkLine(OpETRN, "argument", arg); err != nil {
		return nil, err
	}
	defer c.dc.watch(ctx)()
	r, err := c.cmd(OpETRN, "ETRN "+arg)
	if err != nil {
		return nil, err
	}
	switch {
	case r.Code >= 250 && r.Code <= 253:
		return r, nil
	case r.Code == 458 || r.Code == 459:
		return r, replyError(OpETRN, "the server is unable to fulfill the request", r, ErrRejected, ErrUnavailable)
	case r.Code == 500 || r.Code == 501:
		return r, replyError(OpETRN, "invalid argument for Remote Message Queue Starting", r, ErrRejected)
	}
	return r, replyError(OpETRN, "command ETRN failed", r, ErrRejected, ErrProtocol)
}

// Quit sends QUIT, reads the reply (whatever it says) within a short bound, and closes the
// connection. On a session broken by an I/O or protocol error it only closes. The error is
// the QUIT exchange's I/O error, which callers usually ignore, as msmtp does.
func (c *Client) Quit() error {
	if c.closed {
		return nil
	}
	var err error
	if !c.broken {
		err = c.quit()
	}
	c.closeConn()
	return err
}

// Close ends the session like Quit and ignores its error. It is safe to call more than
// once, and after Quit.
func (c *Client) Close() error {
	_ = c.Quit()
	return nil
}

func (c *Client) quit() error {
	c.dc.setTimeout(c.shortTimeout())
	_, err := c.cmd(OpQuit, "QUIT")
	return err
}

// shortTimeout bounds the exchanges after the work is done or failed.
func (c *Client) shortTimeout() time.Duration {
	if t := c.opts.Timeout; t > 0 && t < quitTimeout {
		return t
	}
	return quitTimeout
}

// abort ends a session that failed in Open.
func (c *Client) abort() {
	_ = c.Quit()
}

func (c *Client) closeConn() {
	c.closed = true
	if c.conn != nil {
		_ = c.conn.Close()
	}
}

func (c *Client) usable(op Op) error {
	if c.closed || c.broken {
		return newError(op, ErrClosed.Error(), nil, ErrClosed)
	}
	return nil
}

// queue buffers one command line; logged is what the transcript shows.
func (c *Client) queue(op Op, line, logged string) error {
	c.tr.sentLine(logged)
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return c.ioFailed(op, writing, err)
	}
	return nil
}

func (c *Client) flush(op Op) error {
	if err := c.w.Flush(); err != nil {
		return c.ioFailed(op, writing, err)
	}
	return nil
}

// cmd sends one command and reads its reply.
func (c *Client) cmd(op Op, line string) (*smtp.Reply, error) {
	return c.cmdRedacted(op, line, line)
}

func (c *Client) cmdRedacted(op Op, line, redacted string) (*smtp.Reply, error) {
	if c.opts.ShowCredentials {
		redacted = line
	}
	if err := c.queue(op, line, redacted); err != nil {
		return nil, err
	}
	if err := c.flush(op); err != nil {
		return nil, err
	}
	return c.readReply(op)
}

// readReply reads one reply. Errors break the session: after a malformed or missing reply
// nobody knows which reply the next one answers.
func (c *Client) readReply(op Op) (*smtp.Reply, error) {
	r, err := smtp.ReadReply(c.r)
	if err == nil {
		return r, nil
	}
	if errors.Is(err, smtp.ErrEmptyReply) || errors.Is(err, smtp.ErrInvalidReply) || errors.Is(err, smtp.ErrReplyTooLong) {
		// The partial reply is not kept: msmtp prints no `server message:` lines for a
		// reply it could not read (the transcript shows the bytes).
		c.broken = true
		return nil, newError(op, err.Error(), err, ErrProtocol)
	}
	return nil, c.ioFailed(op, reading, err)
}

func (c *Client) ioFailed(op Op, dir direction, err error) *Error {
	c.broken = true
	if cause := c.dc.cancelled(); cause != nil && !errors.Is(err, cause) {
		err = fmt.Errorf("%w: %w", cause, err)
	}
	return ioError(op, dir, c.tlsState != nil, err)
}

// checkLine rejects a value that would end the command line early: a CR or LF in an
// address would let the caller's input inject commands.
func checkLine(op Op, what, s string) error {
	if strings.ContainsAny(s, "\r\n") {
		return newError(op, fmt.Sprintf("invalid %s %s: it contains a line break", what, strconv.Quote(s)), nil, ErrInvalidArgument)
	}
	return nil
}
