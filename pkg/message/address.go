package message

import "strings"

// ParseAddressList returns the addresses in s, in order. s is the body of an address header
// field (To, Cc, Bcc, From and their Resent- forms, continuation lines included) or one
// command-line recipient argument, which msmtp reads as if it were the body of a To field
// (spec-cli-config.md §1.6).
//
// The scanner is deliberately lenient, like msmtp's own (spec-mail-smtp.md §1.6.2): it accepts
// the RFC 5322 §3.4 address-list, the obsolete forms of RFC 5322 §4.4 (comments and blanks
// inside addresses, routes), domain-less local names such as "root", and garbage, and it
// never fails. The rules:
//
//   - An angle address "<...>" is an address; words before it in the same list element are its
//     display name and are dropped, and so are words before a ':' (a group name).
//   - Comments "(...)", nested to any depth, are removed and do not split words, so
//     "to10(his account)@localhost(this host)" is "to10@localhost".
//   - Blanks next to '.' or '@' are folding white space and are removed
//     ("john . doe @ example.com" is "john.doe@example.com"); a blank between two other
//     characters separates words outside angle brackets and is kept as one blank inside them,
//     where it makes the address invalid instead of silently changing it.
//   - Quoted strings are kept with their quotes and escapes where they form part of an address
//     ("\"quoted local\"@example.com"); a word that is only a quoted string is a display name.
//   - Outside quoted strings a backslash is dropped and the next character kept.
//   - In a list element of bare words without angle brackets, every word containing '@' is an
//     address; when none does, the last word is ("to4", "root").
//   - An obsolete route ("<@r1,@r2:user@example.org>") is removed.
//
// Every result is non-empty and has no leading or trailing blanks. Nothing else is checked:
// control characters are kept, so that the SMTP layer rejects such an address visibly rather
// than having it rewritten into a different mailbox.
func ParseAddressList(s string) []string {
	sc := addrScanner{s: s}
	sc.scan()
	return sc.out
}

// MergeRecipients concatenates lists of recipients (the command-line recipients first, then
// those found in the header with -t) and drops every address that already occurred earlier.
// Two addresses are the same when their local parts are equal and their domains (after the
// last '@') are equal ignoring ASCII case; local parts are case-sensitive (RFC 5321 §2.4).
func MergeRecipients(lists ...[]string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, l := range lists {
		for _, a := range l {
			k := recipientKey(a)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

// recipientKey is the de-duplication key of MergeRecipients.
func recipientKey(a string) string {
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return a
	}
	return a[:i] + "@" + strings.ToLower(a[i+1:])
}

// word is a word outside angle brackets.
type word struct {
	text       []byte
	hasAt      bool // contains an '@' outside quoted strings
	quotedOnly bool // consists of quoted strings only: a display name, never an address
}

// addrScanner is the state of one ParseAddressList call.
type addrScanner struct {
	s   string
	i   int
	out []string

	// run holds the finished words of the current list element outside angle brackets.
	run []word
	// cur is the word being built; pendingBlank says that blanks followed it.
	cur          word
	pendingBlank bool
}

// isBlank reports whether c is white space. CR and LF only occur where a header field was
// folded; unfolding (RFC 5322 §2.2.3) leaves the blank that follows them.
func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// joinsAcrossBlanks reports whether c is a character next to which blanks are folding white
// space inside an address (RFC 5322 §4.4 obs-local-part, obs-domain, obs-route).
func joinsAcrossBlanks(c byte) bool {
	return c == '.' || c == '@' || c == ':' || c == ','
}

func (sc *addrScanner) scan() {
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case isBlank(c):
			sc.pendingBlank = true
			sc.i++
		case c == '(':
			sc.skipComment()
		case c == ',' || c == ';':
			sc.endWord()
			sc.flushRun()
			sc.i++
		case c == ':':
			// A group name: "group: a@x, b@y;" (RFC 5322 §3.4).
			sc.endWord()
			sc.run = sc.run[:0]
			sc.i++
		case c == '<':
			sc.endWord()
			sc.run = sc.run[:0] // display name
			sc.i++
			sc.angle()
		case c == '>':
			// A stray '>' separates words.
			sc.endWord()
			sc.i++
		default:
			piece, quoted := sc.piece()
			if len(piece) == 0 {
				continue
			}
			if sc.pendingBlank && len(sc.cur.text) > 0 &&
				!joinsOutside(sc.cur.text[len(sc.cur.text)-1]) && !joinsOutside(piece[0]) {
				sc.endWord()
			}
			sc.pendingBlank = false
			if len(sc.cur.text) == 0 {
				sc.cur.quotedOnly = true
			}
			if !quoted {
				sc.cur.quotedOnly = false
				if strings.IndexByte(piece, '@') >= 0 {
					sc.cur.hasAt = true
				}
			}
			sc.cur.text = append(sc.cur.text, piece...)
		}
	}
	sc.endWord()
	sc.flushRun()
}

