package config

import (
	"unicode"
	"unicode/utf8"
)

// fnmatch reports whether name matches the shell pattern, as glibc's fnmatch(pattern, name,
// 0) does: '*' matches any string including '/' and a leading '.', '?' any one character,
// "[...]" a bracket expression ('!' or '^' negates, ranges, classes such as [:alpha:],
// collating symbols [.c.] and equivalence classes [=c=] of one character), and a backslash
// quotes the next character, also inside brackets. An unterminated '[' matches itself; a
// trailing backslash or an unknown class name makes the whole pattern fail.
//
// path.Match and filepath.Match differ (go-libs.md §5): '*' stops at '/', no '^' negation,
// no classes. Upstream uses fnmatch for wildcard from values (spec-cli-config.md §3.2).
func fnmatch(pattern, name string) bool {
	p, s := runes(pattern, name)
	return matchRunes(p, s)
}

// runes converts both strings to runes; if either is not valid UTF-8, both are taken byte
// by byte, as glibc falls back to when the locale conversion fails.
func runes(a, b string) ([]rune, []rune) {
	if utf8.ValidString(a) && utf8.ValidString(b) {
		return []rune(a), []rune(b)
	}
	conv := func(s string) []rune {
		r := make([]rune, len(s))
		for i := range len(s) {
			r[i] = rune(s[i])
		}
		return r
	}
	return conv(a), conv(b)
}

// matchRunes is the usual iterative glob matcher: on a mismatch it backtracks to the most
// recent '*' and lets it swallow one more character. One star of backtracking is enough
// because a later star can match everything an earlier one could.
func matchRunes(p, s []rune) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			case '[':
				if sx < len(s) {
					ok, n, st := matchBracket(p[px:], s[sx])
					switch st {
					case bracketInvalid:
						return false
					case bracketUnterminated:
						ok, n = s[sx] == '[', 1
					}
					if ok {
						px += n
						sx++
						continue
					}
				}
			case '\\':
				if px+1 == len(p) {
					return false // glibc: a trailing backslash never matches
				}
				if sx < len(s) && s[sx] == p[px+1] {
					px += 2
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if starPx >= 0 && starSx < len(s) {
			starSx++
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

type bracketStatus uint8

const (
	bracketOK           bracketStatus = iota
	bracketUnterminated               // no closing ']': the '[' is an ordinary character
	bracketInvalid                    // an unknown class name: the whole pattern fails
)

// matchBracket matches c against the bracket expression at the start of p (p[0] == '[').
// It returns whether c matched and how many runes of p the expression takes.
func matchBracket(p []rune, c rune) (bool, int, bracketStatus) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	matched := false
	for first := true; ; first = false {
		if i >= len(p) {
			return false, 0, bracketUnterminated
		}
		if p[i] == ']' && !first {
			return matched != negate, i + 1, bracketOK
		}
		lo, st := bracketElement(p[i:], c)
		if st != bracketOK {
			return false, 0, st
		}
		i += lo.n
		if lo.set {
			matched = matched || lo.in
			continue
		}
		// A range lo-hi, unless the '-' is the last character before ']'.
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi, st := bracketElement(p[i+1:], c)
			if st != bracketOK {
				return false, 0, st
			}
			if hi.set {
				return false, 0, bracketInvalid // a range cannot end in a class
			}
			i += 1 + hi.n
			matched = matched || lo.r <= c && c <= hi.r
			continue
		}
		matched = matched || lo.r == c
	}
}

// element is one item of a bracket expression: a character, or a set (a class such as
// [:alpha:] or an equivalence class [=x=]) already tested against the subject character.
type element struct {
	r   rune // the character, when !set
	set bool
	in  bool // the subject is in the set
	n   int  // runes of the pattern taken
}

// bracketElement reads one element of a bracket expression: a character, possibly escaped
// with a backslash, a collating symbol [.x.], a class [:name:] or an equivalence class
// [=x=]. Only one-character collating symbols and equivalence classes exist here, as in
// the C locale.
func bracketElement(p []rune, c rune) (element, bracketStatus) {
	switch {
	case p[0] == '\\':
		if len(p) < 2 {
			return element{}, bracketUnterminated
		}
		return element{r: p[1], n: 2}, bracketOK
	case p[0] == '[' && len(p) > 1 && (p[1] == ':' || p[1] == '=' || p[1] == '.'):
		kind := p[1]
		end := -1
		for j := 2; j+1 < len(p); j++ {
			if p[j] == kind && p[j+1] == ']' {
				end = j
				break
			}
			if kind == ':' && (p[j] < 'a' || p[j] >= 'z') {
				break // glibc: this cannot be a class name, so '[' is an ordinary character
			}
		}
		switch {
		case end < 0 && kind == '.':
			return element{}, bracketInvalid // glibc: an unterminated collating symbol fails
		case end < 0:
			return element{r: '[', n: 1}, bracketOK
		}
		name := p[2:end]
		switch kind {
		case ':':
			in, ok := inClass(string(name), c)
			if !ok {
				return element{}, bracketInvalid
			}
			return element{set: true, in: in, n: end + 2}, bracketOK
		case '=':
			if len(name) != 1 {
				return element{}, bracketInvalid
			}
			return element{set: true, in: name[0] == c, n: end + 2}, bracketOK
		default: // '.'
			if len(name) != 1 {
				return element{}, bracketInvalid
			}
			return element{r: name[0], n: end + 2}, bracketOK
		}
	}
	return element{r: p[0], n: 1}, bracketOK
}

// inClass reports whether c is in the POSIX character class name; ok is false for a name
// that is not a class.
func inClass(name string, c rune) (in, ok bool) {
	ascii := c < utf8.RuneSelf
	switch name {
	case "alnum":
		return unicode.IsLetter(c) || '0' <= c && c <= '9', true
	case "alpha":
		return unicode.IsLetter(c), true
	case "blank":
		return c == ' ' || c == '\t', true
	case "cntrl":
		return unicode.IsControl(c), true
	case "digit":
		return '0' <= c && c <= '9', true
	case "graph":
		return unicode.IsGraphic(c) && !unicode.IsSpace(c) && c != ' ', true
	case "lower":
		return unicode.IsLower(c), true
	case "print":
		return unicode.IsPrint(c), true
	case "punct":
		if ascii {
			return unicode.IsPunct(c) || unicode.IsSymbol(c), true
		}
		return unicode.IsPunct(c), true
	case "space":
		return unicode.IsSpace(c), true
	case "upper":
		return unicode.IsUpper(c), true
	case "xdigit":
		return c < utf8.RuneSelf && isHexDigit(byte(c)), true
	}
	return false, false
}
