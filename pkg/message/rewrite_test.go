package message

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

func readString(t *testing.T, s string) *Header {
	t.Helper()
	h, err := ReadHeader(bufio.NewReader(strings.NewReader(s)), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func headerString(t *testing.T, h *Header) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := h.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRewriteErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("no entropy")
	tests := []struct {
		name   string
		opts   RewriteOptions
		option string // the OptionError.Option wanted, or "" for another error
	}{
		{"unknown from mode", RewriteOptions{FromHeader: FromHeaderOff + 1}, "FromHeader"},
		{"unknown date mode", RewriteOptions{DateHeader: DateHeaderOff + 1}, "DateHeader"},
		{"unknown msgid mode", RewriteOptions{MessageIDHeader: MessageIDOff + 1}, "MessageIDHeader"},
		{"unknown to mode", RewriteOptions{ToHeader: ToHeaderUndisclosed + 1}, "ToHeader"},
		{"unknown bcc mode", RewriteOptions{BccHeaders: BccKeep + 1}, "BccHeaders"},
		{"envelope-from injection", RewriteOptions{EnvelopeFrom: "a@b\nBcc: x@y"}, "EnvelopeFrom"},
		{"recipient injection", RewriteOptions{ToHeader: ToHeaderOn, Recipients: []string{"a@b\r\nX: y"}}, "Recipients"},
		{"bad domain", RewriteOptions{MessageIDDomain: "a b"}, "MessageIDDomain"},
		{"domain injection", RewriteOptions{MessageIDDomain: "x>\nBcc: y"}, "MessageIDDomain"},
		{"random fails", RewriteOptions{Random: iotest.ErrReader(boom)}, ""},
		{"random short", RewriteOptions{Random: bytes.NewReader(make([]byte, 15))}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := readString(t, "Bcc: x@y\n\nbody\n")
			before := headerString(t, h)
			err := h.Rewrite(tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			var oe *OptionError
			if tt.option != "" {
				if !errors.As(err, &oe) || oe.Option != tt.option {
					t.Fatalf("err = %v, want an OptionError for %s", err, tt.option)
				}
			} else if errors.As(err, &oe) {
				t.Fatalf("err = %v, want no OptionError", err)
			}
			if after := headerString(t, h); after != before {
				t.Errorf("a failed Rewrite changed the header: %q → %q", before, after)
			}
		})
	}
	h := readString(t, "A: 1\n\n")
	if err := h.Rewrite(RewriteOptions{Random: iotest.ErrReader(boom)}); !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap the ID source's error", err)
	}
}

// TestRewriteStartsOver checks that a second Rewrite replaces the first one's decisions.
func TestRewriteStartsOver(t *testing.T) {
	t.Parallel()
	h := readString(t, "From: old@example.com\nTo: t@example.com\nBcc: b@example.com\n\n")
	first := RewriteOptions{EnvelopeFrom: "a@example.com", FromHeader: FromHeaderOn, ToHeader: ToHeaderUndisclosed,
		DateHeader: DateHeaderOff, MessageIDHeader: MessageIDOff}
	if err := h.Rewrite(first); err != nil {
		t.Fatal(err)
	}
	if got, want := headerString(t, h), "From: a@example.com\nTo: undisclosed-recipients:;\n\n"; got != want {
		t.Fatalf("first: got %q, want %q", got, want)
	}
	second := RewriteOptions{FromHeader: FromHeaderOff, BccHeaders: BccKeep, DateHeader: DateHeaderOff, MessageIDHeader: MessageIDOff}
	if err := h.Rewrite(second); err != nil {
		t.Fatal(err)
	}
	if got, want := headerString(t, h), "From: old@example.com\nTo: t@example.com\nBcc: b@example.com\n\n"; got != want {
		t.Fatalf("second: got %q, want %q", got, want)
	}
}

