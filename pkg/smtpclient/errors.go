package smtpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"

	"github.com/msmtp-go/msmtp/internal/oserr"
	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// Op names the step of a session during which an error happened.
type Op string

// The steps of a session, in the order Open and Send run them.
const (
	OpDial      Op = "dial"        // resolving, binding the source address, connecting, SOCKS5
	OpTLS       Op = "tls"         // the TLS handshake (implicit TLS or after STARTTLS)
	OpGreeting  Op = "greeting"    // the server's 220 greeting
	OpHello     Op = "hello"       // EHLO, the HELO fallback, or LHLO
	OpSTARTTLS  Op = "starttls"    // the STARTTLS command
	OpAuth      Op = "auth"        // the AUTH exchange
	OpMail      Op = "mail"        // MAIL FROM, and the checks before it (DSN, SIZE)
	OpRcpt      Op = "rcpt"        // RCPT TO
	OpData      Op = "data"        // the DATA command and the transmission of the mail
	OpEndOfData Op = "end of data" // the reply(s) after the final "."
	OpETRN      Op = "etrn"        // ETRN (--rmqs) and its capability check
	OpReset     Op = "rset"        // RSET
	OpQuit      Op = "quit"        // QUIT
)

// Error kinds, found with errors.Is on an *Error. Each names a row of msmtp's exit-code
// table (spec-mail-smtp.md §6); an error can have more than one kind (a TLS handshake failure
// is also a protocol error). The suggested mapping for delivery.ExitCode is in the package
// documentation.
var (
	// ErrHostNotFound: the host name could not be resolved. The *net.DNSError is wrapped;
	// its IsTemporary tells EAI_AGAIN apart.
	ErrHostNotFound = errors.New("host not found")
	// ErrConnect: the TCP or unix-socket connection could not be made, timeouts included.
	ErrConnect = errors.New("cannot connect")
	// ErrIO: a read or write on the established connection failed or timed out.
	ErrIO = errors.New("network input/output error")
	// ErrProtocol: the server broke the protocol or refused the session: an invalid, empty
	// or over-long reply, a greeting other than 220, EHLO and HELO (or LHLO) refused,
	// STARTTLS refused or followed by injected data, a TLS handshake failure, an
	// undecodable AUTH challenge.
	ErrProtocol = errors.New("protocol error")
	// ErrUnavailable: the server cannot provide what the session needs: a missing
	// capability (see also ErrUnsupported) or a SOCKS5 proxy failure.
	ErrUnavailable = errors.New("service unavailable")
	// ErrUnsupported: a capability the session needs is not advertised (STARTTLS, DSN,
	// AUTH, ETRN). Errors of this kind are also ErrUnavailable.
	ErrUnsupported = errors.New("capability not supported by the server")
	// ErrAuthFailed: the server rejected the authentication, or the mechanism failed.
	ErrAuthFailed = errors.New("authentication failed")
	// ErrTLSHandshake: the TLS handshake failed for a reason other than the server's
	// certificate. Errors of this kind are also ErrProtocol.
	ErrTLSHandshake = errors.New("TLS handshake failed")
	// ErrCertificate: the server's certificate was rejected, by crypto/tls's verification
	// or by the caller's VerifyConnection or VerifyPeerCertificate, whose error is wrapped
	// unchanged.
	ErrCertificate = errors.New("TLS certificate verification failed")
	// ErrOS: the operating system refused a local resource, such as binding the source
	// address.
	ErrOS = errors.New("operating system error")
	// ErrRejected: the server answered a command with a reply that ends the transaction;
	// the reply is in Error.Reply and the command in Error.Op.
	ErrRejected = errors.New("rejected by the server")
	// ErrTooBig: the mail is larger than the SIZE limit the server advertised; nothing was
	// sent.
	ErrTooBig = errors.New("message too big for the server")
	// ErrInput: reading the mail from the caller's reader failed; the reader's error is
	// wrapped. The transaction was abandoned without the final ".".
	ErrInput = errors.New("input error while reading the mail")
	// ErrInvalidArgument: the caller passed something that cannot be sent, such as an
	// address with a line break in it.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrClosed: the session was closed, or broken by an earlier error.
	ErrClosed = errors.New("the SMTP session is closed")
	// ErrServerNotVerified: a mutual mechanism (SCRAM) got a success reply before it could
	// verify the server's proof; see Options.Authenticate.
	ErrServerNotVerified = errors.New("the server accepted the authentication without proving that it knows the password")
)

