package smtp

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	tests := []struct{ line, verb, arg string }{
		{"EHLO client.example", "EHLO", "client.example"},
		{"ehlo x", "EHLO", "x"},
		{"mail FROM:<a@b>", "MAIL", "FROM:<a@b>"},
		{"QUIT", "QUIT", ""},
		{"DATA ", "DATA", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		verb, arg := ParseCommand(tt.line)
		if verb != tt.verb || arg != tt.arg {
			t.Errorf("ParseCommand(%q) = %q, %q; want %q, %q", tt.line, verb, arg, tt.verb, tt.arg)
		}
	}
}

func TestParsePathArg(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arg, prefix string
		path        string
		params      []Param
		err         error
	}{
		{"FROM:<a@example.com>", "FROM:", "a@example.com", nil, nil},
		{"from:<a@example.com>", "FROM:", "a@example.com", nil, nil},
		{"FROM: <a@example.com>", "FROM:", "a@example.com", nil, nil},
		{"FROM:<>", "FROM:", "", nil, nil},
		{"FROM:<a@b.c> SIZE=100 BODY=8BITMIME", "FROM:", "a@b.c", []Param{{"SIZE", "100", true}, {"BODY", "8BITMIME", true}}, nil},
		{"FROM:<a@b.c> smtputf8", "FROM:", "a@b.c", []Param{{"SMTPUTF8", "", false}}, nil},
		{"TO:<r@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;r@example.org", "TO:", "r@example.org", []Param{{"NOTIFY", "SUCCESS,FAILURE", true}, {"ORCPT", "rfc822;r@example.org", true}}, nil},
		{`TO:<"a > b"@example.org>`, "TO:", `"a > b"@example.org`, nil, nil},
		{"TO:<@relay1,@relay2:user@example.org>", "TO:", "user@example.org", nil, nil},
		{"TO:<postmaster>", "TO:", "postmaster", nil, nil},
		{"TO:<jörg@exämple.org>", "TO:", "jörg@exämple.org", nil, nil},
		{"FROM:a@b.c", "FROM:", "", nil, ErrPathSyntax},
		{"FROM:<a@b.c", "FROM:", "", nil, ErrPathSyntax},
		{"FROM:<a@b.c>x", "FROM:", "", nil, ErrPathSyntax},
		{"TO:<a@b.c>", "FROM:", "", nil, ErrPathSyntax},
		{"FROM:<a@b.c> =x", "FROM:", "", nil, ErrParamSyntax},
		{"FROM:<a@b.c> -X=1", "FROM:", "", nil, ErrParamSyntax},
		{"TO:<@relay-without-colon>", "TO:", "", nil, ErrPathSyntax},
	}
	for _, tt := range tests {
		path, params, err := ParsePathArg(tt.arg, tt.prefix)
		if !errors.Is(err, tt.err) {
			t.Errorf("ParsePathArg(%q) err = %v, want %v", tt.arg, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if path != tt.path || !cmp.Equal(params, tt.params) {
			t.Errorf("ParsePathArg(%q) = %q, %v; want %q, %v", tt.arg, path, params, tt.path, tt.params)
		}
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	if !IsASCII("a@b.c") || IsASCII("jörg@x") {
		t.Error("IsASCII wrong")
	}
	for in, want := range map[string]string{"a@b.c": "b.c", "noat": "", "x@y@z": "z", "a@": ""} {
		if got := Domain(in); got != want {
			t.Errorf("Domain(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParsePathArg(f *testing.F) {
	for _, s := range []string{"FROM:<a@b>", "TO:<\"x\\\"y\"@z> A=B", "FROM:<@a:b@c> X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		_, params, err := ParsePathArg(arg, "FROM:")
		if err != nil {
			return
		}
		for _, p := range params {
			if p.Keyword == "" || !isKeyword(p.Keyword) {
				t.Fatalf("bad keyword %q from %q", p.Keyword, arg)
			}
		}
	})
}
