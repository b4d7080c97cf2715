package auth

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strconv"

	"github.com/emersion/go-sasl"
)

// ErrUnexpectedChallenge is returned by a client's Next when the server sends a challenge
// after the mechanism has said all it has to say. The transport should cancel the exchange.
var ErrUnexpectedChallenge = errors.New("unexpected server challenge")

// Params holds what a client mechanism needs. Which fields a mechanism uses:
//
//	PLAIN, LOGIN, CRAM-MD5, SCRAM-*   User, Password
//	SCRAM-*-PLUS                      User, Password, ChannelBinding
//	XOAUTH2                           User, Password (the access token)
//	OAUTHBEARER                       User, Password (the access token), Host, Port
//	EXTERNAL                          User (optional authorization identity)
type Params struct {
	Mechanism Mechanism
	User      string
	// Password is the password, or the OAuth2 access token for XOAUTH2 and OAUTHBEARER.
	// An empty password is a valid password.
	Password string
	// Host and Port go into OAUTHBEARER's host= and port= fields: the configured host (or
	// the socket path) and the port actually used (spec-mail-smtp.md §3.2).
	Host string
	Port int
	// ChannelBinding is required by the -PLUS mechanisms and ignored by all others.
	ChannelBinding *ChannelBinding
	// Rand is the source of SCRAM's client nonce; nil means crypto/rand.
	Rand io.Reader
}

// NewClient returns a client for p.Mechanism. Errors: *NotCompiledInError for a mechanism
// this build lacks, *UnknownMechanismError for a name msmtp does not know, *MissingError
// when p.User is empty for a mechanism that needs it or ChannelBinding is nil for -PLUS, and
// a plain error when SCRAM's SASLprep rejects the user name or password. The password is not
// checked: an empty one is valid, and finding one is the caller's job.
func NewClient(p Params) (sasl.Client, error) {
	m := p.Mechanism
	if !m.Supported() {
		if _, err := ParseMechanism(string(m)); err != nil {
			return nil, err
		}
		return nil, &NotCompiledInError{Mechanism: m}
	}
	if m.NeedsUser() && p.User == "" {
		return nil, &MissingError{Mechanism: m, Missing: NeedUser}
	}
	switch m {
	case Plain:
		return &plainClient{user: p.User, password: p.Password}, nil
	case Login:
		return &loginClient{user: p.User, password: p.Password}, nil
	case CRAMMD5:
		return &cramMD5Client{user: p.User, password: p.Password}, nil
	case XOAuth2:
		return &xoauth2Client{user: p.User, token: p.Password}, nil
	case OAuthBearer:
		return &oauthBearerClient{user: p.User, token: p.Password, host: p.Host, port: p.Port}, nil
	case External:
		return &externalClient{identity: p.User}, nil
	default: // the four SCRAM mechanisms
		return newSCRAMClient(p)
	}
}

// DecodeChallenge decodes the base64 text of a 334 reply for mechanism m. For LOGIN, XOAUTH2
// and OAUTHBEARER, which do not interpret the challenge, undecodable text is returned as it
// is; for the others it gives *ChallengeError, upstream's `authentication method CRAM-MD5:
// server sent invalid challenge`.
func DecodeChallenge(m Mechanism, text string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		if m.ignoresChallenge() {
			return []byte(text), nil
		}
		return nil, &ChallengeError{Mechanism: m, Err: err}
	}
	return b, nil
}

// EncodeResponse returns the line the transport sends for a client response: its base64
// form, which is empty for an empty response (RFC 4954 §4).
func EncodeResponse(resp []byte) string {
	return base64.StdEncoding.EncodeToString(resp)
}

// EncodeInitialResponse returns the text that follows `AUTH MECH ` for an initial response,
// and false when there is none (ir is nil). An empty initial response is sent as `=`
// (RFC 4954 §4).
func EncodeInitialResponse(ir []byte) (string, bool) {
	switch {
	case ir == nil:
		return "", false
	case len(ir) == 0:
		return "=", true
	}
	return base64.StdEncoding.EncodeToString(ir), true
}

// plainClient: RFC 4616, initial response NUL user NUL password with an empty authorization
// identity, as msmtp sends it (`AUTH PLAIN AHVzZXIAc2VjcmV0`).
type plainClient struct{ user, password string }

