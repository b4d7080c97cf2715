package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/pkg/server"
)

// startSession starts a server on 127.0.0.1 and returns a client that has read the greeting
// and sent EHLO.
func startSession(t *testing.T, srv *server.Server) *client {
	t.Helper()
	l := listen(t)
	serve(t, srv, l, servePlain)
	c := newClient(t, dial(t, l))
	c.expect("220 ")
	c.cmd("EHLO client.example", "250-localhost")
	return c
}

func TestNULBytes(t *testing.T) {
	t.Parallel()
	be := &recBackend{}
	srv, _, _ := newServer(t, be)
	c := startSession(t, srv)
	c.cmd("NO\x00OP", "500 5.5.2 ")
	c.cmd("MAIL FROM:<a\x00@example.com>", "501 5.1.7 ")
	c.cmd("MAIL FROM:<a@example.com> SIZE=1\x00", "501 5.5.4 ")
	c.cmd("MAIL FROM:<a@example.com>", "250 ")
	c.cmd("RCPT TO:<b@example.org>", "250 ")
	c.cmd("DATA", "354 ")
	c.send("Subject: nul\x00here\r\n\r\n\x00body\x00\r\n.\r\n")
	c.expect("250 ")
	c.cmd("QUIT", "221 ")
	shutdown(t, srv)
	mails := be.delivered()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	if want := "Subject: nul\x00here\r\n\r\n\x00body\x00\r\n"; !strings.HasSuffix(string(mails[0].Data), want) {
		t.Errorf("data %q does not end with %q: NUL bytes must pass unchanged", mails[0].Data, want)
	}
}

func TestBareCR(t *testing.T) {
	t.Parallel()
	be := &recBackend{}
	srv, _, _ := newServer(t, be)
	c := startSession(t, srv)
	// A bare CR does not end a command line.
	c.cmd("NOOP\rRSET", "500 5.5.2 ")
	c.cmd("MAIL FROM:<a@example.com>", "250 ")
	c.cmd("RCPT TO:<b@example.org>", "250 ")
	c.cmd("DATA", "354 ")
	// "\r.\r\n" is not the terminator, nor is ".\r" followed by more text.
	data := "Subject: cr\r\n\r\nbo\rdy\r\n\r.\r\n.\rx\r\nlast\r\r\n"
	c.send(data + ".\r\n")
	c.expect("250 ")
	c.cmd("QUIT", "221 ")
	shutdown(t, srv)
	mails := be.delivered()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	// The ".\rx" line loses its stuffing dot (a leading dot is always removed), the rest
	// is kept byte for byte.
	want := "Subject: cr\r\n\r\nbo\rdy\r\n\r.\r\n\rx\r\nlast\r\r\n"
	if !strings.HasSuffix(string(mails[0].Data), want) {
		t.Errorf("data %q does not end with %q", mails[0].Data, want)
	}
}

// hugeLine is a reader of "NOOP " followed by n bytes of 'x' and CRLF, then "NOOP\r\n" and
// "QUIT\r\n", produced on the fly so the test itself does not hold the line.
type hugeLine struct {
	n    int64
	tail *strings.Reader
	head *strings.Reader
}

func newHugeLine(n int64) *hugeLine {
	return &hugeLine{n: n, head: strings.NewReader("EHLO c\r\nNOOP "), tail: strings.NewReader("\r\nNOOP\r\nQUIT\r\n")}
}

func (h *hugeLine) Read(p []byte) (int, error) {
	if h.head.Len() > 0 {
		return h.head.Read(p)
	}
	if h.n > 0 {
		k := min(int64(len(p)), h.n)
		for i := range p[:k] {
			p[i] = 'x'
		}
		h.n -= k
		return int(k), nil
	}
	return h.tail.Read(p)
}

// TestHugeCommandLine sends a 64 MiB command line: it gets 500, the session resynchronises
// at its end, and the engine's memory stays bounded. Not parallel: it measures allocation.
func TestHugeCommandLine(t *testing.T) {
	srv, _, _ := newServer(t, &recBackend{})
	var out bytes.Buffer
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := srv.ServeConn(context.Background(), &server.StreamConn{R: newHugeLine(64 << 20), W: &out})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("ServeConn: %v", err)
	}
	replies := strings.Split(strings.TrimSuffix(out.String(), "\r\n"), "\r\n")
	// Greeting, 7 EHLO lines, then the three answers.
	tail := replies[len(replies)-3:]
	want := []string{"500 5.5.2 Line too long", "250 2.0.0 Ok", "221 2.0.0 Bye"}
	if strings.Join(tail, "|") != strings.Join(want, "|") {
		t.Errorf("replies end with %q, want %q", tail, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("serving a 64 MiB line allocated %d bytes; the line must not be buffered", alloc)
	}
}

