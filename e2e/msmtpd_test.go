package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// TestUpstreamHeaderHandling is upstream msmtp's own tests/test-header-handling.sh with our
// msmtp as the client and upstream's msmtpd 1.8.23 as the server: msmtpd pipes each mail to
// "cat > mail; echo > rcpt", appending the recipients to that command, so the files hold
// the last mail and its recipients. The test mail (the RFC 2822 appendix's address
// madness) and its 14 recipients are pkg/message's fixture of the same name.
//
// msmtpd runs as inetd would run it (--inetd, one process per connection on a listener
// of ours), so that no port has to be guessed.
func TestUpstreamHeaderHandling(t *testing.T) {
	t.Parallel()
	msmtpd := lookPeer(t, filepath.Join(peersDir(), "msmtp-mta", "usr", "bin", "msmtpd"))
	bin := testutil.Binary(t, "msmtp")
	const fixture = "../pkg/message/testdata/recipients/rfc2822-madness"
	input := mustRead(t, fixture+".eml")
	wantRcpts := strings.Join(strings.Fields(mustRead(t, fixture+".rcpts")), " ") + "\n"
	if n := len(strings.Fields(wantRcpts)); n != 14 {
		t.Fatalf("%s.rcpts lists %d recipients, upstream's test 14", fixture, n)
	}
	dir := testutil.TempDir(t)
	port := inetd(t, dir, msmtpd, "--inetd", "--command=cat > mail; echo > rcpt")
	env := append(msmtpEnv(testutil.TempDir(t)), "LANG=en_US.UTF-8", "LC_ALL=en_US.UTF-8")
	send := func(args ...string) (mail, rcpt string) {
		t.Helper()
		args = append([]string{"--host=127.0.0.1", "--port=" + strconv.Itoa(port), "--set-from-header=on"}, args...)
		res := execute(t, run{Path: bin, Args: args, Stdin: input, Env: env})
		if res.Code != 0 || res.Stderr != "" {
			t.Fatalf("msmtp %q: %s", args, res)
		}
		// msmtpd writes its Received field with CRLF and the mail with LF.
		got := strings.ReplaceAll(mustRead(t, filepath.Join(dir, "mail")), "\r\n", "\n")
		checkUpstreamHeaders(t, got)
		return got, mustRead(t, filepath.Join(dir, "rcpt"))
	}

	for _, tc := range []struct {
		fullName, from string
	}{
		{"", "From: test@example.com"},
		{"Test User", "From: Test User <test@example.com>"},
		{"Test Üser", "From: =?utf-8?B?VGVzdCDDnHNlcg==?= <test@example.com>"},
	} {
		args := []string{"--from", "test@example.com"}
		if tc.fullName != "" {
			args = append(args, "-F", tc.fullName)
		}
		got, rcpt := send(append(args, "recipient@example.com")...)
		if from := fieldLines(got, "From"); !cmp.Equal(from, []string{tc.from}) {
			t.Errorf("-F %q: From fields %q, want %q", tc.fullName, from, tc.from)
		}
		if rcpt != "recipient@example.com\n" {
			t.Errorf("-F %q: recipients %q, want the command line's", tc.fullName, rcpt)
		}
	}

	got, rcpt := send("--read-envelope-from", "--read-recipients")
	if from := fieldLines(got, "From"); !cmp.Equal(from, []string{"From: from@example.com"}) {
		t.Errorf("--read-envelope-from: From fields %q, want From: from@example.com", from)
	}
	if rcpt != wantRcpts {
		t.Errorf("--read-recipients: recipients (-want +got):\n%s", cmp.Diff(wantRcpts, rcpt))
	}
}

// checkUpstreamHeaders makes upstream's checks of a mail msmtp generated the fields of: a
// Date in the form of `date -R`, a Message-ID in the sender's domain, no Bcc.
func checkUpstreamHeaders(t *testing.T, mail string) {
	t.Helper()
	dates := fieldLines(mail, "Date")
	if len(dates) != 1 {
		t.Errorf("Date fields %q, want one", dates)
	} else {
		const rfc5322 = "Mon, 02 Jan 2006 15:04:05 -0700"
		v := strings.TrimPrefix(dates[0], "Date: ")
		d, err := time.Parse(rfc5322, v)
		if err != nil || d.Format(rfc5322) != v || time.Since(d).Abs() > dateSlack {
			t.Errorf("Date %q is not now in the form of date -R (%v)", v, err)
		}
	}
	if ids := fieldLines(mail, "Message-ID"); len(ids) != 1 || !regexp.MustCompile(`^Message-ID: <.*@example\.com>$`).MatchString(ids[0]) {
		t.Errorf("Message-ID fields %q, want one <...@example.com>", ids)
	}
	if bcc := fieldLines(mail, "Bcc"); len(bcc) > 0 {
		t.Errorf("Bcc fields %q, want none", bcc)
	}
}

// fieldLines returns the first lines of the header fields called name (case-sensitive,
// as upstream's grep "^Name: ") in the header of a mail with LF line ends.
func fieldLines(mail, name string) []string {
	head, _, _ := strings.Cut(mail, "\n\n")
	var out []string
	for _, l := range strings.Split(head, "\n") {
		if strings.HasPrefix(l, name+": ") {
			out = append(out, l)
		}
	}
	return out
}

// inetd runs path with args for every connection to a listener on 127.0.0.1:0, with the
// connection as its standard input and output and dir as its working directory, as inetd
// does. It returns the port; the listener and every program still running stop when the
// test ends.
func inetd(t *testing.T, dir, path string, args ...string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg     sync.WaitGroup
		stderr lockedBuffer
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				f, err := c.(*net.TCPConn).File()
				if err != nil {
					stderr.Write([]byte("inetd: " + err.Error() + "\n"))
					return
				}
				defer f.Close()
				cmd := exec.CommandContext(ctx, path, args...)
				cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = dir, f, f, &stderr
				if err := cmd.Run(); err != nil {
					stderr.Write([]byte("inetd: " + path + ": " + err.Error() + "\n"))
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		cancel()
		wg.Wait()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(path), stderr.String())
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// mustRead returns the content of a file, failing the test when it cannot be read.
func mustRead(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
