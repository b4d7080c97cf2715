package auth

import (
	"errors"
	"strings"
)

// Errors of automatic selection (spec-mail-smtp.md §3.1). msmtp exits with EX_UNAVAILABLE
// for both.
var (
	// ErrNoUsableMechanism: with TLS, the server offers none of the mechanisms we would use.
	ErrNoUsableMechanism = errors.New("cannot find a usable authentication method")
	// ErrNoSecureMechanism: without TLS, the server offers no SCRAM mechanism, and cleartext
	// methods are only used without TLS when named explicitly.
	ErrNoSecureMechanism = errors.New("cannot use a secure authentication method")
)

// Selection is the input of Choose.
type Selection struct {
	// Requested is the mechanism named in the configuration; empty means automatic choice.
	Requested Mechanism
	// Offered is the server's AUTH capability split into words, as advertised (any case;
	// `AUTH=` lines of old servers are the caller's business).
	Offered []string
	// TLS says whether the session is protected by TLS.
	TLS bool
	// ChannelBinding says whether channel-binding data is available (see
	// ChannelBindingFromTLS); -PLUS mechanisms are only chosen automatically with it.
	ChannelBinding bool
}

// autoOrderTLS is msmtp 1.8.33's preference with TLS, minus the mechanisms this build lacks
// (DIGEST-MD5 between CRAM-MD5 and LOGIN, NTLM last). GSSAPI, EXTERNAL, OAUTHBEARER and
// XOAUTH2 are never chosen automatically: they need credentials of a different kind.
func autoOrderTLS() []Mechanism {
	return []Mechanism{SCRAMSHA256Plus, SCRAMSHA1Plus, SCRAMSHA256, SCRAMSHA1, Plain, CRAMMD5, Login}
}

// autoOrderPlain is the preference without TLS: only SCRAM, where the password never
// crosses the wire and the server proves that it knows it. CRAM-MD5 is left out because a
// captured exchange allows a cheap offline dictionary attack (unsalted HMAC-MD5).
func autoOrderPlain() []Mechanism { return []Mechanism{SCRAMSHA256, SCRAMSHA1} }

// Offers reports whether offered contains m. The match is on whole words, ignoring case, as
// msmtp 1.8.33 does (1.8.23 searched substrings, so `XPLAIN` counted as PLAIN).
func Offers(offered []string, m Mechanism) bool {
	for _, o := range offered {
		if strings.EqualFold(o, string(m)) {
			return true
		}
	}
	return false
}

// Choose returns the mechanism to use for a session.
//
// With Requested set it returns *NotCompiledInError if the mechanism is not built,
// *NotOfferedError if the server does not offer it, and *MissingError (NeedChannelBinding)
// for a -PLUS mechanism without channel-binding data. A cleartext mechanism named explicitly
// is allowed without TLS, as upstream allows it.
//
// Automatic choice takes the first mechanism of upstream's order that the server offers:
// with TLS SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS (both only with channel binding),
// SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, CRAM-MD5, LOGIN, else ErrNoUsableMechanism; without TLS
// SCRAM-SHA-256, SCRAM-SHA-1, else ErrNoSecureMechanism.
func Choose(s Selection) (Mechanism, error) {
	if s.Requested != "" {
		m := s.Requested
		if err := m.Check(); err != nil {
			return "", err
		}
		if !Offers(s.Offered, m) {
			return "", &NotOfferedError{Mechanism: m}
		}
		if m.NeedsChannelBinding() && !s.ChannelBinding {
			return "", &MissingError{Mechanism: m, Missing: NeedChannelBinding}
		}
		return m, nil
	}
	if !s.TLS {
		for _, m := range autoOrderPlain() {
			if Offers(s.Offered, m) {
				return m, nil
			}
		}
		return "", ErrNoSecureMechanism
	}
	for _, m := range autoOrderTLS() {
		if m.NeedsChannelBinding() && !s.ChannelBinding {
			continue
		}
		if Offers(s.Offered, m) {
			return m, nil
		}
	}
	return "", ErrNoUsableMechanism
}
