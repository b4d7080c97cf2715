package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xdg-go/scram"
)

// ErrServerSignature is wrapped by the *ChallengeError a SCRAM client returns when the
// server-final message does not prove that the server knows the password (RFC 5802 §3: the
// client must verify ServerSignature).
var ErrServerSignature = errors.New("server signature does not match")

// ErrServerNotVerified is what a transport should report when the server accepted the
// authentication (235) before a mutual mechanism could verify it; see MutualClient.
var ErrServerNotVerified = errors.New("the server accepted the authentication without proving that it knows the password")

// MutualClient is implemented by clients whose mechanism also authenticates the server
// (SCRAM). After the final success reply the transport checks ServerVerified and fails with
// ErrServerNotVerified when it is false: a server that skipped the server-final message
// has proved nothing, and anyone in the middle could have said 235.
type MutualClient interface {
	ServerVerified() bool
}

// nonceBytes is the length of the random client nonce before base64: 18 bytes give the 24
// characters that GNU SASL sends (`r=n0NNT/KwXmWeXOh5j3o47dkd`).
const nonceBytes = 18

// scramClient adapts an xdg-go/scram conversation to the go-sasl Client interface. No
// initial response (spec-mail-smtp.md §3.2): the empty first 334 asks for client-first.
type scramClient struct {
	mech Mechanism
	conv *scram.ClientConversation
	step int
}

func newSCRAMClient(p Params) (*scramClient, error) {
	r := p.Rand
	if r == nil {
		r = rand.Reader
	}
	raw := make([]byte, nonceBytes)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("authentication method %s: cannot make a nonce: %w", p.Mechanism, err)
	}
	return newSCRAMClientNonce(p, base64.StdEncoding.EncodeToString(raw))
}

// newSCRAMClientNonce is newSCRAMClient with a given nonce; the tests use it to replay the
// exchanges of RFC 5802 §5 and RFC 7677 §3, whose nonces are not base64 of whole bytes.
func newSCRAMClientNonce(p Params, nonce string) (*scramClient, error) {
	hash := scram.SHA1
	if p.Mechanism == SCRAMSHA256 || p.Mechanism == SCRAMSHA256Plus {
		hash = scram.SHA256
	}
	// SASLprep the user name and password as GNU SASL does for upstream (RFC 5802 §5.1).
	client, err := hash.NewClient(p.User, p.Password, "")
	if err != nil {
		return nil, fmt.Errorf("authentication method %s: %w", p.Mechanism, err)
	}
	client = client.WithNonceGenerator(func() string { return nonce })

	c := &scramClient{mech: p.Mechanism}
	if p.Mechanism.NeedsChannelBinding() {
		cb := p.ChannelBinding
		if cb == nil || cb.Type == "" || len(cb.Data) == 0 {
			return nil, &MissingError{Mechanism: p.Mechanism, Missing: NeedChannelBinding}
		}
		c.conv = client.NewConversationWithChannelBinding(scram.ChannelBinding{
			Type: scram.ChannelBindingType(cb.Type),
			Data: append([]byte(nil), cb.Data...),
		})
	} else {
		// Plain SCRAM uses the `n,,` header even over TLS, as msmtp 1.8.33 does: `y` would
		// make a server that also offers -PLUS reject an explicit `auth scram-sha-256`.
		c.conv = client.NewConversation()
	}
	return c, nil
}

func (c *scramClient) Start() (string, []byte, error) { return string(c.mech), nil, nil }

func (c *scramClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	switch c.step {
	case 1:
		// The server's first challenge is empty; whatever it holds, answer client-first.
		first, err := c.conv.Step("")
		if err != nil {
			return nil, &ChallengeError{Mechanism: c.mech, Err: err}
		}
		return []byte(first), nil
	case 2:
		final, err := c.conv.Step(string(challenge))
		if err != nil {
			return nil, &ChallengeError{Mechanism: c.mech, Err: err}
		}
		return []byte(final), nil
	case 3:
		if _, err := c.conv.Step(string(challenge)); err != nil {
			if strings.HasPrefix(string(challenge), "v=") {
				err = ErrServerSignature
			}
			return nil, &ChallengeError{Mechanism: c.mech, Err: err}
		}
		// The exchange ends with an empty response line; nil would send nothing.
		return []byte{}, nil
	}
	return nil, ErrUnexpectedChallenge
}

// ServerVerified reports whether the server-final message was received and its signature
// verified.
func (c *scramClient) ServerVerified() bool { return c.conv.Valid() }
