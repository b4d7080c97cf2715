package config

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// parseErrorForm is every message Parse can produce for a file named F.
var parseErrorForm = regexp.MustCompile(`^F: (line [1-9][0-9]*: (unknown command .+|invalid argument .* for command .+|` +
	`command .+ (needs an argument|does not take an argument)|missing account name|` +
	`an account name must not contain colons or commas|account .* not \(yet\) defined|account .* was already defined)|` +
	`line longer than 500 characters|input error|cannot read output of '.*'|cannot evaluate '.*': .*)$`)

// FuzzParse checks that no file makes the lexer or parser panic, that every error has one
// of the documented forms without control characters, and that what parses resolves
// without a panic and gives only *Error errors.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		inheritanceExample,
		"host h\naccount default\n",
		"account a : b,\n",
		"account \"x \" : a\n",
		"eval echo account e\nhost h\nport 0x19\n",
		"defaults\ntls_trust_file\naccount a\nhost h\ntls on\n",
		"host \"  x  \"\r\nfrom %U@%H\r\ndomain %C\n",
		"tls_fingerprint 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff,00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 11 22 33\n",
		"#" + strings.Repeat("x", 498) + "\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		run := func(cmd string) (string, error) {
			if strings.HasPrefix(cmd, "echo ") {
				return cmd[5:] + "\n", nil
			}
			return "", errors.New("no such command")
		}
		file, err := Parse(bytes.NewReader(data), "F", ParseOptions{Home: "/h", Eval: run})
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			if !parseErrorForm.MatchString(err.Error()) {
				t.Fatalf("error %q has no documented form", err)
			}
			if strings.ContainsFunc(err.Error(), isCntrl) {
				t.Fatalf("error %q contains control characters", err)
			}
			return
		}
		for _, a := range file.Accounts {
			if a.Name == "" || strings.ContainsAny(a.Name, ":,") {
				t.Fatalf("account name %q", a.Name)
			}
			fe := newFakeEnv()
			fe.add("F", string(data))
			_, err := Resolve(Request{File: Some("F"), Account: Some(a.Name), Pretend: true, Env: fe.env()})
			var ce *Error
			if err != nil && !errors.As(err, &ce) {
				t.Fatalf("Resolve: %v is %T, not *Error", err, err)
			}
		}
	})
}

// FuzzOverrideValue checks every command-line option with arbitrary values: no panic, and
// an error is always exactly "invalid argument ARG for --OPTION" of KindUsage.
func FuzzOverrideValue(f *testing.F) {
	for _, s := range []string{"", "on", "off", "0x19", " 25", "08", "never,success", "hdrs", "LOG_MAIL", "plain", "aa:bb", "<>"} {
		f.Add(s)
	}
	opts := Options()
	f.Fuzz(func(t *testing.T, arg string) {
		for _, o := range opts {
			var ov Overrides
			err := ov.Set(o.Name, &arg)
			if err == nil {
				continue
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Kind != KindUsage {
				t.Fatalf("--%s=%q: %v", o.Name, arg, err)
			}
			name := index().byOption[o.Name].option
			if want := "invalid argument " + sanitize(arg) + " for --" + name; err.Error() != want {
				t.Fatalf("--%s=%q: error %q, want %q", o.Name, arg, err, want)
			}
		}
	})
}

// FuzzAliases checks the aliases parser and expansion: no panic, documented error forms,
// and expansion of non-local recipients is the identity.
func FuzzAliases(f *testing.F) {
	f.Add([]byte("root: a@x, b@x\nstaff: root, c@x # comment\ndefault: d@x\n"), "staff")
	f.Add([]byte("loop1: loop2\nloop2: loop1\n"), "loop1")
	f.Add([]byte("x@y: z\n"), "x")
	form := regexp.MustCompile(`^A: (line [1-9][0-9]*: (longer than 511 characters|single ':' delimiter expected|invalid alias '.*'|duplicate alias '.*')|input error|Too many redirects when expanding alias .*\.)$`)
	f.Fuzz(func(t *testing.T, data []byte, rcpt string) {
		al, err := ParseAliases(bytes.NewReader(data), "A")
		if err == nil {
			var out []string
			out, err = al.Expand([]string{rcpt, "x@y.org"})
			if err == nil && (len(out) == 0 || out[len(out)-1] != "x@y.org") {
				t.Fatalf("expansion of %q lost the non-local recipient: %q", rcpt, out)
			}
		}
		if err != nil && !form.MatchString(err.Error()) {
			t.Fatalf("error %q has no documented form", err)
		}
	})
}
