package smtp

import (
	"errors"
	"strings"
)

// ParseCommand splits a command line (without its line ending) into the verb, upper-cased,
// and the rest of the line after one blank. Commands are case-insensitive (RFC 5321 §2.4);
// clients such as qBittorrent send them in lower case.
func ParseCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), arg
}

// Param is one ESMTP parameter of MAIL or RCPT (RFC 5321 §4.1.2): KEYWORD[=VALUE]. Keyword
// is upper-cased; HasValue distinguishes "BODY" from "BODY=".
type Param struct {
	Keyword  string
	Value    string
	HasValue bool
}

// Errors of ParsePathArg.
var (
	// ErrPathSyntax means the argument is not "FROM:<path>" or "TO:<path>" followed by
	// parameters.
	ErrPathSyntax = errors.New("syntax error in mailbox path")
	// ErrParamSyntax means a parameter is not KEYWORD or KEYWORD=VALUE.
	ErrParamSyntax = errors.New("syntax error in parameters")
)

// ParsePathArg parses the argument of MAIL or RCPT: prefix is "FROM:" or "TO:" (matched
// case-insensitively), followed by optional blanks (tolerated, although RFC 5321 has none;
// many clients send "MAIL FROM: <a@b>"), the path in angle brackets, and blank-separated
// parameters. The path is returned without its brackets; a source route
// ("<@a,@b:user@c>", RFC 5321 §4.1.2 obs) is dropped as the RFC asks. Quoted local parts may
// contain '>' and blanks.
func ParsePathArg(arg, prefix string) (path string, params []Param, err error) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", nil, ErrPathSyntax
	}
	rest := strings.TrimLeft(arg[len(prefix):], " \t")
	if !strings.HasPrefix(rest, "<") {
		return "", nil, ErrPathSyntax
	}
	end := closingBracket(rest)
	if end < 0 {
		return "", nil, ErrPathSyntax
	}
	path = rest[1:end]
	if strings.HasPrefix(path, "@") {
		// A source route: everything up to the first ':' outside quotes is dropped.
		i := strings.IndexByte(path, ':')
		if i < 0 {
			return "", nil, ErrPathSyntax
		}
		path = path[i+1:]
	}
	tail := rest[end+1:]
	if tail != "" && tail[0] != ' ' {
		return "", nil, ErrPathSyntax
	}
	params, err = ParseParams(tail)
	return path, params, err
}

// closingBracket returns the index of the '>' that closes the path starting at s[0]=='<',
// skipping quoted strings and backslash escapes, or -1.
func closingBracket(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '>' && !inQuote:
			return i
		}
	}
	return -1
}

// ParseParams parses blank-separated ESMTP parameters.
func ParseParams(s string) ([]Param, error) {
	var params []Param
	for _, f := range strings.Fields(s) {
		k, v, has := strings.Cut(f, "=")
		if k == "" || !isKeyword(k) {
			return nil, ErrParamSyntax
		}
		params = append(params, Param{Keyword: strings.ToUpper(k), Value: v, HasValue: has})
	}
	return params, nil
}

// isKeyword checks esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
func isKeyword(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-') {
			return false
		}
	}
	return true
}

// IsASCII reports whether s has only 7-bit bytes. A mailbox with other bytes needs SMTPUTF8
// (RFC 6531).
func IsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Domain returns the part of a mailbox after its last '@', or "" when there is none.
func Domain(mailbox string) string {
	i := strings.LastIndexByte(mailbox, '@')
	if i < 0 {
		return ""
	}
	return mailbox[i+1:]
}
