package message

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// FromHeaderMode is msmtp's set_from_header setting: when to prepend a From field.
type FromHeaderMode uint8

const (
	// FromHeaderAuto prepends a From field when the mail has no From field with an address.
	FromHeaderAuto FromHeaderMode = iota
	// FromHeaderOn always prepends a From field and deletes the mail's own.
	FromHeaderOn
	// FromHeaderOff never prepends a From field.
	FromHeaderOff
)

// DateHeaderMode is msmtp's set_date_header setting.
type DateHeaderMode uint8

const (
	// DateHeaderAuto prepends a Date field when the mail has none.
	DateHeaderAuto DateHeaderMode = iota
	// DateHeaderOff never prepends a Date field.
	DateHeaderOff
)

// MessageIDMode is msmtp's set_msgid_header setting.
type MessageIDMode uint8

const (
	// MessageIDAuto prepends a Message-ID field when the mail has none.
	MessageIDAuto MessageIDMode = iota
	// MessageIDOff never prepends a Message-ID field.
	MessageIDOff
)

// ToHeaderMode is msmtp's set_to_header setting (1.8.29; --undisclosed-recipients before).
type ToHeaderMode uint8

const (
	// ToHeaderOff leaves To and Cc alone.
	ToHeaderOff ToHeaderMode = iota
	// ToHeaderOn deletes To, Cc and Bcc and prepends a To field listing every envelope
	// recipient.
	ToHeaderOn
	// ToHeaderUndisclosed deletes To, Cc and Bcc and prepends "To: undisclosed-recipients:;".
	ToHeaderUndisclosed
)

// BccMode is msmtp's remove_bcc_headers setting.
type BccMode uint8

const (
	// BccRemove deletes Bcc and Resent-Bcc fields (the default, and what Bcc means).
	BccRemove BccMode = iota
	// BccKeep transmits Bcc and Resent-Bcc fields.
	BccKeep
)

// RewriteOptions says how Rewrite changes a header section. The zero value is msmtp's
// defaults (set_from_header auto, set_date_header auto, set_msgid_header auto, set_to_header
// off, remove_bcc_headers on), with the real clock and crypto/rand.
type RewriteOptions struct {
	// EnvelopeFrom is the envelope-from as configured or given with -f, used verbatim in a
	// generated From field. An empty value (or "<>") means the null sender; no From field is
	// generated for it (msmtp writes the invalid "From: ", §11.8).
	EnvelopeFrom string
	// FullName is the display name for the generated From field (-F, from_full_name).
	FullName string
	// Recipients are the envelope recipients (after alias expansion), listed by ToHeaderOn.
	Recipients []string

	// FromHeader is set_from_header.
	FromHeader FromHeaderMode
	// DateHeader is set_date_header.
	DateHeader DateHeaderMode
	// MessageIDHeader is set_msgid_header.
	MessageIDHeader MessageIDMode
	// ToHeader is set_to_header (--undisclosed-recipients is ToHeaderUndisclosed).
	ToHeader ToHeaderMode
	// BccHeaders is remove_bcc_headers.
	BccHeaders BccMode

	// MessageIDDomain is the right-hand side of a generated Message-ID; see MessageIDDomain.
	// Empty means "localhost".
	MessageIDDomain string
	// Now gives the time for a generated Date field; nil means time.Now.
	Now func() time.Time
	// Location is the time zone of the Date field; nil means the zone of Now's result
	// (time.Local for time.Now, which honours TZ).
	Location *time.Location
	// Random supplies the 16 bytes of a generated Message-ID; nil means crypto/rand.
	Random io.Reader
}

