package message

import (
	"io"
	"strings"
)

// Header is the header section of a mail as read by ReadHeader: the original bytes, split into
// fields, plus the fields Rewrite decided to delete and to prepend. It is written back by
// WriteTo. A Header is not safe for concurrent use.
type Header struct {
	// raw is the header section as read, CRs deleted, without the empty separator line.
	raw []byte
	// fields index raw, in order; continuation lines belong to the field before them.
	fields []field
	// sep is the empty line that ended the section ("\n" or "\r\n"), or "" when the input
	// ended first.
	sep string
	// noHeader is set when the mail has no header section at all (empty, or its first line
	// is not a header field): WriteTo then separates the prepended fields from the body.
	noHeader bool
	// prepend holds the generated fields, each ending in "\n".
	prepend []byte
}

// field is one header field: raw[start:end] with its continuation lines and line ends.
type field struct {
	start, end int
	// nameEnd is the index in raw of the colon ending the field name, or -1 when the first
	// line has no colon (a malformed line, kept but never matched).
	nameEnd int
	deleted bool
}

// name returns the text before the colon; for "Bcc : x" that is "Bcc ", which matches no
// name, as in msmtp (spec-mail-smtp.md §1.5).
func (h *Header) name(f field) []byte {
	if f.nameEnd < 0 {
		return nil
	}
	return h.raw[f.start:f.nameEnd]
}

// is reports whether f is named name, ignoring ASCII case.
func (h *Header) is(f field, name string) bool {
	n := h.name(f)
	return len(n) > 0 && equalFoldASCII(n, name)
}

// equalFoldASCII is strings.EqualFold restricted to ASCII: field names are ASCII (RFC 5322
// §3.6.8), and Unicode folding would make "Reſent-Bcc" (long s) a Resent-Bcc field.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// isResent reports whether f's name starts with "Resent-" and has more after it.
func (h *Header) isResent(f field) bool {
	n := h.name(f)
	const prefix = "Resent-"
	return len(n) > len(prefix) && equalFoldASCII(n[:len(prefix)], prefix)
}

// value returns the body of f after the colon, continuation lines included.
func (h *Header) value(f field) string {
	if f.nameEnd < 0 {
		return ""
	}
	return string(h.raw[f.nameEnd+1 : f.end])
}

// Has reports whether the header section has a field named name (ASCII case ignored). The
// colon must follow the name directly: "Date : x" is not a Date field (spec-mail-smtp.md
// §1.5). Rewrite's deletions do not change the answer.
func (h *Header) Has(name string) bool {
	for _, f := range h.fields {
		if h.is(f, name) {
			return true
		}
	}
	return false
}

// Recipients returns the recipients named in the header section, for -t (spec-mail-smtp.md
// §1.6.2, §1.6.3), in the order of the fields, as ParseAddressList finds them. Duplicates are
// kept; MergeRecipients removes them.
//
// The fields read are To, Cc and Bcc. If the header has a Resent- field, only Resent-To,
// Resent-Cc and Resent-Bcc of the first Resent block count, and To, Cc and Bcc do not, even
// when that block names no recipient at all: then -t finds nothing, as in msmtp and sendmail,
// rather than sending a resent mail to its original recipients again. The first Resent block
// is the run of Resent- fields that starts with the first of them; any other field ends it
// (msmtp oddly lets Date and Message-ID fields continue it).
//
// A From field never contributes recipients (msmtp made every From address after the first a
// recipient).
func (h *Header) Recipients() []string {
	var names []string
	fields := h.fields
	if start, end := h.firstResentBlock(); start >= 0 {
		names = []string{"Resent-To", "Resent-Cc", "Resent-Bcc"}
		fields = fields[start:end]
	} else {
		names = []string{"To", "Cc", "Bcc"}
	}
	var rcpts []string
	for _, f := range fields {
		for _, n := range names {
			if h.is(f, n) {
				rcpts = append(rcpts, ParseAddressList(h.value(f))...)
			}
		}
	}
	return rcpts
}

