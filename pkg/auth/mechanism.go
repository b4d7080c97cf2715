package auth

import (
	"fmt"
	"strings"
)

// Mechanism is a SASL mechanism name as it appears on the wire, in upper case.
type Mechanism string

// The mechanisms msmtp knows by name (spec-mail-smtp.md §3.1). DigestMD5, NTLM and GSSAPI
// are known but not built; see Mechanism.Supported.
const (
	Plain           Mechanism = "PLAIN"
	Login           Mechanism = "LOGIN"
	CRAMMD5         Mechanism = "CRAM-MD5"
	SCRAMSHA1       Mechanism = "SCRAM-SHA-1"
	SCRAMSHA1Plus   Mechanism = "SCRAM-SHA-1-PLUS"
	SCRAMSHA256     Mechanism = "SCRAM-SHA-256"
	SCRAMSHA256Plus Mechanism = "SCRAM-SHA-256-PLUS"
	DigestMD5       Mechanism = "DIGEST-MD5"
	NTLM            Mechanism = "NTLM"
	GSSAPI          Mechanism = "GSSAPI"
	External        Mechanism = "EXTERNAL"
	OAuthBearer     Mechanism = "OAUTHBEARER"
	XOAuth2         Mechanism = "XOAUTH2"
)

// Mechanisms returns every mechanism msmtp accepts for `auth METHOD`, built or not, in the
// order of upstream's documentation. The slice is new on every call.
func Mechanisms() []Mechanism {
	return []Mechanism{
		Plain, SCRAMSHA1, SCRAMSHA1Plus, SCRAMSHA256, SCRAMSHA256Plus, CRAMMD5, DigestMD5,
		Login, NTLM, GSSAPI, External, OAuthBearer, XOAuth2,
	}
}

// ParseMechanism returns the known mechanism whose name equals name, ignoring case. (The
// command line accepts lower case only; that restriction is the caller's.) An unknown name
// gives *UnknownMechanismError.
func ParseMechanism(name string) (Mechanism, error) {
	for _, m := range Mechanisms() {
		if strings.EqualFold(string(m), name) {
			return m, nil
		}
	}
	return "", &UnknownMechanismError{Name: name}
}

// Supported reports whether this build implements m. DIGEST-MD5 (obsolete, RFC 6331), NTLM
// and GSSAPI are not built; neither is any name not in Mechanisms.
func (m Mechanism) Supported() bool {
	switch m {
	case Plain, Login, CRAMMD5, SCRAMSHA1, SCRAMSHA1Plus, SCRAMSHA256, SCRAMSHA256Plus,
		External, OAuthBearer, XOAuth2:
		return true
	}
	return false
}

// Check returns *NotCompiledInError when m is not built, nil otherwise. msmtp runs this
// check before it connects.
func (m Mechanism) Check() error {
	if m.Supported() {
		return nil
	}
	return &NotCompiledInError{Mechanism: m}
}

// NeedsUser reports whether m cannot work without a user name: all mechanisms but EXTERNAL,
// where the user is only the optional authorization identity.
func (m Mechanism) NeedsUser() bool { return m != External }

// NeedsPassword reports whether m needs a password (an access token for XOAUTH2 and
// OAUTHBEARER): all mechanisms but EXTERNAL and GSSAPI, whose credentials live outside msmtp.
// Only for these does msmtp consult the keyring, netrc and the terminal.
func (m Mechanism) NeedsPassword() bool { return m != External && m != GSSAPI }

// NeedsChannelBinding reports whether m is a -PLUS mechanism, which cannot run without TLS
// channel-binding data.
func (m Mechanism) NeedsChannelBinding() bool {
	return m == SCRAMSHA1Plus || m == SCRAMSHA256Plus
}

// ignoresChallenge reports whether m answers a 334 without looking at its text, so an
// undecodable challenge must not stop it: LOGIN's prompts are not interpreted (the draft
// tells clients to ignore them, and servers send all sorts of text), XOAUTH2 and OAUTHBEARER
// answer an error challenge the same way whatever it says.
func (m Mechanism) ignoresChallenge() bool {
	return m == Login || m == XOAuth2 || m == OAuthBearer
}

// Requirement names a credential that a mechanism needs; it is the subject of a
// MissingError.
type Requirement int

// The credentials that can be missing.
const (
	NeedUser           Requirement = iota + 1 // a user name
	NeedPassword                              // a password or token
	NeedChannelBinding                        // TLS channel-binding data, for -PLUS
)

// UnknownMechanismError is returned by ParseMechanism for a name msmtp does not know.
type UnknownMechanismError struct {
	Name string
}

func (e *UnknownMechanismError) Error() string {
	return fmt.Sprintf("unknown authentication method %s", e.Name)
}

// NotCompiledInError says that a known mechanism is not built into this program. Upstream
// exits with EX_UNAVAILABLE for it; this project treats it as a configuration error
// (EX_CONFIG), see pkg/delivery's ExitCode.
type NotCompiledInError struct {
	Mechanism Mechanism
}

func (e *NotCompiledInError) Error() string {
	return fmt.Sprintf("support for authentication method %s is not compiled in", e.Mechanism)
}

// NotOfferedError says that the server does not advertise an explicitly requested mechanism.
type NotOfferedError struct {
	Mechanism Mechanism
}

func (e *NotOfferedError) Error() string {
	return fmt.Sprintf("the server does not support authentication method %s", e.Mechanism)
}

// MissingError says that a mechanism cannot run because a credential is missing. Its text is
// upstream's: `authentication method M needs a user name`, `... needs a password`,
// `... needs TLS channel binding information`.
type MissingError struct {
	Mechanism Mechanism
	Missing   Requirement
}

func (e *MissingError) Error() string {
	what := "a user name"
	switch e.Missing {
	case NeedPassword:
		what = "a password"
	case NeedChannelBinding:
		what = "TLS channel binding information"
	}
	return fmt.Sprintf("authentication method %s needs %s", e.Mechanism, what)
}

// ChallengeError says that the server sent a challenge the mechanism cannot use: one that is
// not base64, an empty or malformed one, a SCRAM message that does not parse, or a SCRAM
// server signature that does not match (Err is then ErrServerSignature). Err, when set,
// gives the detail and is appended to upstream's text.
type ChallengeError struct {
	Mechanism Mechanism
	Err       error
}

func (e *ChallengeError) Error() string {
	s := fmt.Sprintf("authentication method %s: server sent invalid challenge", e.Mechanism)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ChallengeError) Unwrap() error { return e.Err }
