package secret

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

func TestKeychainLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		out  string
		err  error
		want string
		ok   bool
	}{
		{"ASCII", "s3cret\n", nil, "s3cret", true},
		{"ASCII that looks like hex", "deadbeef\n", nil, "deadbeef", true},
		{"digits", "12345678\n", nil, "12345678", true},
		{"non-ASCII is printed as hex", "70c3a47373776f7264\n", nil, "pässword", true},
		{"upper-case hex", "70C3A47373776F7264\n", nil, "pässword", true},
		{"non-ASCII and a control character", "c3a40964\n", nil, "ä\td", true},
		// The documented price of the heuristic: ASCII with a control character stays hex.
		{"ASCII with a control character", "6162096364\n", nil, "6162096364", true},
		{"invalid UTF-8 stays literal", "c3c3\n", nil, "c3c3", true},
		{"hex of printable ASCII stays literal", "616263\n", nil, "616263", true},
		{"odd length stays literal", "abc\n", nil, "abc", true},
		{"no final newline", "s3cret", nil, "s3cret", true},
		{"blanks kept", " a b \n", nil, " a b ", true},
		{"empty password", "\n", nil, "", true},
		{"not found (exit 44)", "", errors.New("exit status 44"), "", false},
		{"tool missing", "", exec.ErrNotFound, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var args []string
			k := &Keychain{Run: func(_ context.Context, name string, a ...string) ([]byte, error) {
				args = append([]string{name}, a...)
				return []byte(tt.out), tt.err
			}}
			got, err := k.Lookup(context.Background(), Key{Host: "mail.example.org", User: "joe@example.org"})
			want := "/usr/bin/security find-internet-password -s mail.example.org -a joe@example.org -r smtp -w"
			if strings.Join(args, " ") != want {
				t.Errorf("ran %q, want %q", args, want)
			}
			if !tt.ok {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("error %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil || got.Reveal() != tt.want {
				t.Errorf("got %q, %v; want %q", got.Reveal(), err, tt.want)
			}
		})
	}
}

func TestCredentialTarget(t *testing.T) {
	t.Parallel()
	if got := CredentialTarget(Key{Host: "smtp.gmail.com", User: "joe@gmail.com"}); got != "msmtp:smtp/joe@gmail.com@smtp.gmail.com" {
		t.Errorf("got %q", got)
	}
	if got := CredentialTarget(Key{Host: "/run/smtp.sock", User: "joe"}); got != "msmtp:smtp/joe@/run/smtp.sock" {
		t.Errorf("got %q", got)
	}
}

func TestCredentialBlob(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{"", "s3cret", "pässword", "日本語のパスワード", "emoji 🔑", "ab"} {
		b := encodeCredentialBlob(pw)
		if len(b) < 2*len([]rune(pw)) {
			t.Errorf("%q: blob %x is not UTF-16", pw, b)
		}
		if got := decodeCredentialBlob(b); got != pw {
			t.Errorf("round trip of %q gave %q", pw, got)
		}
	}
	tests := []struct {
		blob []byte
		want string
	}{
		{[]byte("s3cret"), "s3cret"},          // UTF-8 from another tool
		{[]byte("p\xc3\xa4ss"), "päss"},       // UTF-8 non-ASCII
		{[]byte("a\x00b\x00\x00\x00"), "ab"},  // UTF-16LE with a terminator
		{[]byte("p\x00\xe4\x00s\x00"), "päs"}, // UTF-16LE Latin-1 range
		{[]byte{0xff}, "\xff"},                // odd garbage passed through
		{encodeCredentialBlob("x y"), "x y"},  // cmdkey's form
		{[]byte{}, ""},
	}
	for _, tt := range tests {
		if got := decodeCredentialBlob(tt.blob); got != tt.want {
			t.Errorf("decode(%x) = %q, want %q", tt.blob, got, tt.want)
		}
	}
}

// On every system SystemKeyring gives the documented backend.
func TestSystemKeyringType(t *testing.T) {
	t.Parallel()
	k := SystemKeyring(func(string) (string, bool) { return "", false })
	got := fmt.Sprintf("%T", k)
	switch {
	case strings.HasSuffix(got, "*secret.SecretService"), strings.HasSuffix(got, "*secret.Keychain"),
		strings.HasSuffix(got, "*secret.CredentialManager"), got == "<nil>":
	default:
		t.Errorf("SystemKeyring is %s", got)
	}
}

func TestReadLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      bool
	}{
		{"secret\n", "secret", false},
		{"secret\r\nnext\n", "secret", false},
		{"  pass word \n", "  pass word ", false},
		{"\n", "", false},
		{"no newline", "no newline", false},
		{"", "", true},
	}
	for _, tt := range tests {
		r := strings.NewReader(tt.in)
		got, err := readLine(r)
		if (err != nil) != tt.err || string(got) != tt.want {
			t.Errorf("readLine(%q) = %q, %v", tt.in, got, err)
		}
	}
	// Nothing after the line is consumed.
	r := strings.NewReader("one\ntwo\n")
	_, _ = readLine(r)
	if r.Len() != 4 {
		t.Errorf("readLine consumed %d bytes past the line", 4-r.Len())
	}
}