// Rewrite decides which fields to delete from the header section and which to prepend, as
// msmtp does after reading the header (spec-mail-smtp.md §1.8). Calling it again starts over
// from the header as read. Has, Recipients and EnvelopeFrom are not affected.
//
// Deleted, each with its continuation lines: Bcc and Resent-Bcc unless BccKeep or when
// ToHeader is not off (msmtp never deletes Resent-Bcc, leaking it, §11.6); To and Cc when
// ToHeader is not off; every From field when a From field is prepended.
//
// Prepended, in this order and each ending in "\n":
//
//   - "From: ADDR" or "From: NAME <ADDR>", when FromHeader is on, or auto and no From field
//     has an address, and EnvelopeFrom is not empty. NAME is FullName: as it is when it is
//     plain ASCII; as an RFC 5322 quoted-string when it has specials ("\"Doe, John\"");
//     otherwise RFC 2047 encoded as =?utf-8?B?...?= words of at most 75 characters, split at
//     character boundaries. msmtp never quotes, uses the locale's charset name and never
//     splits (§11.11).
//   - "To: R1, R2, ..." folded before 78 columns (msmtp never folds), or "To:
//     undisclosed-recipients:;" for ToHeaderUndisclosed and for ToHeaderOn without
//     recipients.
//   - "Date: Mon, 02 Jan 2006 15:04:05 -0700" when DateHeader is auto and there is no Date.
//   - "Message-ID: <32 hex digits@DOMAIN>" when MessageIDHeader is auto and there is no
//     Message-ID.
//
// The error is an *OptionError for an unknown mode or a line break in EnvelopeFrom,
// Recipients or MessageIDDomain, or an error from Random.
func (h *Header) Rewrite(opts RewriteOptions) error {
	if err := opts.check(); err != nil {
		return err
	}
	envFrom := strings.TrimSpace(opts.EnvelopeFrom)
	if envFrom == "<>" {
		envFrom = ""
	}

	var pre []byte
	addFrom := envFrom != "" &&
		(opts.FromHeader == FromHeaderOn || opts.FromHeader == FromHeaderAuto && !h.hasUsableFrom())
	if addFrom {
		pre = appendFrom(pre, opts.FullName, envFrom)
	}
	switch opts.ToHeader {
	case ToHeaderOn:
		pre = appendTo(pre, opts.Recipients)
	case ToHeaderUndisclosed:
		pre = append(pre, "To: undisclosed-recipients:;\n"...)
	}
	if opts.DateHeader == DateHeaderAuto && !h.Has("Date") {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		t := now()
		if opts.Location != nil {
			t = t.In(opts.Location)
		}
		// The C locale's "%a, %d %b %Y %H:%M:%S %z" (RFC 5322 §3.3), as msmtp writes it.
		pre = append(pre, "Date: "...)
		pre = t.AppendFormat(pre, "Mon, 02 Jan 2006 15:04:05 -0700")
		pre = append(pre, '\n')
	}
	if opts.MessageIDHeader == MessageIDAuto && !h.Has("Message-ID") {
		random := opts.Random
		if random == nil {
			random = rand.Reader
		}
		var id [16]byte
		if _, err := io.ReadFull(random, id[:]); err != nil {
			return fmt.Errorf("cannot generate a Message-ID: %w", err)
		}
		domain := opts.MessageIDDomain
		if domain == "" {
			domain = "localhost"
		}
		pre = append(pre, "Message-ID: <"...)
		pre = hex.AppendEncode(pre, id[:])
		pre = append(pre, '@')
		pre = append(pre, domain...)
		pre = append(pre, ">\n"...)
	}

	for i := range h.fields {
		h.fields[i].deleted = false
	}
	if addFrom {
		h.delete("From")
	}
	if opts.ToHeader != ToHeaderOff {
		h.delete("To", "Cc")
	}
	if opts.BccHeaders == BccRemove || opts.ToHeader != ToHeaderOff {
		h.delete("Bcc", "Resent-Bcc")
	}
	h.prepend = pre
	return nil
}

func (o *RewriteOptions) check() error {
	switch {
	case o.FromHeader > FromHeaderOff:
		return &OptionError{Option: "FromHeader", Value: fmt.Sprint(o.FromHeader), Reason: "unknown mode"}
	case o.DateHeader > DateHeaderOff:
		return &OptionError{Option: "DateHeader", Value: fmt.Sprint(o.DateHeader), Reason: "unknown mode"}
	case o.MessageIDHeader > MessageIDOff:
		return &OptionError{Option: "MessageIDHeader", Value: fmt.Sprint(o.MessageIDHeader), Reason: "unknown mode"}
	case o.ToHeader > ToHeaderUndisclosed:
		return &OptionError{Option: "ToHeader", Value: fmt.Sprint(o.ToHeader), Reason: "unknown mode"}
	case o.BccHeaders > BccKeep:
		return &OptionError{Option: "BccHeaders", Value: fmt.Sprint(o.BccHeaders), Reason: "unknown mode"}
	}
	// A line break would let a value inject header fields of its own.
	const lineBreak = "contains a line break"
	if strings.ContainsAny(o.EnvelopeFrom, "\r\n") {
		return &OptionError{Option: "EnvelopeFrom", Value: o.EnvelopeFrom, Reason: lineBreak}
	}
	if o.ToHeader == ToHeaderOn {
		for _, r := range o.Recipients {
			if strings.ContainsAny(r, "\r\n") {
				return &OptionError{Option: "Recipients", Value: r, Reason: lineBreak}
			}
		}
	}
	if d := o.MessageIDDomain; d != "" && !validIDRight(d) {
		return &OptionError{Option: "MessageIDDomain", Value: d, Reason: "not a valid Message-ID domain"}
	}
	return nil
}

// maxLine is the line length that generated fields are folded to (RFC 5322 §2.1.1's
// "SHOULD be no more than 78 characters").
const maxLine = 78

