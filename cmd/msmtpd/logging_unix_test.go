//go:build !windows

package main

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// TestSyslogSink checks the datagram upstream msmtpd sends (spec-mail-smtp.md §8.7):
// `<22>Nov 25 18:37:14 msmtpd[23371]: starting SMTP session`, priority 19 for errors.
func TestSyslogSink(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	sock := filepath.Join(dir, "log")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := func() time.Time { return time.Date(2026, 11, 5, 18, 37, 14, 0, time.Local) }
	s := &syslogSink{sockets: []string{filepath.Join(dir, "missing"), sock}, now: now, pid: 23371}
	log := newLineLogger(s)
	log.Info("starting SMTP session")
	log.Warn("mail rejected", "code", 554)
	for _, want := range []string{
		"<22>Nov  5 18:37:14 msmtpd[23371]: starting SMTP session",
		"<19>Nov  5 18:37:14 msmtpd[23371]: mail rejected code=554",
	} {
		buf := make([]byte, 1024)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != want {
			t.Errorf("datagram %q, want %q", got, want)
		}
	}
	if err := (&syslogSink{sockets: []string{filepath.Join(dir, "missing")}, now: now}).write(false, "x"); err == nil {
		t.Error("no error without a syslog socket")
	}
}
