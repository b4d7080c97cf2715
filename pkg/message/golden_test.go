package message

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Kolkata and America/St_Johns on any test machine, Windows included

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the expected sections of testdata/rewrite/*.txtar")

// TestRewriteGolden runs each testdata/rewrite/*.txtar through the whole sendmail-mode mail
// path of this package, as a caller such as pkg/delivery does: ReadHeader, recipients from the
// command line and (with -t) the header, the envelope-from, MessageIDDomain, Rewrite, WriteTo
// and NewBody. Sections:
//
//	opts      one "key: value" per line (see goldenOpts); '#' starts a comment
//	in.eml    the mail on standard input
//	out.eml   the mail as it goes to the SMTP data writer
//	envelope  "MAIL FROM:<...>" and one "RCPT TO:<...>" per recipient
//
// With "escaped: on", in.eml and out.eml are written with C escapes (\r \n \t \0 \\ \xHH)
// and their own line breaks are ignored, so that CRs, NULs and a missing final newline show.
// The clock and the Message-ID randomness are fixed. Run with -update to rewrite out.eml and
// envelope, and review the diff.
func TestRewriteGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/rewrite/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sections := map[string]*txtar.File{}
			for i := range ar.Files {
				sections[ar.Files[i].Name] = &ar.Files[i]
			}
			if sections["opts"] == nil || sections["in.eml"] == nil {
				t.Fatal("missing opts or in.eml section")
			}
			opts := parseGoldenOpts(t, string(sections["opts"].Data))
			in := []byte(sections["in.eml"].Data)
			if opts.escaped {
				in = unescape(t, string(in))
			}
			out, envelope := runGolden(t, opts, in)
			outText := string(out)
			if opts.escaped {
				outText = escape(out)
			}

			if *update {
				set := func(name, data string) {
					if f := sections[name]; f != nil {
						f.Data = []byte(data)
						return
					}
					ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(data)})
				}
				set("out.eml", outText)
				set("envelope", envelope)
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, s := range []struct{ name, got string }{{"out.eml", outText}, {"envelope", envelope}} {
				f := sections[s.name]
				if f == nil {
					t.Errorf("missing section %s (run with -update)", s.name)
					continue
				}
				want := string(f.Data)
				got := s.got
				if !opts.escaped || s.name == "envelope" {
					// txtar always ends a section with a newline.
					if !strings.HasSuffix(got, "\n") && got != "" {
						got += "\n"
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", s.name, diff)
				}
			}
		})
	}
}

// goldenOpts are the settings of one golden test, named like msmtp's options.
type goldenOpts struct {
	escaped          bool
	args             []string // command-line recipient arguments
	readRecipients   bool     // -t
	readEnvelopeFrom bool     // --read-envelope-from
	read             ReadOptions
	rewrite          RewriteOptions
	domain           DomainSources
	now              time.Time
	tz               *time.Location
}

func parseGoldenOpts(t *testing.T, text string) goldenOpts {
	t.Helper()
	o := goldenOpts{
		now:    time.Date(2026, 11, 25, 18, 24, 19, 0, time.UTC),
		tz:     time.UTC,
		domain: DomainSources{Domain: "localhost", Host: "mail.example.net", Hostname: "myhost"},
	}
	random := "00112233445566778899aabbccddeeff"
	onOff := func(k, v string) bool {
		switch v {
		case "on":
			return true
		case "off":
			return false
		}
		t.Fatalf("opts: %s: want on or off, got %q", k, v)
		return false
	}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("opts line %d: no colon: %q", n+1, line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if u, err := strconv.Unquote(v); err == nil {
			v = u // "quoted" values keep blanks and escapes
		}
		var err error
		switch k {
		case "escaped":
			o.escaped = onOff(k, v)
		case "arg":
			o.args = append(o.args, v)
		case "read-recipients":
			o.readRecipients = onOff(k, v)
		case "read-envelope-from":
			o.readEnvelopeFrom = onOff(k, v)
		case "dot-ends-input":
			o.read.DotEndsInput = onOff(k, v)
		case "from":
			o.rewrite.EnvelopeFrom = v
		case "from-full-name":
			o.rewrite.FullName = v
		case "set-from-header":
			o.rewrite.FromHeader = enum(t, k, v, map[string]FromHeaderMode{"auto": FromHeaderAuto, "on": FromHeaderOn, "off": FromHeaderOff})
		case "set-date-header":
			o.rewrite.DateHeader = enum(t, k, v, map[string]DateHeaderMode{"auto": DateHeaderAuto, "off": DateHeaderOff})
		case "set-msgid-header":
			o.rewrite.MessageIDHeader = enum(t, k, v, map[string]MessageIDMode{"auto": MessageIDAuto, "off": MessageIDOff})
		case "set-to-header":
			o.rewrite.ToHeader = enum(t, k, v, map[string]ToHeaderMode{"off": ToHeaderOff, "on": ToHeaderOn, "undisclosed_recipients": ToHeaderUndisclosed})
		case "remove-bcc-headers":
			if !onOff(k, v) {
				o.rewrite.BccHeaders = BccKeep
			}
		case "domain":
			o.domain.Domain = v
		case "host":
			o.domain.Host = v
		case "hostname":
			o.domain.Hostname = v
		case "now":
			o.now, err = time.Parse(time.RFC3339, v)
		case "tz":
			o.tz, err = time.LoadLocation(v)
		case "random":
			random = v
		default:
			t.Fatalf("opts line %d: unknown key %q", n+1, k)
		}
		if err != nil {
			t.Fatalf("opts line %d: %v", n+1, err)
		}
	}
	r, err := hex.DecodeString(random)
	if err != nil {
		t.Fatalf("opts: random: %v", err)
	}
	o.rewrite.Random = bytes.NewReader(r)
	o.rewrite.Now = func() time.Time { return o.now }
	o.rewrite.Location = o.tz
	return o
}

func enum[T any](t *testing.T, key, value string, values map[string]T) T {
	t.Helper()
	v, ok := values[value]
	if !ok {
		t.Fatalf("opts: %s: unknown value %q", key, value)
	}
	return v
}

// runGolden does what a caller of the package does in sendmail mode and returns the mail as it
// goes to the data writer and the envelope.
func runGolden(t *testing.T, o goldenOpts, in []byte) (out []byte, envelope string) {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(in))
	h, err := ReadHeader(br, o.read)
	if err != nil {
		t.Fatalf("ReadHeader: %v", err)
	}
	var cmdline []string
	for _, a := range o.args {
		cmdline = append(cmdline, ParseAddressList(a)...)
	}
	rcpts := cmdline
	if o.readRecipients {
		rcpts = MergeRecipients(cmdline, h.Recipients())
	}
	if o.readEnvelopeFrom {
		o.rewrite.EnvelopeFrom = h.EnvelopeFrom()
	}
	o.rewrite.Recipients = rcpts
	o.domain.EnvelopeFrom = o.rewrite.EnvelopeFrom
	o.rewrite.MessageIDDomain = MessageIDDomain(o.domain)
	if err := h.Rewrite(o.rewrite); err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	var buf bytes.Buffer
	if _, err := h.WriteTo(&buf); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if _, err := io.Copy(&buf, NewBody(br, o.read)); err != nil {
		t.Fatalf("body: %v", err)
	}
	var env strings.Builder
	from := o.rewrite.EnvelopeFrom
	if from == "<>" {
		from = "" // as msmtp sends -f '<>'
	}
	fmt.Fprintf(&env, "MAIL FROM:<%s>\n", from)
	for _, r := range rcpts {
		fmt.Fprintf(&env, "RCPT TO:<%s>\n", r)
	}
	return buf.Bytes(), env.String()
}

// escape writes b with C escapes for CR, NUL, backslash and other control bytes, and a line
// break after each escaped LF.
func escape(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		switch {
		case c == '\n':
			s.WriteString("\\n\n")
		case c == '\r':
			s.WriteString(`\r`)
		case c == 0:
			s.WriteString(`\0`)
		case c == '\\':
			s.WriteString(`\\`)
		case c == '\t':
			s.WriteString(`\t`)
		case c < ' ' || c == 0x7f:
			fmt.Fprintf(&s, `\x%02x`, c)
		default:
			s.WriteByte(c)
		}
	}
	if b := s.String(); b != "" && !strings.HasSuffix(b, "\n") {
		s.WriteString("\n") // the section's own line break, ignored by unescape
	}
	return s.String()
}

// unescape is the inverse of escape: line breaks are dropped, escapes decoded.
func unescape(t *testing.T, s string) []byte {
	t.Helper()
	s = strings.ReplaceAll(s, "\n", "")
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b = append(b, s[i])
			continue
		}
		i++
		if i >= len(s) {
			t.Fatal("unescape: backslash at end")
		}
		switch s[i] {
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case '0':
			b = append(b, 0)
		case '\\':
			b = append(b, '\\')
		case 'x':
			if i+2 >= len(s) {
				t.Fatal("unescape: short \\x")
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				t.Fatalf("unescape: %v", err)
			}
			b = append(b, byte(v))
			i += 2
		default:
			t.Fatalf("unescape: unknown escape \\%c", s[i])
		}
	}
	return b
}

func TestEscapeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "a", "a\n", "a\r\n\x00\\\t\x01\x7fé", "\n\n", "no newline"} {
		if got := string(unescape(t, escape([]byte(in)))); got != in {
			t.Errorf("unescape(escape(%q)) = %q", in, got)
		}
	}
}