func (c *plainClient) Start() (string, []byte, error) {
	return string(Plain), []byte("\x00" + c.user + "\x00" + c.password), nil
}

func (c *plainClient) Next([]byte) ([]byte, error) { return nil, ErrUnexpectedChallenge }

// loginClient answers the first 334 with the user name and the second with the password,
// whatever the prompts say; it sends no initial response. go-sasl's LOGIN client sends the
// user as an initial response and insists on a `Password:` prompt, which fails against
// servers that prompt differently (go-libs.md §4).
type loginClient struct {
	user, password string
	step           int
}

func (c *loginClient) Start() (string, []byte, error) { return string(Login), nil, nil }

func (c *loginClient) Next([]byte) ([]byte, error) {
	c.step++
	switch c.step {
	case 1:
		return nonNil(c.user), nil
	case 2:
		return nonNil(c.password), nil
	}
	return nil, ErrUnexpectedChallenge
}

// cramMD5Client: RFC 2195, response `user SP hex(HMAC-MD5(password, challenge))`.
type cramMD5Client struct {
	user, password string
	done           bool
}

func (c *cramMD5Client) Start() (string, []byte, error) { return string(CRAMMD5), nil, nil }

func (c *cramMD5Client) Next(challenge []byte) ([]byte, error) {
	if c.done {
		return nil, ErrUnexpectedChallenge
	}
	c.done = true
	if len(challenge) == 0 {
		return nil, &ChallengeError{Mechanism: CRAMMD5, Err: errors.New("empty challenge")}
	}
	mac := hmac.New(md5.New, []byte(c.password))
	mac.Write(challenge)
	return []byte(c.user + " " + hex.EncodeToString(mac.Sum(nil))), nil
}

// xoauth2Client: Google's XOAUTH2. Like msmtp it sends no initial response: the first 334
// is answered with `user=U^Aauth=Bearer T^A^A`. A second 334 carries an error (JSON) and is
// answered with an empty line, after which the server sends its final failure reply.
type xoauth2Client struct {
	user, token string
	step        int
}

func (c *xoauth2Client) Start() (string, []byte, error) { return string(XOAuth2), nil, nil }

func (c *xoauth2Client) Next([]byte) ([]byte, error) {
	c.step++
	switch c.step {
	case 1:
		return []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
	case 2:
		return []byte{}, nil
	}
	return nil, ErrUnexpectedChallenge
}

// oauthBearerClient: RFC 7628. The initial response is
// `n,a=U,^Ahost=H^Aport=P^Aauth=Bearer T^A^A`, host and port always present as msmtp sends
// them. An error challenge is answered with a single 0x01 (RFC 7628 §3.2.3), after which the
// server sends its failure reply.
type oauthBearerClient struct {
	user, token, host string
	port              int
	answered          bool
}

func (c *oauthBearerClient) Start() (string, []byte, error) {
	ir := "n,a=" + c.user + "," +
		"\x01host=" + c.host +
		"\x01port=" + strconv.Itoa(c.port) +
		"\x01auth=Bearer " + c.token + "\x01\x01"
	return string(OAuthBearer), []byte(ir), nil
}

func (c *oauthBearerClient) Next([]byte) ([]byte, error) {
	if c.answered {
		return nil, ErrUnexpectedChallenge
	}
	c.answered = true
	return []byte{0x01}, nil
}

// externalClient: RFC 4422 Appendix A. The user, if any, is the authorization identity and is
// sent as initial response; without one the initial response is empty (`AUTH EXTERNAL =`),
// meaning "derive it from the credentials" — never nothing, which would desynchronise the
// session as upstream's SASL build does.
type externalClient struct{ identity string }

func (c *externalClient) Start() (string, []byte, error) {
	return string(External), nonNil(c.identity), nil
}

func (c *externalClient) Next([]byte) ([]byte, error) { return nil, ErrUnexpectedChallenge }

// nonNil converts s to a byte slice that is never nil, even when s is empty: for a go-sasl
// client a nil response means "send nothing", an empty one "send an empty line".
func nonNil(s string) []byte {
	b := make([]byte, len(s))
	copy(b, s)
	return b
}
