package smtp

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadReply(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 1017)
	tests := []struct {
		name    string
		in      string
		want    *Reply
		wantErr error
	}{
		{"single", "220 mx ESMTP\r\n", &Reply{220, []string{"220 mx ESMTP"}}, nil},
		{"bare LF", "250 ok\n", &Reply{250, []string{"250 ok"}}, nil},
		{"multi", "250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n", &Reply{250, []string{"250-mx", "250-PIPELINING", "250 AUTH PLAIN"}}, nil},
		{"code from first line only", "220-first\r\n221 second\r\n", &Reply{220, []string{"220-first", "221 second"}}, nil},
		{"no text (RFC 5321 allows it)", "250\r\n", &Reply{250, []string{"250"}}, nil},
		{"empty", "", nil, ErrEmptyReply},
		{"no separator", "250ok\r\n", nil, ErrInvalidReply},
		{"letters", "2x0 ok\r\n", nil, ErrInvalidReply},
		{"short", "25\r\n", nil, ErrInvalidReply},
		{"cut short", "250-a\r\n", &Reply{250, []string{"250-a"}}, ErrInvalidReply},
		{"partial line at EOF", "250 ok", nil, ErrInvalidReply},
		{"1021 chars + CRLF is fine", "250 " + long + "\r\n", &Reply{250, []string{"250 " + long}}, nil},
		{"1022 chars + CRLF is too long", "250 " + long + "x\r\n", nil, ErrInvalidReply},
		{"50 lines", strings.Repeat("250-x\r\n", 49) + "250 x\r\n", &Reply{250, append(repeat("250-x", 49), "250 x")}, nil},
		{"51 lines", strings.Repeat("250-x\r\n", 50) + "250 x\r\n", &Reply{250, repeat("250-x", 50)}, ErrReplyTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadReply(bufio.NewReader(strings.NewReader(tt.in)))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reply mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestReadReplyKeepsReaderErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	r := bufio.NewReader(io.MultiReader(strings.NewReader("250-a\r\n"), errReader{boom}))
	_, err := ReadReply(r)
	if err != boom {
		t.Fatalf("err = %v, want the reader's own error", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestNewReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		got  *Reply
		want string
	}{
		{NewReply(250, EnhancedCode{}, "Ok"), "250 Ok\r\n"},
		{NewReply(334, EnhancedCode{}), "334 \r\n"},
		{NewReply(250, EnhOK, "Ok"), "250 2.0.0 Ok\r\n"},
		{NewReply(250, EnhOK), "250 2.0.0\r\n"},
		{NewReply(250, EnhancedCode{}, "localhost", "PIPELINING", "SIZE 100"), "250-localhost\r\n250-PIPELINING\r\n250 SIZE 100\r\n"},
		{NewReply(554, EnhPermGeneric, "a", "b"), "554-5.0.0 a\r\n554 5.0.0 b\r\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if _, err := tt.got.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("wrote %q, want %q", b.String(), tt.want)
		}
		// What we write, we read back the same.
		back, err := ReadReply(bufio.NewReader(strings.NewReader(b.String())))
		if err != nil || !cmp.Equal(back, tt.got) {
			t.Errorf("read back %v, %v; want %v", back, err, tt.got)
		}
	}
}

func TestReplyAccessors(t *testing.T) {
	t.Parallel()
	r := &Reply{550, []string{"550-5.1.1 <c@example.org>: user unknown", "550 5.1.1 really"}}
	if !r.Permanent() || r.Temporary() || r.Positive() || r.Intermediate() {
		t.Errorf("class accessors wrong for %d", r.Code)
	}
	if e, ok := r.Enhanced(); !ok || e != EnhBadDestMailbox {
		t.Errorf("Enhanced() = %v, %v", e, ok)
	}
	if got, want := r.Error(), "550-5.1.1 <c@example.org>: user unknown\n550 5.1.1 really"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{"5.1.1 <c@example.org>: user unknown", "5.1.1 really"}, r.Text()); diff != "" {
		t.Errorf("Text() (-want +got):\n%s", diff)
	}
	if _, ok := (&Reply{250, []string{"250 ok"}}).Enhanced(); ok {
		t.Error("Enhanced() found a code in plain text")
	}
	var asErr error = r
	var got *Reply
	if !errors.As(asErr, &got) || got != r {
		t.Error("errors.As does not find the *Reply")
	}
}

func TestParseEnhancedCode(t *testing.T) {
	t.Parallel()
	good := map[string]EnhancedCode{"2.0.0": EnhOK, "5.1.1": {5, 1, 1}, "4.7.0": {4, 7, 0}, "5.123.456": {5, 123, 456}}
	for s, want := range good {
		if got, ok := ParseEnhancedCode(s); !ok || got != want {
			t.Errorf("ParseEnhancedCode(%q) = %v, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "2.0", "3.0.0", "1.1.1", "2.0.0.0", "22.0.0", "2.1234.0", "2.a.0", "2.-1.0", "2..0", "ok"} {
		if got, ok := ParseEnhancedCode(s); ok {
			t.Errorf("ParseEnhancedCode(%q) = %v, want failure", s, got)
		}
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"220 ok\r\n", "250-a\r\n250 b\r\n", "", "2", "999-\n999 \n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ReadReply(bufio.NewReader(strings.NewReader(in)))
		if err != nil {
			return
		}
		if r.Code < 0 || r.Code > 999 || len(r.Lines) == 0 || len(r.Lines) > MaxReplyLines {
			t.Fatalf("bad reply %#v", r)
		}
		// A successfully read reply writes back as something that reads the same.
		var b strings.Builder
		if _, err := r.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		again, err := ReadReply(bufio.NewReader(strings.NewReader(b.String())))
		if err != nil || !cmp.Equal(again, r) {
			t.Fatalf("round trip: %#v, %v; want %#v", again, err, r)
		}
	})
}
