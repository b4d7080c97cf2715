package relay_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/queue"
	"github.com/msmtp-go/msmtp/pkg/relay"
	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// queueT0 is when the test queues its messages: the Date header of every mail sent from the
// queue shows it.
var queueT0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// testClock is a queue.Clock that moves only when told to.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestQueue opens a queue in a fresh directory, with the clock at queueT0 and IDs M1,
// M2, ...
func newTestQueue(t *testing.T) (*queue.Queue, *testClock) {
	t.Helper()
	clk := &testClock{now: queueT0}
	var n atomic.Int32
	q, err := queue.Open(filepath.Join(testutil.TempDir(t), "queue"), queue.Options{
		Clock:    clk,
		NewID:    func() queue.ID { return queue.ID(fmt.Sprint("M", n.Add(1))) },
		Logger:   smtptest.Logger(t),
		Hostname: "relay.test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return q, clk
}

// enqueue queues a mail from a@example.com, as msmtp queues it for account "test" of the
// file "msmtprc".
func enqueue(t *testing.T, q *queue.Queue, data string, rcpts ...string) queue.ID {
	t.Helper()
	env := queue.Envelope{
		Account: "test", ConfigFile: "msmtprc", Sender: "a@example.com",
		Extras: map[string]string{relay.ExtraQueuedBy: relay.QueuedByMsmtp},
	}
	for _, r := range rcpts {
		env.Recipients = append(env.Recipients, queue.Recipient{Address: r})
	}
	id, err := q.Enqueue(context.Background(), env, strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// rcEnv is a config.Env whose only file is "msmtprc": account test at 127.0.0.1:port with
// the given lines. port is read whenever the file is, so a test may move the server.
func rcEnv(port *atomic.Int32, lines ...string) config.Env {
	return config.Env{OS: "linux", Euid: -1, Open: func(name string) (io.ReadCloser, error) {
		if name != "msmtprc" {
			return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
		}
		text := "account test\nhost 127.0.0.1\nport " + strconv.Itoa(int(port.Load())) + "\n" + strings.Join(lines, "\n") + "\n"
		return io.NopCloser(strings.NewReader(text)), nil
	}}
}

func portOf(p int) *atomic.Int32 {
	var a atomic.Int32
	a.Store(int32(p))
	return &a
}

// upstreamHello is an upstream server's greeting and EHLO reply, without PIPELINING, so
// that a transcript shows each command in turn.
const upstreamHello = "S: 220 upstream.test ESMTP\nC: EHLO localhost\nS: 250 upstream.test\n"

// sentMail is how msmtp sends a queued "Subject: N\n\nbody N\n" from a@example.com: with the
// From, the Date of queueT0 and a Message-ID added.
func sentMail(n string) string {
	return `C: From: a@example.com
C: Date: Mon, 02 Mar 2026 09:30:00 +0000
C~ Message-ID: <[0-9a-f]{32}@example\.com>
C: Subject: ` + n + `
C:
C: body ` + n + `
C: .
`
}

// TestQueueTransportReusesSession: two messages of one account go through one connection,
// with RSET between them, and each is sent with the header the account gives it.
func TestQueueTransportReusesSession(t *testing.T) {
	t.Parallel()
	up := upstream(t, upstreamHello+`C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 250 ok
C: DATA
S: 354 go ahead
`+sentMail("1")+`S: 250 ok
C: RSET
S: 250 ok
C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<c@example.org>
S: 250 ok
C: DATA
S: 354 go ahead
`+sentMail("2")+`S: 250 ok
C: QUIT
S: 221 bye
`)
	q, _ := newTestQueue(t)
	enqueue(t, q, "Subject: 1\n\nbody 1\n", "b@example.org")
	enqueue(t, q, "Subject: 2\n\nbody 2\n", "c@example.org")
	rep, err := q.Run(context.Background(), queue.RunOptions{
		Transport: &relay.QueueTransport{Env: rcEnv(portOf(up.Port()))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Wait(); err != nil {
		t.Error(err)
	}
	for _, m := range rep.Messages {
		if m.Disposition != queue.Completed {
			t.Errorf("%s: %v (%v)", m.ID, m.Disposition, m.Outcomes)
		}
	}
	if list, _ := q.List(); len(list) != 0 {
		t.Errorf("%d messages left in the queue", len(list))
	}
}

// TestQueueTransportSplitsRecipients: a refused recipient does not hold up the others. The
// permanently refused one is returned to the sender, the temporarily refused one stays
// queued, and the rest get the mail.
func TestQueueTransportSplitsRecipients(t *testing.T) {
	t.Parallel()
	up := upstream(t, upstreamHello+`C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<r1@example.org>
S: 250 ok
C: RCPT TO:<r2@example.org>
S: 550 5.1.1 no such user
C: RSET
S: 250 ok
C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<r1@example.org>
S: 250 ok
C: RCPT TO:<r3@example.org>
S: 451 4.2.0 try later
C: RSET
S: 250 ok
C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<r1@example.org>
S: 250 ok
C: DATA
S: 354 go ahead
`+sentMail("1")+`S: 250 ok
C: RSET
S: 250 ok
C: MAIL FROM:<>
S: 250 ok
C: RCPT TO:<a@example.com>
S: 250 ok
C: DATA
S: 354 go ahead
!skipdata
S: 250 ok
C: QUIT
S: 221 bye
`)
	q, _ := newTestQueue(t)
	id := enqueue(t, q, "Subject: 1\n\nbody 1\n", "r1@example.org", "r2@example.org", "r3@example.org")
	rep, err := q.Run(context.Background(), queue.RunOptions{
		Transport: &relay.QueueTransport{Env: rcEnv(portOf(up.Port()))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Wait(); err != nil {
		t.Error(err)
	}
	if len(rep.Messages) != 1 || rep.Messages[0].ID != id || rep.Messages[0].Disposition != queue.StillQueued {
		t.Fatalf("report %+v, want %s still queued", rep.Messages, id)
	}
	var states []string
	for _, r := range rep.Messages[0].Envelope.Recipients {
		states = append(states, r.Address+" "+string(r.State)+" "+r.Status)
	}
	want := []string{"r1@example.org delivered ", "r2@example.org returned 5.1.1", "r3@example.org pending 4.2.0"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
}

// TestQueueTransportFirstAttempt: msmtp's own attempt fails as msmtp does without a queue —
// one refused recipient fails the whole mail — with msmtp's exit status deciding.
func TestQueueTransportFirstAttempt(t *testing.T) {
	t.Parallel()
	up := upstream(t, upstreamHello+`C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<r1@example.org>
S: 250 ok
C: RCPT TO:<r2@example.org>
S: 550 5.1.1 no such user
C: QUIT
S: 221 bye
`)
	q, _ := newTestQueue(t)
	id := enqueue(t, q, "Subject: 1\n\nbody 1\n", "r1@example.org", "r2@example.org")
	var attempts []error
	rep, err := q.Run(context.Background(), queue.RunOptions{
		Transport: &relay.QueueTransport{
			Env: rcEnv(portOf(up.Port())), FirstAttempt: true,
			Attempted: func(_ *queue.Envelope, acct *config.Account, res *delivery.Result, err error) {
				if acct == nil || acct.Name != "test" || res == nil || res.Log == nil {
					t.Errorf("attempt reported with account %v, result %v", acct, res)
				}
				attempts = append(attempts, err)
			},
		},
		IDs: []queue.ID{id}, Force: true, Permanent: queue.LeaveToCaller,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Wait(); err != nil {
		t.Error(err)
	}
	if len(attempts) != 1 || attempts[0] == nil || attempts[0].Error() != "recipient address r2@example.org not accepted by the server" {
		t.Errorf("attempts %v, want the refused recipient", attempts)
	}
	m := rep.Messages[0]
	if m.Disposition != queue.Completed || len(m.Outcomes) != 2 {
		t.Fatalf("%v %+v, want completed with two outcomes", m.Disposition, m.Outcomes)
	}
	for _, o := range m.Outcomes {
		if o.Status != queue.Rejected || o.Code != sysexits.DataErr {
			t.Errorf("outcome %+v, want rejected with EX_DATAERR as msmtp exits", o)
		}
	}
}

// refusingServer accepts connections, greets each with 421 and closes it; it counts them.
func refusingServer(t *testing.T) (port int, accepts *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepts = new(atomic.Int32)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			_, _ = io.WriteString(c, "421 4.3.2 busy\r\n")
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().(*net.TCPAddr).Port, accepts
}

// TestQueueTransportServerAway: when the server refuses the session, every message of the
// account is deferred after one connection — not returned, even though msmtp exits with a
// permanent status for a refused greeting: that is the account's problem, not the mail's.
// msmtp's own attempt keeps msmtp's exit status.
func TestQueueTransportServerAway(t *testing.T) {
	t.Parallel()
	port, accepts := refusingServer(t)
	q, _ := newTestQueue(t)
	enqueue(t, q, "Subject: 1\n\nbody 1\n", "b@example.org")
	enqueue(t, q, "Subject: 2\n\nbody 2\n", "c@example.org")
	rep, err := q.Run(context.Background(), queue.RunOptions{
		Transport: &relay.QueueTransport{Env: rcEnv(portOf(port))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := accepts.Load(); n != 1 {
		t.Errorf("%d connections, want 1 for both messages", n)
	}
	for _, m := range rep.Messages {
		if m.Disposition != queue.StillQueued || m.Envelope.Attempts != 1 || !strings.Contains(m.Envelope.LastError, "421 4.3.2 busy") {
			t.Errorf("%s: %v, %d attempts, last error %q; want deferred with the server's reply", m.ID, m.Disposition, m.Envelope.Attempts, m.Envelope.LastError)
		}
	}

	q2, _ := newTestQueue(t)
	id := enqueue(t, q2, "Subject: 1\n\nbody 1\n", "b@example.org")
	rep, err = q2.Run(context.Background(), queue.RunOptions{
		Transport: &relay.QueueTransport{Env: rcEnv(portOf(port)), FirstAttempt: true},
		IDs:       []queue.ID{id}, Force: true, Permanent: queue.LeaveToCaller,
	})
	if err != nil {
		t.Fatal(err)
	}
	if o := rep.Messages[0].Outcomes; len(o) != 1 || o[0].Status != queue.Rejected || o[0].Code != sysexits.Protocol {
		t.Errorf("first attempt: outcomes %+v, want rejected with EX_PROTOCOL", o)
	}
}

// TestQueueTransportAccountMissing: a message whose account cannot be found waits for the
// administrator, as queue.Transport asks, and does not bounce.
func TestQueueTransportAccountMissing(t *testing.T) {
	t.Parallel()
	q, _ := newTestQueue(t)
	id, err := q.Enqueue(context.Background(), queue.Envelope{
		Account: "nosuch", ConfigFile: "msmtprc", Sender: "a@example.com",
		Recipients: []queue.Recipient{{Address: "b@example.org"}},
		Extras:     map[string]string{relay.ExtraQueuedBy: relay.QueuedByMsmtp},
	}, strings.NewReader("Subject: x\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := q.Run(context.Background(), queue.RunOptions{Transport: &relay.QueueTransport{Env: rcEnv(portOf(1))}})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Messages[0]
	if m.ID != id || m.Disposition != queue.StillQueued || !strings.Contains(m.Envelope.LastError, "account nosuch not found") {
		t.Errorf("%s %v %q, want still queued for the missing account", m.ID, m.Disposition, m.Envelope.LastError)
	}
}

// TestQueueTransportCommandMail: mail msmtpd queued for its pipe command is not the
// transport's to send.
func TestQueueTransportCommandMail(t *testing.T) {
	t.Parallel()
	tr := &relay.QueueTransport{Env: rcEnv(portOf(1))}
	sess, err := tr.Open(context.Background(), queue.AccountRef{})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	outs, err := sess.Send(context.Background(), &queue.Message{
		Envelope:   queue.Envelope{Extras: map[string]string{relay.ExtraQueuedBy: relay.QueuedByCommand}},
		Recipients: []queue.Recipient{{Address: "b@example.org"}},
		Data:       strings.NewReader("Subject: x\n\n"),
	})
	if err != nil || len(outs) != 1 || outs[0].Status != queue.Deferred || !strings.Contains(outs[0].Text, "only msmtpd") {
		t.Errorf("outcomes %+v, %v; want deferred", outs, err)
	}
}

// failingReader gives data, then an error.
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

// TestQueueTransportReadError: when the queue's copy cannot be read to its end, the
// transaction is abandoned without its final dot, and Send reports the error, so that no
// truncated mail is ever delivered.
func TestQueueTransportReadError(t *testing.T) {
	t.Parallel()
	up := upstream(t, upstreamHello+`C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 250 ok
C: DATA
S: 354 go ahead
!eof
`)
	tr := &relay.QueueTransport{Env: rcEnv(portOf(up.Port()))}
	sess, err := tr.Open(context.Background(), queue.AccountRef{Account: "test", ConfigFile: "msmtprc"})
	if err != nil {
		t.Fatal(err)
	}
	broken := errors.New("disk read error")
	outs, err := sess.Send(context.Background(), &queue.Message{
		Envelope:   queue.Envelope{ID: "M1", Account: "test", ConfigFile: "msmtprc", Sender: "a@example.com", Created: queueT0},
		Recipients: []queue.Recipient{{Address: "b@example.org"}},
		Data:       &failingReader{data: "Subject: x\n\nthe first part\n", err: broken},
	})
	if !errors.Is(err, broken) || outs != nil {
		t.Errorf("Send: %v, %v; want the read error and no outcomes", outs, err)
	}
	_ = sess.Close()
	if err := up.Wait(); err != nil {
		t.Error(err)
	}
}

// TestQueueTransportCutOff: a delivery that msmtpd's shutdown cuts off does not count as an
// attempt: the message stays queued as it was.
func TestQueueTransportCutOff(t *testing.T) {
	t.Parallel()
	up := upstream(t, upstreamHello+`C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 250 ok
C: DATA
S: 354 go ahead
!stall
`)
	q, _ := newTestQueue(t)
	id := enqueue(t, q, "Subject: 1\n\nbody 1\n", "b@example.org")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(200 * time.Millisecond)
		cancel()
	}()
	rep, err := q.Run(ctx, queue.RunOptions{Transport: &relay.QueueTransport{Env: rcEnv(portOf(up.Port()))}})
	if err != nil {
		t.Fatal(err)
	}
	_ = up.Wait()
	m := rep.Messages[0]
	if m.ID != id || m.Disposition != queue.StillQueued || !errors.Is(m.Err, context.Canceled) || m.Envelope.Attempts != 0 {
		t.Errorf("%s %v err %v attempts %d; want still queued, unchanged", m.ID, m.Disposition, m.Err, m.Envelope.Attempts)
	}
	list, _ := q.List()
	if len(list) != 1 || list[0].Envelope.Attempts != 0 || !list[0].Envelope.NextAttempt.IsZero() {
		t.Errorf("queue after the cut-off: %+v", list)
	}
}

// recordingSink is an SMTP server (pkg/server) that records the mails it receives and can
// refuse them; it counts connections.
type recordingSink struct {
	mu     sync.Mutex
	mails  []string
	refuse bool // answer the data with 451
	conns  atomic.Int32
	port   int
}

func startRecordingSink(t testing.TB, keep bool) *recordingSink {
	t.Helper()
	return startSink(t, &server.Server{}, keep)
}

// startSink runs srv, with the sink as its backend, on a new loopback listener.
func startSink(t testing.TB, srv *server.Server, keep bool) *recordingSink {
	t.Helper()
	s := &recordingSink{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	srv.Backend = server.BackendFunc(func(server.ConnInfo) (server.Session, error) {
		return &sinkSession{s: s, keep: keep}, nil
	})
	srv.LookupAddr = func(context.Context, string) ([]string, error) { return nil, errors.New("no DNS in tests") }
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(&countingListener{Listener: ln, n: &s.conns})
	}()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return s
}

func (s *recordingSink) Mails() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.mails...)
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

type sinkSession struct {
	s    *recordingSink
	keep bool
}

func (ss *sinkSession) Mail(string, server.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(string, server.RcptOptions) error { return nil }
func (ss *sinkSession) Reset()                                {}
func (ss *sinkSession) Logout() error                         { return nil }

func (ss *sinkSession) Data(r io.Reader) error {
	var b strings.Builder
	w := io.Discard
	if ss.keep {
		w = &b
	}
	if _, err := io.Copy(w, r); err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.refuse {
		return server.MarkTemporary(errors.New("refused by the test"))
	}
	if ss.keep {
		ss.s.mails = append(ss.s.mails, b.String())
	}
	return nil
}

func newBufReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

var messageIDLine = regexp.MustCompile(`(?m)^Message-ID: <[0-9a-f]{32}@example\.com>`)

// TestQueueTransportStableHeader: every attempt gives a mail the same Message-ID and the
// Date it was queued at, so that a mail that goes to some recipients now and to others
// later is one mail to all of them.
func TestQueueTransportStableHeader(t *testing.T) {
	t.Parallel()
	sink := startRecordingSink(t, true)
	sink.refuse = true
	q, clk := newTestQueue(t)
	enqueue(t, q, "Subject: 1\n\nbody 1\n", "b@example.org")
	tr := &relay.QueueTransport{Env: rcEnv(portOf(sink.port))}
	if _, err := q.Run(context.Background(), queue.RunOptions{Transport: tr}); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	sink.refuse = false
	sink.mu.Unlock()
	clk.Advance(time.Hour)
	if _, err := q.Run(context.Background(), queue.RunOptions{Transport: tr}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	enqueue(t, q, "Subject: 2\n\nbody 2\n", "b@example.org")
	if _, err := q.Run(context.Background(), queue.RunOptions{Transport: tr}); err != nil {
		t.Fatal(err)
	}
	mails := sink.Mails()
	for i := range mails {
		mails[i] = strings.ReplaceAll(mails[i], "\r\n", "\n")
	}
	if len(mails) != 2 {
		t.Fatalf("%d mails delivered, want 2", len(mails))
	}
	if !strings.Contains(mails[0], "\nDate: Mon, 02 Mar 2026 09:30:00 +0000\n") {
		t.Errorf("the first mail is not dated when it was queued:\n%s", mails[0])
	}
	id1, id2 := messageIDLine.FindString(mails[0]), messageIDLine.FindString(mails[1])
	if id1 == "" || id2 == "" || id1 == id2 {
		t.Errorf("Message-IDs %q and %q: want one each, different", id1, id2)
	}
	// The same message sent again (at least once delivery) keeps its Message-ID: the source
	// depends on the message only.
	q2, _ := newTestQueue(t)
	enqueue(t, q2, "Subject: 1\n\nbody 1\n", "b@example.org")
	if _, err := q2.Run(context.Background(), queue.RunOptions{Transport: tr}); err != nil {
		t.Fatal(err)
	}
	if again := messageIDLine.FindString(sink.Mails()[2]); again != id1 {
		t.Errorf("Message-ID %q on another attempt, want %q", again, id1)
	}
}

// TestQueuedAccount checks how the account of a queued message is found: msmtp's
// command-line settings apply again, -C is the message's configuration file, aliases
// expanded when msmtp queued the message are not expanded again, and msmtpd's messages
// choose their account by the sender.
func TestQueuedAccount(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"msmtprc": "account test\nhost h\nport 25\nfrom t@example.com\naliases /aliases\n" +
			"account null\nhost n\nfrom MAILER-DAEMON\n" +
			"account joe\nhost j\nfrom joe@example.org\n",
	}
	env := config.Env{OS: "linux", Euid: -1, Open: func(name string) (io.ReadCloser, error) {
		if text, ok := files[name]; ok {
			return io.NopCloser(strings.NewReader(text)), nil
		}
		return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
	}}
	port := "2525"
	header, err := message.ReadHeader(newBufReader("Subject: x\n\n"), message.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	find := relay.QueuedAccount(env)
	for _, tc := range []struct {
		name                 string
		env                  queue.Envelope
		wantName, wantHost   string
		wantPort             int
		wantAliases, wantErr string
	}{
		{name: "msmtp", env: queue.Envelope{Account: "test", ConfigFile: "msmtprc", Sender: "x@example.com",
			Extras: map[string]string{relay.ExtraQueuedBy: relay.QueuedByMsmtp,
				relay.ExtraSettings: relay.EncodeSettings([]relay.Setting{{Option: "port", Value: &port}, {Option: "tls", Value: nil}})}},
			wantName: "test", wantHost: "h", wantPort: 2525},
		{name: "msmtpd, chosen by the sender", env: queue.Envelope{ConfigFile: "msmtprc", Sender: "joe@example.org",
			Extras: map[string]string{relay.ExtraQueuedBy: relay.QueuedByMsmtpd}},
			wantName: "joe", wantHost: "j", wantPort: 25},
		{name: "msmtpd, the null sender", env: queue.Envelope{ConfigFile: "msmtprc", Sender: "",
			Extras: map[string]string{relay.ExtraQueuedBy: relay.QueuedByMsmtpd}},
			wantName: "null", wantHost: "n", wantPort: 25},
		{name: "msmtpd keeps the aliases", env: queue.Envelope{Account: "test", ConfigFile: "msmtprc", Sender: "x@example.com",
			Extras: map[string]string{relay.ExtraQueuedBy: relay.QueuedByMsmtpd}},
			wantName: "test", wantHost: "h", wantPort: 25, wantAliases: "/aliases"},
		{name: "damaged settings", env: queue.Envelope{Account: "test", ConfigFile: "msmtprc",
			Extras: map[string]string{relay.ExtraSettings: "[[1]]"}}, wantErr: "damaged"},
		{name: "a setting that no longer exists", env: queue.Envelope{Account: "test", ConfigFile: "msmtprc",
			Extras: map[string]string{relay.ExtraSettings: `[["bogus",null]]`}}, wantErr: "unknown option --bogus"},
		{name: "no such file", env: queue.Envelope{Account: "test", ConfigFile: "nosuch"}, wantErr: "nosuch"},
	} {
		acct, err := find(context.Background(), &tc.env, header)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if acct.Name != tc.wantName || acct.Host.Value != tc.wantHost || acct.Port != tc.wantPort || acct.Aliases != tc.wantAliases {
			t.Errorf("%s: account %s %s:%d aliases %q; want %s %s:%d aliases %q", tc.name,
				acct.Name, acct.Host.Value, acct.Port, acct.Aliases, tc.wantName, tc.wantHost, tc.wantPort, tc.wantAliases)
		}
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	t.Parallel()
	v, empty := "a b\"c", ""
	in := []relay.Setting{{Option: "port", Value: &v}, {Option: "tls"}, {Option: "host", Value: &empty}}
	out, err := relay.DecodeSettings(relay.EncodeSettings(in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("(-in +out):\n%s", diff)
	}
	for _, bad := range []string{"", "{}", "[[\"a\"]]", "[[null,\"x\"]]", "[[\"a\",\"b\",\"c\"]]"} {
		if _, err := relay.DecodeSettings(bad); err == nil {
			t.Errorf("DecodeSettings(%q) accepted", bad)
		}
	}
}
