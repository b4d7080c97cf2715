package syslogsock

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

func TestSend(t *testing.T) {
	t.Parallel()
	if !Supported {
		t.Skip("no syslog on this system")
	}
	dir := testutil.TempDir(t)
	path := filepath.Join(dir, "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Skip("unix datagram sockets unavailable:", err)
	}
	defer conn.Close()
	// A missing socket is skipped; the record arrives whole on the next.
	if err := Send([]string{filepath.Join(dir, "absent"), path}, "<14>record"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "<14>record" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if err := Send([]string{filepath.Join(dir, "absent")}, "x"); err == nil {
		t.Error("Send to no socket succeeded")
	}
}
