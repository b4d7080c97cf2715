package smtpclient

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/pkg/smtp"
)

func reply(lines ...string) *smtp.Reply {
	return &smtp.Reply{Code: 250, Lines: lines}
}

func TestParseCapabilities(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  Capabilities
	}{
		{"single line", []string{"250 mx.test"}, Capabilities{}},
		{"all", []string{"250-mx.test", "250-STARTTLS", "250-DSN", "250-PIPELINING", "250-SIZE 10240000",
			"250-AUTH PLAIN LOGIN", "250-ETRN", "250-SMTPUTF8", "250-8BITMIME", "250-ENHANCEDSTATUSCODES", "250 CHUNKING"},
			Capabilities{STARTTLS: true, DSN: true, Pipelining: true, HasSize: true, Size: 10240000, Auth: true,
				AuthMechanisms: []string{"PLAIN", "LOGIN"}, ETRN: true, SMTPUTF8: true, EightBitMIME: true,
				EnhancedStatusCodes: true, Chunking: true}},
		{"lower case", []string{"250-mx", "250-starttls", "250 auth plain cram-md5"},
			Capabilities{STARTTLS: true, Auth: true, AuthMechanisms: []string{"PLAIN", "CRAM-MD5"}}},
		{"old AUTH= line and duplicates", []string{"250-mx", "250-AUTH LOGIN PLAIN", "250 AUTH=LOGIN"},
			Capabilities{Auth: true, AuthMechanisms: []string{"LOGIN", "PLAIN"}}},
		{"AUTH without mechanisms", []string{"250-mx", "250 AUTH "}, Capabilities{Auth: true}},
		{"bare AUTH is not AUTH", []string{"250-mx", "250 AUTH"}, Capabilities{}},
		{"AUTHX is not AUTH", []string{"250-mx", "250 AUTHX PLAIN"}, Capabilities{}},
		{"SIZE 0 is unlimited", []string{"250-mx", "250 SIZE 0"}, Capabilities{HasSize: true}},
		{"SIZE alone is ignored", []string{"250-mx", "250 SIZE"}, Capabilities{}},
		{"SIZE negative", []string{"250-mx", "250 SIZE -5"}, Capabilities{}},
		{"SIZE garbage", []string{"250-mx", "250 SIZE 12ab"}, Capabilities{}},
		{"SIZE overflow", []string{"250-mx", "250 SIZE 99999999999999999999"}, Capabilities{}},
		{"SIZE=", []string{"250-mx", "250 SIZE=100"}, Capabilities{}},
		{"keyword with arguments", []string{"250-mx", "250 DSN whatever"}, Capabilities{DSN: true}},
		{"whole words only", []string{"250-mx", "250-STARTTLSX", "250 DSNX"}, Capabilities{}},
		{"the server's name is not a keyword", []string{"250-dsn.example.org", "250 PIPELINING"}, Capabilities{Pipelining: true}},
		{"XPLAIN is not PLAIN", []string{"250-mx", "250 AUTH XPLAIN SCRAM-SHA-1-PLUS"},
			Capabilities{Auth: true, AuthMechanisms: []string{"XPLAIN", "SCRAM-SHA-1-PLUS"}}},
		{"short lines", []string{"250-mx", "250-", "250"}, Capabilities{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ParseCapabilities(reply(tc.lines...))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := ParseCapabilities(nil); !cmp.Equal(got, Capabilities{}) {
		t.Errorf("ParseCapabilities(nil) = %+v", got)
	}
}

func TestSupportsAuth(t *testing.T) {
	t.Parallel()
	c := ParseCapabilities(reply("250-mx", "250 AUTH XPLAIN SCRAM-SHA-1-PLUS login"))
	for mech, want := range map[string]bool{"PLAIN": false, "SCRAM-SHA-1": false, "scram-sha-1-plus": true, "LOGIN": true, "XPLAIN": true} {
		if got := c.SupportsAuth(mech); got != want {
			t.Errorf("SupportsAuth(%s) = %v", mech, got)
		}
	}
}

func FuzzParseCapabilities(f *testing.F) {
	f.Add("250-mx\n250-AUTH=LOGIN PLAIN\n250 SIZE 100")
	f.Add("250-mx\n250 auth  plain\tlogin")
	f.Fuzz(func(t *testing.T, text string) {
		c := ParseCapabilities(reply(strings.Split(text, "\n")...))
		if c.Size < 0 || (!c.HasSize && c.Size != 0) {
			t.Fatalf("size %d (has %v)", c.Size, c.HasSize)
		}
		seen := map[string]bool{}
		for _, m := range c.AuthMechanisms {
			if m == "" || m != strings.ToUpper(m) || seen[m] || strings.ContainsAny(m, " \t") {
				t.Fatalf("mechanism %q in %q", m, c.AuthMechanisms)
			}
			seen[m] = true
		}
		if len(c.AuthMechanisms) > 0 && !c.Auth {
			t.Fatal("mechanisms without AUTH")
		}
	})
}
