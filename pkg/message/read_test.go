package message

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// passThrough reads in with opts, writes the header back unchanged and copies the body.
func passThrough(t *testing.T, in string, bufSize int, opts ReadOptions) (header, body string) {
	t.Helper()
	br := bufio.NewReaderSize(strings.NewReader(in), bufSize)
	h, err := ReadHeader(br, opts)
	if err != nil {
		t.Fatalf("ReadHeader(%q): %v", in, err)
	}
	var hb, bb bytes.Buffer
	if _, err := h.WriteTo(&hb); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(&bb, NewBody(br, opts)); err != nil {
		t.Fatal(err)
	}
	return hb.String(), bb.String()
}

func TestReadHeaderBoundary(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("n", maxNamePeek+1)
	tests := []struct {
		name         string
		in           string
		dotEnds      bool
		header, body string
	}{
		{"empty", "", false, "\n", ""},
		{"empty line only", "\n", false, "\n", ""},
		{"header and body", "A: 1\nB: 2\n\nbody\n", false, "A: 1\nB: 2\n\n", "body\n"},
		{"crlf separator", "A: 1\r\n\r\nbody\r\n", false, "A: 1\r\n\r\n", "body\r\n"},
		{"cr cr lf separator", "A: 1\n\r\r\nbody\n", false, "A: 1\n\r\n", "body\n"},
		{"blank line is not a separator", "A: 1\n \nB: 2\n\nbody\n", false, "A: 1\n \nB: 2\n\n", "body\n"},
		{"header only", "A: 1\nB: 2", false, "A: 1\nB: 2", ""},
		{"header only with newline", "A: 1\n", false, "A: 1\n", ""},
		{"only CR", "\r", false, "\n", "\r"},
		{"CR at end of header", "A: 1\r", false, "A: 1", ""},
		{"CR before name", "\rA: 1\n\nb\n", false, "A: 1\n\n", "b\n"},
		{"CR in name", "Sub\rject: x\n\nb\n", false, "Subject: x\n\n", "b\n"},
		{"no colon", "Subject\n\nbody\n", false, "\n", "Subject\n\nbody\n"},
		{"no colon at EOF", "Subject", false, "\n", "Subject"},
		{"text first", "Hello world\n\nbody\n", false, "\n", "Hello world\n\nbody\n"},
		{"colon first", ": x\n\nbody\n", false, "\n", ": x\n\nbody\n"},
		{"continuation first", " A: 1\n\nbody\n", false, "\n", " A: 1\n\nbody\n"},
		{"obsolete blank before colon", "Subject : x\n\nbody\n", false, "Subject : x\n\n", "body\n"},
		{"blank inside name", "Sub ject: x\n\nbody\n", false, "\n", "Sub ject: x\n\nbody\n"},
		{"8-bit in name", "Süb: x\n\nbody\n", false, "\n", "Süb: x\n\nbody\n"},
		{"name at peek limit", long + ": x\n", false, "\n", long + ": x\n"},
		{"garbage after first field kept", "A: 1\ngarbage line\n\nbody\n", false, "A: 1\ngarbage line\n\n", "body\n"},
		{"mbox line dropped", "From a@b Wed Nov 25 18:24:19 2026\nA: 1\n\nbody\n", false, "A: 1\n\n", "body\n"},
		{"mbox line only", "From a@b Wed Nov 25 18:24:19 2026", false, "\n", ""},
		{"mbox line then text", "From a@b\nHello\n", false, "\n", "Hello\n"},
		{"mbox line then empty line", "From a@b\n\nbody\n", false, "\n", "body\n"},
		{"From: is a field", "From: a@b\n\nbody\n", false, "From: a@b\n\n", "body\n"},
		{"lone dot ends body", "A: 1\n\nx\n.\ny\n", true, "A: 1\n\n", "x\n"},
		{"lone dot kept with -i", "A: 1\n\nx\n.\ny\n", false, "A: 1\n\n", "x\n.\ny\n"},
		{"lone dot ends header", "A: 1\n.\nB: 2\n\nbody\n", true, "A: 1\n", ""},
		{"lone dot first", ".\nA: 1\n", true, "\n", ""},
		{"lone dot crlf", "A: 1\n\nx\r\n.\r\ny\n", true, "A: 1\n\n", "x\r\n"},
		{"lone dot at EOF", "A: 1\n\nx\n.", true, "A: 1\n\n", "x\n"},
		{"dot cr at EOF is data", "A: 1\n\nx\n.\r", true, "A: 1\n\n", "x\n.\r"},
		{"dot cr cr lf is data", "A: 1\n\nx\n.\r\r\ny\n", true, "A: 1\n\n", "x\n.\r\r\ny\n"},
		{"two dots lose one, as in sendmail", "A: 1\n\n..\n.x\n", true, "A: 1\n\n", ".\n.x\n"},
		{"three dots lose one", "A: 1\n\n...x\n..\r\n", true, "A: 1\n\n", "..x\n.\r\n"},
		{"with -i two dots stay", "A: 1\n\n..\n.x\n", false, "A: 1\n\n", "..\n.x\n"},
		{"dot inside a line is data", "A: 1\n\nx.\n\n", true, "A: 1\n\n", "x.\n\n"},
		{"mbox line then lone dot", "From a@b\n.\nA: 1\n", true, "\n", ""},
		{"lone dot right after separator", "A: 1\n\n.\nbody\n", true, "A: 1\n\n", ""},
	}
	for _, tt := range tests {
		for _, size := range []int{16, 4096} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				header, body := passThrough(t, tt.in, size, ReadOptions{DotEndsInput: tt.dotEnds})
				if header != tt.header || body != tt.body {
					t.Errorf("buffer %d: %q → header %q body %q, want %q %q", size, tt.in, header, body, tt.header, tt.body)
				}
			})
		}
	}
}

