package config

import (
	"errors"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const aliasFile = "/etc/aliases"

// TestAliasesExpand covers C-63 to C-66 with the two upstream quirks of §5.3 fixed: the
// expansion keeps the order of the list and every recipient is examined.
func TestAliasesExpand(t *testing.T) {
	t.Parallel()
	const file = `# test aliases
root: joe@example.com, jane@example.com
staff: root, boss@example.com   # nested
l1: a@x
l2: b@x, c@x
Case: upper@x
empty:
gap: a@x,,b@x
loop1: loop2
loop2: loop1
`
	al, err := ParseAliases(strings.NewReader(file), aliasFile)
	if err != nil {
		t.Fatal(err)
	}
	withDefault, err := ParseAliases(strings.NewReader(file+"default: fallback@example.com\n"), aliasFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		al    *Aliases
		rcpts []string
		want  []string
		err   string
	}{
		// C-63; upstream gives jane, joe and boss, jane, joe (reversed).
		{"C-63 root", al, []string{"root"}, []string{"joe@example.com", "jane@example.com"}, ""},
		{"C-63 staff", al, []string{"staff"}, []string{"joe@example.com", "jane@example.com", "boss@example.com"}, ""},
		// C-64; upstream gives "a@x l2", "a@x z@z c@x b@x", "a@x l1 a@x".
		{"C-64 l1 l2", al, []string{"l1", "l2"}, []string{"a@x", "b@x", "c@x"}, ""},
		{"C-64 l2 l1", al, []string{"l2", "l1"}, []string{"b@x", "c@x", "a@x"}, ""},
		{"C-64 l1 z@z l2", al, []string{"l1", "z@z", "l2"}, []string{"a@x", "z@z", "b@x", "c@x"}, ""},
		{"C-64 l1 l1 l1", al, []string{"l1", "l1", "l1"}, []string{"a@x", "a@x", "a@x"}, ""},
		{"unknown stays", al, []string{"nobody-here", "x@y.org"}, []string{"nobody-here", "x@y.org"}, ""},
		{"case-sensitive", al, []string{"case", "Case"}, []string{"case", "upper@x"}, ""},
		{"empty entry", al, []string{"empty"}, []string{""}, ""},
		{"empty piece kept", al, []string{"gap"}, []string{"a@x", "", "b@x"}, ""},
		{"empty recipient is not local", al, []string{""}, []string{""}, ""},
		{"C-65 default", withDefault, []string{"nobody-here", "x@y.org"}, []string{"fallback@example.com", "x@y.org"}, ""},
		{"C-65 default by name", withDefault, []string{"default"}, []string{"fallback@example.com"}, ""},
		{"C-66 loop", al, []string{"x@y", "loop1"}, nil, aliasFile + ": Too many redirects when expanding alias loop1."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.al.Expand(tc.rcpts)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if !errors.Is(err, ErrAliases) || kindOf(t, err) != KindConfig {
					t.Errorf("error %v is not ErrAliases of KindConfig", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Expand(%q) = %q, want %q", tc.rcpts, got, tc.want)
			}
		})
	}
}

// TestAliasesDepth checks upstream's limit: 16 nested expansions are fine, 17 are not, and
// the name of the error is the recipient given, not the alias where it failed. Also C-66's
// "default: other" loop.
func TestAliasesDepth(t *testing.T) {
	t.Parallel()
	chain := func(n int, end string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			b.WriteString("a" + strconv.Itoa(i) + ": a" + strconv.Itoa(i+1) + "\n")
		}
		b.WriteString("a" + strconv.Itoa(n+1) + ": " + end + "\n")
		return b.String()
	}
	for _, tc := range []struct {
		name, file, rcpt string
		ok               bool
	}{
		{"16 redirects", chain(16, "x@y"), "a1", true},
		{"17 redirects", chain(17, "x@y"), "a1", false},
		{"15 then unknown", chain(15, "zz"), "a1", true},
		{"16 then unknown", chain(16, "zz"), "a1", false},
		{"default loop", "default: other\n", "local", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			al, err := ParseAliases(strings.NewReader(tc.file), aliasFile)
			if err != nil {
				t.Fatal(err)
			}
			_, err = al.Expand([]string{tc.rcpt})
			switch {
			case tc.ok && err != nil:
				t.Errorf("unexpected error %v", err)
			case !tc.ok && (err == nil || err.Error() != aliasFile+": Too many redirects when expanding alias "+tc.rcpt+"."):
				t.Errorf("error %v, want too many redirects for %s", err, tc.rcpt)
			}
		})
	}
}

