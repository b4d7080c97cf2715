package secret_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/msmtp-go/msmtp/pkg/secret"
)

// quoteNetrc writes v as one netrc token that parses back to v: every byte in double quotes,
// except a double quote, which goes in single quotes. (Values never contain a line end: the
// parser does not let a token span lines.)
func quoteNetrc(v string) string {
	if v == "" {
		return `""`
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '"' {
			b.WriteString(`'"'`)
		} else {
			b.WriteString(`"` + v[i:i+1] + `"`)
		}
	}
	return b.String()
}

// FuzzParseNetrc: parsing never fails or panics on any input; every entry has a machine line
// and a login; and writing the entries back out (quoted) and parsing again gives the same
// entries.
func FuzzParseNetrc(f *testing.F) {
	f.Add("machine mail.example.org login joe password secret\n")
	f.Add("machine h\r\n  user joe\r\n\tpasswd 'a'\"b\"c # comment\r\n")
	f.Add("macdef init\ncd /\n\ndefault login x password y\nmachine h login j password\n")
	f.Add("machine h login joe password \"open quote\nmachine h2 login k")
	f.Add("login early password p machine \"\" login \"\" password \"\"")
	f.Fuzz(func(t *testing.T, in string) {
		entries, err := secret.ParseNetrc(strings.NewReader(in))
		if err != nil {
			t.Fatalf("ParseNetrc: %v", err)
		}
		var out strings.Builder
		for _, e := range entries {
			if e.Login == "" {
				t.Fatalf("entry without login: %+v", view([]secret.NetrcEntry{e}))
			}
			for _, v := range []string{e.Machine, e.Login, e.Password.Reveal()} {
				if strings.ContainsAny(v, "\n") {
					t.Fatalf("value with a line end: %q", v)
				}
			}
			out.WriteString("machine " + quoteNetrc(e.Machine) + "\n\tlogin " + quoteNetrc(e.Login))
			if e.HasPassword {
				out.WriteString(" password " + quoteNetrc(e.Password.Reveal()))
			}
			out.WriteString("\n")
		}
		again, err := secret.ParseNetrc(strings.NewReader(out.String()))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(view(entries), view(again)); diff != "" {
			t.Fatalf("round trip through\n%s\nmismatch (-first +second):\n%s", out.String(), diff)
		}
	})
}