// TestReadHeaderSmallBuffer crosses bufio's buffer boundary inside lines and between a CR
// and its LF.
func TestReadHeaderSmallBuffer(t *testing.T) {
	t.Parallel()
	for split := 1; split < 40; split++ {
		line := "X-Long: " + strings.Repeat("v", split) + "\r\n"
		in := line + "X-Cr: a\rb\r\r\n" + line + "\r\nbody\r\n"
		want := line + "X-Cr: ab\r\n" + line + "\r\n"
		header, body := passThrough(t, in, 16, ReadOptions{})
		if header != want || body != "body\r\n" {
			t.Errorf("split %d: header %q body %q", split, header, body)
		}
	}
}

func TestReadHeaderTooLarge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		limit int64
		fail  bool
	}{
		{"fits", "A: 123\n\nbody", 8, false},
		{"one byte over", "A: 1234\n\nbody", 8, true},
		{"long line without newline", "A: " + strings.Repeat("x", 100), 50, true},
		{"mbox line counts", "From " + strings.Repeat("x", 100) + "\nA: 1\n\n", 50, true},
		{"body does not count", "A: 1\n\n" + strings.Repeat("x", 100), 8, false},
		{"headerless mail has no header to bound", strings.Repeat("x", 100), 8, false},
		{"default bound", "A: " + strings.Repeat("x", DefaultMaxHeaderSize) + "\n\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadHeader(bufio.NewReader(strings.NewReader(tt.in)), ReadOptions{MaxHeaderSize: tt.limit})
			var tooLarge *HeaderTooLargeError
			if got := errors.As(err, &tooLarge); got != tt.fail {
				t.Fatalf("err = %v, want HeaderTooLargeError: %v", err, tt.fail)
			}
			want := tt.limit
			if want == 0 {
				want = DefaultMaxHeaderSize
			}
			if tt.fail && tooLarge.Limit != want {
				t.Errorf("Limit = %d, want %d", tooLarge.Limit, want)
			}
		})
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestInputError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, tt := range []struct {
		name, data string
		dotEnds    bool
		inHeader   bool
	}{
		{"at start", "", false, true},
		{"in header", "A: 1\nB: ", false, true},
		{"after mbox line", "From x\n", false, true},
		{"lone-dot check in header", "A: 1\n.", true, true},
		{"in body", "A: 1\n\nbody", false, false},
		{"in body with dot rule", "A: 1\n\nbody\n", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := ReadOptions{DotEndsInput: tt.dotEnds}
			br := bufio.NewReaderSize(&failingReader{data: tt.data, err: boom}, 16)
			h, err := ReadHeader(br, opts)
			if !tt.inHeader {
				if err != nil {
					t.Fatalf("ReadHeader: %v", err)
				}
				_ = h
				_, err = io.Copy(io.Discard, NewBody(br, opts))
			}
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, boom) {
				t.Fatalf("err = %v, want *InputError wrapping boom", err)
			}
		})
	}
}

