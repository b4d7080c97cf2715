package server

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// paramErr is a problem with an ESMTP parameter of MAIL or RCPT: unsupported ones get 555
// (RFC 5321 §4.1.1.11), malformed ones 501.
type paramErr struct {
	msg         string
	unsupported bool
}

func (e *paramErr) Error() string { return e.msg }

func syntaxErr(msg string) error      { return &paramErr{msg: msg} }
func unsupportedErr(msg string) error { return &paramErr{msg: msg, unsupported: true} }

// RFC 3461 length limits of the decoded values.
const (
	maxEnvIDLen = 100 // RFC 3461 §4.4
	maxORCPTLen = 500 // RFC 3461 §4.2
)

// parseMailParams checks the parameters of MAIL: SIZE (RFC 1870), BODY (RFC 6152),
// SMTPUTF8 (RFC 6531), RET and ENVID (RFC 3461), AUTH (RFC 4954 §5).
func parseMailParams(params []smtp.Param) (MailOptions, error) {
	var o MailOptions
	if err := checkDuplicates(params); err != nil {
		return o, err
	}
	for _, p := range params {
		if p.Keyword == "SMTPUTF8" {
			o.SMTPUTF8 = true
		}
	}
	for _, p := range params {
		switch p.Keyword {
		case "SIZE":
			n, ok := parseSize(p.Value)
			if !ok || !p.HasValue {
				return o, syntaxErr("Invalid SIZE value")
			}
			o.Size = n
		case "BODY":
			switch BodyType(strings.ToUpper(p.Value)) {
			case Body7Bit:
				o.Body = Body7Bit
			case Body8BitMIME:
				o.Body = Body8BitMIME
			case "BINARYMIME":
				return o, unsupportedErr("BODY=BINARYMIME is not supported")
			default:
				return o, syntaxErr("Invalid BODY value")
			}
		case "SMTPUTF8":
			if p.HasValue {
				return o, syntaxErr("SMTPUTF8 takes no value")
			}
		case "RET":
			switch DSNReturn(strings.ToUpper(p.Value)) {
			case ReturnFull:
				o.Return = ReturnFull
			case ReturnHeaders:
				o.Return = ReturnHeaders
			default:
				return o, syntaxErr("Invalid RET value")
			}
		case "ENVID":
			v, ok := decodeXtext(p.Value, o.SMTPUTF8)
			if !ok || !p.HasValue || v == "" || len(v) > maxEnvIDLen {
				return o, syntaxErr("Invalid ENVID value")
			}
			o.EnvelopeID = v
		case "AUTH":
			if p.Value == "<>" {
				o.Auth = "<>"
				break
			}
			v, ok := decodeXtext(p.Value, o.SMTPUTF8)
			if !ok || v == "" {
				return o, syntaxErr("Invalid AUTH value")
			}
			o.Auth = v
		default:
			return o, unsupportedErr("Unsupported parameter " + p.Keyword)
		}
	}
	return o, nil
}

// parseRcptParams checks the parameters of RCPT: NOTIFY and ORCPT (RFC 3461).
func parseRcptParams(params []smtp.Param) (RcptOptions, error) {
	var o RcptOptions
	if err := checkDuplicates(params); err != nil {
		return o, err
	}
	for _, p := range params {
		switch p.Keyword {
		case "NOTIFY":
			n, ok := parseNotify(p.Value)
			if !ok {
				return o, syntaxErr("Invalid NOTIFY value")
			}
			o.Notify = n
		case "ORCPT":
			typ, addr, ok := strings.Cut(p.Value, ";")
			if !ok || !isAtom(typ) {
				return o, syntaxErr("Invalid ORCPT value")
			}
			v, ok := decodeXtext(addr, strings.EqualFold(typ, "utf-8"))
			if !ok || v == "" || len(v) > maxORCPTLen {
				return o, syntaxErr("Invalid ORCPT value")
			}
			o.OriginalRecipientType, o.OriginalRecipient = typ, v
		default:
			return o, unsupportedErr("Unsupported parameter " + p.Keyword)
		}
	}
	return o, nil
}

func checkDuplicates(params []smtp.Param) error {
	for i, p := range params {
		for _, q := range params[:i] {
			if p.Keyword == q.Keyword {
				return syntaxErr("Duplicate parameter " + p.Keyword)
			}
		}
	}
	return nil
}

// parseSize parses a SIZE value: decimal digits. A number too large for int64 is taken as
// the largest one, which is over any limit.
func parseSize(s string) (int64, bool) {
	if s == "" || len(s) > 40 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return math.MaxInt64, true // only a range error is possible here
	}
	return n, true
}

// parseNotify parses NOTIFY=NEVER or a comma list of SUCCESS, FAILURE, DELAY, each at most
// once (RFC 3461 §4.1).
func parseNotify(s string) ([]DSNNotify, bool) {
	if s == "" {
		return nil, false
	}
	var out []DSNNotify
	for _, f := range strings.Split(s, ",") {
		n := DSNNotify(strings.ToUpper(f))
		switch n {
		case NotifyNever, NotifySuccess, NotifyFailure, NotifyDelay:
		default:
			return nil, false
		}
		for _, m := range out {
			if m == n {
				return nil, false
			}
		}
		out = append(out, n)
	}
	for _, n := range out {
		if n == NotifyNever && len(out) > 1 {
			return nil, false
		}
	}
	return out, true
}

// decodeXtext decodes xtext (RFC 3461 §4): characters '!' to '~' except '+' and '=' stand
// for themselves, "+HH" for the byte with that hexadecimal value. With utf8 set it also
// accepts raw UTF-8 and the `\x{HHHH}` escapes of RFC 6533 §3 (utf-8-addr-xtext). Decoded
// control characters are refused: the values end up in logs and command lines.
func decodeXtext(s string, utf8ok bool) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			if i+2 >= len(s) {
				return "", false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			b.WriteByte(hi<<4 | lo)
			i += 2
		case c == '\\' && utf8ok && strings.HasPrefix(s[i:], `\x{`):
			end := strings.IndexByte(s[i:], '}')
			if end < 4 || end > 9 {
				return "", false
			}
			v, err := strconv.ParseUint(s[i+3:i+end], 16, 32)
			if err != nil || !utf8.ValidRune(rune(v)) {
				return "", false
			}
			b.WriteRune(rune(v))
			i += end
		case c >= '!' && c <= '~' && c != '=':
			b.WriteByte(c)
		case c >= 0x80 && utf8ok:
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	v := b.String()
	if hasControl(v) || utf8ok && !utf8.ValidString(v) || !utf8ok && !smtp.IsASCII(v) {
		return "", false
	}
	return v, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f': // RFC 3461 asks for upper case; be liberal in what we accept
		return c - 'a' + 10, true
	}
	return 0, false
}

// isAtom reports an RFC 5322 atom: one or more atext characters.
func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAtext(s[i]) {
			return false
		}
	}
	return true
}