// TestAliasesParse covers C-67: the file format's errors and limits.
func TestAliasesParse(t *testing.T) {
	t.Parallel()
	long := func(n int, end string) string { return "a: " + strings.Repeat("b", n-5) + "@x" + end }
	many := "m: " + strings.Repeat("x@y,", 40) + "last@y\n"
	for _, tc := range []struct {
		name, file, err string
	}{
		{"no colon", "nocolon\n", aliasFile + ": line 1: single ':' delimiter expected"},
		{"two colons", "ok: a@b\na: b@c: d\n", aliasFile + ": line 2: single ':' delimiter expected"},
		{"at in name", "x@y: b@c\n", aliasFile + ": line 1: invalid alias 'x@y'"},
		{"duplicate", "a: b@c\na: d@e\n", aliasFile + ": line 2: duplicate alias 'a'"},
		{"empty name", " : b@c\n", aliasFile + ": line 1: invalid alias ''"},
		{"510 bytes with LF", long(510, "\n"), aliasFile + ": line 1: longer than 511 characters"},
		{"511 bytes without LF", long(511, ""), aliasFile + ": line 1: longer than 511 characters"},
		{"509 bytes with LF", long(509, "\n"), ""},
		{"510 bytes without LF", long(510, ""), ""},
		{"comment anywhere", "a: b@c # x: y: z\n# only comment: here\n\n   \t\n", ""},
		{"colon in comment", "#a:b:c\nx: y@z\n", ""},
		{"CRLF", "a: b@c\r\nd: e@f\r\n", ""},
		{"many values", many, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			al, err := ParseAliases(strings.NewReader(tc.file), aliasFile)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tc.err {
				t.Fatalf("error %v, want %q (parsed %v)", err, tc.err, al)
			}
			if kindOf(t, err) != KindConfig || !errors.Is(err, ErrAliases) {
				t.Errorf("error %v: wrong kind or sentinel", err)
			}
		})
	}
	al, err := ParseAliases(strings.NewReader(many+"c: b@c # x: y: z\r\n"), aliasFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := al.entries["m"]; len(got) != 32 || got[31] != "x@y" {
		t.Errorf("m has %d values ending in %q, want the first 32", len(got), got[len(got)-1])
	}
	if got := al.entries["c"]; !slices.Equal(got, []string{"b@c"}) {
		t.Errorf("c = %q, want [b@c]", got)
	}
}

// TestExpandAliases covers C-68: the file is opened only when a recipient is local.
func TestExpandAliases(t *testing.T) {
	t.Parallel()
	opened := 0
	missing := func(name string) (io.ReadCloser, error) {
		opened++
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
	}
	got, err := ExpandAliases(aliasFile, []string{"x@y.org", ""}, missing)
	if err != nil || !slices.Equal(got, []string{"x@y.org", ""}) || opened != 0 {
		t.Errorf("no local recipient: got %q, %v, opened %d times", got, err, opened)
	}
	_, err = ExpandAliases(aliasFile, []string{"x@y.org", "local"}, missing)
	if err == nil || err.Error() != aliasFile+": No such file or directory" || kindOf(t, err) != KindConfig {
		t.Errorf("missing file: %v", err)
	}
	dir := func(string) (io.ReadCloser, error) { return io.NopCloser(isDirReader{}), nil }
	_, err = ExpandAliases(aliasFile, []string{"local"}, dir)
	if err == nil || err.Error() != aliasFile+": input error" {
		t.Errorf("unreadable file: %v", err)
	}
	ok := func(string) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("local: a@b, c@d\n")), nil }
	got, err = ExpandAliases(aliasFile, []string{"x@y", "local"}, ok)
	if err != nil || !slices.Equal(got, []string{"x@y", "a@b", "c@d"}) {
		t.Errorf("got %q, %v", got, err)
	}
}