// TestBodyDoesNotHoldBackData checks that the body reader returns the lines it has even when
// deciding about the next line (lone dot or not) would need more input: a producer that
// writes a line and waits must see it delivered.
func TestBodyDoesNotHoldBackData(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	defer pr.Close()
	br := bufio.NewReader(pr)
	opts := ReadOptions{DotEndsInput: true}
	go func() {
		_, _ = pw.Write([]byte("A: 1\n\nfirst\n"))
	}()
	if _, err := ReadHeader(br, opts); err != nil {
		t.Fatal(err)
	}
	body := NewBody(br, opts)
	got := make(chan string, 1)
	go func() {
		p := make([]byte, 100)
		n, _ := body.Read(p)
		got <- string(p[:n])
	}()
	select {
	case s := <-got:
		if s != "first\n" {
			t.Fatalf("Read = %q, want %q", s, "first\n")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the body reader held back a complete line")
	}
	go func() {
		_, _ = pw.Write([]byte("."))
		_, _ = pw.Write([]byte("\nafter\n"))
		_ = pw.Close()
	}()
	rest, err := io.ReadAll(body)
	if err != nil || len(rest) != 0 {
		t.Fatalf("rest = %q, %v; want nothing", rest, err)
	}
}

func TestHas(t *testing.T) {
	t.Parallel()
	h, err := ReadHeader(bufio.NewReader(strings.NewReader("date: x\nMessage-Id: <a@b>\nBcc : x\nX-Date: y\nNoColon\n\n")), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"Date": true, "DATE": true, "Message-ID": true, "Bcc": false, "Bcc ": true,
		"X-Date": true, "Dat": false, "From": false, "NoColon": false, "": false,
	} {
		if got := h.Has(name); got != want {
			t.Errorf("Has(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestWriteToError(t *testing.T) {
	t.Parallel()
	h, err := ReadHeader(bufio.NewReader(strings.NewReader("A: 1\nBcc: x\nB: 2\n\n")), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Rewrite(RewriteOptions{EnvelopeFrom: "a@b", Random: bytes.NewReader(make([]byte, 16))}); err != nil {
		t.Fatal(err)
	}
	var full bytes.Buffer
	n, err := h.WriteTo(&full)
	if err != nil || n != int64(full.Len()) {
		t.Fatalf("WriteTo = %d, %v; wrote %d", n, err, full.Len())
	}
	// Fail at every possible write and check the count of bytes written.
	for limit := 0; limit < full.Len(); limit++ {
		w := &limitedWriter{limit: limit}
		n, err := h.WriteTo(w)
		if err == nil {
			t.Fatalf("limit %d: no error", limit)
		}
		if n != int64(w.buf.Len()) || !bytes.HasPrefix(full.Bytes(), w.buf.Bytes()) {
			t.Fatalf("limit %d: n = %d, wrote %q", limit, n, w.buf.String())
		}
	}
}

type limitedWriter struct {
	buf   bytes.Buffer
	limit int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	room := w.limit - w.buf.Len()
	if len(p) <= room {
		return w.buf.Write(p)
	}
	w.buf.Write(p[:room])
	return room, io.ErrShortWrite
}

func TestFields(t *testing.T) {
	t.Parallel()
	// Continuation lines (blank or tab) stay with their field when it is deleted.
	in := "Bcc: a,\n b,\n\tc\nX: 1\n bcc: not a field\nBCC:d\n\n"
	h, err := ReadHeader(bufio.NewReader(strings.NewReader(in)), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, h.Recipients()); diff != "" {
		t.Errorf("Recipients mismatch (-want +got):\n%s", diff)
	}
	opts := RewriteOptions{FromHeader: FromHeaderOff, DateHeader: DateHeaderOff, MessageIDHeader: MessageIDOff}
	if err := h.Rewrite(opts); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := h.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if want := "X: 1\n bcc: not a field\n\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