// TestHugeCommandLineOverTCP is the same over a socket: 1 MB, then the session goes on.
func TestHugeCommandLineOverTCP(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t, &recBackend{})
	c := startSession(t, srv)
	go func() {
		_, _ = c.conn.Write([]byte("NOOP " + strings.Repeat("x", 1<<20) + "\r\n"))
	}()
	c.expect("500 5.5.2 Line too long")
	c.cmd("NOOP", "250 ")
	c.cmd("QUIT", "221 ")
}

// TestEOFInData: a client that disconnects before the final dot delivers nothing; the
// backend's reader reports io.ErrUnexpectedEOF (upstream pipes the partial mail, §11.2).
func TestEOFInData(t *testing.T) {
	t.Parallel()
	for _, partial := range []string{"", "Subject: cut\r\n\r\nhalf a line", "Subject: cut\r\n\r\n.", "Subject: cut\r\n\r\n.\r", "Subject: cut\r\n"} {
		t.Run(fmt.Sprintf("%q", partial), func(t *testing.T) {
			t.Parallel()
			be := &recBackend{}
			srv, logs, _ := newServer(t, be)
			c := startSession(t, srv)
			c.cmd("MAIL FROM:<a@example.com>", "250 ")
			c.cmd("RCPT TO:<b@example.org>", "250 ")
			c.cmd("DATA", "354 ")
			c.send(partial)
			if err := c.conn.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			c.expectClosed()
			shutdown(t, srv)
			if n := len(be.delivered()); n != 0 {
				t.Errorf("%d mails delivered, want none", n)
			}
			be.mu.Lock()
			defer be.mu.Unlock()
			if len(be.aborted) != 1 || !errors.Is(be.aborted[0].Err, io.ErrUnexpectedEOF) {
				t.Fatalf("aborted = %v, want one reader ending with io.ErrUnexpectedEOF", be.aborted)
			}
			if len(logs.find("mail aborted")) != 1 {
				t.Error("no \"mail aborted\" log record")
			}
		})
	}
}

// TestEOFInDataServeConn checks ServeConn's error for the same case.
func TestEOFInDataServeConn(t *testing.T) {
	t.Parallel()
	be := &recBackend{}
	srv, _, _ := newServer(t, be)
	in := "EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n"
	err := srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader(in), W: io.Discard})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ServeConn = %v, want an error wrapping io.ErrUnexpectedEOF", err)
	}
	if len(be.delivered()) != 0 {
		t.Error("a truncated mail was delivered")
	}
}

// TestManyRecipients pipelines 2000 RCPTs: the first DefaultMaxRecipients are accepted,
// the rest get 452 4.5.3, and the mail goes to the accepted ones.
func TestManyRecipients(t *testing.T) {
	t.Parallel()
	be := &recBackend{}
	srv, _, _ := newServer(t, be)
	c := startSession(t, srv)
	var cmds strings.Builder
	cmds.WriteString("MAIL FROM:<a@example.com>\r\n")
	for i := range 2000 {
		fmt.Fprintf(&cmds, "RCPT TO:<r%d@example.org>\r\n", i)
	}
	cmds.WriteString("DATA\r\n")
	go func() { _, _ = c.conn.Write([]byte(cmds.String())) }()
	c.expect("250 2.1.0 ")
	for i := range 2000 {
		want := "250 2.1.5 Ok"
		if i >= server.DefaultMaxRecipients {
			want = "452 4.5.3 Too many recipients"
		}
		if got := c.reply(); got != want {
			t.Fatalf("RCPT %d: %q, want %q", i, got, want)
		}
	}
	c.expect("354 ")
	c.send("Subject: many\r\n.\r\n")
	c.expect("250 ")
	c.cmd("QUIT", "221 ")
	shutdown(t, srv)
	mails := be.delivered()
	if len(mails) != 1 || len(mails[0].Rcpts) != server.DefaultMaxRecipients {
		t.Fatalf("want one mail to %d recipients", server.DefaultMaxRecipients)
	}
}

