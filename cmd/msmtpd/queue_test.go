package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/queue"
	"github.com/msmtp-go/msmtp/pkg/relay"
)

// queuedReply is the reply to the final dot of a queued mail.
var queuedReply = regexp.MustCompile(`^2\.0\.0 Ok: queued as ([0-9A-F]+)$`)

// sendOne sends one mail to msmtpd at addr and returns the queue ID of its reply.
func sendOne(t *testing.T, addr, from string, to ...string) string {
	t.Helper()
	c, err := gosmtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail(from, nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, "Subject: queued\r\n\r\nbody\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		t.Fatal(err)
	}
	m := queuedReply.FindStringSubmatch(resp.StatusText)
	if m == nil {
		t.Fatalf("reply to the final dot: %q, want 250 Ok: queued as ID", resp.StatusText)
	}
	_ = c.Quit()
	return m[1]
}

// listQueue returns the queued messages in dir.
func listQueue(t *testing.T, dir string) []queue.Entry {
	t.Helper()
	q, err := queue.Open(dir, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := q.List()
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// waitFor polls cond until it holds or the test's patience ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestQueueCommand: with --queue and a pipe command, the final dot gets 250 once the mail is
// stored; the runner pipes it to the command, which fails for now (exit 75): the mail stays
// queued, with its attempt counted. A new msmtpd on the same queue takes it up when it is due
// and delivers it, and the queue is empty.
func TestQueueCommand(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	qdir := filepath.Join(dir, "queue")
	failing, working := filepath.Join(dir, "failing"), filepath.Join(dir, "working")
	for _, d := range []string{failing, working} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	d := startDaemon(t, nil, "--queue="+qdir, "--queue-retry-min=1s", "--command="+helperCommand(t, failing, "exit=75", "-f %F --"))
	id := sendOne(t, d.addr(), "a@example.com", "b@example.org", "c@example.org")
	waitFor(t, "the failed attempt", func() bool {
		list := listQueue(t, qdir)
		return len(list) == 1 && list[0].Envelope.Attempts == 1
	})
	list := listQueue(t, qdir)
	if string(list[0].Envelope.ID) != id || list[0].Envelope.Extras[relay.ExtraQueuedBy] != relay.QueuedByCommand ||
		list[0].Envelope.LastError != "Pipe command reported error 75" {
		t.Errorf("queued %+v", list[0].Envelope)
	}
	wantDelivered(t, failing, []string{"-f", "a@example.com", "--", "b@example.org", "c@example.org"}, "Subject: queued\n")
	d.stop(t)

	d = startDaemon(t, nil, "--queue="+qdir, "--command="+helperCommand(t, working, "-", "-f %F --"))
	waitFor(t, "the delivery", func() bool { return len(listQueue(t, qdir)) == 0 })
	wantDelivered(t, working, []string{"-f", "a@example.com", "--", "b@example.org", "c@example.org"}, "Subject: queued\n", "\n\nbody\n")
	if !strings.Contains(d.log(), "finished id="+id) {
		t.Errorf("the log does not say the mail was delivered:\n%s", d.log())
	}
}

// TestQueueShutdownCutsOff: msmtpd stops while its runner delivers: the command is stopped,
// and the mail stays queued as it was, to be sent by the next msmtpd.
func TestQueueShutdownCutsOff(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		// There the test can only kill msmtpd, which leaves the command behind; the
		// service's stop is tested with the service.
		t.Skip("needs SIGTERM")
	}
	dir := testutil.TempDir(t)
	qdir := filepath.Join(dir, "queue")
	d := startDaemon(t, nil, "--queue="+qdir, "--command="+helperCommand(t, dir, "sleep=30s", "-f %F --"))
	sendOne(t, d.addr(), "a@example.com", "b@example.org")
	waitFor(t, "the command", func() bool { return strings.Contains(d.log(), "pipe command is ") })
	start := time.Now()
	d.stop(t)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("msmtpd took %v to stop", took)
	}
	list := listQueue(t, qdir)
	if len(list) != 1 || list[0].Envelope.Attempts != 0 || !list[0].Envelope.NextAttempt.IsZero() {
		t.Errorf("after the cut-off: %+v, want the mail queued as it was", list)
	}
}

// TestQueueInetd: in --inetd mode each process stores its session's mail, then, after the
// session, delivers the queue once.
func TestQueueInetd(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t, "msmtpd")
	dir := testutil.TempDir(t)
	qdir := filepath.Join(dir, "queue")
	in := "EHLO pipe\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: inetd\r\n\r\nbody\r\n.\r\nQUIT\r\n"
	out, stderr, code := runProgram(t, nil, in, bin, "--inetd", "--queue="+qdir, "--command="+helperCommand(t, dir, "-", "-f %F --"))
	if code != 0 || !regexp.MustCompile(`250 2\.0\.0 Ok: queued as [0-9A-F]+\r\n221 `).MatchString(out) {
		t.Errorf("exit %d\n%s\n%s", code, out, stderr)
	}
	wantDelivered(t, dir, []string{"-f", "a@example.com", "--", "b@example.org"}, "Subject: inetd\n")
	if n := len(listQueue(t, qdir)); n != 0 {
		t.Errorf("%d left in the queue", n)
	}
}

// fullDisk is a queue.FS whose writes fail as on a full disk.
type fullDisk struct{ queue.OSFS }

func (f fullDisk) OpenFile(name string, flag int, perm fs.FileMode) (queue.File, error) {
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return fullFile{file}, nil
}

type fullFile struct{ queue.File }

func (fullFile) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestQueueStorageFailure: a mail that cannot be stored gets 451, never 250, and nothing is
// left behind or delivered.
func TestQueueStorageFailure(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	qdir := filepath.Join(dir, "queue")
	o, err := load(t, "--port=0 --queue="+qdir+" --command=never-run", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.queueFS = fullDisk{}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := newDaemon(ctx, o, fakeSystem(nil, nil), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.listen(ctx); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- d.serve(ctx) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(d.listeners[0].l.Addr().(*net.TCPAddr).Port))
	c, err := gosmtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.SendMail("a@example.com", []string{"b@example.org"}, strings.NewReader("Subject: x\r\n\r\nbody\r\n"))
	var se *gosmtp.SMTPError
	if !errors.As(err, &se) || se.Code != 451 || se.Message != textCannotQueue {
		t.Errorf("reply %v, want 451 %s", err, textCannotQueue)
	}
	if n := len(listQueue(t, qdir)); n != 0 {
		t.Errorf("%d messages queued", n)
	}
	entries, _ := os.ReadDir(qdir)
	for _, e := range entries {
		if e.Name() != "failed" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
