package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/msmtp-go/msmtp/internal/oserr"
)

// Kind classifies an *Error for the exit-code table. The package does not know exit codes
// itself (docs/architecture.md); the caller maps KindIO to EX_IOERR (74), KindConfig to
// EX_CONFIG (78) and KindUsage to EX_USAGE (64), as upstream does (spec-cli-config.md §0.2).
type Kind uint8

const (
	// KindConfig is a configuration error: syntax, semantics, an insecure file, an account
	// that is not there, a failing passwordeval, an aliases file problem.
	KindConfig Kind = iota
	// KindIO is an input/output problem: an unopenable -C file, a read error, an eval
	// command that produced no output.
	KindIO
	// KindUsage is a command-line value error ("invalid argument X for --Y") or a missing
	// envelope-from address.
	KindUsage
)

// String names the kind: "config", "io" or "usage".
func (k Kind) String() string {
	switch k {
	case KindIO:
		return "io"
	case KindUsage:
		return "usage"
	default:
		return "config"
	}
}

// Error is every error this package returns. Its text is exactly what msmtp prints after
// "msmtp: ", so the caller prints "PROGRAM: " + err.Error():
//
//	FILE: line N: MESSAGE          (File and Line set)
//	FILE: MESSAGE                  (File set, Line 0)
//	account ID from FILE: MESSAGE  (Account set: the checks after account selection)
//	MESSAGE                        (nothing set: command line, environment)
//
// Err, if set, is the cause or one of the sentinels below, for errors.Is.
type Error struct {
	File    string
	Line    int
	Account string
	Msg     string
	Kind    Kind
	Err     error

	// named: the message is about File even if File is empty ("-C ''").
	named bool
}

// Error returns the message as msmtp prints it after "msmtp: ".
func (e *Error) Error() string {
	switch {
	case e.Account != "":
		return "account " + e.Account + " from " + e.File + ": " + e.Msg
	case e.File != "" && e.Line > 0:
		return e.File + ": line " + strconv.Itoa(e.Line) + ": " + e.Msg
	case e.File != "" || e.named:
		return e.File + ": " + e.Msg
	}
	return e.Msg
}

// Unwrap returns the cause or sentinel, so errors.Is(err, config.ErrUnknownCommand) works.
func (e *Error) Unwrap() error { return e.Err }

// Sentinels carried in Error.Err. Callers branch on them with errors.Is; the message text
// itself is in the *Error.
var (
	// ErrUnknownCommand: a line names a command msmtprc does not have.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrInvalidArgument: a value did not pass validation, in a file or on the command line.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrSyntax: any other structural problem in a file (missing argument, bad account line,
	// overlong line).
	ErrSyntax = errors.New("syntax error")
	// ErrInsecurePermissions: a user configuration file with a password is readable by
	// others or not owned by the user (spec-cli-config.md §2.8).
	ErrInsecurePermissions = errors.New("insecure permissions")
	// ErrAccountNotFound: the requested (or default) account does not exist.
	ErrAccountNotFound = errors.New("account not found")
	// ErrInvalidAccount: the selected account failed the checks after selection (§2.10).
	ErrInvalidAccount = errors.New("invalid account")
	// ErrNoEnvelopeFrom: %F in from, but the mail has no From header.
	ErrNoEnvelopeFrom = errors.New("no envelope from address found")
	// ErrEval: an eval or passwordeval command could not be run or produced no output.
	ErrEval = errors.New("command evaluation failed")
	// ErrAliases: a problem with the aliases file or with expanding an alias.
	ErrAliases = errors.New("aliases error")
)

// sanitize replaces control characters with '?', as upstream does for every string that
// goes from a file, a command or the system into a message (spec-cli-config.md §0.3), so
// a hostile file cannot put escape sequences on the user's terminal.
func sanitize(s string) string {
	if strings.IndexFunc(s, isCntrl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isCntrl(r) {
			return '?'
		}
		return r
	}, s)
}

// isCntrl is C's iscntrl in the C locale.
func isCntrl(r rune) bool { return r < 0x20 || r == 0x7f }

// strerror gives the C library's text for err ("No such file or directory"), which is what
// upstream prints after a file name, with control characters made harmless.
func strerror(err error) string { return sanitize(oserr.Text(err)) }

// fileError is a problem with a whole file: "FILE: MESSAGE".
func fileError(file string, kind Kind, sentinel error, format string, args ...any) *Error {
	return &Error{File: file, Msg: fmt.Sprintf(format, args...), Kind: kind, Err: sentinel, named: true}
}