// appendFrom appends the generated From field.
func appendFrom(b []byte, fullName, envFrom string) []byte {
	name := strings.Trim(fullName, " \t")
	if name == "" {
		b = append(b, "From: "...)
		b = append(b, envFrom...)
		return append(b, '\n')
	}
	words := displayName(name)
	line := len("From:")
	b = append(b, "From:"...)
	for _, w := range append(words, "<"+envFrom+">") {
		// Fold only between words, and never before the first one.
		if line > len("From:") && line+1+len(w) > maxLine {
			b = append(b, "\n "...)
			line = 1
		} else {
			b = append(b, ' ')
			line++
		}
		b = append(b, w...)
		line += len(w)
	}
	return append(b, '\n')
}

// displayName returns name as the words of an RFC 5322 display name.
func displayName(name string) []string {
	needsEncoding, needsQuoting := false, false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c < ' ' || c >= 0x7f:
			needsEncoding = true
		case strings.IndexByte(`()<>[]:;@\,."`, c) >= 0: // RFC 5322 §3.2.3 specials
			needsQuoting = true
		}
	}
	switch {
	case needsEncoding:
		return encodeWords(name)
	case needsQuoting:
		var q strings.Builder
		q.WriteByte('"')
		for i := 0; i < len(name); i++ {
			if name[i] == '"' || name[i] == '\\' {
				q.WriteByte('\\')
			}
			q.WriteByte(name[i])
		}
		q.WriteByte('"')
		return []string{q.String()}
	}
	return []string{name}
}

// encodeWords encodes s as RFC 2047 B encoded words in UTF-8. Each word is at most 75
// characters (RFC 2047 §2) and holds whole characters (§5): 45 bytes make 60 base64
// characters, plus "=?utf-8?B?" and "?=". The upper-case B matches msmtp byte for byte.
func encodeWords(s string) []string {
	const maxBytes = 45
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > maxBytes {
				break
			}
			n += size
		}
		words = append(words, "=?utf-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return words
}

// appendTo appends the generated To field for ToHeaderOn, folded so that every line ends
// within maxLine columns where the addresses allow it.
func appendTo(b []byte, rcpts []string) []byte {
	if len(rcpts) == 0 {
		// "To: " with nothing after it would be invalid (RFC 5322 §3.6.3).
		return append(b, "To: undisclosed-recipients:;\n"...)
	}
	b = append(b, "To: "...)
	line := len("To: ")
	for i, r := range rcpts {
		if i > 0 {
			// Keep room for the comma that ends the line when the next address wraps.
			if line+len(", ")+len(r)+len(",") > maxLine {
				b = append(b, ",\n "...)
				line = 1
			} else {
				b = append(b, ", "...)
				line += 2
			}
		}
		b = append(b, r...)
		line += len(r)
	}
	return append(b, '\n')
}

// DomainSources are the values MessageIDDomain chooses from.
type DomainSources struct {
	// Domain is the account's domain setting (after %-substitution); msmtp's default is
	// "localhost".
	Domain string
	// EnvelopeFrom is the envelope-from address.
	EnvelopeFrom string
	// Host is the account's SMTP server, empty for an account that uses only a socket.
	Host string
	// Hostname is the local host name.
	Hostname string
}

// MessageIDDomain returns the right-hand side for a generated Message-ID, following msmtp
// 1.8.33 (spec-mail-smtp.md §1.8.2): the domain setting unless it is "localhost"; else the
// domain of the envelope-from address; else the SMTP host (an IPv6 address as a domain
// literal). Where msmtp then prints "(null)" for an account with only a socket (§11.12), this
// uses the local host name, and "localhost" as the last resort. Candidates that are not a
// valid Message-ID domain (RFC 5322 §3.6.4 id-right) are skipped.
func MessageIDDomain(src DomainSources) string {
	if d := src.Domain; !strings.EqualFold(d, "localhost") && validIDRight(d) {
		return d
	}
	if a := ParseAddressList(src.EnvelopeFrom); len(a) > 0 {
		if i := strings.LastIndexByte(a[0], '@'); i >= 0 && validIDRight(a[0][i+1:]) {
			return a[0][i+1:]
		}
	}
	if ip, err := netip.ParseAddr(src.Host); err == nil && ip.Is6() && ip.Zone() == "" {
		return "[IPv6:" + ip.String() + "]" // RFC 5321 §4.1.3 address literal
	}
	if validIDRight(src.Host) {
		return src.Host
	}
	if validIDRight(src.Hostname) {
		return src.Hostname
	}
	return "localhost"
}

// validIDRight reports whether s is a dot-atom-text or a no-fold-literal (RFC 5322 §3.6.4),
// allowing UTF-8 (RFC 6532).
func validIDRight(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '[' {
		if len(s) < 2 || s[len(s)-1] != ']' {
			return false
		}
		for i := 1; i < len(s)-1; i++ {
			if c := s[i]; c <= ' ' || c == 0x7f || c == '[' || c == ']' || c == '\\' {
				return false
			}
		}
		return true
	}
	if s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		if strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) < 0 {
			return false
		}
	}
	return true
}
