package secret

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// ttyTerminal is the real controlling terminal. in and out are the same file on Unix
// (/dev/tty) and CONIN$ and CONOUT$ on Windows.
type ttyTerminal struct {
	in, out *os.File
	fd      int
	state   *term.State // as found on opening, restored by Close

	mu      sync.Mutex
	reading bool
	closed  bool
}

// newTTY saves the terminal's state so that Close can restore echo even when a read is
// still blocked.
func newTTY(in, out *os.File) (*ttyTerminal, error) {
	fd := int(in.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	return &ttyTerminal{in: in, out: out, fd: fd, state: state}, nil
}

// ReadPassword turns echo off before it writes the prompt, as getpass(3) does: a user (or a
// script) answering the moment the prompt appears must not see the password echoed. Echo is
// switched under the lock that Close takes, so a Close (context cancelled) either comes
// before and prevents the read, or comes after and switches echo back on, whatever the read
// is doing.
func (t *ttyTerminal) ReadPassword(prompt string) ([]byte, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, os.ErrClosed
	}
	restore, err := echoOff(t.fd)
	if err != nil {
		t.mu.Unlock()
		return nil, err
	}
	t.reading = true
	t.mu.Unlock()

	line, err := t.read(prompt)

	t.mu.Lock()
	defer t.mu.Unlock()
	t.reading = false
	if t.closed {
		// Close was called while we were blocked and has restored the state; it left the
		// files open so that the descriptor could not be reused under the pending read.
		t.release()
	} else {
		restore()
	}
	return line, err
}

func (t *ttyTerminal) read(prompt string) ([]byte, error) {
	if _, err := t.out.WriteString(prompt); err != nil {
		return nil, err
	}
	line, err := readLine(t.in)
	// Echo was off, so the user's Enter did not move to a new line.
	_, _ = t.out.WriteString("\n")
	return line, err
}

// maxPasswordLine bounds what readLine keeps; a terminal line is shorter anyway (Linux's
// canonical mode stops at 4095 bytes).
const maxPasswordLine = 64 << 10

// readLine reads one line in the terminal's canonical (line-editing) mode, where the
// terminal itself handles erase and kill characters, and returns it without CR or LF. It
// reads one byte at a time so that nothing after the line is consumed.
func readLine(r io.Reader) ([]byte, error) {
	var line []byte
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			if len(line) < maxPasswordLine {
				line = append(line, b[0])
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				break
			}
			return nil, err
		}
	}
	return bytes.TrimSuffix(line, []byte("\r")), nil
}

// Close restores the state found on opening; it closes the files unless a read is pending,
// in which case ReadPassword closes them when the read returns.
func (t *ttyTerminal) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	err := term.Restore(t.fd, t.state)
	if t.reading {
		_, _ = t.out.WriteString("\n")
	} else {
		t.release()
	}
	return err
}

func (t *ttyTerminal) release() {
	_ = t.in.Close()
	if t.out != t.in {
		_ = t.out.Close()
	}
}
