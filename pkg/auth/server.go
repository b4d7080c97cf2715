package auth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
	"golang.org/x/crypto/bcrypt"
)

// Errors of the server side.
var (
	// ErrMalformedResponse: a client response that does not have the mechanism's form
	// (PLAIN without exactly two NUL bytes, a response after the exchange ended).
	ErrMalformedResponse = errors.New("malformed authentication response")
	// ErrInvalidCredentials: unknown user or wrong password.
	ErrInvalidCredentials = errors.New("invalid user name or password")
)

// VerifyFunc checks a user name and password. It returns nil when they are valid, and
// otherwise an error (Users.Verify returns ErrInvalidCredentials) that the server passes on.
type VerifyFunc func(user, password string) error

// loginPrompts are LOGIN's challenges, `334 VXNlcm5hbWU6` and `334 UGFzc3dvcmQ6` on the wire.
const (
	loginUserPrompt     = "Username:"
	loginPasswordPrompt = "Password:"
)

// NewPlainServer returns a PLAIN (RFC 4616) server that calls verify. The response must be
// exactly `authzid NUL user NUL password`; any authorization identity is accepted and
// ignored, as msmtpd 1.8.33 does (1.8.23 required it to be empty). Without an initial
// response the server first sends an empty challenge (`334 `).
func NewPlainServer(verify VerifyFunc) sasl.Server {
	return &plainServer{verify: verify}
}

type plainServer struct {
	verify VerifyFunc
	done   bool
}

func (s *plainServer) Next(response []byte) ([]byte, bool, error) {
	if s.done {
		return nil, true, ErrMalformedResponse
	}
	if response == nil {
		return []byte{}, false, nil
	}
	s.done = true
	parts := bytes.Split(response, []byte{0})
	if len(parts) != 3 {
		return nil, true, ErrMalformedResponse
	}
	return nil, true, s.verify(string(parts[1]), string(parts[2]))
}

// NewLoginServer returns a LOGIN server that prompts `Username:` then `Password:` and calls
// verify. A user name sent as initial response (`AUTH LOGIN dXNlcg==`) skips the first
// prompt.
func NewLoginServer(verify VerifyFunc) sasl.Server {
	return &loginServer{verify: verify}
}

type loginServer struct {
	verify VerifyFunc
	user   string
	step   int
}

func (s *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		if response == nil {
			s.step = 1
			return []byte(loginUserPrompt), false, nil
		}
		s.user, s.step = string(response), 2
		return []byte(loginPasswordPrompt), false, nil
	case 1:
		s.user, s.step = string(response), 2
		return []byte(loginPasswordPrompt), false, nil
	case 2:
		s.step = 3
		return nil, true, s.verify(s.user, string(response))
	}
	return nil, true, ErrMalformedResponse
}

// Password is a password as stored in msmtpd's user table: a bcrypt hash or plain text.
// It never prints itself; the value sits behind a pointer because fmt prints the raw struct
// for %p, bypassing String. The zero Password is the empty plain-text password.
type Password struct {
	stored *string
	bcrypt bool
}

// bcryptPrefixes are the hash versions golang.org/x/crypto/bcrypt verifies; $2y$ (PHP,
// htpasswd -B) is the same algorithm as $2b$.
func bcryptPrefixes() []string { return []string{"$2a$", "$2b$", "$2y$"} }

// ParsePassword interprets a stored password: a value starting with `$2a$`, `$2b$` or `$2y$`
// is a bcrypt hash and must be well-formed (else the error says why); anything else is plain
// text.
func ParsePassword(stored string) (Password, error) {
	for _, p := range bcryptPrefixes() {
		if strings.HasPrefix(stored, p) {
			if _, err := bcrypt.Cost([]byte(stored)); err != nil {
				return Password{}, fmt.Errorf("invalid bcrypt hash: %w", err)
			}
			return Password{stored: &stored, bcrypt: true}, nil
		}
	}
	return Password{stored: &stored}, nil
}

// PlainPassword returns a plain-text password, even one that looks like a bcrypt hash (as
// produced by `msmtpd --auth=USER,CMD`, whose password upstream compares literally).
func PlainPassword(s string) Password { return Password{stored: &s} }

// Hashed reports whether p is a bcrypt hash.
func (p Password) Hashed() bool { return p.bcrypt }

// String never shows the password.
func (p Password) String() string { return "*" }

// GoString never shows the password.
func (p Password) GoString() string { return "auth.Password(*)" }

// Verify returns nil when given matches p and ErrInvalidCredentials otherwise. Plain text is
// compared through SHA-256 digests in constant time, so neither content nor length leaks
// through timing.
func (p Password) Verify(given string) error {
	var stored string
	if p.stored != nil {
		stored = *p.stored
	}
	if p.bcrypt {
		if bcrypt.CompareHashAndPassword([]byte(stored), []byte(given)) != nil {
			return ErrInvalidCredentials
		}
		return nil
	}
	a, b := sha256.Sum256([]byte(stored)), sha256.Sum256([]byte(given))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return ErrInvalidCredentials
	}
	return nil
}

// Users is msmtpd's user table: user name → password. Its Verify method is a VerifyFunc.
type Users map[string]Password

// dummyHash is compared against for unknown users when the table holds bcrypt hashes, so an
// unknown user takes as long as a known one. It is the cost-10 hash of an unguessable
// string; no password matches it in practice.
const dummyHash = "$2a$10$PLSCU0MZBljQKmgOQLWWrOG3TMmm5xt6YSm8w71PD856DW4R8LAre"

// Verify checks user and password and returns nil or ErrInvalidCredentials. An unknown user
// costs the same work as a wrong password, so timing does not reveal which users exist.
func (u Users) Verify(user, password string) error {
	p, ok := u[user]
	if !ok {
		dummy := PlainPassword("\x00unknown user")
		for _, q := range u {
			if q.bcrypt {
				dummy, _ = ParsePassword(dummyHash)
				break
			}
		}
		_ = dummy.Verify(password)
		return ErrInvalidCredentials
	}
	return p.Verify(password)
}
