package server

import (
	"crypto/tls"
	"errors"
	"strconv"
	"strings"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// dispatch runs one command line. A non-nil error ends the session.
func (ss *session) dispatch(line string) error {
	verb, arg := smtp.ParseCommand(line)
	switch verb {
	case "EHLO":
		return ss.cmdHello(arg, helloExtended)
	case "HELO":
		return ss.cmdHello(arg, helloPlain)
	case "MAIL":
		return ss.cmdMail(arg)
	case "RCPT":
		return ss.cmdRcpt(arg)
	case "DATA":
		return ss.cmdData(arg)
	case "RSET":
		if strings.TrimSpace(arg) != "" {
			return ss.protocolError(smtp.CodeParamSyntaxError, smtp.EnhBadParams, "Syntax: RSET")
		}
		ss.endTx()
		ss.reply(smtp.CodeOK, smtp.EnhOK, "Ok")
	case "NOOP":
		ss.reply(smtp.CodeOK, smtp.EnhOK, "Ok")
	case "HELP":
		ss.reply(smtp.CodeHelp, smtp.EnhOK, "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY AUTH STARTTLS")
	case "VRFY":
		if strings.TrimSpace(arg) == "" {
			return ss.protocolError(smtp.CodeParamSyntaxError, smtp.EnhBadParams, "Syntax: VRFY address")
		}
		// RFC 5321 §3.5.3: a server that does not verify says so with 252.
		ss.reply(smtp.CodeCannotVerify, enhVrfy, "Cannot VRFY user, but will accept message and attempt delivery")
	case "QUIT":
		ss.endTx()
		ss.reply(smtp.CodeServiceClosing, smtp.EnhOK, "Bye")
		_ = ss.flush()
		return errQuit
	case "AUTH":
		return ss.cmdAuth(arg)
	case "STARTTLS":
		return ss.cmdStartTLS(arg)
	case "EXPN", "TURN", "ETRN", "ATRN", "BDAT", "SEND", "SOML", "SAML":
		// Known commands (RFC 5321 and extensions) that msmtpd does not offer.
		return ss.protocolError(smtp.CodeNotImplemented, smtp.EnhBadCommand, "Command not implemented")
	default:
		return ss.protocolError(smtp.CodeSyntaxError, smtp.EnhBadSyntax, "Command not recognized")
	}
	return nil
}

type helloKind int

const (
	helloPlain helloKind = iota
	helloExtended
)

// cmdHello answers EHLO and HELO. Either resets the session (RFC 5321 §4.1.4). An empty name
// is accepted, as upstream accepts "EHLO " (the Received header then says "unknown").
func (ss *session) cmdHello(arg string, kind helloKind) error {
	ss.endTx()
	ss.dropBackend()
	ss.greeted = true
	ss.info.Hello = strings.TrimSpace(arg)
	ss.info.ESMTP = kind == helloExtended
	if kind == helloPlain {
		ss.reply(smtp.CodeOK, smtp.EnhancedCode{}, ss.srv.hostname())
		return nil
	}
	ss.send(smtp.NewReply(smtp.CodeOK, smtp.EnhancedCode{}, ss.capabilities()...))
	return nil
}

// capabilities returns the lines of the EHLO reply.
func (ss *session) capabilities() []string {
	size := "SIZE"
	if n := ss.srv.maxMessageBytes(); n > 0 {
		size += " " + strconv.FormatInt(n, 10)
	}
	lines := []string{ss.srv.hostname(), "PIPELINING", "8BITMIME", "SMTPUTF8", size, "ENHANCEDSTATUSCODES", "DSN"}
	if ss.authAllowed() {
		names := make([]string, len(ss.srv.Auth))
		for i, m := range ss.srv.Auth {
			names[i] = strings.ToUpper(m.Name)
		}
		lines = append(lines, "AUTH "+strings.Join(names, " "))
	}
	if ss.startTLSOffered() {
		lines = append(lines, "STARTTLS")
	}
	return lines
}

// startTLSOffered: a certificate is configured and TLS is not on yet.
func (ss *session) startTLSOffered() bool { return ss.srv.TLSConfig != nil && ss.info.TLS == nil }

// addrRole says whose address a check is about, for the enhanced codes of RFC 3463.
type addrRole int

const (
	roleSender addrRole = iota
	roleRecipient
)

func (r addrRole) enh() smtp.EnhancedCode {
	if r == roleSender {
		return smtp.EnhBadSenderSyntax
	}
	return smtp.EnhBadDestSyntax
}

// pathError answers a MAIL or RCPT whose path is not acceptable.
func (ss *session) pathError(p addrProblem, role addrRole) error {
	switch p {
	case addrControl:
		return ss.protocolError(smtp.CodeParamSyntaxError, role.enh(), "Control characters are not allowed in addresses")
	case addrDash:
		// Upstream refuses these because they would become command-line options of the
		// --command pipe; the rule stays because commands are built from addresses.
		return ss.protocolError(smtp.CodeMailboxNameInvalid, role.enh(), "Addresses must not start with '-'")
	case addrEmpty:
		return ss.protocolError(smtp.CodeMailboxNameInvalid, role.enh(), "Empty recipient address")
	}
	if role == roleSender {
		return ss.protocolError(smtp.CodeMailboxNameInvalid, role.enh(), "Invalid sender address")
	}
	return ss.protocolError(smtp.CodeMailboxNameInvalid, role.enh(), "Invalid recipient address")
}

// parsePath parses the argument of MAIL or RCPT; on failure it has answered the client, and
// the returned error (if any) ends the session.
func (ss *session) parsePath(arg, prefix string, role addrRole) (path string, params []smtp.Param, ok bool, err error) {
	path, params, perr := smtp.ParsePathArg(strings.TrimLeft(arg, " "), prefix)
	switch {
	case hasControl(arg) && (perr != nil || hasControl(path)):
		return "", nil, false, ss.pathError(addrControl, role)
	case errors.Is(perr, smtp.ErrParamSyntax):
		return "", nil, false, ss.protocolError(smtp.CodeParamSyntaxError, smtp.EnhBadParams, "Syntax error in parameters")
	case perr != nil:
		verb := "MAIL FROM"
		if role == roleRecipient {
			verb = "RCPT TO"
		}
		return "", nil, false, ss.protocolError(smtp.CodeParamSyntaxError, smtp.EnhBadParams, "Syntax: "+verb+":<address>")
	}
	if p := checkPath(path, role == roleSender); p != addrOK {
		return "", nil, false, ss.pathError(p, role)
	}
	return path, params, true, nil
}

func (ss *session) cmdMail(arg string) error {
	switch {
	case !ss.greeted:
		return ss.protocolError(smtp.CodeBadSequence, smtp.EnhBadCommand, "Send EHLO or HELO first")
	case ss.tx != nil:
		return ss.protocolError(smtp.CodeBadSequence, smtp.EnhBadCommand, "Nested MAIL command")
	case ss.srv.AuthRequired && ss.info.User == "":
		return ss.protocolError(smtp.CodeAuthRequired, smtp.EnhAuthRequired, "Authentication required")
	}
	from, params, ok, err := ss.parsePath(arg, "FROM:", roleSender)
	if !ok {
		return err
	}
	opts, perr := parseMailParams(params)
	if perr != nil {
		return ss.paramError(perr)
	}
	if limit := ss.srv.maxMessageBytes(); limit > 0 && opts.Size > limit {
		ss.reply(smtp.CodeExceededStorage, smtp.EnhMessageTooBig, "Message size exceeds fixed maximum message size")
		return nil
	}
	b, err := ss.backendSession()
	if err == nil {
		err = b.Mail(from, opts)
	}
	if err != nil {
		r := ss.backendError(err, smtp.CodeMailboxUnavailable, "mail")
		ss.send(r)
		if !r.Positive() {
			return nil
		}
	} else {
		ss.reply(smtp.CodeOK, smtp.EnhSenderOK, "Ok")
	}
	ss.tx = &transaction{from: from, opts: opts}
	return nil
}

func (ss *session) cmdRcpt(arg string) error {
	if ss.tx == nil {
		return ss.protocolError(smtp.CodeBadSequence, smtp.EnhBadCommand, "Send MAIL first")
	}
	to, params, ok, err := ss.parsePath(arg, "TO:", roleRecipient)
	if !ok {
		return err
	}
	opts, perr := parseRcptParams(params)
	if perr != nil {
		return ss.paramError(perr)
	}
	ss.tx.rcptTried = true
	if limit := ss.srv.maxRecipients(); limit > 0 && len(ss.tx.rcpts) >= limit {
		ss.reply(smtp.CodeInsufficientStorage, smtp.EnhTempTooManyRcpts, "Too many recipients")
		return nil
	}
	if err := ss.backend.Rcpt(to, opts); err != nil {
		r := ss.backendError(err, smtp.CodeMailboxUnavailable, "rcpt")
		ss.send(r)
		if !r.Positive() {
			return nil
		}
	} else {
		ss.reply(smtp.CodeOK, smtp.EnhRecipientOK, "Ok")
	}
	ss.tx.rcpts = append(ss.tx.rcpts, to)
	return nil
}

// paramError answers a MAIL or RCPT parameter problem.
func (ss *session) paramError(err error) error {
	var pe *paramErr
	if !errors.As(err, &pe) {
		return ss.protocolError(smtp.CodeParamSyntaxError, smtp.EnhBadParams, "Syntax error in parameters")
	}
	code := smtp.CodeParamSyntaxError
	if pe.unsupported {
		code = smtp.CodeParamsNotRecognized
	}
	return ss.protocolError(code, smtp.EnhBadParams, pe.msg)
}

// cmdStartTLS upgrades the connection (RFC 3207).
func (ss *session) cmdStartTLS(arg string) error {
	switch {
	case ss.info.TLS != nil:
		return ss.protocolError(smtp.CodeBadSequence, enhNoTLS, "TLS already active")
	case ss.srv.TLSConfig == nil:
		return ss.protocolError(smtp.CodeNotImplemented, smtp.EnhBadCommand, "Command not implemented")
	case strings.TrimSpace(arg) != "":
		return ss.protocolError(smtp.CodeParamSyntaxError, smtp.EnhBadParams, "Syntax: STARTTLS")
	}
	ss.reply(smtp.CodeServiceReady, smtp.EnhOK, "Ready to start TLS")
	if err := ss.flush(); err != nil {
		return err
	}
	// Anything the client sent after STARTTLS before the handshake was sent in plain text
	// and could have been injected by an attacker in the path (RFC 3207 §6, the Postfix
	// CVE-2011-0411 class): it must never be taken as commands of the TLS session.
	if n := ss.br.Buffered(); n > 0 {
		_, _ = ss.br.Discard(n)
		ss.log.Warn("discarded data sent before the TLS handshake", "bytes", n)
	}
	tc := tls.Server(ss.conn, ss.srv.TLSConfig)
	ss.conn = tc
	if err := ss.handshake(tc); err != nil {
		return err
	}
	ss.br.Reset(sessionReader{ss})
	// RFC 3207 §4.2: forget everything learnt before TLS; the client must EHLO again.
	ss.endTx()
	ss.dropBackend()
	ss.greeted = false
	ss.info.Hello, ss.info.ESMTP, ss.info.User = "", false, ""
	return nil
}
