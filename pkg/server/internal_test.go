package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

func TestCheckPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path   string
		sender bool
		want   addrProblem
	}{
		{"a@example.com", false, addrOK},
		{"", true, addrOK},
		{"", false, addrEmpty},
		{"postmaster", false, addrOK},
		{"root", true, addrOK},
		{"first.last@example.com", false, addrOK},
		{"a+tag@example.com", false, addrOK},
		{`"john doe"@example.com`, false, addrOK},
		{`"a\"b"@example.com`, false, addrOK},
		{`"a@b"@example.com`, false, addrOK},
		{`"quoted-only"`, false, addrOK},
		{`""@example.com`, false, addrOK},
		{"user@[192.0.2.1]", false, addrOK},
		{"user@[IPv6:2001:db8::1]", false, addrOK},
		{"user@[ipv6:::1]", false, addrOK},
		{"user@[x-tag:content]", false, addrOK},
		{"jörg@exämple.org", false, addrOK},
		{"用户@例子.广告", false, addrOK},
		{"a@host_name.internal", false, addrOK},
		{"a@b", false, addrOK},
		{"-oQ/tmp/x@example.com", false, addrDash},
		{"-", true, addrDash},
		{`"-x"@example.com`, false, addrDash},
		{`"\-x"@example.com`, false, addrDash},
		{"a\x00b@example.com", false, addrControl},
		{"a\r@example.com", false, addrControl},
		{"a\x7f@example.com", false, addrControl},
		{"a b@example.com", false, addrSyntax},
		{"a;b@example.com", false, addrSyntax},
		{"a@b@example.com", false, addrSyntax},
		{".a@example.com", false, addrSyntax},
		{"a.@example.com", false, addrSyntax},
		{"a..b@example.com", false, addrSyntax},
		{"@example.com", false, addrSyntax},
		{"a@", false, addrSyntax},
		{"a@.example.com", false, addrSyntax},
		{"a@example.com.", false, addrSyntax},
		{"a@-example.com", false, addrSyntax},
		{"a@example-.com", false, addrSyntax},
		{"a@exa mple.com", false, addrSyntax},
		{"a@[192.0.2.1", false, addrSyntax},
		{"a@[300.0.0.1]", false, addrSyntax},
		{"a@[IPv6:1.2.3.4]", false, addrSyntax},
		{"a@[IPv6:fe80::1%eth0]", false, addrSyntax},
		{"a@[tag:]", false, addrSyntax},
		{"a@[tag:a[b]", false, addrSyntax},
		{"a@[-tag:x]", false, addrSyntax},
		{`"unterminated@example.com`, false, addrSyntax},
		{`"a"b@example.com`, false, addrSyntax},
		{`"a\`, false, addrSyntax},
		{"bad\xff@example.com", false, addrSyntax},
		{"a@" + string(make([]byte, 300)), false, addrControl},
	}
	for _, tt := range tests {
		if got := checkPath(tt.path, tt.sender); got != tt.want {
			t.Errorf("checkPath(%q, sender=%v) = %d, want %d", tt.path, tt.sender, got, tt.want)
		}
	}
}

func TestDecodeXtext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		utf8   bool
		want   string
		wantOK bool
	}{
		{"abc", false, "abc", true},
		{"a+2Bb", false, "a+b", true},
		{"a+3db", false, "a=b", true},
		{"+41+42", false, "AB", true},
		{"", false, "", true},
		{"a=b", false, "", false},
		{"a+", false, "", false},
		{"a+4", false, "", false},
		{"a+4G", false, "", false},
		{"a b", false, "", false},
		{"a+00b", false, "", false},
		{"a+0Db", false, "", false},
		{"j\xc3\xb6rg", false, "", false},
		{"j\xc3\xb6rg", true, "jörg", true},
		{"+C3+B6", false, "", false},
		{"+C3+B6", true, "ö", true},
		{`j\x{F6}rg`, true, "jörg", true},
		{`j\x{1F600}`, true, "j😀", true},
		{`j\x{}`, true, "", false},
		{`j\x{D800}`, true, "", false},
		{`j\x{F6`, true, "", false},
		{"\xff", true, "", false},
	}
	for _, tt := range tests {
		got, ok := decodeXtext(tt.in, tt.utf8)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("decodeXtext(%q, %v) = %q, %v; want %q, %v", tt.in, tt.utf8, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseNotify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []DSNNotify
		ok   bool
	}{
		{"NEVER", []DSNNotify{NotifyNever}, true},
		{"never", []DSNNotify{NotifyNever}, true},
		{"SUCCESS,FAILURE,DELAY", []DSNNotify{NotifySuccess, NotifyFailure, NotifyDelay}, true},
		{"delay,success", []DSNNotify{NotifyDelay, NotifySuccess}, true},
		{"", nil, false},
		{"NEVER,SUCCESS", nil, false},
		{"SUCCESS,SUCCESS", nil, false},
		{"SUCCESS,", nil, false},
		{"ALWAYS", nil, false},
	}
	for _, tt := range tests {
		got, ok := parseNotify(tt.in)
		if ok != tt.ok || !cmp.Equal(got, tt.want) {
			t.Errorf("parseNotify(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"10240000", 10240000, true},
		{"99999999999999999999", 1<<63 - 1, true},
		{"", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1k", 0, false},
		{" 1", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseSize(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseSize(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReceivedHelo(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                   "unknown",
		"client.example":     "client.example",
		"bad_name!":          "invalid",
		"[x":                 "[x",
		"x]":                 "x]",
		"[192.0.2.1]":        "[192.0.2.1]",
		"[IPv6:2001:db8::1]": "[IPv6:2001:db8::1]",
		"a b":                "invalid",
		"[[x]":               "invalid",
		"a\r\nX-Injected: y": "invalid",
		"exämple":            "invalid",
	}
	for in, want := range tests {
		if got := receivedHelo(in); got != want {
			t.Errorf("receivedHelo(%q) = %q, want %q", in, got, want)
		}
	}
}

type tempErr struct{}

func (tempErr) Error() string   { return "temp" }
func (tempErr) Temporary() bool { return true }

func TestBackendReply(t *testing.T) {
	t.Parallel()
	good := smtp.NewReply(550, smtp.EnhBadDestMailbox, "No such user")
	multi := smtp.NewReply(451, smtp.EnhancedCode{}, "one", "two")
	bare := &smtp.Reply{Code: 250, Lines: []string{"250"}}
	tests := []struct {
		name string
		err  error
		want *smtp.Reply
	}{
		{"direct", good, good},
		{"wrapped", fmt.Errorf("x: %w", good), good},
		{"joined", errors.Join(io.EOF, good), good},
		{"multi-line", multi, multi},
		{"bare code", bare, bare},
		{"plain error", errors.New("x"), nil},
		{"typed nil", (*smtp.Reply)(nil), nil},
		{"no lines", &smtp.Reply{Code: 550}, nil},
		{"3xx", smtp.NewReply(354, smtp.EnhancedCode{}, "go on"), nil},
		{"code out of range", &smtp.Reply{Code: 999, Lines: []string{"999 x"}}, nil},
		{"code mismatch", &smtp.Reply{Code: 250, Lines: []string{"550 x"}}, nil},
		{"CRLF injection", &smtp.Reply{Code: 250, Lines: []string{"250 ok\r\n250 injected"}}, nil},
		{"LF injection", &smtp.Reply{Code: 250, Lines: []string{"250 ok\n354 go"}}, nil},
		{"bad continuation", &smtp.Reply{Code: 250, Lines: []string{"250 a", "250 b"}}, nil},
		{"last line continues", &smtp.Reply{Code: 250, Lines: []string{"250-a"}}, nil},
		{"mixed codes", &smtp.Reply{Code: 250, Lines: []string{"250-a", "251 b"}}, nil},
		{"short line", &smtp.Reply{Code: 250, Lines: []string{"25"}}, nil},
		{"bad separator", &smtp.Reply{Code: 250, Lines: []string{"250xok"}}, nil},
	}
	for _, tt := range tests {
		if got := backendReply(tt.err); got != tt.want {
			t.Errorf("%s: backendReply = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !isTemporary(MarkTemporary(errors.New("x"))) || !isTemporary(fmt.Errorf("w: %w", tempErr{})) {
		t.Error("isTemporary misses a temporary error")
	}
	if isTemporary(errors.New("x")) || MarkTemporary(nil) != nil {
		t.Error("isTemporary or MarkTemporary wrong for plain errors")
	}
	inner := errors.New("inner")
	if m := MarkTemporary(inner); !errors.Is(m, inner) || m.Error() != "inner" {
		t.Error("MarkTemporary must wrap its error unchanged")
	}
}

func TestIsLocal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr net.Addr
		want bool
	}{
		{nil, true},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, true},
		{&net.TCPAddr{IP: net.IPv4(127, 1, 2, 3), Port: 1}, true},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 1}, true},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1}, false},
		{&net.UnixAddr{Name: "/run/msmtpd.sock", Net: "unix"}, true},
		{&net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}, true},
		{&net.IPAddr{IP: net.IPv4(10, 0, 0, 1)}, false},
	}
	for _, tt := range tests {
		if got := isLocal(tt.addr); got != tt.want {
			t.Errorf("isLocal(%v) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
