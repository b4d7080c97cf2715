package smtpclient

import (
	"strconv"
	"strings"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// Capabilities are the service extensions a server advertised in its EHLO or LHLO reply
// (RFC 5321 §4.1.1.1). After HELO they are all unset.
type Capabilities struct {
	STARTTLS   bool // RFC 3207
	DSN        bool // RFC 3461
	Pipelining bool // RFC 2920
	// HasSize says SIZE was advertised with a valid number (RFC 1870); Size is that
	// number, where 0 means no limit.
	HasSize bool
	Size    int64
	// Auth says AUTH was advertised (RFC 4954), also in the old `AUTH=` form.
	Auth bool
	// AuthMechanisms are the mechanisms of every AUTH line, upper-cased, each once, in
	// the order advertised.
	AuthMechanisms      []string
	ETRN                bool // RFC 1985
	SMTPUTF8            bool // RFC 6531
	EightBitMIME        bool // RFC 6152
	EnhancedStatusCodes bool // RFC 2034
	Chunking            bool // RFC 3030
}

// SupportsAuth reports whether mechanism was advertised, ignoring case. Mechanisms are
// compared as whole words, as msmtp 1.8.33 does: `XPLAIN` is not PLAIN.
func (c *Capabilities) SupportsAuth(mechanism string) bool {
	for _, m := range c.AuthMechanisms {
		if strings.EqualFold(m, mechanism) {
			return true
		}
	}
	return false
}

// ParseCapabilities reads the capabilities of an EHLO or LHLO reply. Every line after the
// first (which holds the server's name, RFC 5321 §4.1.1.1) is upper-cased; its first word,
// up to a blank or '=', is the keyword. SIZE counts only with a blank and a non-negative
// decimal number that fits in 63 bits; AUTH only when followed by a blank or '=' (the
// pre-standard `AUTH=LOGIN` form that msmtp accepts). Unknown keywords are ignored.
func ParseCapabilities(r *smtp.Reply) Capabilities {
	var c Capabilities
	if r == nil {
		return c
	}
	for i, line := range r.Lines {
		if i == 0 || len(line) <= 4 {
			continue
		}
		text := strings.ToUpper(line[4:])
		end := strings.IndexAny(text, " =")
		keyword, sep, rest := text, byte(0), ""
		if end >= 0 {
			keyword, sep, rest = text[:end], text[end], text[end+1:]
		}
		switch keyword {
		case "STARTTLS":
			c.STARTTLS = true
		case "DSN":
			c.DSN = true
		case "PIPELINING":
			c.Pipelining = true
		case "ETRN":
			c.ETRN = true
		case "SMTPUTF8":
			c.SMTPUTF8 = true
		case "8BITMIME":
			c.EightBitMIME = true
		case "ENHANCEDSTATUSCODES":
			c.EnhancedStatusCodes = true
		case "CHUNKING":
			c.Chunking = true
		case "SIZE":
			if sep == ' ' && isDigits(rest) {
				if n, err := strconv.ParseInt(rest, 10, 64); err == nil {
					c.HasSize, c.Size = true, n
				}
			}
		case "AUTH":
			if sep == 0 {
				break
			}
			c.Auth = true
			for _, m := range strings.Fields(rest) {
				if !c.SupportsAuth(m) {
					c.AuthMechanisms = append(c.AuthMechanisms, m)
				}
			}
		}
	}
	return c
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
