package config

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestFnmatch compares fnmatch with glibc's fnmatch(pattern, name, 0): every expected value
// below was produced by calling glibc (through Python's ctypes, in a UTF-8 locale).
func TestFnmatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "a/b", true},
		{"*", "", true},
		{"*", ".hidden", true},
		{"a*b", "ab", true},
		{"a*b", "axxb", true},
		{"a*b", "axxbc", false},
		{"*@other.org", "x@other.org", true},
		{"*@other.org", "X@OTHER.ORG", false},
		{"?", "a", true},
		{"?", "", false},
		{"?", "ab", false},
		{"a?c", "a/c", true},
		{"[abc]", "b", true},
		{"[abc]", "d", false},
		{"[!abc]", "d", true},
		{"[!abc]", "a", false},
		{"[^abc]", "d", true},
		{"[^abc]", "a", false},
		{"[a-z]", "m", true},
		{"[a-z]", "M", false},
		{"[z-a]", "m", false},
		{"[a-]", "-", true},
		{"[-a]", "-", true},
		{"[]]", "]", true},
		{"[]a]", "a", true},
		{"[!]]", "]", false},
		{"[!]]", "x", true},
		{"[^]]", "x", true},
		{"[", "[", true},
		{"[a", "[a", true},
		{"[a", "a", false},
		{"a[", "a[", true},
		{"[[:alpha:]]", "a", true},
		{"[[:alpha:]]", "1", false},
		{"[[:digit:]]", "5", true},
		{"[[:upper:]]", "a", false},
		{"[[:upper:]]", "A", true},
		{"[[:lower:]]", "a", true},
		{"[[:space:]]", " ", true},
		{"[[:blank:]]", "\t", true},
		{"[[:punct:]]", "!", true},
		{"[[:punct:]]", "a", false},
		{"[[:xdigit:]]", "f", true},
		{"[[:xdigit:]]", "g", false},
		{"[[:alnum:]]", "_", false},
		{"[[:print:]]", " ", true},
		{"[[:graph:]]", " ", false},
		{"[[:cntrl:]]", "\u0001", true},
		{"[[:foo:]]", "a", false},
		{"[[:foo:]]", "[", false},
		{"[[:alpha]", "a", true},
		{"[[:alpha]", ":", true},
		{"[[:alpha:]", "a", false},
		{"[[.a.]]", "a", true},
		{"[[.a.]]", "b", false},
		{"[[=a=]]", "a", true},
		{"[[.-.]a]", "-", true},
		{"[[.a.]-c]", "b", true},
		{"[a-[.c.]]", "b", true},
		{"\\*", "*", true},
		{"\\*", "a", false},
		{"\\", "\\", false},
		{"a\\", "a", false},
		{"a\\", "a\\", false},
		{"\\a", "a", true},
		{"[\\]]", "]", true},
		{"[\\]", "\\", false},
		{"[\\a]", "a", true},
		{"[a\\-z]", "-", true},
		{"[a\\-z]", "m", false},
		{"*a*", "xxaxx", true},
		{"*a*b*c", "abc", true},
		{"*a*b*c", "aXbYc", true},
		{"*a*b*c", "acb", false},
		{"**", "x", true},
		{"*?", "a", true},
		{"*?", "", false},
		{"a*", "a", true},
		{"*[ab]", "xb", true},
		{"user+*@x.org", "user+tag@x.org", true},
		{"[[:alpha:]]*@example.com", "joe@example.com", true},
		{"*.*", "a.b", true},
		{"[!a-c]x", "dx", true},
		{"[!a-c]x", "bx", false},
		{"[a-c-e]", "d", false},
		{"[a-c-e]", "-", true},
		{"[a-c-e]", "e", true},
		{"[]-a]", "b", false},
		{"[]-a]", "^", true},
		{"[!]-a]", "b", true},
		{"[[:alpha:][:digit:]]", "5", true},
		{"[a[:digit:]b]", "5", true},
		{"[[:alpha:]-z]", "-", true},
		{"[[:alpha:]-z]", "z", true},
		{"[[:zz:]]", "a", false},
		{"[[:alphaz:]]", "a", false},
		{"ab[", "ab[", true},
		{"ab[c", "ab[c", true},
		{"*[", "x[", true},
		{"[!", "[!", true},
		{"[!", "!", false},
		{"[[.", "[[.", false},
		{"[[=a=]b]", "b", true},
		{"[[=ab=]]", "a", false},
		{"[[.ab.]]", "a", false},
		{"\\[a]", "[a]", true},
		{"[\\\\]", "\\", true},
		{"[[.", "[[.", false},
		{"[[.a", "[[.a", false},
		{"[[.a]", "a", false},
		{"[[=a", "[[=a", true},
		{"[[=a]", "a", true},
		{"[[:a]", "[", true},
		{"[[.a.]", "a", false},
		{"x[[.]", "x[[.]", false},
		{"[[.].]]", "]", true},
		{"[[.a.]-c]", "-", false},
		{"[a-[:alpha:]]", "b", false},
		{"[[:alpha:]-]", "-", true},
		{"[[:alpha:]-z]", "-", true},
		{"[[:alpha:]-z]", "z", true},
		{"é", "é", true},
		{"?", "é", true},
		{"[[:alpha:]]", "é", true},
		{"[é]", "é", true},
		{"*é*", "aéb", true},
		{"user@*.example.com", "user@mail.example.com", true},
		{"*", "", true},
	}
	for _, tc := range cases {
		if got := fnmatch(tc.pattern, tc.name); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

// quoteGlob escapes every character of s, so that the pattern matches exactly s.
func quoteGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteByte('\\')
		b.WriteRune(r)
	}
	return b.String()
}

// FuzzFnmatch checks that fnmatch never panics and keeps basic glob properties: a quoted
// string matches itself, a string without special characters matches only itself, and
// '*' followed by a quoted suffix matches any string ending in it.
func FuzzFnmatch(f *testing.F) {
	for _, s := range [][2]string{{"*@example.com", "a@example.com"}, {"[[:alpha:]]*", "x"}, {"[!a-z]?\\*", "Ab*"}, {"[[.a.]-c]", "b"}, {"[", "["}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := fnmatch(pattern, name)
		if !strings.ContainsAny(pattern, `*?[\`) && got != (pattern == name) {
			t.Errorf("fnmatch(%q, %q) = %v for a pattern without special characters", pattern, name, got)
		}
		if !utf8.ValidString(name) {
			return
		}
		if !fnmatch(quoteGlob(name), name) {
			t.Errorf("quoted %q does not match itself", name)
		}
		if !fnmatch("*"+quoteGlob(name), pattern+name) {
			t.Errorf("*%s does not match %q", quoteGlob(name), pattern+name)
		}
	})
}