// joinsOutside is joinsAcrossBlanks for bare words, where ':' and ',' are list syntax.
func joinsOutside(c byte) bool {
	return c == '.' || c == '@'
}

// piece consumes one unit of an address at sc.i (a quoted string, a domain literal, an escaped
// character or a plain character) and returns its text; quoted is true for a quoted string.
func (sc *addrScanner) piece() (text string, quoted bool) {
	c := sc.s[sc.i]
	switch c {
	case '"':
		return sc.quotedString(), true
	case '[':
		return sc.domainLiteral(), false
	case '\\':
		// RFC 5322 allows quoted-pair only in quoted strings, comments and domain literals;
		// msmtp honours it everywhere and keeps the escaped character.
		sc.i++
		if sc.i >= len(sc.s) {
			return "", false
		}
		sc.i++
		return sc.s[sc.i-1 : sc.i], false
	}
	sc.i++
	return sc.s[sc.i-1 : sc.i], false
}

// quotedString consumes a quoted string and returns it with its quotes and escapes, without
// the line breaks of folding. An unterminated string runs to the end of the input.
func (sc *addrScanner) quotedString() string {
	var b strings.Builder
	b.WriteByte('"')
	sc.i++
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		sc.i++
		switch c {
		case '"':
			b.WriteByte('"')
			return b.String()
		case '\\':
			b.WriteByte('\\')
			if sc.i < len(sc.s) {
				b.WriteByte(sc.s[sc.i])
				sc.i++
			}
		case '\r', '\n':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// domainLiteral consumes a domain literal "[...]" and returns it without blanks (RFC 5322
// §3.4.1 allows folding white space around dtext). An unterminated literal runs to the end of
// the input.
func (sc *addrScanner) domainLiteral() string {
	var b []byte
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		sc.i++
		switch {
		case c == ']':
			b = append(b, c)
			return string(b)
		case c == '\\' && sc.i < len(sc.s):
			b = append(b, c, sc.s[sc.i])
			sc.i++
		case isBlank(c):
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// skipComment consumes a comment, counting nested parentheses (RFC 5322 §3.2.2) and honouring
// backslash escapes. An unterminated comment runs to the end of the input.
func (sc *addrScanner) skipComment() {
	depth := 0
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		sc.i++
		switch c {
		case '\\':
			sc.i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return
			}
		}
	}
}

// angle consumes the inside of an angle address, sc.i being just after '<', and emits it.
func (sc *addrScanner) angle() {
	var b []byte
	blank := false
	routeEnd := -1 // index in b just after the ':' that ends an obsolete route
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '>':
			sc.i++
			sc.emitAngle(b, routeEnd)
			return
		case isBlank(c):
			blank = true
			sc.i++
		case c == '(':
			sc.skipComment()
			blank = true
		default:
			piece, quoted := sc.piece()
			if len(piece) == 0 {
				continue
			}
			if blank && len(b) > 0 && !joinsAcrossBlanks(b[len(b)-1]) && !joinsAcrossBlanks(piece[0]) {
				b = append(b, ' ')
			}
			blank = false
			b = append(b, piece...)
			if !quoted && piece == ":" && b[0] == '@' {
				routeEnd = len(b)
			}
		}
	}
	// Unterminated: what was collected is the address, as in msmtp.
	sc.emitAngle(b, routeEnd)
}

func (sc *addrScanner) emitAngle(b []byte, routeEnd int) {
	if routeEnd >= 0 {
		b = b[routeEnd:]
	}
	sc.emit(b)
}

// endWord finishes the current word, if any, and adds it to the run.
func (sc *addrScanner) endWord() {
	sc.pendingBlank = false
	if len(sc.cur.text) == 0 {
		return
	}
	sc.run = append(sc.run, sc.cur)
	sc.cur = word{}
}

// flushRun emits the addresses of a finished list element made of bare words.
func (sc *addrScanner) flushRun() {
	n := 0
	for _, w := range sc.run {
		if w.hasAt {
			sc.emit(w.text)
			n++
		}
	}
	if n == 0 && len(sc.run) > 0 {
		if last := sc.run[len(sc.run)-1]; !last.quotedOnly {
			sc.emit(last.text)
		}
	}
	sc.run = sc.run[:0]
}

func (sc *addrScanner) emit(b []byte) {
	a := strings.Trim(string(b), " \t\r\n")
	if a != "" {
		sc.out = append(sc.out, a)
	}
}
