// Package oserr words operating-system errors the way the C library does — "No such file or
// directory", "Connection refused" — which is what msmtp's users see in upstream's messages
// and what their scripts grep for; Go's own texts are lower-case and prefixed with the
// operation ("dial tcp 127.0.0.1:25: connect: connection refused").
//
// The errors are recognised with errors.Is on errno values (and WinSock's codes on Windows),
// never by their text, so the wording is the same on every system.
package oserr

import (
	"context"
	"errors"
	"io/fs"
	"syscall"
	"unicode"
	"unicode/utf8"
)

type errnoText struct {
	err  error
	text string
}

// Text returns the C library's wording for err: glibc's strerror for the errno values msmtp
// users meet, "No such file or directory" and "Permission denied" for file errors,
// "Operation canceled" for a cancelled context, any other errno's own text with a capital
// letter, and otherwise the text of the innermost wrapped error (without Go's operation and
// address prefixes).
func Text(err error) string {
	for _, e := range errnoTexts() {
		if errors.Is(err, e.err) {
			return e.text
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	case errors.Is(err, context.Canceled):
		return "Operation canceled"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return capitalize(errno.Error())
	}
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// Known reports whether err is one of the errno values whose text Text knows.
func Known(err error) bool {
	for _, e := range errnoTexts() {
		if errors.Is(err, e.err) {
			return true
		}
	}
	return false
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
