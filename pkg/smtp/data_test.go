package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// encode runs in through a DataWriter, in one Write or split into pieces of n bytes.
func encode(t testing.TB, in string, n int) (string, int64) {
	t.Helper()
	var out bytes.Buffer
	w := NewDataWriter(&out)
	b := []byte(in)
	for len(b) > 0 {
		k := min(n, len(b))
		if m, err := w.Write(b[:k]); err != nil || m != k {
			t.Fatalf("Write = %d, %v", m, err)
		}
		b = b[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String(), w.Size()
}

func TestDataWriter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
		size int64
	}{
		{"LF", "Subject: s\n\nbody\n", "Subject: s\r\n\r\nbody\r\n.\r\n", 17},
		{"CRLF", "Subject: s\r\n\r\nbody\r\n", "Subject: s\r\n\r\nbody\r\n.\r\n", 17},
		{"empty", "", ".\r\n", 0},
		{"no final newline", "a\n\nno newline at end", "a\r\n\r\nno newline at end\r\n.\r\n", 21},
		{"dot stuffing", "x\n.dot line\n..two\n.\n", "x\r\n..dot line\r\n...two\r\n..\r\n.\r\n", 2 + 10 + 6 + 2},
		{"dot on first line", ".a\n", "..a\r\n.\r\n", 3},
		{"bare CR kept", "bo\rdy\n\rline\n", "bo\rdy\r\n\rline\r\n.\r\n", 6 + 6},
		{"CR CR LF", "abc\r\r\n", "abc\r\r\n.\r\n", 5},
		{"last CR", "last\r", "last\r\r\n.\r\n", 6},
		{"NUL kept", "a\x00b\n", "a\x00b\r\n.\r\n", 4},
		{"dot not at line start", "a.b\n", "a.b\r\n.\r\n", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The result must not depend on how the input is cut into writes.
			for _, n := range []int{len(tt.in) + 1, 1, 2, 3, 7} {
				got, size := encode(t, tt.in, n)
				if got != tt.want {
					t.Errorf("pieces of %d: got %q, want %q", n, got, tt.want)
				}
				if size != tt.size {
					t.Errorf("pieces of %d: size %d, want %d", n, size, tt.size)
				}
			}
		})
	}
}

func TestDataWriterLongLine(t *testing.T) {
	t.Parallel()
	// Upstream drops a bare CR at byte 1022 of a long line; we keep it.
	in := strings.Repeat("E", 1022) + "\rX\n"
	got, _ := encode(t, in, 1023)
	if want := strings.Repeat("E", 1022) + "\rX\r\n.\r\n"; got != want {
		t.Errorf("long line with CR at 1022 mangled")
	}
	// A long line starting with a dot gets exactly one extra dot; a dot at a chunk boundary
	// in the middle of the line gets none.
	in = "." + strings.Repeat("a", 1022) + "." + strings.Repeat("b", 100) + "\n"
	got, _ = encode(t, in, 1023)
	if want := "." + in[:len(in)-1] + "\r\n.\r\n"; got != want {
		t.Errorf("long dot line encoded wrongly")
	}
}

