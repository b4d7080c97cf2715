package smtptest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParse(t *testing.T) {
	t.Parallel()
	const text = `# rcpt-4xx.smtp
exit: 69
stderr: recipient address b@x not accepted by the server
stderr: server message: 451 later

S: 220 mx.test ESMTP
C: EHLO localhost
# a comment between steps
S: 250 mx.test
C~ MAIL FROM:<.*>
S= "250 ok\r\n"
C:
!starttls
!tls
!starttls fail
!sleep 200ms
!read 500
!skipdata
!stall
!eof
!close
`
	s, err := Parse("rcpt-4xx.smtp", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []Field{
		{"exit", "69"},
		{"stderr", "recipient address b@x not accepted by the server"},
		{"stderr", "server message: 451 later"},
	}
	if diff := cmp.Diff(wantHeader, s.Header); diff != "" {
		t.Errorf("header mismatch (-want +got):\n%s", diff)
	}
	if v, ok := s.Get("exit"); !ok || v != "69" {
		t.Errorf("Get(exit) = %q, %v", v, ok)
	}
	if _, ok := s.Get("nothing"); ok {
		t.Error("Get(nothing) found something")
	}
	if got := s.Values("stderr"); len(got) != 2 {
		t.Errorf("Values(stderr) = %q", got)
	}
	want := []Step{
		{Kind: Line, Side: ServerSide, Text: "220 mx.test ESMTP", LineNo: 6},
		{Kind: Line, Side: ClientSide, Text: "EHLO localhost", LineNo: 7},
		{Kind: Line, Side: ServerSide, Text: "250 mx.test", LineNo: 9},
		{Kind: Match, Side: ClientSide, Text: "MAIL FROM:<.*>", LineNo: 10},
		{Kind: Raw, Side: ServerSide, Text: "250 ok\r\n", LineNo: 11},
		{Kind: Line, Side: ClientSide, Text: "", LineNo: 12},
		{Kind: StartTLS, LineNo: 13},
		{Kind: StartTLS, LineNo: 14},
		{Kind: StartTLS, Fail: true, LineNo: 15},
		{Kind: Sleep, Duration: 200 * time.Millisecond, LineNo: 16},
		{Kind: Read, N: 500, LineNo: 17},
		{Kind: SkipData, LineNo: 18},
		{Kind: Stall, LineNo: 19},
		{Kind: EOF, LineNo: 20},
		{Kind: Close, LineNo: 21},
	}
	opts := cmpopts.IgnoreFields(Step{}, "Regexp", "Source")
	if diff := cmp.Diff(want, s.Steps, opts); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
	re := s.Steps[3].Regexp
	if !re.MatchString("MAIL FROM:<a@b>") || re.MatchString("XMAIL FROM:<a@b>") || re.MatchString("MAIL FROM:<a@b> X") {
		t.Errorf("regexp %v is not anchored at both ends", re)
	}
	if s.Steps[0].Source != "S: 220 mx.test ESMTP" {
		t.Errorf("Source = %q", s.Steps[0].Source)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		{"header after step", "S: 220 x\nexit: 69\n", "x.smtp:2: not a step"},
		{"garbage", "hello world\n", "x.smtp:1: not a step"},
		{"bad regexp", "C~ MAIL(\n", "x.smtp:1: error parsing regexp"},
		{"bad literal", "S= 220\n", "x.smtp:1: S= needs a Go string literal"},
		{"empty literal", `C= ""` + "\n", "x.smtp:1: C= with no bytes"},
		{"unknown directive", "!bogus\n", "x.smtp:1: unknown directive !bogus"},
		{"sleep without duration", "!sleep\n", "x.smtp:1: !sleep needs a duration"},
		{"negative sleep", "!sleep -1s\n", "x.smtp:1: !sleep needs a duration"},
		{"read zero", "!read 0\n", "x.smtp:1: !read needs a positive byte count"},
		{"close with argument", "!close now\n", "x.smtp:1: !close takes no argument"},
		{"starttls with argument", "!starttls later\n", "x.smtp:1: !starttls takes no argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("x.smtp", strings.NewReader(tc.text))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q, want prefix %q", err, tc.want)
			}
		})
	}
}

func TestParseCRLFFile(t *testing.T) {
	t.Parallel()
	s, err := Parse("crlf.smtp", strings.NewReader("S: 220 x\r\nC: QUIT\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Steps[0].Text != "220 x" || s.Steps[1].Text != "QUIT" {
		t.Errorf("steps %+v keep the CR", s.Steps)
	}
}

func TestMustParsePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("MustParse did not panic on a syntax error")
		}
	}()
	MustParse("x", "!bogus")
}

func FuzzParse(f *testing.F) {
	f.Add("S: 220 x\nC: EHLO y\nC~ .*\n!sleep 1s\n!read 3\n")
	f.Add("exit: 1\nS= \"a\\r\\n\"\n!starttls fail\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := Parse("fuzz", strings.NewReader(text))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			return
		}
		for _, st := range s.Steps {
			if st.Kind == Match && st.Regexp == nil {
				t.Fatal("Match step without a regexp")
			}
			if st.LineNo < 1 {
				t.Fatalf("step %+v has no line number", st)
			}
		}
	})
}
