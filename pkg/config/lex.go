package config

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// Line is one command line of an msmtprc file: the command and its argument after the
// lexical rules of spec-cli-config.md §2.2.
type Line struct {
	Num int    // physical line number, counting from 1 (comments and blank lines included)
	Cmd string // the command, case-sensitive
	Arg string // the argument: blanks trimmed, one pair of enclosing quotes removed
}

// maxLineLen is upstream's limit: a line whose content (without the final LF, with a CR
// before it) reaches this many bytes is an error, although the message says "longer than".
const maxLineLen = 500

// Lex reads an msmtprc file and returns its command lines, skipping blank lines and
// comments. On an error it returns the lines before the error together with the error,
// so that a caller processing lines in order reports the first problem in the file first,
// as upstream (which reads and interprets line by line) does.
//
// The error is an *Error: "FILE: line longer than 500 characters" (KindConfig, ErrSyntax)
// or "FILE: input error" (KindIO) when reading fails.
func Lex(r io.Reader, file string) ([]Line, error) {
	br := bufio.NewReader(r)
	var lines []Line
	for num := 1; ; num++ {
		text, err := readLine(br)
		if errors.Is(err, errLineTooLong) {
			return lines, fileError(file, KindConfig, ErrSyntax, "line longer than %d characters", maxLineLen)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return lines, fileError(file, KindIO, err, "input error")
		}
		if cmd, arg, ok := splitLine(text); ok {
			lines = append(lines, Line{Num: num, Cmd: cmd, Arg: arg})
		}
		if err != nil { // io.EOF
			return lines, nil
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its LF and without one CR before the LF. It
// returns io.EOF together with the last line when the input ends, errLineTooLong as soon as
// a line reaches maxLineLen bytes (without reading the rest of it), or a read error.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return string(b), err
		}
		if c == '\n' {
			return strings.TrimSuffix(string(b), "\r"), nil
		}
		b = append(b, c)
		if len(b) >= maxLineLen { // a CR before the LF counts, so this is final
			return "", errLineTooLong
		}
	}
}

// splitLine splits a line into command and argument. ok is false for a blank line or a
// comment. Blanks are space and tab only; there are no trailing comments ("host h # x"
// sets the host to "h # x"); the quote rule removes one pair of '"' enclosing the whole
// argument and nothing else.
func splitLine(s string) (cmd, arg string, ok bool) {
	s = strings.TrimLeft(s, blanks)
	if s == "" || s[0] == '#' {
		return "", "", false
	}
	cmd, arg = s, ""
	if i := strings.IndexAny(s, blanks); i >= 0 {
		cmd, arg = s[:i], s[i:]
	}
	return cmd, unquote(strings.Trim(arg, blanks)), true
}

const blanks = " \t"

// unquote removes enclosing double quotes from a string of at least two characters.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
