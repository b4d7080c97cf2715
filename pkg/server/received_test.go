package server_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/pkg/server"
)

func tcpAddr(t *testing.T, s string) net.Addr {
	t.Helper()
	if s == "" {
		return nil
	}
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestReceivedHeader checks the Received header against golden files: upstream's layout
// (spec-mail-smtp.md §8.5), its EHLO-name rule, reverse names from the injected lookup,
// empty addresses on stdin, the RFC 3848 protocol names, and a line ending that follows
// the mail's.
func TestReceivedHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		remote, local string
		hello         string // the greeting line
		mailParams    string
		data          string // the DATA section, terminator included
	}{
		{name: "client-example", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO client.example", data: "Subject: s\r\n\r\nbody\r\n.\r\n"},
		{name: "empty-name", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO ", data: "Subject: s\r\n.\r\n"},
		{name: "bad-name", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO bad_name!", data: "Subject: s\r\n.\r\n"},
		{name: "open-bracket", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO [x", data: "Subject: s\r\n.\r\n"},
		{name: "close-bracket", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO x]", data: "Subject: s\r\n.\r\n"},
		{name: "address-literal", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO [IPv6:2001:db8::1]", data: "Subject: s\r\n.\r\n"},
		{name: "utf8-name", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO exämple.org", data: "Subject: s\r\n.\r\n"},
		{name: "stdin", hello: "EHLO client.example", data: "Subject: s\r\n.\r\n"},
		{name: "no-reverse-names", remote: "198.51.100.9:40000", local: "10.0.0.1:25", hello: "HELO client.example", data: "Subject: s\r\n.\r\n"},
		{name: "ipv6", remote: "[2001:db8::1]:40000", local: "[::1]:25", hello: "EHLO client.example", data: "Subject: s\r\n.\r\n"},
		{name: "lf-mail", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "HELO php-host", data: "Subject: s\n\nbody\n.\n"},
		{name: "lf-first-line", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO c", data: "\nbody\r\n.\r\n"},
		{name: "empty-mail", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO c", data: ".\r\n"},
		{name: "long-first-line", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO c", data: strings.Repeat("a", 2000) + "\n.\r\n"},
		{name: "smtputf8", remote: "192.0.2.1:40000", local: "127.0.0.1:25", hello: "EHLO c", mailParams: " SMTPUTF8", data: "Subject: s\r\n.\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			be := &recBackend{}
			srv, _, _ := newServer(t, be)
			in := tt.hello + "\r\nMAIL FROM:<a@example.com>" + tt.mailParams + "\r\nRCPT TO:<b@example.org>\r\nDATA\r\n" + tt.data + "QUIT\r\n"
			var out bytes.Buffer
			conn := &server.StreamConn{R: strings.NewReader(in), W: &out, Remote: tcpAddr(t, tt.remote), Local: tcpAddr(t, tt.local)}
			if err := srv.ServeConn(context.Background(), conn); err != nil {
				t.Fatalf("ServeConn: %v\n%s", err, out.String())
			}
			mails := be.delivered()
			if len(mails) != 1 {
				t.Fatalf("%d mails delivered, want 1; server said:\n%s", len(mails), out.String())
			}
			got := string(mails[0].Data)
			golden := filepath.Join("testdata", "received", tt.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("mail mismatch (-%s +got):\n%s", golden, diff)
			}
		})
	}
}
