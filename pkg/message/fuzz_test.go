package message

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzReadHeader checks that reading never panics and that, without rewriting, the header
// written back followed by the body is the input, apart from the documented changes: CRs not
// before LF deleted in the header section, an mbox "From " first line dropped, the input cut
// at a lone-dot line with DotEndsInput, and an empty line put before the body of a mail
// without header section. The expected output comes from passThroughModel, a line-based
// restatement of these rules over the whole input.
func FuzzReadHeader(f *testing.F) {
	seeds := []string{
		"",
		"\n",
		"Subject: hi\n\nbody line\n.dot line\n",
		"Subject: crlf\r\nX-A: a\r\n\r\nbody1\r\n",
		"Subject: bare\rcr\nX-B: x\r\r\n\r\r\nbo\rdy\n\rline\nlast\r",
		"Subject: nul\x00\n\x00Bcc: z\n\nbo\x00dy\n",
		"Hello world\nsecond line\n\nbody para\n",
		"From a@b Wed Nov 25 18:24:19 2026\nFrom: x\n\nbody\n",
		"Subject: dot\n.\nX: y\n\nbody\n.\nmore\n",
		"Bcc: a,\n b\nTo: c\nResent-From: r\nResent-To: d\nFrom: e\n\n",
		"Subject : x\n\nb",
		"A: 1",
		strings.Repeat("n", 191) + ":" + strings.Repeat("v", 300), // a name longer than a small buffer
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, dotEnds bool) {
		opts := ReadOptions{DotEndsInput: dotEnds}
		// A small buffer splits lines into fragments; the default one lets the first-line
		// decision see maxNamePeek bytes.
		for _, size := range []int{64, 4096} {
			br := bufio.NewReaderSize(bytes.NewReader(in), size)
			h, err := ReadHeader(br, opts)
			if err != nil {
				t.Fatalf("ReadHeader: %v", err)
			}
			var out bytes.Buffer
			if _, err := h.WriteTo(&out); err != nil {
				t.Fatal(err)
			}
			gotHeader := out.String()
			if _, err := io.Copy(&out, NewBody(br, opts)); err != nil {
				t.Fatal(err)
			}
			gotBody := out.String()[len(gotHeader):]
			wantHeader, wantBody := passThroughModel(in, dotEnds, min(size, maxNamePeek))
			if gotHeader != wantHeader || gotBody != wantBody {
				t.Fatalf("input %q (dotEnds %v, buffer %d):\ngot  header %q body %q\nwant header %q body %q",
					in, dotEnds, size, gotHeader, gotBody, wantHeader, wantBody)
			}
		}

		h, err := ReadHeader(bufio.NewReader(bytes.NewReader(in)), opts)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		// The rest of the API must not panic on whatever was read.
		_ = h.Recipients()
		_ = h.EnvelopeFrom()
		_ = h.Has("Date")
		err = h.Rewrite(RewriteOptions{
			EnvelopeFrom: "a@example.com", FullName: "Jörg", Recipients: []string{"b@example.org"},
			FromHeader: FromHeaderOn, ToHeader: ToHeaderOn, Now: func() time.Time { return time.Unix(0, 0) },
			Random: bytes.NewReader(make([]byte, 16)), MessageIDDomain: "example.com",
		})
		if err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if _, err := h.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		const generated = "From: =?utf-8?B?SsO2cmc=?= <a@example.com>\nTo: b@example.org\n"
		rest, ok := strings.CutPrefix(out.String(), generated)
		if !ok {
			t.Fatalf("rewritten header %q", out.String())
		}
		for _, l := range strings.Split(rest, "\n") {
			name, _, found := strings.Cut(strings.ToLower(l), ":")
			if !found {
				continue
			}
			switch name {
			case "from", "to", "cc", "bcc", "resent-bcc":
				t.Fatalf("rewritten header %q kept %q", out.String(), l)
			}
		}
	})
}

