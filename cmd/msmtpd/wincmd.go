package main

// Building the pipe command on Windows. There is no /bin/sh, and msmtpd does not put cmd.exe
// in between either (its quoting cannot protect arbitrary text: % and ^ stay special inside
// quotes): the command line is split into words by the rules every C and Go program on
// Windows uses to split its own command line (CommandLineToArgvW and the Microsoft C
// runtime, "Parsing C command-line arguments"), and executed directly. The sender replaces
// the first %F inside its word and each recipient is one more argument; os/exec quotes each
// argument so that the program receives it unchanged.

import (
	"errors"
	"strings"
)

// parseWindowsCommand parses a command for Windows.
func parseWindowsCommand(text string) (*commandTemplate, error) {
	t := &commandTemplate{text: text, fWord: -1}
	fPos := strings.Index(text, "%F")
	t.hasF = fPos >= 0
	words, fWord, fOff := splitWindowsCommandLine(text, fPos)
	if len(words) == 0 {
		return nil, errors.New("empty command")
	}
	t.words, t.fWord, t.fOff = words, fWord, fOff
	return t, nil
}

// splitWindowsCommandLine splits s into arguments. mark is a byte offset in s (or -1); the
// returned word index and offset say where the byte at mark ended up (-1 if it was a quote
// or blank and so did not end up anywhere).
//
// The first word is the program name: double quotes group, and backslashes are literal.
// For the other words: blanks (space, tab) separate words outside quotes; 2n backslashes
// followed by a quote give n backslashes and the quote opens or closes a quoted part; 2n+1
// backslashes followed by a quote give n backslashes and a literal quote; backslashes not
// followed by a quote are literal; inside a quoted part, two quotes in a row give one
// literal quote and the part continues (the C runtime's rule since 2008).
func splitWindowsCommandLine(s string, mark int) (words []string, markWord, markOff int) {
	markWord, markOff = -1, -1
	var cur []byte
	emit := func(i int) {
		if i == mark {
			markWord, markOff = len(words), len(cur)
		}
		cur = append(cur, s[i])
	}
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i == len(s) {
		return nil, -1, -1
	}
	// The program name.
	quoted := false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			quoted = !quoted
			continue
		}
		if !quoted && (c == ' ' || c == '\t') {
			break
		}
		emit(i)
	}
	words = append(words, string(cur))
	cur = nil

	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			return words, markWord, markOff
		}
		quoted := false
		for i < len(s) {
			c := s[i]
			if !quoted && (c == ' ' || c == '\t') {
				break
			}
			switch c {
			case '\\':
				n := 0
				for i+n < len(s) && s[i+n] == '\\' {
					n++
				}
				if i+n < len(s) && s[i+n] == '"' {
					for k := 0; k < n/2; k++ {
						emit(i + 2*k)
					}
					if n%2 == 1 {
						emit(i + n) // the escaped quote
						i += n + 1
					} else {
						i += n // the quote is handled as a quote next
					}
					continue
				}
				for k := 0; k < n; k++ {
					emit(i + k)
				}
				i += n
				continue
			case '"':
				if quoted && i+1 < len(s) && s[i+1] == '"' {
					emit(i + 1)
					i += 2
					continue
				}
				quoted = !quoted
				i++
				continue
			}
			emit(i)
			i++
		}
		words = append(words, string(cur))
		cur = nil
	}
}

// quoteWindowsArg quotes a word so that splitWindowsCommandLine gives it back (for the
// default command's program path, which may contain blanks).
func quoteWindowsArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	// The program name allows no escapes; a path cannot contain '"' anyway.
	return `"` + strings.ReplaceAll(s, `"`, ``) + `"`
}
