package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// TestSizeDeclared: when standard input is a file, msmtp knows the mail's size, declares it
// with SIZE= and does not even start sending a mail the server says it would refuse
// (RFC 1870). From a pipe the size is unknown and the server refuses the mail after its data.
func TestSizeDeclared(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t, "msmtp")
	be := &goSMTPBackend{}
	srv := gosmtp.NewServer(be)
	srv.Domain = "gosmtp.test"
	srv.ReadTimeout, srv.WriteTimeout = connTimeout, connTimeout
	srv.ErrorLog = goSMTPLog{t}
	srv.MaxMessageBytes = 2000
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	dir := testutil.TempDir(t)
	rc := msmtprc(t, dir, ln.Addr().(*net.TCPAddr).Port, "from a@example.com")
	big := "Subject: big\n\n" + strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstu\n", 100)
	mailFile := testutil.WriteFile(t, dir, "mail.txt", big, 0o644)

	run := func(stdin func(*exec.Cmd)) result {
		cmd := exec.Command(bin, "-C", rc, "b@example.org")
		cmd.Env = msmtpEnv(filepath.Join(dir, "home"))
		stdin(cmd)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return result{Stdout: out.String(), Stderr: errb.String(), Code: code}
	}

	f, err := os.Open(mailFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := run(func(c *exec.Cmd) { c.Stdin = f })
	if res.Code != 65 || !strings.Contains(res.Stderr, "the mail is too big for the server") {
		t.Errorf("a file larger than the server's SIZE: %s\nwant exit 65 and the size message", res)
	}
	res = run(func(c *exec.Cmd) { c.Stdin = strings.NewReader(big) })
	if res.Code != 69 || !strings.Contains(res.Stderr, "the server did not accept the mail") {
		t.Errorf("the same mail from a pipe: %s\nwant exit 69 after the data", res)
	}
	if n := len(be.received()); n != 0 {
		t.Errorf("the server accepted %d mails", n)
	}

	// A small file goes through with its size declared.
	small := testutil.WriteFile(t, dir, "small.txt", "Subject: small\n\nhi\n", 0o644)
	g, err := os.Open(small)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if res := run(func(c *exec.Cmd) { c.Stdin = g }); res.Code != 0 {
		t.Errorf("a small file: %s", res)
	}
}