func TestRewriteDefaults(t *testing.T) {
	t.Parallel()
	// The zero options use the real clock and crypto/rand.
	h := readString(t, "Subject: s\n\n")
	before := time.Now()
	if err := h.Rewrite(RewriteOptions{EnvelopeFrom: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(headerString(t, h), "\n")
	if lines[0] != "From: a@example.com" {
		t.Errorf("From line %q", lines[0])
	}
	d, err := time.Parse("Mon, 02 Jan 2006 15:04:05 -0700", strings.TrimPrefix(lines[1], "Date: "))
	if err != nil || d.Before(before.Truncate(time.Second)) || d.After(time.Now()) {
		t.Errorf("Date line %q: %v", lines[1], err)
	}
	id := strings.TrimPrefix(lines[2], "Message-ID: ")
	if len(id) != len("<0123456789abcdef0123456789abcdef@localhost>") || !strings.HasSuffix(id, "@localhost>") ||
		strings.Trim(id[1:33], "0123456789abcdef") != "" {
		t.Errorf("Message-ID line %q", lines[2])
	}
}

// TestFromIgnoresEmptyEnvelope: without an envelope-from no From is added, and with
// set_from_header on the mail keeps its own rather than ending up without one.
func TestFromIgnoresEmptyEnvelope(t *testing.T) {
	t.Parallel()
	for _, from := range []string{"", "<>", "  "} {
		h := readString(t, "From: old@example.com\n\n")
		opts := RewriteOptions{EnvelopeFrom: from, FromHeader: FromHeaderOn, DateHeader: DateHeaderOff, MessageIDHeader: MessageIDOff}
		if err := h.Rewrite(opts); err != nil {
			t.Fatal(err)
		}
		if got, want := headerString(t, h), "From: old@example.com\n\n"; got != want {
			t.Errorf("envelope-from %q: got %q, want %q", from, got, want)
		}
	}
}

func TestDisplayName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, want string
	}{
		{"Test User", "From: Test User <a@example.com>"},
		{"  Test User\t", "From: Test User <a@example.com>"},
		{" ", "From: a@example.com"},
		{"Test Üser", "From: =?utf-8?B?VGVzdCDDnHNlcg==?= <a@example.com>"},
		{"Jörg Doe, Jr.", "From: =?utf-8?B?SsO2cmcgRG9lLCBKci4=?= <a@example.com>"},
		{"Doe, John", `From: "Doe, John" <a@example.com>`},
		{"John Q. Public", `From: "John Q. Public" <a@example.com>`},
		{`a"b\c`, `From: "a\"b\\c" <a@example.com>`},
		{"tab\there", "From: =?utf-8?B?dGFiCWhlcmU=?= <a@example.com>"},
		{"del\x7f", "From: =?utf-8?B?ZGVsfw==?= <a@example.com>"},
		{"line\nbreak", "From: =?utf-8?B?bGluZQpicmVhaw==?= <a@example.com>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := strings.TrimSuffix(string(appendFrom(nil, tt.name, "a@example.com")), "\n"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEncodeWords checks RFC 2047's rules on names of every length: words of at most 75
// characters, each holding whole UTF-8 characters, that decode to the name.
func TestEncodeWords(t *testing.T) {
	t.Parallel()
	for _, unit := range []string{"ä", "€", "𝄞", "a", "\xff"} {
		for n := 1; n < 60; n++ {
			name := strings.Repeat(unit, n)
			var decoded []byte
			for _, w := range encodeWords(name) {
				if len(w) > 75 {
					t.Fatalf("%q: word %q longer than 75", name, w)
				}
				payload, ok := strings.CutPrefix(w, "=?utf-8?B?")
				payload, ok2 := strings.CutSuffix(payload, "?=")
				if !ok || !ok2 {
					t.Fatalf("%q: malformed word %q", name, w)
				}
				b, err := base64.StdEncoding.DecodeString(payload)
				if err != nil {
					t.Fatal(err)
				}
				if utf8.ValidString(name) && !utf8.Valid(b) {
					t.Fatalf("%q: word %q splits a character", name, w)
				}
				decoded = append(decoded, b...)
			}
			if string(decoded) != name {
				t.Fatalf("%q decodes to %q", name, decoded)
			}
		}
	}
	// The folded From field keeps lines short.
	for _, line := range strings.Split(string(appendFrom(nil, strings.Repeat("ü", 100), "a@example.com")), "\n") {
		if len(line) > 78 {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
	}
}

func TestAppendTo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rcpts []string
		want  string
	}{
		{nil, "To: undisclosed-recipients:;\n"},
		{[]string{"a@b"}, "To: a@b\n"},
		{[]string{"a@b", "c@d"}, "To: a@b, c@d\n"},
		{[]string{strings.Repeat("x", 72), "y"}, "To: " + strings.Repeat("x", 72) + ",\n y\n"},
		{[]string{strings.Repeat("x", 69), "y"}, "To: " + strings.Repeat("x", 69) + ", y\n"},
		{[]string{strings.Repeat("x", 70), "y"}, "To: " + strings.Repeat("x", 70) + ", y\n"},
		{[]string{strings.Repeat("x", 71), "y"}, "To: " + strings.Repeat("x", 71) + ",\n y\n"},
		{[]string{strings.Repeat("x", 100), "y", "z"}, "To: " + strings.Repeat("x", 100) + ",\n y, z\n"},
	}
	for _, tt := range tests {
		if got := string(appendTo(nil, tt.rcpts)); got != tt.want {
			t.Errorf("appendTo(%q) = %q, want %q", tt.rcpts, got, tt.want)
		}
	}
}

func TestMessageIDDomain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  DomainSources
		want string
	}{
		{"domain setting", DomainSources{Domain: "mydom.example", EnvelopeFrom: "a@example.com", Host: "h"}, "mydom.example"},
		{"localhost setting skipped", DomainSources{Domain: "localhost", EnvelopeFrom: "a@example.com", Host: "h"}, "example.com"},
		{"LOCALHOST setting skipped", DomainSources{Domain: "LocalHost", EnvelopeFrom: "a@example.com"}, "example.com"},
		{"unset setting", DomainSources{EnvelopeFrom: "a@example.com", Host: "h"}, "example.com"},
		{"envelope-from with display name", DomainSources{Domain: "localhost", EnvelopeFrom: "Name <a@example.com>"}, "example.com"},
		{"last @ counts", DomainSources{Domain: "localhost", EnvelopeFrom: `"a@b"@example.com`}, "example.com"},
		{"envelope-from without @", DomainSources{Domain: "localhost", EnvelopeFrom: "noat", Host: "127.0.0.1"}, "127.0.0.1"},
		{"empty domain part", DomainSources{Domain: "localhost", EnvelopeFrom: "a@", Host: "mail.example.net"}, "mail.example.net"},
		{"null sender", DomainSources{Domain: "localhost", EnvelopeFrom: "<>", Host: "mail.example.net"}, "mail.example.net"},
		{"IPv6 host", DomainSources{Domain: "localhost", Host: "::1"}, "[IPv6:::1]"},
		{"IPv6 host with zone", DomainSources{Domain: "localhost", Host: "fe80::1%eth0", Hostname: "myhost"}, "myhost"},
		{"socket-only", DomainSources{Domain: "localhost", EnvelopeFrom: "noat", Hostname: "myhost"}, "myhost"},
		{"nothing", DomainSources{Domain: "localhost"}, "localhost"},
		{"invalid setting skipped", DomainSources{Domain: "my dom", Host: "h.example"}, "h.example"},
		{"domain literal", DomainSources{Domain: "[192.0.2.1]"}, "[192.0.2.1]"},
		{"UTF-8 domain", DomainSources{Domain: "exämple.org"}, "exämple.org"},
		{"dot at end skipped", DomainSources{Domain: "example.org.", Hostname: "h"}, "h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MessageIDDomain(tt.src); got != tt.want {
				t.Errorf("MessageIDDomain(%+v) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}
