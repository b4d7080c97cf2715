package message

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAddressList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		// Upstream behaviour that we keep (spec-mail-smtp.md §1.6, spec-cli-config.md §1.6).
		{"plain", "a@example.com", []string{"a@example.com"}},
		{"display name", "Joe <joe@x.org>, b@y.org", []string{"joe@x.org", "b@y.org"}},
		{"quoted display name with comma", `"Doe, J" <e@v.org>`, []string{"e@v.org"}},
		{"leading comment", "(comment) c@z.org", []string{"c@z.org"}},
		{"trailing comment", "d@w.org (Dee)", []string{"d@w.org"}},
		{"group", "group: f@g.org, h@i.org;", []string{"f@g.org", "h@i.org"}},
		{"group name without blank", "x:y@d.org", []string{"y@d.org"}},
		{"semicolon separates", "j@d.org;k@d.org", []string{"j@d.org", "k@d.org"}},
		{"word after angle address", "<j@d.org> trailing", []string{"j@d.org", "trailing"}},
		{"word glued to angle address", "<a@b>trailing", []string{"a@b", "trailing"}},
		{"empty group", "undisclosed-recipients:;", nil},
		{"null path", "<>", nil},
		{"empty", "", nil},
		{"blanks only", " \t\r\n ", nil},
		{"domain-less", "to4", []string{"to4"}},
		{"domain-less list", "to4, to5@example.org", []string{"to4", "to5@example.org"}},
		{"dash", "-", []string{"-"}},
		{"encoded word display name", "=?UTF-8?B?w4Rnb24=?= <enc@example.com>", []string{"enc@example.com"}},
		{"comments in angle address", "Some(wonderful \\) chap) <to10(his account)@localhost(this host)>", []string{"to10@localhost"}},
		{"comment in bare address", "to10(his account)@localhost(this host)", []string{"to10@localhost"}},
		{"comment joins", "a(c)b@x", []string{"ab@x"}},
		{"comment in domain", "Some Person <to11@(their's host.)example.com>", []string{"to11@example.com"}},
		{"escape outside quotes", `q\"uote@example.com`, []string{`q"uote@example.com`}},
		{"escaped backslash", `x\\@y`, []string{`x\@y`}},
		{"quoted display name alone", `"Doe, John"`, nil},
		{"word then quoted", `x "q"`, nil},
		{"quoted then word", `"q" x`, []string{"x"}},
		{"domain literal", "[1.2.3.4]", []string{"[1.2.3.4]"}},
		{"domain literal address", "john.doe@[192.0.2.1]", []string{"john.doe@[192.0.2.1]"}},
		{"two angle addresses", "<a@b> <c@d>", []string{"a@b", "c@d"}},
		{"unterminated angle", "<abc", []string{"abc"}},
		{"unterminated comment", "a@b (never closed", []string{"a@b"}},
		{"unterminated quote", `"never closed`, nil},
		{"words before angle are the display name", "a@b c@d <e@f> g@h", []string{"e@f", "g@h"}},
		{"non-ASCII", "Jörg <jörg@exämple.org>", []string{"jörg@exämple.org"}},
		{"trailing comma", "a@b,", []string{"a@b"}},
		{"folded", "to1@example.com,\r\n\t=?utf-8?B?VGVzdCDDnHNlcg==?= <to2@example.com>, Some\n\tOne <to3@example.com>,",
			[]string{"to1@example.com", "to2@example.com", "to3@example.com"}},
		{"rfc2822 A.1.3 group", "A Group(Some people)\n     :Chris Jones <c@(Chris's host.)public.example>,\n         joe@example.org,\n  John <jdoe@one.test> (my dear friend); (the end of the group)",
			[]string{"c@public.example", "joe@example.org", "jdoe@one.test"}},
		{"rfc5322 A.5", "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", []string{"pete@silly.test"}},
		{"empty group with comments", "(Empty list)(start)Undisclosed recipients  :(nobody(that I know))  ;", nil},

		// Fixed upstream bugs (spec-mail-smtp.md §11.5).
		{"quoted local part", `"quoted local"@example.com`, []string{`"quoted local"@example.com`}},
		{"quoted local part with escape", `"a\"b"@example.com`, []string{`"a\"b"@example.com`}},
		{"quoted local part in angle", `Name <"a b"@d.org>`, []string{`"a b"@d.org`}},
		{"nested comment", "a@example.com ((nested) comment) , b@example.com", []string{"a@example.com", "b@example.com"}},
		{"missing comma", "a@b.org c@d.org", []string{"a@b.org", "c@d.org"}},
		{"missing comma, word without @", "foo@bar baz", []string{"foo@bar"}},
		{"address then quoted", `a@b "Name"`, []string{"a@b"}},
		{"continuation without comma", "trailing@example.com\n  continued@example.com", []string{"trailing@example.com", "continued@example.com"}},
		{"display name without @ keeps last word", "John Smith", []string{"Smith"}},
		{"blanks around angle content", "<  sp@example.com  >", []string{"sp@example.com"}},
		{"blank inside angle content kept", "<a b@example.com>", []string{"a b@example.com"}},
		{"escaped blank kept", `a\ b@d.org`, []string{"a b@d.org"}},
		{"leading escaped blank trimmed", `\ a@d.org`, []string{"a@d.org"}},
		{"control character kept", "a\x01b@d.org", []string{"a\x01b@d.org"}},
		{"obsolete blanks around dot and at", "john . doe @ example.com", []string{"john.doe@example.com"}},
		{"obsolete blanks in angle", "< john . doe @ example . com >", []string{"john.doe@example.com"}},
		{"route removed", "<@route1,@route2:user@example.org>", []string{"user@example.org"}},
		{"route with quoted colon", `<@r:"a:b"@example.org>`, []string{`"a:b"@example.org`}},
		{"stray closing bracket", "a@b >c@d", []string{"a@b", "c@d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, ParseAddressList(tt.in)); diff != "" {
				t.Errorf("ParseAddressList(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestCommandLineRecipients is spec-cli-config.md C-25: each argument is its own list.
func TestCommandLineRecipients(t *testing.T) {
	t.Parallel()
	args := []string{"Joe <joe@x.org>, b@y.org", "(comment) c@z.org", "d@w.org (Dee)", `"quoted, name" <e@v.org>`, "group: f@g.org, h@i.org;"}
	var got []string
	for _, a := range args {
		got = append(got, ParseAddressList(a)...)
	}
	want := []string{"joe@x.org", "b@y.org", "c@z.org", "d@w.org", "e@v.org", "f@g.org", "h@i.org"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestMergeRecipients(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lists [][]string
		want  []string
	}{
		{"none", nil, nil},
		{"command line first", [][]string{{"c@x"}, {"h@x", "c@x"}}, []string{"c@x", "h@x"}},
		{"spec item 12", [][]string{{"dup@example.com"}, {"dup@example.com", "dup@example.com"}}, []string{"dup@example.com"}},
		{"domain case ignored", [][]string{{"a@Example.COM"}, {"a@example.com"}}, []string{"a@Example.COM"}},
		{"local part case kept", [][]string{{"A@example.com", "a@example.com"}}, []string{"A@example.com", "a@example.com"}},
		{"domain-less", [][]string{{"root", "root", "Root"}}, []string{"root", "Root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, MergeRecipients(tt.lists...)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRecipientFiles checks Recipients and EnvelopeFrom on the mails in testdata/recipients.
func TestRecipientFiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/recipients/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test mails: %v", err)
	}
	for _, file := range files {
		base := strings.TrimSuffix(file, ".eml")
		t.Run(filepath.Base(base), func(t *testing.T) {
			t.Parallel()
			h := readHeaderFile(t, file)
			want := readLines(t, base+".rcpts")
			if diff := cmp.Diff(want, h.Recipients()); diff != "" {
				t.Errorf("Recipients mismatch (-want +got):\n%s", diff)
			}
			if from, err := os.ReadFile(base + ".from"); err == nil {
				if got, want := h.EnvelopeFrom(), strings.TrimSuffix(string(from), "\n"); got != want {
					t.Errorf("EnvelopeFrom = %q, want %q", got, want)
				}
			}
		})
	}
}

func readHeaderFile(t *testing.T, file string) *Header {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := ReadHeader(bufio.NewReader(f), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func readLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
