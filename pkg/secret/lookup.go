package secret

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// Query says whose password Sources.Password looks for.
type Query struct {
	// Host and User form the Key (see Key for which host).
	Host string
	User string
	// Method is the authentication method that needs the password; it is named in the
	// not-found error (`authentication method PLAIN needs a password`).
	Method string
}

// NotFoundError is returned by Sources.Password when no source has the password. It wraps
// ErrNotFound. Its text is upstream's when Method is set.
type NotFoundError struct {
	Query Query
}

func (e *NotFoundError) Error() string {
	if e.Query.Method != "" {
		return fmt.Sprintf("authentication method %s needs a password", e.Query.Method)
	}
	return fmt.Sprintf("no password for %s at %s", e.Query.User, e.Query.Host)
}

func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// Sources are the places a password is looked for when the account has neither `password`
// nor `passwordeval`. A nil or empty field skips that source.
type Sources struct {
	// Keyring is consulted first (SystemKeyring in production).
	Keyring Keyring
	// NetrcFiles are read next, in order (NetrcFiles in production; msmtpd uses none).
	// Missing or unreadable files are skipped.
	NetrcFiles []string
	// Open opens a netrc file; nil means os.Open.
	Open func(name string) (io.ReadCloser, error)
	// Terminal opens the controlling terminal for the prompt, which comes last
	// (OpenTerminal in production). When it fails there is no prompt.
	Terminal func() (Terminal, error)
	// Logger receives a debug line for each source that failed other than by not having
	// the password. Nil discards them.
	Logger *slog.Logger
}

// Password returns the password for q from the first source that has one, in msmtp's order
// (spec-cli-config.md §4.1 step 3): keyring, netrc files in order, terminal prompt. Each
// source is consulted only if the ones before found nothing. Failures of a source are
// silent, as upstream's are; when nothing is found the error is *NotFoundError. The only
// other error is the context's, when it ends.
func (s *Sources) Password(ctx context.Context, q Query) (Secret, error) {
	key := Key{Host: q.Host, User: q.User}
	if s.Keyring != nil {
		p, err := s.Keyring.Lookup(ctx, key)
		if err == nil {
			return p, nil
		}
		s.debug("keyring", err)
	}
	for _, name := range s.NetrcFiles {
		if err := ctx.Err(); err != nil {
			return Secret{}, err
		}
		p, err := s.netrc(name, key)
		if err == nil {
			return p, nil
		}
		s.debug(name, err)
	}
	if err := ctx.Err(); err != nil {
		return Secret{}, err
	}
	if s.Terminal != nil {
		p, err := Prompt(ctx, s.Terminal, q.Host, q.User)
		if err == nil {
			return p, nil
		}
		if ctx.Err() != nil {
			return Secret{}, ctx.Err()
		}
		s.debug("terminal", err)
	}
	return Secret{}, &NotFoundError{Query: q}
}

func (s *Sources) netrc(name string, key Key) (Secret, error) {
	open := s.Open
	if open == nil {
		open = func(name string) (io.ReadCloser, error) { return os.Open(name) }
	}
	f, err := open(name)
	if err != nil {
		return Secret{}, err
	}
	defer f.Close()
	return LookupNetrc(f, key.Host, key.User)
}

func (s *Sources) debug(source string, err error) {
	if s.Logger != nil {
		s.Logger.Debug("no password from "+source, "err", err)
	}
}
