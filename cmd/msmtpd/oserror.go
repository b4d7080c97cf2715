package main

import (
	"errors"
	"io/fs"
	"strings"
	"unicode/utf8"

	"github.com/msmtp-go/msmtp/internal/oserr"
)

// strerror returns the system's description of err the way upstream prints it (strerror(3):
// "Address already in use"), falling back to the error's own text. Go's errno texts are
// strerror's with a lower-case first letter.
func strerror(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + strerror(pe.Err)
	}
	return oserr.Text(err)
}

// sanitize makes text from outside (a command's output, an error) safe for a log line: control
// characters become '?', so nothing can forge a second line.
func sanitize(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '?'
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }
