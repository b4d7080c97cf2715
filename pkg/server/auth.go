package server

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// authAllowed reports whether AUTH may be used on this connection: mechanisms are configured,
// and the connection is encrypted, or local (loopback, a unix socket, or stdin without
// addresses), or insecure AUTH is allowed. Plain-text passwords must not cross a network
// unencrypted.
func (ss *session) authAllowed() bool {
	if len(ss.srv.Auth) == 0 {
		return false
	}
	return ss.info.TLS != nil || ss.srv.AllowInsecureAuth || isLocal(ss.info.RemoteAddr)
}

// isLocal reports whether a peer address is on this machine.
func isLocal(a net.Addr) bool {
	switch a := a.(type) {
	case nil:
		return true
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		host = a.String()
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// cmdAuth runs an AUTH exchange (RFC 4954 §4).
func (ss *session) cmdAuth(arg string) error {
	switch {
	case len(ss.srv.Auth) == 0:
		return ss.protocolError(smtp.CodeNotImplemented, smtp.EnhBadCommand, "Command not implemented")
	case !ss.greeted:
		return ss.protocolError(smtp.CodeBadSequence, smtp.EnhBadCommand, "Send EHLO or HELO first")
	case ss.info.User != "":
		return ss.protocolError(smtp.CodeBadSequence, smtp.EnhBadCommand, "Already authenticated")
	case ss.tx != nil:
		return ss.protocolError(smtp.CodeBadSequence, smtp.EnhBadCommand, "AUTH not permitted during a mail transaction")
	case !ss.authAllowed():
		// RFC 4954 §6.
		return ss.protocolError(538, smtp.EnhEncryptionRequired, "Encryption required for requested authentication mechanism")
	}
	name, ir, hasIR := strings.Cut(strings.TrimSpace(arg), " ")
	var mech *AuthMechanism
	for i := range ss.srv.Auth {
		if strings.EqualFold(ss.srv.Auth[i].Name, name) {
			mech = &ss.srv.Auth[i]
			break
		}
	}
	if mech == nil {
		return ss.protocolError(smtp.CodeParamNotImplemented, smtp.EnhBadParams, "Unrecognized authentication type")
	}
	// A nil response means "no initial response"; "=" is an empty one (RFC 4954 §4).
	var resp []byte
	if hasIR {
		var ok bool
		if resp, ok = decodeResponse(strings.TrimSpace(ir)); !ok {
			return ss.protocolError(smtp.CodeParamSyntaxError, smtp.EnhBadSyntax, "Invalid base64 data")
		}
	}
	var user string
	server := mech.New(ss.info, func(u string) { user = u })
	for {
		challenge, done, err := server.Next(resp)
		if err != nil {
			return ss.authFailed(mech.Name, user, err)
		}
		if done && len(challenge) == 0 {
			break
		}
		// RFC 4954 §4: additional data with a successful outcome is sent as a challenge
		// and answered with an empty response.
		ss.send(smtp.NewReply(smtp.CodeAuthContinue, smtp.EnhancedCode{}, base64.StdEncoding.EncodeToString(challenge)))
		line, tooLong, err := ss.readAuthLine()
		switch {
		case err != nil:
			return ss.readFailed(err, "during AUTH")
		case tooLong:
			return ss.protocolError(smtp.CodeSyntaxError, enhAuthLineLong, "Authentication Exchange line is too long")
		case line == "*":
			ss.reply(smtp.CodeParamSyntaxError, enhAuthCancelled, "Authentication cancelled")
			return nil
		}
		var ok bool
		if resp, ok = decodeResponse(line); !ok {
			return ss.protocolError(smtp.CodeParamSyntaxError, smtp.EnhBadSyntax, "Invalid base64 data")
		}
		if done {
			break
		}
	}
	ss.waitAuthDelay()
	ss.info.User = user
	// The backend session, if any, was made without the user: make a new one.
	ss.dropBackend()
	ss.log.Info("authenticated user", "user", user, "mechanism", strings.ToUpper(mech.Name))
	ss.reply(smtp.CodeAuthSucceeded, smtp.EnhAuthOK, "Authentication successful")
	return nil
}

// readAuthLine reads a client response under the command timeout.
func (ss *session) readAuthLine() (string, bool, error) {
	if err := ss.flush(); err != nil {
		return "", false, err
	}
	ss.setDeadlines()
	return ss.readLine()
}

// decodeResponse decodes a base64 client response; "=" is the empty response.
func decodeResponse(s string) ([]byte, bool) {
	if s == "=" {
		return []byte{}, true
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	if b == nil {
		b = []byte{}
	}
	return b, true
}

// authFailed answers a failed exchange after the failure delay and remembers the failure
// for the delay of later sessions.
func (ss *session) authFailed(mech, user string, err error) error {
	ss.waitAuthDelay()
	ss.authDelay = true
	ss.srv.recordAuthFailure()
	ss.authFailures++
	ss.log.Warn("authentication failed", "mechanism", strings.ToUpper(mech), "user", user, "error", err)
	r := backendReply(err)
	if r == nil {
		var reply *smtp.Reply
		if errors.As(err, &reply) {
			ss.log.Error("authentication reply cannot be sent, using a generic one", "reply", fmt.Sprintf("%q", reply.Lines))
		}
		enh := smtp.EnhAuthCredentials
		if !ss.enhanced() {
			enh = smtp.EnhancedCode{}
		}
		r = smtp.NewReply(smtp.CodeAuthFailed, enh, "Authentication failed")
	}
	ss.send(r)
	if ss.authFailures >= maxAuthFailures {
		ss.reply(smtp.CodeServiceUnavailable, enhTooManyErrors, "Too many authentication failures, closing connection")
		_ = ss.flush()
		return fmt.Errorf("%w: %d authentication failures", ErrTooManyErrors, ss.authFailures)
	}
	return nil
}

// waitAuthDelay waits before the answer to AUTH when a failure happened recently (upstream
// msmtpd's brake on password guessing, spec-mail-smtp.md §8.6).
func (ss *session) waitAuthDelay() {
	if !ss.authDelay {
		return
	}
	if d := ss.srv.authFailureDelay(); d > 0 {
		_ = ss.flush()
		ss.srv.sleep(ss.srv.ctx, d)
	}
}