// TestSlowloris: a client that never completes a command is cut off after CommandTimeout
// with 421, even when it trickles bytes; DATA renews its deadline on every read, so a slow
// but steady sender succeeds, and one that falls silent inside DATA is cut off and delivers
// nothing.
func TestSlowloris(t *testing.T) {
	t.Parallel()
	// Generous enough that a loaded machine does not stall a steady sender for that long;
	// a server without the timeout fails the tests through the client's 10 s deadline.
	const timeout = time.Second
	newSrv := func(t *testing.T) (*server.Server, *recBackend) {
		be := &recBackend{}
		srv, _, _ := newServer(t, be)
		srv.CommandTimeout = timeout
		srv.DataTimeout = timeout
		return srv, be
	}
	t.Run("silent", func(t *testing.T) {
		t.Parallel()
		srv, _ := newSrv(t)
		c := startSession(t, srv)
		c.send("NOO")
		c.expect("421 4.4.2 Timeout exceeded")
		c.expectClosed()
	})
	t.Run("trickle", func(t *testing.T) {
		t.Parallel()
		srv, _ := newSrv(t)
		c := startSession(t, srv)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, b := range []byte("NOOP and so on, slowly, byte by byte") {
				if _, err := c.conn.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(timeout / 5)
			}
		}()
		c.expect("421 4.4.2 ")
		<-done
	})
	t.Run("steady-data", func(t *testing.T) {
		t.Parallel()
		srv, be := newSrv(t)
		c := startSession(t, srv)
		c.cmd("MAIL FROM:<a@example.com>", "250 ")
		c.cmd("RCPT TO:<b@example.org>", "250 ")
		c.cmd("DATA", "354 ")
		// 10 lines, one every timeout/4: two and a half times the timeout in all.
		for i := range 10 {
			c.send(fmt.Sprintf("line %d\r\n", i))
			time.Sleep(timeout / 4)
		}
		c.send(".\r\n")
		c.expect("250 ")
		c.cmd("QUIT", "221 ")
		shutdown(t, srv)
		if len(be.delivered()) != 1 {
			t.Error("the slow but steady mail was not delivered")
		}
	})
	t.Run("silent-in-data", func(t *testing.T) {
		t.Parallel()
		srv, be := newSrv(t)
		c := startSession(t, srv)
		c.cmd("MAIL FROM:<a@example.com>", "250 ")
		c.cmd("RCPT TO:<b@example.org>", "250 ")
		c.cmd("DATA", "354 ")
		c.send("Subject: then nothing\r\n")
		c.expect("421 4.4.2 ")
		c.expectClosed()
		shutdown(t, srv)
		if len(be.delivered()) != 0 {
			t.Error("an incomplete mail was delivered")
		}
		be.mu.Lock()
		defer be.mu.Unlock()
		if len(be.aborted) != 1 || !isTimeoutErr(be.aborted[0].Err) {
			t.Errorf("aborted = %v, want one reader that timed out", be.aborted)
		}
	})
}

// gatedBackend holds every session in Mail until the gate opens.
type gatedBackend struct {
	recBackend
	gate chan struct{}
}

func (b *gatedBackend) NewSession(c server.ConnInfo) (server.Session, error) {
	<-b.gate
	return b.recBackend.NewSession(c)
}

// TestMaxSessions opens 1000 connections at once against MaxSessions 100: exactly 100 get a
// session (held open until all 1000 have their first reply) and 900 an immediate 421; then
// every session completes; no goroutine is left behind. Not parallel: it counts goroutines.
func TestMaxSessions(t *testing.T) {
	const clients, limit = 1000, 100
	baseline := runtime.NumGoroutine()
	be := &gatedBackend{gate: make(chan struct{})}
	srv, _, _ := newServer(t, be)
	srv.MaxSessions = limit
	l := listen(t)
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(l) }()

	var greeted, rejected, completed atomic.Int32
	var firstReplies sync.WaitGroup
	firstReplies.Add(clients)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			answered := func() {
				if first {
					first = false
					firstReplies.Done()
				}
			}
			defer answered()
			conn, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
			c := &client{t: t, conn: conn, r: newReader(conn)}
			r, err := c.tryReply()
			switch {
			case err != nil:
				errs <- fmt.Errorf("first reply: %w", err)
				return
			case r == "421 4.3.2 Too many connections, try again later":
				rejected.Add(1)
				answered()
				if _, err := c.r.ReadByte(); err != io.EOF {
					errs <- fmt.Errorf("after 421: %v, want EOF", err)
				}
				return
			case strings.HasPrefix(r, "220 "):
				greeted.Add(1)
			default:
				errs <- fmt.Errorf("first reply %q", r)
				return
			}
			answered()
			script := []struct{ cmd, want string }{
				{"EHLO c", "250-"}, {"MAIL FROM:<a@example.com>", "250 "}, {"RCPT TO:<b@example.org>", "250 "},
				{"DATA", "354 "}, {"Subject: x\r\n.", "250 "}, {"QUIT", "221 "},
			}
			for _, s := range script {
				if _, err := io.WriteString(conn, s.cmd+"\r\n"); err != nil {
					errs <- err
					return
				}
				r, err := c.tryReply()
				if err != nil || !strings.HasPrefix(r, s.want) {
					errs <- fmt.Errorf("%s: %q %v", s.cmd, r, err)
					return
				}
			}
			completed.Add(1)
		}()
	}
	waited := make(chan struct{})
	go func() { firstReplies.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(20 * time.Second):
		t.Fatal("connections over the limit were not refused at once")
	}
	close(be.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if g, r := greeted.Load(), rejected.Load(); g != limit || r != clients-limit {
		t.Errorf("%d sessions and %d refusals, want %d and %d", g, r, limit, clients-limit)
	}
	if n := completed.Load(); n != limit {
		t.Errorf("%d sessions completed, want %d", n, limit)
	}
	shutdown(t, srv)
	if err := <-serveDone; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines, %d before the test:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

// TestShutdown: an idle session gets 421 at once; a session inside DATA completes its mail
// and then gets 421; Shutdown returns nil when both are gone, and Serve ErrServerClosed.
func TestShutdown(t *testing.T) {
	t.Parallel()
	be := &recBackend{}
	srv, _, _ := newServer(t, be)
	l := listen(t)
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(l) }()

	busy := newClient(t, dial(t, l))
	busy.expect("220 ")
	busy.cmd("EHLO busy", "250-")
	busy.cmd("MAIL FROM:<a@example.com>", "250 ")
	busy.cmd("RCPT TO:<b@example.org>", "250 ")
	busy.cmd("DATA", "354 ")
	busy.send("Subject: in flight\r\n")

	idle := newClient(t, dial(t, l))
	idle.expect("220 ")
	idle.cmd("EHLO idle", "250-")

	shutdownDone := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdownDone <- srv.Shutdown(ctx)
	}()
	idle.expect("421 4.3.2 Service shutting down")
	idle.expectClosed()
	select {
	case err := <-shutdownDone:
		t.Fatalf("Shutdown returned %v while a mail was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	busy.send("\r\nthe rest\r\n.\r\n")
	busy.expect("250 2.0.0 Ok")
	busy.expect("421 4.3.2 Service shutting down")
	busy.expectClosed()
	if err := <-shutdownDone; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-serveDone; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	if len(be.delivered()) != 1 {
		t.Error("the mail in flight was not delivered")
	}
	if err := srv.Serve(listen(t)); !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Serve after Shutdown = %v", err)
	}
}

