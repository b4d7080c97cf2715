package secret

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal; the test's own controlling terminal
// (if any) is never touched.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, s
}

func echoOn(t *testing.T, master *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// readUntil reads from the master side until want has been seen or the time is up.
func readUntil(master *os.File, want string, d time.Duration) string {
	var got bytes.Buffer
	deadline := time.Now().Add(d)
	buf := make([]byte, 256)
	for !strings.Contains(got.String(), want) && time.Now().Before(deadline) {
		_ = master.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, _ := master.Read(buf)
		got.Write(buf[:n])
	}
	return got.String()
}

// TestPromptOnPTY runs the real terminal code on a pseudo-terminal: the prompt appears, the
// answer is read with echo off, and echo is on again afterwards (spec-cli-config.md C-62).
func TestPromptOnPTY(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	open := func() (Terminal, error) {
		tt, err := newTTY(slave, slave)
		if err != nil {
			slave.Close()
		}
		return tt, err
	}
	if !echoOn(t, master) {
		t.Fatal("echo is off before the prompt")
	}
	type result struct {
		s   Secret
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := Prompt(context.Background(), open, "127.0.0.1", "joe")
		done <- result{s, err}
	}()
	if got := readUntil(master, "password for joe at 127.0.0.1: ", 5*time.Second); got != "password for joe at 127.0.0.1: " {
		t.Fatalf("terminal shows %q", got)
	}
	if echoOn(t, master) {
		t.Error("echo is on while the password is read")
	}
	if _, err := master.Write([]byte("hunter2\n")); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.s.Reveal() != "hunter2" {
		t.Fatalf("Prompt = %q, %v", r.s.Reveal(), r.err)
	}
	rest := readUntil(master, "\n", time.Second)
	if strings.Contains(rest, "hunter2") {
		t.Errorf("the password was echoed: %q", rest)
	}
	if !echoOn(t, master) {
		t.Error("echo is still off after the prompt")
	}
}

// TestPromptOnPTYCancelled: when the context ends during the read, echo is restored at once.
func TestPromptOnPTYCancelled(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	var tty *ttyTerminal
	open := func() (Terminal, error) {
		var err error
		tty, err = newTTY(slave, slave)
		return tty, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Prompt(ctx, open, "h", "u")
		done <- err
	}()
	readUntil(master, "password for u at h: ", 5*time.Second)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if !echoOn(t, master) {
		t.Error("echo still off after cancellation")
	}
	// Let the abandoned read finish; it then closes the terminal.
	if _, err := master.Write([]byte("late\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		tty.mu.Lock()
		reading := tty.reading
		tty.mu.Unlock()
		if !reading {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := slave.Stat(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("terminal file not closed after the late read: %v", err)
	}
}