func TestDataWriterAfterClose(t *testing.T) {
	t.Parallel()
	w := NewDataWriter(io.Discard)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func decode(t testing.TB, in string) (string, *bufio.Reader, error) {
	t.Helper()
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	got, err := io.ReadAll(NewDataReader(br))
	return string(got), br, err
}

func TestDataReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, rest string
		err                  error
	}{
		{"simple", "Subject: hi\r\n\r\nline1\r\n..dotted\r\n.\r\nQUIT\r\n", "Subject: hi\r\n\r\nline1\r\n.dotted\r\n", "QUIT\r\n", nil},
		{"bare LF", "a\nb\n.\nNOOP\n", "a\nb\n", "NOOP\n", nil},
		{"empty mail", ".\r\n", "", "", nil},
		{"long line", strings.Repeat("x", 5000) + "\r\n.\r\n", strings.Repeat("x", 5000) + "\r\n", "", nil},
		{"dot CR X", ".\rX\r\n.\r\n", "\rX\r\n", "", nil},
		{"NUL and bare CR", "a\x00\rb\r\n.\r\n", "a\x00\rb\r\n", "", nil},
		{"dot inside line", "a.\r\n.\r\n", "a.\r\n", "", nil},
		{"junk pipelined after", "m\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n", "m\r\n", "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n", nil},
		{"EOF in body", "Subject: x\r\nbody", "Subject: x\r\nbody", "", io.ErrUnexpectedEOF},
		{"EOF after line", "a\r\n", "a\r\n", "", io.ErrUnexpectedEOF},
		{"EOF after dot", "a\r\n.", "a\r\n", "", io.ErrUnexpectedEOF},
		{"EOF after dot CR", "a\r\n.\r", "a\r\n", "", io.ErrUnexpectedEOF},
		{"no input", "", "", "", io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, br, err := decode(t, tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("data = %q, want %q", got, tt.want)
			}
			rest, _ := io.ReadAll(br)
			if tt.err == nil && string(rest) != tt.rest {
				t.Errorf("left %q, want %q", rest, tt.rest)
			}
		})
	}
}

func TestDataReaderOneByteAtATime(t *testing.T) {
	t.Parallel()
	in := "a\r\n..b\r\n" + strings.Repeat("c", 300) + "\r\n.\r\n"
	br := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(in)), 16)
	got, err := io.ReadAll(iotest.OneByteReader(NewDataReader(br)))
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\r\n.b\r\n" + strings.Repeat("c", 300) + "\r\n"; string(got) != want {
		t.Errorf("got %q", got)
	}
}

// FuzzDotStuffing checks that what DataWriter encodes, DataReader decodes to the same
// content with CRLF line endings, and that the data ends exactly at the terminator.
func FuzzDotStuffing(f *testing.F) {
	for _, s := range []string{"", "a", ".", ".\n", "a\r\n.\r\n", "..\n.x\r", "\r\r\n\n", "x\n.\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		enc, size := encode(t, in, 5)
		br := bufio.NewReaderSize(strings.NewReader(enc+"NEXT"), 16)
		got, err := io.ReadAll(NewDataReader(br))
		if err != nil {
			t.Fatalf("decode %q: %v", enc, err)
		}
		if want := canonical(in); string(got) != want {
			t.Fatalf("round trip of %q: got %q, want %q", in, got, want)
		}
		if rest, _ := io.ReadAll(br); string(rest) != "NEXT" {
			t.Fatalf("reader stopped wrongly, left %q", rest)
		}
		if size > int64(len(got)) {
			t.Fatalf("size %d larger than content %d", size, len(got))
		}
	})
}

// canonical is the content DataWriter promises: every LF (with or without a CR before it)
// becomes CRLF, and a last unterminated line gets CRLF.
func canonical(in string) string {
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		switch {
		case in[i] == '\n' && (i == 0 || in[i-1] != '\r'):
			b.WriteString("\r\n")
		default:
			b.WriteByte(in[i])
		}
	}
	s := b.String()
	if s != "" && !strings.HasSuffix(s, "\r\n") || strings.HasSuffix(in, "\r") {
		s += "\r\n"
	}
	return s
}

func BenchmarkDataWriter(b *testing.B) {
	line := strings.Repeat("x", 76) + "\n"
	chunk := []byte(strings.Repeat(line, 64<<10/len(line)))
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	w := NewDataWriter(io.Discard)
	for b.Loop() {
		if _, err := w.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDataReader(b *testing.B) {
	line := strings.Repeat("x", 76) + "\r\n"
	mail := strings.Repeat(line, 64<<10/len(line)) + ".\r\n"
	b.SetBytes(int64(len(mail)))
	b.ReportAllocs()
	buf := make([]byte, 32<<10)
	for b.Loop() {
		br := bufio.NewReaderSize(strings.NewReader(mail), 32<<10)
		r := NewDataReader(br)
		for {
			if _, err := r.Read(buf); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