// fieldStart matches the start of a header field, or the empty line (RFC 5322 §3.6.8 ftext,
// RFC 5322 §4.5 obsolete blanks before the colon).
var fieldStart = regexp.MustCompile(`^(?:[!-9;-~]+[ \t]*:|\n)`)

// passThroughModel returns what ReadHeader, WriteTo without rewriting and NewBody produce for
// in, computed line by line over the whole input. The first line counts as a header field only
// if its name and colon are within the first window bytes (CRs included).
func passThroughModel(in []byte, dotEnds bool, window int) (header, body string) {
	lines := strings.SplitAfter(string(in), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if dotEnds {
		for i, l := range lines {
			if l == ".\n" || l == ".\r\n" || l == "." {
				lines = lines[:i]
				break
			}
		}
	}
	if len(lines) > 0 && strings.HasPrefix(lines[0], "From ") {
		lines = lines[1:]
	}
	if len(lines) == 0 {
		return "\n", ""
	}
	first := lines[0][:min(len(lines[0]), window)]
	// Without -i a body line starting with two dots loses one (sendmail's transparency).
	bodyOf := func(lines []string) string {
		var b strings.Builder
		for _, l := range lines {
			if dotEnds && strings.HasPrefix(l, "..") {
				l = l[1:]
			}
			b.WriteString(l)
		}
		return b.String()
	}
	if !fieldStart.MatchString(strings.ReplaceAll(first, "\r", "")) {
		return "\n", bodyOf(lines)
	}
	var h strings.Builder
	for i, l := range lines {
		// Delete every CR except one directly before the final LF.
		end := ""
		if strings.HasSuffix(l, "\r\n") {
			l, end = l[:len(l)-2], "\r\n"
		} else if strings.HasSuffix(l, "\n") {
			l, end = l[:len(l)-1], "\n"
		}
		l = strings.ReplaceAll(l, "\r", "") + end
		h.WriteString(l)
		if l == "\n" || l == "\r\n" {
			return h.String(), bodyOf(lines[i+1:])
		}
	}
	return h.String(), ""
}

// FuzzAddressList checks that the scanner never panics, is deterministic, and returns only
// non-empty addresses without surrounding blanks; and that MergeRecipients keeps the first
// of each address in order.
func FuzzAddressList(f *testing.F) {
	for _, s := range []string{
		"a@example.com",
		"Joe <joe@x.org>, b@y.org",
		`"Doe, J" <e@v.org>`,
		"group: f@g.org, h@i.org;",
		"Some(wonderful \\) chap) <to10(his account)@localhost(this host)>",
		"A Group(Some people)\n     :Some Person <to11@(their's host.)example.com>,\n              to12, \n\t        Person <to13@localhost> (a friend); (the end of the group)",
		"(Empty list)(start)Undisclosed recipients  :(nobody(that I know))  ;",
		`"quoted local"@example.com, a@b c@d`,
		"<@r1,@r2:u@example.org> john . doe @ example.com",
		`a\ b@d.org <  sp@example.com  > [1.2.3.4] "unterminated`,
		"((nested) comment <",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseAddressList(s)
		if again := ParseAddressList(s); !slices.Equal(got, again) {
			t.Fatalf("%q: not deterministic: %q then %q", s, got, again)
		}
		for _, a := range got {
			if a == "" || strings.Trim(a, " \t\r\n") != a {
				t.Fatalf("%q: bad address %q in %q", s, a, got)
			}
		}
		merged := MergeRecipients(got, got)
		seen := map[string]bool{}
		j := 0
		for _, a := range got {
			k := recipientKey(a)
			if seen[k] {
				continue
			}
			seen[k] = true
			if j >= len(merged) || merged[j] != a {
				t.Fatalf("%q: MergeRecipients(%q) = %q", s, got, merged)
			}
			j++
		}
		if j != len(merged) {
			t.Fatalf("%q: MergeRecipients(%q) = %q", s, got, merged)
		}
	})
}
