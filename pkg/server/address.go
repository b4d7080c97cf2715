package server

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// addrProblem says why a MAIL or RCPT path is refused.
type addrProblem int

const (
	addrOK      addrProblem = iota
	addrControl             // control characters or NUL: 501
	addrDash                // local part starts with '-': 553
	addrEmpty               // <> as a recipient: 553
	addrSyntax              // not a mailbox of RFC 5321 §4.1.2 (RFC 6531 §3.3 for UTF-8): 553
)

// checkPath checks a path taken out of its angle brackets (source route already dropped).
// Accepted are RFC 5321 mailboxes, with quoted local parts and address literals, UTF-8
// local parts and domains (RFC 6531), and a bare local part such as "postmaster" or
// "root", which local programs send. The null path "" is allowed only for the sender.
//
// UTF-8 is accepted without the SMTPUTF8 parameter too: msmtp (all versions) sends non-ASCII
// local parts without it, and the backend learns from MailOptions.SMTPUTF8 whether the
// client asked for it.
func checkPath(p string, sender bool) addrProblem {
	switch {
	case hasControl(p):
		return addrControl
	case p == "" && sender:
		return addrOK
	case p == "":
		return addrEmpty
	case !utf8.ValidString(p):
		return addrSyntax
	}
	local, domain, hasDomain, ok := splitMailbox(p)
	if !ok {
		return addrSyntax
	}
	// The dash rule looks at the local part as a shell would see it after removing the
	// quotes: `"-oQ/x"@y` is as dangerous on a command line as `-oQ/x@y`.
	if strings.HasPrefix(unquoteLocal(local), "-") {
		return addrDash
	}
	if !validLocal(local) || hasDomain && !validDomain(domain) {
		return addrSyntax
	}
	return addrOK
}

// hasControl reports ASCII control characters (NUL included) or DEL.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// splitMailbox splits local@domain; a quoted local part may contain '@'.
func splitMailbox(p string) (local, domain string, hasDomain, ok bool) {
	if strings.HasPrefix(p, `"`) {
		end := closingQuote(p)
		if end < 0 {
			return "", "", false, false
		}
		local, rest := p[:end+1], p[end+1:]
		if rest == "" {
			return local, "", false, true
		}
		if rest[0] != '@' {
			return "", "", false, false
		}
		return local, rest[1:], true, true
	}
	local, domain, hasDomain = strings.Cut(p, "@")
	return local, domain, hasDomain, true
}

// closingQuote returns the index of the quote that ends the quoted string at p[0], or -1.
func closingQuote(p string) int {
	for i := 1; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func unquoteLocal(local string) string {
	if !strings.HasPrefix(local, `"`) {
		return local
	}
	var b strings.Builder
	for i := 1; i < len(local)-1; i++ {
		if local[i] == '\\' && i+1 < len(local)-1 {
			i++
		}
		b.WriteByte(local[i])
	}
	return b.String()
}

// validLocal checks Local-part = Dot-string / Quoted-string (RFC 5321 §4.1.2), where atext
// and qtext may include UTF-8 (RFC 6531 §3.3).
func validLocal(local string) bool {
	if strings.HasPrefix(local, `"`) {
		if len(local) < 2 || !strings.HasSuffix(local, `"`) {
			return false
		}
		in := local[1 : len(local)-1]
		for i := 0; i < len(in); i++ {
			c := in[i]
			switch {
			case c == '\\':
				// quoted-pairSMTP = %d92 %d32-126
				if i+1 >= len(in) || in[i+1] < 32 || in[i+1] > 126 {
					return false
				}
				i++
			case c == '"':
				return false
			case c >= 32 && c <= 126, c >= 0x80:
			default:
				return false
			}
		}
		return true
	}
	if local == "" {
		return false
	}
	for _, atom := range strings.Split(local, ".") {
		if atom == "" {
			return false
		}
		for i := 0; i < len(atom); i++ {
			if c := atom[i]; !isAtext(c) && c < 0x80 {
				return false
			}
		}
	}
	return true
}

// isAtext reports an RFC 5322 atext character (ASCII).
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// validDomain checks a domain name (labels of letters, digits and hyphens, not starting or
// ending with a hyphen; UTF-8 U-labels per RFC 6531; '_' is tolerated, as it occurs in
// internal host names) or an address literal (RFC 5321 §4.1.3).
func validDomain(d string) bool {
	if strings.HasPrefix(d, "[") {
		return validLiteral(d)
	}
	if d == "" || len(d) > 255 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
			if !alnum && c != '-' && c != '_' && c < 0x80 {
				return false
			}
		}
	}
	return true
}

// validLiteral checks an address literal: [IPv4], [IPv6:addr] or a General-address-literal
// [tag:dcontent].
func validLiteral(d string) bool {
	if len(d) < 3 || !strings.HasSuffix(d, "]") {
		return false
	}
	in := d[1 : len(d)-1]
	tag, rest, ok := strings.Cut(in, ":")
	if !ok {
		a, err := netip.ParseAddr(in)
		return err == nil && a.Is4()
	}
	if strings.EqualFold(tag, "IPv6") {
		a, err := netip.ParseAddr(rest)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	// Standardized-tag = Ldh-str; dcontent = %d33-90 / %d94-126.
	if tag == "" || tag[len(tag)-1] == '-' || rest == "" {
		return false
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' && i > 0) {
			return false
		}
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c < 33 || c > 126 || c >= 91 && c <= 93 {
			return false
		}
	}
	return true
}