// firstResentBlock returns the index range in h.fields of the first Resent block (RFC 5322
// §3.6.6): the first field whose name starts with "Resent-" and the Resent- fields right
// after it. start is -1 when there is no Resent- field.
func (h *Header) firstResentBlock() (start, end int) {
	start = -1
	for i, f := range h.fields {
		switch resent := h.isResent(f); {
		case resent && start < 0:
			start = i
		case !resent && start >= 0:
			return start, i
		}
	}
	if start < 0 {
		return -1, -1
	}
	return start, len(h.fields)
}

// EnvelopeFrom returns the sender named in the header section, for --read-envelope-from and
// for %F (spec-mail-smtp.md §1.7): the first address of the first From field that has one,
// with display name and comments dropped, or "" when there is none. A Resent-From field of
// the first Resent block that comes before any such From field takes precedence, because the
// resender is the sender of a resent mail (RFC 5322 §3.6.6); this is what msmtp 1.8.33
// documents, without its dependence on -t and on which fields are adjacent (§11.7).
func (h *Header) EnvelopeFrom() string {
	start, end := h.firstResentBlock()
	for i, f := range h.fields {
		if h.is(f, "From") || (start <= i && i < end && h.is(f, "Resent-From")) {
			if a := ParseAddressList(h.value(f)); len(a) > 0 {
				return a[0]
			}
		}
	}
	return ""
}

// hasUsableFrom reports whether a From field yields an address; an empty From field does not
// count (spec-mail-smtp.md §1.5).
func (h *Header) hasUsableFrom() bool {
	for _, f := range h.fields {
		if h.is(f, "From") && len(ParseAddressList(h.value(f))) > 0 {
			return true
		}
	}
	return false
}

// WriteTo writes the header section: the fields prepended by Rewrite, the original fields
// that were not deleted, byte for byte, and the empty line that ended the section. A mail
// without a header section gets an empty line after the prepended fields (if any), so that
// the body can follow. The body is then copied from NewBody.
func (h *Header) WriteTo(w io.Writer) (int64, error) {
	var total int64
	write := func(b []byte) error {
		if len(b) == 0 {
			return nil
		}
		n, err := w.Write(b)
		total += int64(n)
		return err
	}
	// The generated fields go below the trace fields at the top (RFC 5321 §4.4: Received
	// and Return-Path lines are prepended by each hop and must stay first), such as the
	// Received line msmtpd and msmtp -bs add. Upstream puts them above everything.
	trace := 0
	for trace < len(h.fields) && !h.fields[trace].deleted && isTraceField(h.name(h.fields[trace])) {
		trace++
	}
	if trace > 0 {
		if err := write(h.raw[h.fields[0].start:h.fields[trace-1].end]); err != nil {
			return total, err
		}
	}
	if err := write(h.prepend); err != nil {
		return total, err
	}
	// Write runs of consecutive kept fields with one call each.
	runStart := -1
	for _, f := range h.fields[trace:] {
		if f.deleted {
			if runStart >= 0 {
				if err := write(h.raw[runStart:f.start]); err != nil {
					return total, err
				}
				runStart = -1
			}
			continue
		}
		if runStart < 0 {
			runStart = f.start
		}
	}
	if runStart >= 0 {
		if err := write(h.raw[runStart:]); err != nil {
			return total, err
		}
	}
	sep := h.sep
	if h.noHeader {
		sep = "\n"
	}
	err := write([]byte(sep))
	return total, err
}

// delete marks the fields with one of the names for deletion.
func (h *Header) delete(names ...string) {
	for i, f := range h.fields {
		for _, n := range names {
			if h.is(f, n) {
				h.fields[i].deleted = true
			}
		}
	}
}

// isTraceField reports the trace fields of RFC 5322 §3.6.7 that hops prepend.
func isTraceField(name []byte) bool {
	return strings.EqualFold(string(name), "Received") || strings.EqualFold(string(name), "Return-Path")
}
