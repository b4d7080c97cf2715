package oauth2

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrNoToken is wrapped by Store.Load when nothing is stored yet.
var ErrNoToken = errors.New("no OAuth2 token stored")

// ReauthRequiredError says that msmtp holds no usable authorization for the account: nothing
// is stored yet, or the provider refused the refresh token (invalid_grant: it was revoked, it
// expired, the password was changed, or the provider wants the user to sign in again). Only
// the user can fix it, by running the command the message names; msmtp exits with EX_NOPERM
// (77).
type ReauthRequiredError struct {
	Account string
	// Reason says what happened, for people.
	Reason string
	// Err is the provider's refusal (*EndpointError), if there was one.
	Err error
}

func (e *ReauthRequiredError) Error() string {
	return fmt.Sprintf("account %s: OAuth2 authorization needed (%s); run '%s'", e.Account, e.Reason, LoginCommand(e.Account))
}

func (e *ReauthRequiredError) Unwrap() error { return e.Err }

// LoginCommand is the command line that authorizes msmtp for an account:
// "msmtp --oauth2-login -a ACCOUNT", with the account name quoted for a POSIX shell when it
// needs to be.
func LoginCommand(account string) string {
	return "msmtp --oauth2-login -a " + shellQuote(account)
}

func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("@%+=:,./_-", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// TemporaryError is a failure to talk to an OAuth2 endpoint that may go away by itself: the
// network, a timeout, a 5xx or 429 answer, or an answer that is not an OAuth2 response.
// msmtp exits with EX_TEMPFAIL (75), so that msmtpd and queues try again later.
type TemporaryError struct {
	// URL is the endpoint.
	URL string
	// Status is the HTTP status code, or 0 when there was no usable answer.
	Status int
	// Err is the cause: a network error, the context's error, or a parse error.
	Err error
}

func (e *TemporaryError) Error() string {
	switch {
	case e.Status != 0 && e.Err != nil:
		return fmt.Sprintf("OAuth2 endpoint %s: %d %s: %v", e.URL, e.Status, http.StatusText(e.Status), e.Err)
	case e.Status != 0:
		return fmt.Sprintf("OAuth2 endpoint %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("cannot reach OAuth2 endpoint %s: %v", e.URL, e.Err)
}

func (e *TemporaryError) Unwrap() error { return e.Err }

// Temporary reports true: the condition may go away by itself.
func (e *TemporaryError) Temporary() bool { return true }

// EndpointError is an OAuth2 error response (RFC 6749 §5.2, RFC 8628 §3.5) from an endpoint,
// other than the ones that have their own types: invalid_client, unauthorized_client,
// invalid_scope and the like mean that the msmtprc settings are wrong (EX_CONFIG, 78).
// ReauthRequiredError and LoginError wrap it when the code means that.
type EndpointError struct {
	URL         string
	Status      int
	Code        string // the "error" member; "" when the answer had none
	Description string // the "error_description" member
	// Hint is advice for this code from this provider ("use --redirect"), or "".
	Hint string
}

func (e *EndpointError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "OAuth2 endpoint %s refused the request", e.URL)
	switch {
	case e.Code != "":
		b.WriteString(": " + e.Code)
		if e.Description != "" {
			b.WriteString(" (" + e.Description + ")")
		}
	case e.Status != 0:
		fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// ConfigError is an OAuth2 setting that cannot work: no device endpoint for a device login,
// a keyring that cannot store tokens, a failing oauth2_client_secret_eval. msmtp exits with
// EX_CONFIG (78).
type ConfigError struct {
	Account string
	Msg     string
	Err     error
}

func (e *ConfigError) Error() string {
	s := fmt.Sprintf("account %s: %s", e.Account, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ConfigError) Unwrap() error { return e.Err }

// StoreError is a failure to read, write or lock the token store (EX_IOERR, 74).
type StoreError struct {
	// Store describes the store (its file name, or the keyring entry).
	Store string
	// Op is "read", "write" or "lock".
	Op  string
	Err error
}

func (e *StoreError) Error() string {
	switch e.Op {
	case "write":
		return fmt.Sprintf("cannot store OAuth2 tokens in %s: %v", e.Store, e.Err)
	case "lock":
		return fmt.Sprintf("cannot lock OAuth2 token store %s: %v", e.Store, e.Err)
	}
	return fmt.Sprintf("cannot read OAuth2 tokens from %s: %v", e.Store, e.Err)
}

func (e *StoreError) Unwrap() error { return e.Err }

// LoginError is a login that did not end with tokens: the user denied access, the code
// expired, or the provider gave no refresh token. msmtp exits with EX_NOPERM (77).
type LoginError struct {
	Account string
	Reason  string
	Err     error
}

func (e *LoginError) Error() string {
	return fmt.Sprintf("account %s: OAuth2 login failed: %s", e.Account, e.Reason)
}

func (e *LoginError) Unwrap() error { return e.Err }