// Error is the error type of this package. Its text is exactly msmtp's message for the
// situation (`recipient address b@example.org not accepted by the server`); the server's
// reply, when there is one, is in Reply, for the `server message:` lines and the log line.
// errors.Is finds its kinds (ErrProtocol, ...) and whatever Err wraps.
type Error struct {
	// Op is the step that failed.
	Op Op
	// Recipient is the recipient concerned, for OpRcpt.
	Recipient string
	// Reply is the server's reply that caused the error, if one did.
	Reply *smtp.Reply
	// Err is the underlying error, if any (a *net.OpError, a *net.DNSError, an x509
	// error, smtp.ErrInvalidReply, the caller's own error, ...).
	Err error

	msg   string
	kinds []error
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns the error's kinds and Err.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return e.kinds
	}
	return append(append([]error(nil), e.kinds...), e.Err)
}

// Temporary reports whether the server's reply was a transient failure (4xx).
func (e *Error) Temporary() bool { return e.Reply != nil && e.Reply.Temporary() }

// Permanent reports whether the server's reply was a permanent failure (5xx).
func (e *Error) Permanent() bool { return e.Reply != nil && e.Reply.Permanent() }

func newError(op Op, msg string, err error, kinds ...error) *Error {
	return &Error{Op: op, msg: msg, Err: err, kinds: kinds}
}

func replyError(op Op, msg string, r *smtp.Reply, kinds ...error) *Error {
	return &Error{Op: op, msg: msg, Reply: r, kinds: kinds}
}

// unsupported is a missing-capability error.
func unsupported(op Op, msg string) *Error {
	return newError(op, msg, nil, ErrUnsupported, ErrUnavailable)
}

// direction is "read" or "write", for network error texts.
type direction string

const (
	reading direction = "read"
	writing direction = "write"
)

// ioError turns an error of the established connection into upstream's text: `network read
// error: ...` / `network write error: ...`, or `cannot read from TLS connection: ...` /
// `cannot write to TLS connection: ...` once TLS is on. A timeout reads `the operation timed
// out` in both cases, the text msmtp uses for its own timeout.
func ioError(op Op, dir direction, overTLS bool, err error) *Error {
	var msg string
	switch {
	case errors.Is(err, context.Canceled):
		// The caller gave up (msmtpd shutting down, an interrupt). It reaches a blocked read
		// as an expired deadline, so it must be told from a timeout first: a message about
		// a timeout would send the user looking for a setting that is not even set.
		msg = "network " + string(dir) + " error: " + oserr.Text(err)
	case isTimeout(err):
		msg = "network " + string(dir) + " error: the operation timed out"
	case overTLS && dir == reading:
		msg = "cannot read from TLS connection: " + oserr.Text(err)
	case overTLS:
		msg = "cannot write to TLS connection: " + oserr.Text(err)
	default:
		msg = "network " + string(dir) + " error: " + oserr.Text(err)
	}
	return newError(op, msg, err, ErrIO)
}

// isTimeout reports a deadline that expired, ours or the kernel's.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// describeDNS gives getaddrinfo's wording for a resolver failure.
func describeDNS(e *net.DNSError) string {
	switch {
	case e.IsNotFound:
		return "Name or service not known"
	case e.IsTemporary || e.IsTimeout:
		return "Temporary failure in name resolution"
	}
	return e.Err
}

// certificateText describes a certificate that crypto/tls rejected, in GnuTLS's words as
// msmtp prints them (note the trailing blank): scripts and users know these texts.
func certificateText(err error) string {
	const notTrusted = "The certificate is NOT trusted. "
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return notTrusted + "The certificate issuer is unknown. "
	case errors.As(err, &hostname):
		return notTrusted + "The name in the certificate does not match the expected. "
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		if strings.Contains(invalid.Detail, "before") {
			return notTrusted + "The certificate chain uses not yet valid certificate. "
		}
		return notTrusted + "The certificate chain uses expired certificate. "
	}
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return notTrusted + cve.Err.Error()
	}
	return notTrusted + err.Error()
}

// handshakeText describes a failed TLS handshake; a plaintext server answering a TLS client
// hello gets GnuTLS's wording.
func handshakeText(err error) string {
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return "An unexpected TLS packet was received."
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "The TLS connection was non-properly terminated."
	}
	return oserr.Text(err)
}