// TestShutdownDeadline: a session that does not finish in time is closed when Shutdown's
// context ends; its mail is not delivered.
func TestShutdownDeadline(t *testing.T) {
	t.Parallel()
	be := &recBackend{}
	srv, _, _ := newServer(t, be)
	l := listen(t)
	go func() { _ = srv.Serve(l) }()
	c := newClient(t, dial(t, l))
	c.expect("220 ")
	c.cmd("EHLO c", "250-")
	c.cmd("MAIL FROM:<a@example.com>", "250 ")
	c.cmd("RCPT TO:<b@example.org>", "250 ")
	c.cmd("DATA", "354 ")
	c.send("Subject: stalled\r\n")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	c.expectClosed()
	shutdown(t, srv) // waits for the session's goroutine
	if len(be.delivered()) != 0 {
		t.Error("an interrupted mail was delivered")
	}
}

// TestServeConnContext: cancelling ServeConn's context shuts the session down like Shutdown.
func TestServeConnContext(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t, &recBackend{})
	l := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		done <- srv.ServeConn(ctx, conn)
	}()
	c := newClient(t, dial(t, l))
	c.expect("220 ")
	c.cmd("EHLO c", "250-")
	cancel()
	c.expect("421 4.3.2 ")
	c.expectClosed()
	if err := <-done; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("ServeConn = %v, want ErrServerClosed", err)
	}
}

// TestServeConnStdioShutdown: a session on a reader without deadlines is woken by closing it.
func TestServeConnStdioShutdown(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t, &recBackend{})
	pr, pw := io.Pipe()
	out := &closeRecorder{}
	done := make(chan error, 1)
	go func() { done <- srv.ServeConn(context.Background(), &server.StreamConn{R: pr, W: out}) }()
	_, _ = io.WriteString(pw, "EHLO c\r\n")
	waitFor(t, func() bool { return strings.Contains(out.String(), "250 DSN") })
	shutdown(t, srv)
	if err := <-done; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("ServeConn = %v, want ErrServerClosed", err)
	}
	if !strings.HasSuffix(out.String(), "421 4.3.2 Service shutting down, closing connection\r\n") {
		t.Errorf("output %q does not end with the 421", out.String())
	}
	if out.writesAfterClose > 0 {
		t.Error("the 421 was written after the output was closed")
	}
}

// closeRecorder is an output that can be closed and notes writes after Close.
type closeRecorder struct {
	syncBuffer
	closed           bool
	writesAfterClose int
}

func (c *closeRecorder) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.closed {
		c.writesAfterClose++
		c.mu.Unlock()
		return 0, io.ErrClosedPipe
	}
	c.mu.Unlock()
	return c.syncBuffer.Write(p)
}

func (c *closeRecorder) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
