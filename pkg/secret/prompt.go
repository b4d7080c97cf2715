package secret

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoTerminal is wrapped by Prompt's error when the controlling terminal cannot be opened
// (cron, CI, a daemon): then there is no prompt at all.
var ErrNoTerminal = errors.New("no controlling terminal")

// Terminal is the controlling terminal, as Prompt needs it.
type Terminal interface {
	// ReadPassword turns echo off, writes prompt, reads one line, restores echo and ends the
	// line on the terminal (the user's Enter was not echoed). The line is returned without
	// its line end.
	ReadPassword(prompt string) ([]byte, error)
	// Close restores the terminal's state (echo) and releases it. It may be called while
	// ReadPassword is blocked, when the context ends.
	Close() error
}

// Prompt asks for a password on the terminal that open returns — msmtp's getpass(3) prompt
// `password for USER at HOST: ` — and reads one line with echo off. It never reads standard
// input, which carries the mail. An empty answer is the empty password.
//
// Errors: one wrapping ErrNoTerminal when open fails, the terminal's read or write error, or
// the context's error when ctx ends first (the terminal's state is then restored).
func Prompt(ctx context.Context, open func() (Terminal, error), host, user string) (Secret, error) {
	t, err := open()
	if err != nil {
		return Secret{}, fmt.Errorf("%w: %v", ErrNoTerminal, err)
	}
	defer t.Close()
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := t.ReadPassword(fmt.Sprintf("password for %s at %s: ", user, host))
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return Secret{}, r.err
		}
		return New(string(r.line)), nil
	case <-ctx.Done():
		return Secret{}, ctx.Err()
	}
}
