package message

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// mailSource produces a mail of a given body size without holding it in memory: a short
// header, then lines of text with, every longLineEvery bytes, one line of longLine bytes
// (to show that long lines are not buffered either).
type mailSource struct {
	header   string
	size     int64 // body bytes still to produce
	longLine int
	pos      int64 // body bytes produced
	inLong   int   // bytes of the current long line still to produce

	longLines int // long lines started
}

const (
	sourceLine    = "The quick brown fox jumps over the lazy dog. .Dots. 0123456789 abcdefghijklmnopq\n"
	longLineEvery = 16 << 20
)

var longChunk = strings.Repeat("L", 4096)

func (s *mailSource) Read(p []byte) (int, error) {
	if s.header != "" {
		n := copy(p, s.header)
		s.header = s.header[n:]
		return n, nil
	}
	if s.size == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && s.size > 0 {
		var chunk string
		switch {
		case s.inLong > 1:
			chunk = longChunk[:min(s.inLong-1, len(longChunk))]
		case s.inLong == 1:
			chunk = "\n"
		case s.longLine > 0 && s.pos%longLineEvery < int64(len(sourceLine)) && s.pos > 0:
			s.inLong = s.longLine
			s.longLines++
			continue
		default:
			chunk = sourceLine
		}
		c := copy(p[n:], chunk[:min(int64(len(chunk)), s.size)])
		if s.inLong > 0 {
			s.inLong -= c
		}
		n += c
		s.size -= int64(c)
		s.pos += int64(c)
	}
	return n, nil
}

// TestBodyStreamsInConstantMemory streams a 256 MiB body, with lines of up to 8 MiB, through
// ReadHeader and NewBody and checks that the memory allocated meanwhile stays far below the
// size of the mail: the body is never buffered. It is not parallel, so that the allocation
// counter sees only this test.
func TestBodyStreamsInConstantMemory(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() {
		size = 32 << 20
	}
	for _, dotEnds := range []bool{false, true} {
		t.Run(fmt.Sprintf("DotEndsInput=%v", dotEnds), func(t *testing.T) {
			src := &mailSource{header: "Subject: big\nTo: a@example.com\n\n", size: size, longLine: 8 << 20}
			opts := ReadOptions{DotEndsInput: dotEnds}

			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()

			br := bufio.NewReader(src)
			h, err := ReadHeader(br, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Rewrite(RewriteOptions{EnvelopeFrom: "a@example.com", Random: bytes.NewReader(make([]byte, 16))}); err != nil {
				t.Fatal(err)
			}
			n, err := h.WriteTo(io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			m, err := io.Copy(io.Discard, NewBody(br, opts))
			if err != nil {
				t.Fatal(err)
			}

			runtime.ReadMemStats(&after)
			if m != size || src.longLines == 0 {
				t.Fatalf("copied %d body bytes with %d long lines, want %d bytes", m, src.longLines, size)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("header %d bytes, body %d MiB in %v, %d KiB allocated", n, m>>20, time.Since(start), alloc>>10)
			if alloc > 1<<20 {
				t.Errorf("allocated %d bytes while streaming %d: the body is being buffered", alloc, size)
			}
		})
	}
}

// typicalHeader is a 2 KiB header section such as a mail client writes.
var typicalHeader = func() string {
	var b strings.Builder
	b.WriteString("From: \"Example Sender\" <sender@example.com>\n")
	b.WriteString("To: Alice <alice@example.org>, \"Bob, Jr.\" <bob@example.net>,\n carol@example.com\n")
	b.WriteString("Cc: team: dave@example.org, erin@example.org;\n")
	b.WriteString("Bcc: hidden@example.com\n")
	b.WriteString("Subject: =?utf-8?Q?Quarterly_r=C3=A9port?= and other things that make subjects long\n")
	b.WriteString("MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1_0123456789abcdef\"\n")
	b.WriteString("X-Mailer: Example Mailer 1.0\nUser-Agent: Example/1.0\nX-Priority: 3\n")
	for i := 0; b.Len() < 2000; i++ {
		fmt.Fprintf(&b, "X-Trace-%d: %s\n", i, strings.Repeat("t", 60))
	}
	b.WriteString("\n")
	return b.String()
}()

// BenchmarkHeader measures reading a typical 2 KiB header section, finding its recipients and
// sender, rewriting it and writing it out.
func BenchmarkHeader(b *testing.B) {
	mail := typicalHeader + "body\n"
	opts := RewriteOptions{
		EnvelopeFrom: "sender@example.com", Now: func() time.Time { return time.Unix(0, 0) },
		Random: zeroReader{}, MessageIDDomain: "example.com",
	}
	b.SetBytes(int64(len(typicalHeader)))
	b.ReportAllocs()
	r := strings.NewReader(mail)
	br := bufio.NewReader(r)
	for b.Loop() {
		r.Reset(mail)
		br.Reset(r)
		h, err := ReadHeader(br, ReadOptions{DotEndsInput: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(h.Recipients()) != 6 || h.EnvelopeFrom() != "sender@example.com" {
			b.Fatalf("recipients %q from %q", h.Recipients(), h.EnvelopeFrom())
		}
		if err := h.Rewrite(opts); err != nil {
			b.Fatal(err)
		}
		if _, err := h.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// BenchmarkBody measures streaming a 64 MiB body; allocations per operation must stay
// constant whatever the size.
func BenchmarkBody(b *testing.B) {
	for _, dotEnds := range []bool{false, true} {
		b.Run(fmt.Sprintf("DotEndsInput=%v", dotEnds), func(b *testing.B) {
			const size = 64 << 20
			b.SetBytes(size)
			b.ReportAllocs()
			opts := ReadOptions{DotEndsInput: dotEnds}
			for b.Loop() {
				br := bufio.NewReader(&mailSource{header: "Subject: big\n\n", size: size})
				if _, err := ReadHeader(br, opts); err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, NewBody(br, opts)); err != nil || n != size {
					b.Fatalf("copied %d, %v", n, err)
				}
			}
		})
	}
}
