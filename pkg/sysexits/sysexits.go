// Package sysexits names the exit codes of BSD's sysexits.h, which msmtp, sendmail and every
// program that calls them use as their contract: a caller such as PHP, cron or msmtpd decides
// from the code alone whether a failure was temporary.
//
// The package is a leaf: it imports nothing from the project.
package sysexits

// Code is a process exit status with a sysexits.h meaning.
type Code int

// The codes of sysexits.h. The values are fixed by the BSD header and must never change.
const (
	OK          Code = 0  // successful termination
	Usage       Code = 64 // command line usage error
	DataErr     Code = 65 // data format error
	NoInput     Code = 66 // cannot open input
	NoUser      Code = 67 // addressee unknown
	NoHost      Code = 68 // host name unknown
	Unavailable Code = 69 // service unavailable
	Software    Code = 70 // internal software error
	OSErr       Code = 71 // system error (e.g., can't fork)
	OSFile      Code = 72 // critical OS file missing
	CantCreat   Code = 73 // can't create (user) output file
	IOErr       Code = 74 // input/output error
	TempFail    Code = 75 // temp failure; user is invited to retry
	Protocol    Code = 76 // remote error in protocol
	NoPerm      Code = 77 // permission denied
	Config      Code = 78 // configuration error
)

var names = map[Code]string{
	OK:          "EX_OK",
	Usage:       "EX_USAGE",
	DataErr:     "EX_DATAERR",
	NoInput:     "EX_NOINPUT",
	NoUser:      "EX_NOUSER",
	NoHost:      "EX_NOHOST",
	Unavailable: "EX_UNAVAILABLE",
	Software:    "EX_SOFTWARE",
	OSErr:       "EX_OSERR",
	OSFile:      "EX_OSFILE",
	CantCreat:   "EX_CANTCREAT",
	IOErr:       "EX_IOERR",
	TempFail:    "EX_TEMPFAIL",
	Protocol:    "EX_PROTOCOL",
	NoPerm:      "EX_NOPERM",
	Config:      "EX_CONFIG",
}

// String returns the symbolic name used in msmtp's log line ("EX_TEMPFAIL"), or
// "BUG:UNKNOWN" for a value sysexits.h does not define, as upstream prints it.
func (c Code) String() string {
	if n, ok := names[c]; ok {
		return n
	}
	return "BUG:UNKNOWN"
}

// Temporary reports whether a delivery that ended with c may succeed when tried again later.
// This is msmtpd's rule for turning a pipe command's exit status into an SMTP reply: these
// four codes give 451, every other failure 554 (spec-mail-smtp.md §8.3 item 9). The queue
// uses the same rule to decide between retrying and bouncing.
func (c Code) Temporary() bool {
	switch c {
	case NoHost, Unavailable, OSErr, TempFail:
		return true
	}
	return false
}

// Defined reports whether c is one of the codes of sysexits.h (including OK).
func (c Code) Defined() bool {
	_, ok := names[c]
	return ok
}
