package secret_test

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/msmtp-go/msmtp/pkg/secret"
)

// entry is a comparable view of a NetrcEntry.
type entry struct {
	Machine, Login, Password string
	HasPassword              bool
}

func view(es []secret.NetrcEntry) []entry {
	var out []entry
	for _, e := range es {
		out = append(out, entry{e.Machine, e.Login, e.Password.Reveal(), e.HasPassword})
	}
	return out
}

func TestParseNetrc(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []entry
	}{
		{"one line", "machine mail.example.org login joe password secret\n",
			[]entry{{"mail.example.org", "joe", "secret", true}}},
		{"entry over several lines, synonyms", "machine h\n  user joe\n\tpasswd  s3\n",
			[]entry{{"h", "joe", "s3", true}}},
		{"no final newline", "machine h login joe password p", []entry{{"h", "joe", "p", true}}},
		{"CRLF", "machine h\r\nlogin joe\r\npassword p\r\n", []entry{{"h", "joe", "p", true}}},
		// Quotes quote parts of a token and are removed (C-60 and upstream runs).
		{"double quotes with blank", `machine h login joe password "a b"` + "\n", []entry{{"h", "joe", "a b", true}}},
		{"mixed quotes", `machine h login joe password 'a'"b"c` + "\n", []entry{{"h", "joe", "abc", true}}},
		{"quotes in the middle", `machine h login joe password "sec"ret` + "\n", []entry{{"h", "joe", "secret", true}}},
		{"quote inside other quotes", `machine h login joe password "it's" '"x"'` + "\n", []entry{{"h", "joe", `it's`, true}}},
		{"empty quoted password", `machine h login joe password ""` + "\n", []entry{{"h", "joe", "", true}}},
		// The second line is the token b, then a quote open to the line's end: "b login u" is one
		// token, so the login stays joe.
		{"open quote ends with the line", "machine h login joe password \"a\nb\" login u\n", []entry{{"h", "joe", "a", true}}},
		{"no backslash escapes", `machine h login joe password x\ y` + "\n", []entry{{"h", "joe", `x\`, true}}},
		// Comments.
		{"comment line", "# machine h login joe password p\nmachine h2 login j password q\n",
			[]entry{{"h2", "j", "q", true}}},
		{"comment after entry", "machine h login joe password p # a comment login x\n", []entry{{"h", "joe", "p", true}}},
		{"hash inside a token", "machine h login joe password a#b\n", []entry{{"h", "joe", "a#b", true}}},
		{"quoted hash is no comment", `machine h login joe password "#x"` + "\n", []entry{{"h", "joe", "#x", true}}},
		{"comment where the password is", "machine h login joe password #x\n", []entry{{"h", "joe", "", false}}},
		// Tokens form one stream across lines (these two agree with msmtp 1.8.23): after the
		// comment, the next token is the password, "other" is ignored, and z replaces it.
		{"comment, then the next line", "machine h login u password #x\nmachine other login u password z\n",
			[]entry{{"h", "u", "z", true}}},
		{"value on the next line", "machine h login u password\nsecret\n", []entry{{"h", "u", "secret", true}}},
		// macdef skips the rest of its line and following lines up to an empty line.
		{"macdef", "macdef init\nmachine h login joe password bad\n\nmachine h login joe password good\n",
			[]entry{{"h", "joe", "good", true}}},
		{"macdef inside entry", "machine h login joe macdef m cd /\nput x\n\npassword p\n",
			[]entry{{"h", "joe", "p", true}}},
		{"macdef to EOF", "machine a login joe password p\nmacdef m\nmachine b login joe password q\n",
			[]entry{{"a", "joe", "p", true}}},
		{"macdef ends at CRLF empty line", "macdef m\r\nx\r\n\r\nmachine h login j password p\r\n",
			[]entry{{"h", "j", "p", true}}},
		// Dropped entries.
		{"no login", "machine h password p\n", nil},
		{"default", "default login joe password p\n", nil},
		{"default between machines", "machine a login j password 1\ndefault login j password 2\nmachine b login j password 3\n",
			[]entry{{"a", "j", "1", true}, {"b", "j", "3", true}}},
		{"login before any machine", "login joe password p machine h login k\n", []entry{{"h", "k", "", false}}},
		{"account ignored", "machine h login joe account acct password p\n", []entry{{"h", "joe", "p", true}}},
		{"unknown tokens ignored", "machine h port 25 login joe password p\n", []entry{{"h", "joe", "p", true}}},
		{"missing password", "machine h login joe\n", []entry{{"h", "joe", "", false}}},
		{"keyword at EOF", "machine h login joe password", []entry{{"h", "joe", "", false}}},
		{"empty", "", nil},
		{"blank lines", "\n\n   \n\t\n", nil},
		// Values are tokens: a keyword spelled where a value is expected is the value.
		{"value looks like keyword", "machine login login password password machine\n", []entry{{"login", "password", "machine", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := secret.ParseNetrc(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, view(got)); diff != "" {
				t.Errorf("entries mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLookupNetrc(t *testing.T) {
	t.Parallel()
	const file = `
machine localhost login joe password local
default login joe password fallback
machine 127.0.0.1 login ann password annpw
machine 127.0.0.1 login joe password first
machine 127.0.0.1 login joe password second
machine Mail.Example.org login joe password upper
machine nopw.example login joe
machine nopw.example login joe password later
`
	tests := []struct {
		host, user string
		want       string
		ok         bool
	}{
		{"127.0.0.1", "joe", "first", true}, // skips ann, first of two
		{"127.0.0.1", "ann", "annpw", true},
		{"localhost", "joe", "local", true},
		{"127.0.0.2", "joe", "", false},        // default entries are never used
		{"mail.example.org", "joe", "", false}, // exact, case-sensitive
		{"Mail.Example.org", "joe", "upper", true},
		{"127.0.0.1", "Joe", "", false},
		{"nopw.example", "joe", "", false}, // first match has no password: none
	}
	for _, tt := range tests {
		got, err := secret.LookupNetrc(strings.NewReader(file), tt.host, tt.user)
		if tt.ok {
			if err != nil || got.Reveal() != tt.want {
				t.Errorf("(%s, %s) = %q, %v; want %q", tt.host, tt.user, got.Reveal(), err, tt.want)
			}
			continue
		}
		if !errors.Is(err, secret.ErrNotFound) {
			t.Errorf("(%s, %s) = %q, %v; want ErrNotFound", tt.host, tt.user, got.Reveal(), err)
		}
	}
}

func TestNetrcFiles(t *testing.T) {
	t.Parallel()
	env := func(k string) (string, bool) {
		if k == "ProgramData" {
			return `D:\PD`, true
		}
		return "", false
	}
	got := secret.NetrcFiles("/home/joe", env)
	want := []string{filepath.Join("/home/joe", ".netrc"), "/etc/netrc"}
	if runtime.GOOS == "windows" {
		want[1] = filepath.Join(`D:\PD`, "msmtp", "netrc")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got := secret.NetrcFiles("", env); len(got) != 1 || got[0] != want[1] {
		t.Errorf("without home: %q", got)
	}
}

func TestEvalErrorText(t *testing.T) {
	t.Parallel()
	boom := errors.New("exec: \"/bin/sh\": file does not exist")
	err := error(&secret.EvalError{Command: "pass show mail", Err: boom})
	if err.Error() != `cannot evaluate 'pass show mail': exec: "/bin/sh": file does not exist` || !errors.Is(err, boom) {
		t.Errorf("got %q", err)
	}
	err = &secret.EvalError{Command: "x", Err: secret.ErrNoOutput}
	if err.Error() != "cannot read output of 'x'" {
		t.Errorf("got %q", err)
	}
}
