package queue

import (
	"errors"
	"strings"
)

// Scope says whose queue DefaultDir names.
type Scope int

const (
	// UserScope is a user's own queue: msmtp run by a user, as msmtpq's.
	UserScope Scope = iota
	// SystemScope is the system's queue: msmtpd as a service, msmtp from cron or a
	// daemon with the system configuration.
	SystemScope
)

// ErrNoQueueDir is returned by DefaultDir when the environment does not say where the
// queue goes (no HOME, no LOCALAPPDATA or ProgramData).
var ErrNoQueueDir = errors.New("queue: cannot determine the queue directory; set queue_dir or --queue-dir")

// DefaultDir returns the default queue directory for goos ("linux", "windows", ...) with
// environment variables from getenv:
//
//	         Unix                 Windows
//	user     $HOME/.msmtp.queue   %LOCALAPPDATA%\msmtp\queue
//	system   /var/spool/msmtp     %ProgramData%\msmtp\queue
//
// The user directory on Unix is msmtpq's, so that mail queued by msmtpq is found by
// `msmtp --queue-import` without options. queue_dir in msmtprc and --queue-dir override
// all of this; the callers apply that.
func DefaultDir(goos string, getenv func(string) string, scope Scope) (string, error) {
	if goos == "windows" {
		base := getenv("LOCALAPPDATA")
		if scope == SystemScope {
			base = getenv("ProgramData")
			if base == "" {
				base = getenv("ALLUSERSPROFILE")
			}
		}
		if base == "" {
			return "", ErrNoQueueDir
		}
		return strings.TrimRight(base, `\/`) + `\msmtp\queue`, nil
	}
	if scope == SystemScope {
		return "/var/spool/msmtp", nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", ErrNoQueueDir
	}
	return strings.TrimRight(home, "/") + "/.msmtp.queue", nil
}
