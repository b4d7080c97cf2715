package server

import (
	"crypto/tls"
	"io"
	"net"

	"github.com/emersion/go-sasl"
)

// Backend makes a Session for a client that starts a mail transaction.
type Backend interface {
	// NewSession is called when a client sends its first MAIL command, and again after
	// anything that changes conn (a new EHLO or HELO, STARTTLS, a successful AUTH): a
	// Session always sees one fixed ConnInfo. An error refuses the MAIL command, with the
	// reply chosen as for Session errors (see the package documentation).
	NewSession(conn ConnInfo) (Session, error)
}

// BackendFunc adapts a function to the Backend interface.
type BackendFunc func(conn ConnInfo) (Session, error)

// NewSession calls f.
func (f BackendFunc) NewSession(conn ConnInfo) (Session, error) { return f(conn) }

// Session receives the mail transactions of one client. The engine calls its methods from
// one goroutine, in protocol order: Mail, then Rcpt one or more times, then Data, or Reset
// to abandon the transaction; then perhaps another transaction; finally Logout.
//
// Every method may return an error to refuse the command. A *smtp.Reply in the error's chain
// is sent to the client as it is, so a backend can choose any 4xx or 5xx reply; it can also
// choose a success reply other than the default by returning a 2xx *smtp.Reply (Data
// returning smtp.NewReply(250, smtp.EnhOK, "Ok, mail was piped") accepts the mail with that
// text). Any other error becomes a generic 451 (when it reports Temporary() == true, see
// MarkTemporary) or 550/554 reply, and its text goes only to the log.
type Session interface {
	// Mail starts a transaction with the envelope sender from, which is "" for the null
	// reverse path <>. The address has been checked against RFC 5321 syntax (RFC 6531 for
	// UTF-8) and does not start with '-'; it has no angle brackets.
	Mail(from string, opts MailOptions) error
	// Rcpt adds a recipient, checked as for Mail; it is never empty, and may be a bare
	// local part such as "postmaster".
	Rcpt(to string, opts RcptOptions) error
	// Data receives the message: the engine's Received header followed by the data the
	// client sent, dot-unstuffed, with line endings exactly as sent, streamed while it
	// arrives.
	//
	// r ends with io.EOF only after the client's terminating "." line. Any other error
	// from r means the mail is incomplete and must not be delivered: io.ErrUnexpectedEOF
	// when the client disconnected, a timeout error when it fell silent, ErrMessageTooLarge
	// when it passed Server.MaxMessageBytes. Data should read r until io.EOF before
	// accepting the mail; whatever it leaves unread is read and discarded by the engine.
	Data(r io.Reader) error
	// Reset abandons the current transaction. It is called after Data returns, on RSET,
	// HELO, EHLO and STARTTLS, and when the connection ends, whenever Mail has accepted a
	// sender since the last Reset.
	Reset()
	// Logout ends the session. An error is only logged.
	Logout() error
}

// ConnInfo describes a client connection as the engine knows it when a Session is made.
type ConnInfo struct {
	// RemoteAddr and LocalAddr are the connection's addresses; either may be nil, as for
	// a session on stdin and stdout.
	RemoteAddr, LocalAddr net.Addr
	// Hello is the argument of the client's last EHLO or HELO command, without
	// surrounding blanks; it may be empty.
	Hello string
	// ESMTP is true when the client greeted with EHLO, false after HELO.
	ESMTP bool
	// TLS is the state of the TLS connection (implicit TLS or STARTTLS), nil without TLS.
	TLS *tls.ConnectionState
	// User is the identity that authenticated with AUTH, "" if none did.
	User string
}

// BodyType is the value of the BODY parameter of MAIL (RFC 6152).
type BodyType string

// Body types the engine accepts. BINARYMIME is not offered (there is no BDAT).
const (
	BodyUnspecified BodyType = ""
	Body7Bit        BodyType = "7BIT"
	Body8BitMIME    BodyType = "8BITMIME"
)

// DSNReturn is the value of the RET parameter of MAIL (RFC 3461 §4.3).
type DSNReturn string

// RET values.
const (
	ReturnUnspecified DSNReturn = ""
	ReturnFull        DSNReturn = "FULL"
	ReturnHeaders     DSNReturn = "HDRS"
)

// DSNNotify is one value of the NOTIFY parameter of RCPT (RFC 3461 §4.1).
type DSNNotify string

// NOTIFY values. NotifyNever is never combined with the others.
const (
	NotifyNever   DSNNotify = "NEVER"
	NotifySuccess DSNNotify = "SUCCESS"
	NotifyFailure DSNNotify = "FAILURE"
	NotifyDelay   DSNNotify = "DELAY"
)

// MailOptions are the ESMTP parameters of a MAIL command, checked and decoded.
type MailOptions struct {
	// Size is the message size the client declared with SIZE= (RFC 1870), 0 if none.
	Size int64
	// Body is the BODY= parameter (RFC 6152).
	Body BodyType
	// SMTPUTF8 is true when the client sent the SMTPUTF8 parameter (RFC 6531): the
	// envelope or the headers may contain UTF-8.
	SMTPUTF8 bool
	// Return is the RET= parameter of DSN (RFC 3461 §4.3).
	Return DSNReturn
	// EnvelopeID is the ENVID= parameter of DSN (RFC 3461 §4.4), xtext-decoded.
	EnvelopeID string
	// Auth is the AUTH= parameter (RFC 4954 §5), xtext-decoded; "<>" when the client sent
	// AUTH=<>, "" when it sent none.
	Auth string
}

// RcptOptions are the ESMTP parameters of a RCPT command, checked and decoded.
type RcptOptions struct {
	// Notify is the NOTIFY= parameter of DSN (RFC 3461 §4.1), upper-cased, in the order
	// given; nil when absent.
	Notify []DSNNotify
	// OriginalRecipientType and OriginalRecipient are the ORCPT= parameter (RFC 3461
	// §4.2): the address type as sent ("rfc822", "utf-8") and the decoded address; both
	// empty when absent.
	OriginalRecipientType string
	OriginalRecipient     string
}

// AuthMechanism is one SASL mechanism the server offers with AUTH (RFC 4954).
type AuthMechanism struct {
	// Name is the mechanism's name as advertised, such as "PLAIN" or "LOGIN"; clients
	// may send it in any case.
	Name string
	// New starts one authentication exchange on the connection described by conn. The
	// returned server decides whether the client authenticated: the exchange succeeds
	// when its Next reports done with a nil error. Before that, it calls login with the
	// identity that authenticated, which becomes ConnInfo.User (it stays "" if login is
	// not called). An error from Next that holds a *smtp.Reply is sent as it is (a 454
	// for a temporary failure, say); any other gives `535 5.7.8 Authentication failed`.
	New func(conn ConnInfo, login func(user string)) sasl.Server
}
