package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

func TestLFWriter(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\r\nb\r\n", "a\nb\n"},
		{"a\nb\n", "a\nb\n"},
		{"bare\rCR\r\n", "bare\rCR\n"},
		{"\r\r\n", "\r\n"},
		{"\r\n\r\n", "\n\n"},
		{"ends in CR\r", "ends in CR\r"},
		{"\r", "\r"},
		{"\n\r", "\n\r"},
		{"mixed\r\nends\nhere\r\r", "mixed\nends\nhere\r\r"},
	}
	for _, tt := range tests {
		// Every way of cutting the input into two writes gives the same output: a CRLF split
		// between writes is still one line end.
		for cut := 0; cut <= len(tt.in); cut++ {
			var out bytes.Buffer
			w := &lfWriter{w: &out}
			for _, part := range []string{tt.in[:cut], tt.in[cut:]} {
				if n, err := w.Write([]byte(part)); n != len(part) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", part, n, err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("%q cut at %d: got %q, want %q", tt.in, cut, out.String(), tt.want)
			}
		}
	}
}

func TestSpool(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 10, 100, 1000} {
		dir := testutil.TempDir(t)
		sp := &spool{dir: dir, mem: 64}
		data := strings.Repeat("0123456789abcdef", size/16+1)[:size]
		for i := 0; i < len(data); i += 7 {
			if _, err := sp.Write([]byte(data[i:min(i+7, len(data))])); err != nil {
				t.Fatal(err)
			}
		}
		if sp.Size() != int64(size) {
			t.Errorf("Size = %d, want %d", sp.Size(), size)
		}
		for range 2 { // a second Reader starts again from the beginning
			r, err := sp.Reader()
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || string(got) != data {
				t.Errorf("size %d: read %d bytes (%v)", size, len(got), err)
			}
		}
		if _, isFile := must(sp.Reader()).(*os.File); isFile != (size > 64) {
			t.Errorf("size %d: in a file: %v", size, isFile)
		}
		if err := sp.Close(); err != nil {
			t.Error(err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("size %d: left behind: %v", size, left)
		}
	}
}

func TestSpoolWriteError(t *testing.T) {
	t.Parallel()
	sp := &spool{dir: "/nonexistent/directory/for/msmtpd", mem: 4}
	_, err := sp.Write([]byte("more than four bytes"))
	var we *spoolWriteError
	if !errors.As(err, &we) {
		t.Errorf("Write error %v (%T), want *spoolWriteError", err, err)
	}
	sp.Close()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
