package config

import (
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the value kinds of the directive table: how an argument is parsed, how the
// value is copied between accounts, and how --pretend shows it. Each constructor returns a
// value for one field of Account, reached through a field accessor.

// input is one value handed to a directive: an msmtprc argument or a command-line option's.
type input struct {
	arg string
	// missing: a command-line option with an optional argument was given without one
	// ("--tls"); then arg is "". An msmtprc line always has an argument, maybe empty.
	missing bool
	// cli: the value comes from the command line, where some empty arguments mean
	// something else than in a file (spec-cli-config.md §1.3).
	cli bool
	// home replaces a leading '~' of file names.
	home string
}

// empty reports whether the argument is empty in the way a file's empty argument is: an
// msmtprc line "tls" or a command-line "--tls". "--tls=" is not empty in that sense; on
// the command line it is an invalid argument.
func (in input) empty() bool {
	if in.cli {
		return in.missing
	}
	return in.arg == ""
}

// Errors of setters; parse and Overrides turn them into the upstream messages.
var (
	errNeedsArg = errors.New("needs an argument")
	errInvalid  = ErrInvalidArgument
)

type setter func(a *Account, in input) error

// value is one field's behaviour: set parses an argument into it, show formats it for
// --pretend, copy copies it from a parent account during inheritance.
type value struct {
	set  setter
	show func(a *Account) string
	copy func(dst, src *Account)
}

// field reaches one field of an Account.
type field[T any] func(*Account) *T

func (f field[T]) copier() func(dst, src *Account) {
	return func(dst, src *Account) { *f(dst) = *f(src) }
}

// onOff is an on/off setting where an empty argument means on.
func onOff(f field[bool]) value {
	return onOffMapped(f, true, false)
}

// onOffMapped is an on/off command that sets a field of another type, as the deprecated
// commands do (keepbcc on means remove_bcc_headers off).
func onOffMapped[T any](f field[T], on, off T) value {
	return value{
		set: func(a *Account, in input) error {
			switch {
			case in.empty() || in.arg == "on":
				*f(a) = on
			case in.arg == "off":
				*f(a) = off
			default:
				return errInvalid
			}
			return nil
		},
		copy: f.copier(),
	}
}

// word is one accepted argument of a choice and the value it stands for.
type word[T any] struct {
	text string
	val  T
}

// emptyRule says what an empty argument does when it is not simply a value.
type emptyRule uint8

const (
	emptyNeedsArg emptyRule = iota // "command X needs an argument"
	emptyInvalid                   // "invalid argument  for command X" (allow_from_override)
	emptyValue                     // the rule's value (on, auto, LOG_USER, ...)
)

// choice is a setting with a fixed list of words, matched case-sensitively.
func choice[T any](f field[T], empty emptyRule, emptyVal T, words ...word[T]) value {
	return value{
		set: func(a *Account, in input) error {
			if in.empty() {
				switch empty {
				case emptyNeedsArg:
					return errNeedsArg
				case emptyInvalid:
					return errInvalid
				}
				*f(a) = emptyVal
				return nil
			}
			for _, w := range words {
				if in.arg == w.text {
					*f(a) = w.val
					return nil
				}
			}
			return errInvalid
		},
		copy: f.copier(),
	}
}

// text is a string setting where an empty argument unsets it. File names get '~' expanded.
func text(f field[string], tilde bool) value {
	return value{
		set: func(a *Account, in input) error {
			if tilde {
				*f(a) = expandTilde(in.arg, in.home)
			} else {
				*f(a) = in.arg
			}
			return nil
		},
		show: func(a *Account) string { return orNotSet(*f(a)) },
		copy: f.copier(),
	}
}

// expandTilde replaces a leading '~' by the home directory, literally, as upstream does:
// "~bob/x" becomes "$HOMEbob/x" (spec-cli-config.md §2.2).
func expandTilde(s, home string) string {
	if strings.HasPrefix(s, "~") {
		return home + s[1:]
	}
	return s
}

func orNotSet(s string) string {
	if s == "" {
		return notSet
	}
	return s
}

func showOnOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// number is an integer setting in [lo, hi], written as C's strtol(s, &end, 0) reads it.
// An empty argument either needs an argument or gives 0 (unset).
func number(f field[int], lo, hi int, empty emptyRule) value {
	return value{
		set: func(a *Account, in input) error {
			if in.arg == "" {
				if empty == emptyNeedsArg {
					if in.cli {
						return errInvalid
					}
					return errNeedsArg
				}
				*f(a) = 0
				return nil
			}
			n, ok := strtol(in.arg)
			if !ok || n < int64(lo) || n > int64(hi) {
				return errInvalid
			}
			*f(a) = int(n)
			return nil
		},
		show: func(a *Account) string { return strconv.Itoa(*f(a)) },
		copy: f.copier(),
	}
}

// maxInt is C's INT_MAX, upstream's limit for numbers.
const maxInt = math.MaxInt32

// strtol parses s like C's strtol(s, &end, 0) followed by a check that the whole string
// was used: leading white space and a sign are allowed, "0x" means hex and a leading "0"
// octal. It fails for no digits, trailing characters and values outside the int64 range
// (upstream's long).
func strtol(s string) (int64, bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := 10
	switch rest := s[i:]; {
	case len(rest) >= 3 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') && isHexDigit(rest[2]):
		base = 16
		i += 2
	case rest != "" && rest[0] == '0':
		base = 8
	}
	digits := s[i:]
	if digits == "" {
		return 0, false
	}
	u, err := strconv.ParseUint(digits, base, 64)
	if err != nil || u > math.MaxInt64 {
		return 0, false
	}
	n := int64(u)
	if neg {
		n = -n
	}
	return n, true
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// timeout is "off" or a number of seconds ≥ 1.
func timeout() value {
	f := field[time.Duration](func(a *Account) *time.Duration { return &a.Timeout })
	return value{
		set: func(a *Account, in input) error {
			switch {
			case in.arg == "" && !in.cli:
				return errNeedsArg
			case in.arg == "off":
				a.Timeout = 0
				return nil
			}
			n, ok := strtol(in.arg)
			if !ok || n < 1 || n > maxInt {
				return errInvalid
			}
			a.Timeout = time.Duration(n) * time.Second
			return nil
		},
		show: func(a *Account) string {
			switch s := int64(a.Timeout / time.Second); s {
			case 0:
				return "off"
			case 1:
				return "1 second"
			default:
				return strconv.FormatInt(s, 10) + " seconds"
			}
		},
		copy: f.copier(),
	}
}

// fingerprints parses tls_fingerprint: one digest, or (our extension, for rotating pins)
// several separated by commas. Each digest is hex pairs separated by ':' or ' ', of a
// SHA-256, SHA-1 or MD5 length (spec-cli-config.md §1.3).
func fingerprints() value {
	f := field[[]Fingerprint](func(a *Account) *[]Fingerprint { return &a.TLSFingerprints })
	return value{
		set: func(a *Account, in input) error {
			if in.arg == "" {
				a.TLSFingerprints = nil
				return nil
			}
			var fps []Fingerprint
			for part := range strings.SplitSeq(in.arg, ",") {
				fp, ok := parseFingerprint(strings.Trim(part, " \t"))
				if !ok {
					return errInvalid
				}
				fps = append(fps, fp)
			}
			a.TLSFingerprints = fps
			return nil
		},
		show: func(a *Account) string {
			if len(a.TLSFingerprints) == 0 {
				return notSet
			}
			s := make([]string, len(a.TLSFingerprints))
			for i, fp := range a.TLSFingerprints {
				s[i] = fp.String()
			}
			return strings.Join(s, ",")
		},
		copy: f.copier(),
	}
}

func parseFingerprint(s string) (Fingerprint, bool) {
	n := (len(s) + 1) / 3
	if len(s) != 3*n-1 || (n != 32 && n != 20 && n != 16) {
		return nil, false
	}
	fp := make(Fingerprint, n)
	for i := range n {
		if i > 0 && s[3*i-1] != ':' && s[3*i-1] != ' ' {
			return nil, false
		}
		if _, err := hex.Decode(fp[i:i+1], []byte(s[3*i:3*i+2])); err != nil {
			return nil, false
		}
	}
	return fp, true
}

// dsnNotify is "off" (unset), "never", or a comma list without repeats of failure, delay
// and success; stored upper-cased in the order given.
func dsnNotify() value {
	f := field[string](func(a *Account) *string { return &a.DSNNotify })
	return value{
		set: func(a *Account, in input) error {
			switch in.arg {
			case "":
				if in.cli {
					return errInvalid
				}
				return errNeedsArg
			case "off":
				a.DSNNotify = ""
				return nil
			case "never":
				a.DSNNotify = "NEVER"
				return nil
			}
			var seen []string
			for cond := range strings.SplitSeq(in.arg, ",") {
				if !slices.Contains([]string{"failure", "delay", "success"}, cond) || slices.Contains(seen, cond) {
					return errInvalid
				}
				seen = append(seen, cond)
			}
			a.DSNNotify = strings.ToUpper(in.arg)
			return nil
		},
		show: func(a *Account) string { return orNotSet(a.DSNNotify) },
		copy: f.copier(),
	}
}

// dsnReturn is "off", "headers" or "full"; the command line also takes "hdrs", the
// config file does not (spec-cli-config.md §2.5).
func dsnReturn() value {
	f := field[DSNReturn](func(a *Account) *DSNReturn { return &a.DSNReturn })
	return value{
		set: func(a *Account, in input) error {
			switch {
			case in.arg == "" && !in.cli:
				return errNeedsArg
			case in.arg == "off":
				a.DSNReturn = DSNReturnNone
			case in.arg == "headers" || in.cli && in.arg == "hdrs":
				a.DSNReturn = DSNReturnHeaders
			case in.arg == "full":
				a.DSNReturn = DSNReturnFull
			default:
				return errInvalid
			}
			return nil
		},
		show: func(a *Account) string { return orNotSet(string(a.DSNReturn)) },
		copy: f.copier(),
	}
}

// auth is on (choose automatically), off, or a mechanism name in lower case.
func auth() value {
	f := field[AuthMethod](func(a *Account) *AuthMethod { return &a.Auth })
	return value{
		set: func(a *Account, in input) error {
			switch {
			case in.arg == "" || in.arg == "on": // "--auth=" is accepted too, unlike "--tls="
				a.Auth = AuthAuto
			case in.arg == "off":
				a.Auth = AuthNone
			case slices.Contains(authMethods, in.arg):
				a.Auth = AuthMethod(strings.ToUpper(in.arg))
			default:
				return errInvalid
			}
			return nil
		},
		show: func(a *Account) string { return a.Auth.String() },
		copy: f.copier(),
	}
}

// syslogFacilities are the facilities syslog accepts.
var syslogFacilities = []string{
	"LOG_USER", "LOG_MAIL", "LOG_LOCAL0", "LOG_LOCAL1", "LOG_LOCAL2", "LOG_LOCAL3",
	"LOG_LOCAL4", "LOG_LOCAL5", "LOG_LOCAL6", "LOG_LOCAL7",
}

// syslog is on (LOG_USER), off, or a facility name.
func syslog() value {
	f := field[string](func(a *Account) *string { return &a.Syslog })
	return value{
		set: func(a *Account, in input) error {
			switch {
			case in.empty() || in.arg == "on":
				a.Syslog = "LOG_USER"
			case in.arg == "off":
				a.Syslog = ""
			case slices.Contains(syslogFacilities, in.arg):
				a.Syslog = in.arg
			default:
				return errInvalid
			}
			return nil
		},
		show: func(a *Account) string { return orNotSet(a.Syslog) },
		copy: f.copier(),
	}
}

// optText is an OptString setting where an empty argument gives an empty (set) value.
func optText(f field[OptString]) value {
	return value{
		set: func(a *Account, in input) error {
			*f(a) = Some(in.arg)
			return nil
		},
		show: func(a *Account) string { return f(a).String() },
		copy: f.copier(),
	}
}
