package smtpclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/smtp"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// dialFunc adapts a function to Dialer.
type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

func (f dialFunc) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return f(ctx, network, address)
}

// countingConn counts the Write calls that reach the connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int32
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func countingDialer(writes *atomic.Int32) Dialer {
	return dialFunc(func(ctx context.Context, network, address string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return countingConn{conn, writes}, nil
	})
}

func serverOptions(srv *smtptest.Server) Options {
	return Options{Host: srv.Host(), Port: srv.Port(), Domain: "localhost", Timeout: 5 * time.Second}
}

// §10 item 3: 120 recipients with PIPELINING go out as MAIL + 99 RCPT, replies, then RCPT
// 100 to 120 + DATA, replies; each batch in a single write.
func TestPipelineBatches(t *testing.T) {
	t.Parallel()
	var script, rcpts strings.Builder
	script.WriteString("S: 220 mx.test\nC: EHLO localhost\nS: 250-mx.test\nS: 250 PIPELINING\n")
	script.WriteString("C: MAIL FROM:<a@example.com>\n")
	var env Envelope
	env.From = "a@example.com"
	for i := 1; i <= 120; i++ {
		addr := fmt.Sprintf("r%d@example.org", i)
		env.Recipients = append(env.Recipients, Recipient{Address: addr})
		fmt.Fprintf(&rcpts, "C: RCPT TO:<%s>\n", addr)
	}
	lines := strings.SplitAfter(rcpts.String(), "\n")
	script.WriteString(strings.Join(lines[:99], ""))
	script.WriteString(strings.Repeat("S: 250 ok\n", 100))
	script.WriteString(strings.Join(lines[99:], ""))
	script.WriteString("C: DATA\n")
	script.WriteString(strings.Repeat("S: 250 ok\n", 21))
	script.WriteString("S: 354 go\nC: x\nC: .\nS: 250 ok\nC: QUIT\nS: 221 bye\n")

	srv := smtptest.NewServer(t, smtptest.MustParse("batches", script.String()), smtptest.ServerOptions{Quiet: true})
	var writes atomic.Int32
	opts := serverOptions(srv)
	opts.Dialer = countingDialer(&writes)
	c, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Send(context.Background(), env, strings.NewReader("x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
	// EHLO, batch 1, batch 2, the mail with its ".", QUIT.
	if n := writes.Load(); n != 5 {
		t.Errorf("%d writes, want 5 (one per command batch)", n)
	}
	if len(res.Recipients) != 120 || res.Recipients[119].Rcpt == nil || res.Recipients[119].Rcpt.Code != 250 {
		t.Errorf("recipient results: %d, last %+v", len(res.Recipients), res.Recipients[len(res.Recipients)-1])
	}
}

// A small mail over a pipelining server costs one write per round trip: no write-write-read
// pattern that would wait for a delayed ACK.
func TestSmallMailWrites(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.MustParse("small", `
S: 220 mx.test
C: EHLO localhost
S: 250-mx.test
S: 250 PIPELINING
C: MAIL FROM:<a@example.com>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
C: Subject: hi
C:
C: hello
C: .
S: 250 ok
C: QUIT
S: 221 bye
`), smtptest.ServerOptions{Quiet: true})
	var writes atomic.Int32
	opts := serverOptions(srv)
	opts.Dialer = countingDialer(&writes)
	c, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	env := Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b@example.org"}}}
	if _, err := c.Send(context.Background(), env, strings.NewReader("Subject: hi\n\nhello\n")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
	if n := writes.Load(); n != 4 {
		t.Errorf("%d writes, want 4 (EHLO, envelope, mail, QUIT)", n)
	}
}

func TestConnectErrors(t *testing.T) {
	t.Parallel()
	// A port nobody listens on: listen, note the port, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	dnsFailure := func(notFound, temporary bool) Dialer {
		return dialFunc(func(ctx context.Context, network, address string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{
				Err: "no such host", Name: "nonexistent.invalid", IsNotFound: notFound, IsTemporary: temporary,
			}}
		})
	}
	blackhole := dialFunc(func(ctx context.Context, network, address string) (net.Conn, error) {
		<-ctx.Done() // a full backlog: the SYN is never answered
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	})
	tests := []struct {
		name  string
		opts  Options
		want  string
		kinds []error
	}{
		{"refused", Options{Host: "127.0.0.1", Port: closedPort},
			fmt.Sprintf("cannot connect to 127.0.0.1, port %d: Connection refused", closedPort), []error{ErrConnect}},
		{"unknown host", Options{Host: "nonexistent.invalid", Port: 25, Dialer: dnsFailure(true, false)},
			"cannot locate host nonexistent.invalid: Name or service not known", []error{ErrHostNotFound}},
		{"temporary resolver failure", Options{Host: "nonexistent.invalid", Port: 25, Dialer: dnsFailure(false, true)},
			"cannot locate host nonexistent.invalid: Temporary failure in name resolution", []error{ErrHostNotFound}},
		{"connect timeout", Options{Host: "192.0.2.1", Port: 25, Timeout: 100 * time.Millisecond, Dialer: blackhole},
			"cannot connect to 192.0.2.1, port 25: Connection timed out", []error{ErrConnect}},
		{"missing socket", Options{Socket: "/nonexistent/msmtp.sock"},
			"cannot connect to /nonexistent/msmtp.sock: No such file or directory", []error{ErrConnect}},
		{"bad source ip", Options{Host: "127.0.0.1", Port: closedPort, SourceIP: "bogus"},
			"cannot bind source ip bogus: Invalid argument", []error{ErrOS}},
		{"proxy name too long", Options{Host: strings.Repeat("a", 256), Port: 25, ProxyHost: "127.0.0.1", ProxyPort: closedPort},
			"proxy failure: host name too long", []error{ErrUnavailable}},
		{"proxy refused", Options{Host: "mail.example.org", Port: 25, ProxyHost: "127.0.0.1", ProxyPort: closedPort},
			fmt.Sprintf("cannot connect to 127.0.0.1, port %d: Connection refused", closedPort), []error{ErrConnect}},
		{"line break in domain", Options{Host: "127.0.0.1", Port: closedPort, Domain: "x\r\nQUIT"},
			`invalid domain "x\r\nQUIT": it contains a line break`, []error{ErrInvalidArgument}},
	}
	if runtime.GOOS == "linux" {
		tests = append(tests, struct {
			name  string
			opts  Options
			want  string
			kinds []error
		}{"source ip not local", Options{Host: "127.0.0.1", Port: closedPort, SourceIP: "192.0.2.1"},
			"cannot bind source ip 192.0.2.1: Cannot assign requested address", []error{ErrOS}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Open(context.Background(), tc.opts)
			if err == nil {
				c.Close()
				t.Fatal("Open succeeded")
			}
			switch {
			case runtime.GOOS == "windows" && tc.opts.Socket != "":
				// Windows reports a missing socket in its own words (and Wine has no
				// AF_UNIX at all): only the kind and our prefix are portable.
				if prefix, _, _ := strings.Cut(tc.want, ": "); !strings.HasPrefix(err.Error(), prefix+": ") {
					t.Errorf("error %q does not start with %q", err, prefix)
				}
			case err.Error() != tc.want:
				t.Errorf("error\n got %q\nwant %q", err, tc.want)
			}
			wantOp := OpDial
			if errors.Is(err, ErrInvalidArgument) {
				wantOp = OpHello
			}
			var e *Error
			if !errors.As(err, &e) || e.Op != wantOp {
				t.Errorf("error %#v is not an *Error of %s", err, wantOp)
			}
			for _, k := range tc.kinds {
				if !errors.Is(err, k) {
					t.Errorf("error is not %v", k)
				}
			}
		})
	}
}

// The DNS error stays reachable, so that delivery can tell EAI_AGAIN (75) from a name that
// does not exist (68).
func TestDNSErrorWrapped(t *testing.T) {
	t.Parallel()
	d := dialFunc(func(ctx context.Context, network, address string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Err: &net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}}
	})
	_, err := Open(context.Background(), Options{Host: "x", Port: 25, Dialer: d})
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsTemporary {
		t.Errorf("error %v does not wrap the temporary *net.DNSError", err)
	}
}

func TestSourceIP(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("127.0.0.2 is a local address only on Linux")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	peer := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			peer <- err.Error()
			return
		}
		peer <- conn.RemoteAddr().(*net.TCPAddr).IP.String()
		_ = smtptest.PlayServer(conn, smtptest.MustParse("src", "S: 220 x\nC: EHLO localhost\nS: 250 x\nC: QUIT\nS: 221 x\n"), smtptest.PlayOptions{})
	}()
	c, err := Open(context.Background(), Options{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Domain: "localhost", SourceIP: "127.0.0.2", Dialer: &net.Dialer{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := <-peer; got != "127.0.0.2" {
		t.Errorf("server saw %s, want 127.0.0.2", got)
	}
}

func TestUnixSocketLMTP(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderWine(t, "Wine 8 has no AF_UNIX sockets")
	path := filepath.Join(testutil.TempDir(t), "lmtp.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := smtptest.NewServer(t, smtptest.MustParse("unix", `
S: 220 lmtp.test LMTP
C: LHLO localhost
S: 250 lmtp.test
C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 250 ok
C: DATA
S: 354 go
C: x
C: .
S: 250 delivered
C: QUIT
S: 221 bye
`), smtptest.ServerOptions{Listener: ln})
	c, err := Open(context.Background(), Options{Socket: path, Protocol: LMTP, Domain: "localhost", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.RemoteAddr().(*net.UnixAddr); !ok {
		t.Errorf("RemoteAddr() = %#v, want a *net.UnixAddr", c.RemoteAddr())
	}
	res, err := c.Send(context.Background(), Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b@example.org"}}}, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Recipients[0].Accepted(LMTP) || res.Reply.Lines[0] != "250 delivered" {
		t.Errorf("result %+v", res)
	}
	c.Close()
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
}

// socksProxy accepts one connection, checks the SOCKS5 requests and answers with reply,
// one byte at a time (the client must read in full); then, if script is not nil, it plays
// script on the same connection. It sends the bytes it received before the SMTP dialogue,
// then the result of the play.
func socksProxy(t *testing.T, reply []byte, script *smtptest.Script) (port int, got <-chan []byte, played <-chan error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gotc, playc := make(chan []byte, 1), make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			gotc <- nil
			playc <- err
			return
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		greeting := make([]byte, 3)
		_, _ = io.ReadFull(conn, greeting)
		for _, b := range []byte{5, 0} {
			_, _ = conn.Write([]byte{b})
		}
		head := make([]byte, 5)
		_, _ = io.ReadFull(conn, head)
		rest := make([]byte, int(head[4])+2)
		_, _ = io.ReadFull(conn, rest)
		gotc <- append(append(greeting, head...), rest...)
		for _, b := range reply {
			_, _ = conn.Write([]byte{b})
		}
		_ = conn.SetDeadline(time.Time{})
		if script == nil {
			conn.Close()
			playc <- nil
			return
		}
		playc <- smtptest.PlayServer(conn, script, smtptest.PlayOptions{})
	}()
	return ln.Addr().(*net.TCPAddr).Port, gotc, playc
}

func TestSOCKS5(t *testing.T) {
	t.Parallel()
	// §10 item 59: the exact request for mail.example.org:587.
	want := append([]byte{5, 1, 0, 5, 1, 0, 3, 16}, "mail.example.org\x02\x4b"...)
	ok := []byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 25}
	session := smtptest.MustParse("via proxy", "S: 220 mx.test\nC: EHLO localhost\nS: 250 mx.test\nC: QUIT\nS: 221 bye\n")
	tests := []struct {
		name    string
		reply   []byte
		wantErr string
	}{
		{"success", ok, ""},
		{"success with a name", append([]byte{5, 0, 0, 3, 4}, "host\x00\x19"...), ""},
		{"success with IPv6", append([]byte{5, 0, 0, 4}, make([]byte, 18)...), ""},
		{"refused", []byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}, "proxy failure: connection refused"},
		{"general failure", []byte{5, 1, 0, 1, 0, 0, 0, 0, 0, 0}, "proxy failure: general server failure"},
		{"not allowed", []byte{5, 2, 0, 1}, "proxy failure: connection not allowed"},
		{"network unreachable", []byte{5, 3}, "proxy failure: network unreachable"},
		{"host unreachable", []byte{5, 4}, "proxy failure: host unreachable"},
		{"ttl", []byte{5, 6}, "proxy failure: time-to-live expired"},
		{"command", []byte{5, 7}, "proxy failure: command not supported"},
		{"address type", []byte{5, 8}, "proxy failure: address type not supported"},
		{"unknown code", []byte{5, 9}, "proxy failure: unknown error"},
		{"bad version", []byte{4, 0, 0, 1}, "proxy failure: unexpected reply"},
		{"bad address type", []byte{5, 0, 0, 7}, "proxy failure: unexpected reply"},
		{"short reply", []byte{5, 0, 0, 1, 127}, "proxy failure: unexpected reply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var script *smtptest.Script
			if tc.wantErr == "" {
				script = session
			}
			port, got, played := socksProxy(t, tc.reply, script)
			defer func() {
				if err := <-played; err != nil {
					t.Error(err)
				}
			}()
			c, err := Open(context.Background(), Options{
				Host: "mail.example.org", Port: 587, ProxyHost: "127.0.0.1", ProxyPort: port,
				Domain: "localhost", Timeout: 5 * time.Second,
			})
			if !bytes.Equal(<-got, want) {
				t.Errorf("proxy received a different request")
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.RemoteAddr() != nil {
					t.Errorf("RemoteAddr() = %v through a proxy, want nil", c.RemoteAddr())
				}
				c.Close()
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("Open succeeded")
			}
			if err.Error() != tc.wantErr || !errors.Is(err, ErrUnavailable) {
				t.Errorf("error %q (unavailable: %v), want %q", err, errors.Is(err, ErrUnavailable), tc.wantErr)
			}
		})
	}
}

func TestSOCKS5MethodRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = io.ReadFull(conn, make([]byte, 3))
		_, _ = conn.Write([]byte{5, 0xff}) // no acceptable method
	}()
	_, err = Open(context.Background(), Options{Host: "x", Port: 25, ProxyHost: "127.0.0.1", ProxyPort: ln.Addr().(*net.TCPAddr).Port, Timeout: 5 * time.Second})
	if err == nil || err.Error() != "proxy failure: unexpected reply" {
		t.Errorf("error %v", err)
	}
}

func TestSOCKS5Timeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		conn, err := ln.Accept()
		ln.Close()
		if err == nil {
			<-done
			conn.Close()
		}
	}()
	defer close(done)
	_, err = Open(context.Background(), Options{Host: "x", Port: 25, ProxyHost: "127.0.0.1", ProxyPort: ln.Addr().(*net.TCPAddr).Port, Timeout: 100 * time.Millisecond})
	if err == nil || err.Error() != "network read error: the operation timed out" || !errors.Is(err, ErrIO) {
		t.Errorf("error %v", err)
	}
}

// Non-ASCII host names are converted to IDNA for the dial and the TLS server name; the
// messages keep the name as given.
func TestIDNHost(t *testing.T) {
	t.Parallel()
	var dialed string
	d := dialFunc(func(ctx context.Context, network, address string) (net.Conn, error) {
		dialed = address
		return nil, &net.OpError{Op: "dial", Err: errors.New("stop here")}
	})
	_, err := Open(context.Background(), Options{Host: "exämple.org", Port: 25, Dialer: d})
	if dialed != "xn--exmple-cua.org:25" {
		t.Errorf("dialed %q", dialed)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "cannot connect to exämple.org, port 25: ") {
		t.Errorf("error %v", err)
	}
	c := &Client{opts: Options{TLSConfig: &tls.Config{ServerName: "mäil.example"}}, ascii: "x"}
	if got := c.tlsConfig().ServerName; got != "xn--mil-qla.example" {
		t.Errorf("ServerName %q", got)
	}
	c = &Client{opts: Options{}, ascii: asciiHost("under_score.internal")}
	if got := c.tlsConfig().ServerName; got != "under_score.internal" {
		t.Errorf("ASCII name changed to %q", got)
	}
}

// Cancelling the context interrupts a session that waits for the server.
func TestContextCancel(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.MustParse("silent", "!stall\n"), smtptest.ServerOptions{Quiet: true})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	opts := serverOptions(srv)
	opts.Timeout = 0 // no timeout: only the context can end the wait
	start := time.Now()
	_, err := Open(ctx, opts)
	if err == nil || !errors.Is(err, context.Canceled) || !errors.Is(err, ErrIO) {
		t.Errorf("error %v, want a cancelled read", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	if err := srv.Wait(); err != nil {
		t.Error(err)
	}
}

// The session is unusable after an I/O error, and Quit then sends nothing.
func TestBrokenSession(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.MustParse("broken", `
S: 220 mx.test
C: EHLO localhost
S: 250 mx.test
C: MAIL FROM:<a@example.com>
!close
`), smtptest.ServerOptions{Quiet: true})
	c, err := Open(context.Background(), serverOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	env := Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b"}}}
	if _, err := c.Send(context.Background(), env, strings.NewReader("")); !errors.Is(err, smtp.ErrEmptyReply) {
		t.Fatalf("Send: %v", err)
	}
	if _, err := c.Send(context.Background(), env, strings.NewReader("")); !errors.Is(err, ErrClosed) {
		t.Errorf("second Send: %v, want ErrClosed", err)
	}
	if err := c.Reset(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Reset: %v, want ErrClosed", err)
	}
	if _, err := c.ETRN(context.Background(), "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("ETRN: %v, want ErrClosed", err)
	}
	if err := c.Quit(); err != nil {
		t.Errorf("Quit: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close after Quit: %v", err)
	}
	if err := srv.Wait(); err != nil {
		t.Error(err)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, bytes.Repeat([]byte("x"), min(len(p), r.n)))
	r.n -= n
	return n, nil
}

// A mail that cannot be read is abandoned without the final dot, which would deliver it
// truncated.
func TestInputError(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.MustParse("input", `
S: 220 mx.test
C: EHLO localhost
S: 250 mx.test
C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 250 ok
C: DATA
S: 354 go
!stall
`), smtptest.ServerOptions{Quiet: true})
	c, err := Open(context.Background(), serverOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	env := Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b@example.org"}}}
	_, err = c.Send(context.Background(), env, &failingReader{n: 10})
	if err == nil || err.Error() != "disk on fire" || !errors.Is(err, ErrInput) {
		t.Errorf("error %v, want the reader's error as ErrInput", err)
	}
	c.Close()
	if err := srv.Wait(); err != nil {
		t.Error(err)
	}
}

func TestServerInfoAccessors(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.MustParse("info", `
S: 220 mx.example.org ESMTP Postfix
C: EHLO localhost
S: 250-mx.example.org
S: 250-STARTTLS
S: 250 SIZE 10240000
C: STARTTLS
S: 220 go
!starttls
C: EHLO localhost
S: 250-mx.example.org
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250 AUTH PLAIN
C: QUIT
S: 221 bye
`), smtptest.ServerOptions{Quiet: true})
	opts := serverOptions(srv)
	opts.TLS = StartTLS
	opts.TLSConfig = srv.ClientConfig("localhost")
	var afterTLS []tls.ConnectionState
	opts.AfterTLS = func(cs tls.ConnectionState) { afterTLS = append(afterTLS, cs) }
	c, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Greeting().Lines; !cmp.Equal(got, []string{"220 mx.example.org ESMTP Postfix"}) {
		t.Errorf("Greeting %q", got)
	}
	if got := c.Hello().Lines[1]; got != "250-PIPELINING" {
		t.Errorf("Hello line 2 %q", got)
	}
	want := Capabilities{Pipelining: true, HasSize: true, Size: 10240000, Auth: true, AuthMechanisms: []string{"PLAIN"}}
	if diff := cmp.Diff(want, c.Capabilities()); diff != "" {
		t.Errorf("capabilities after STARTTLS (-want +got):\n%s", diff)
	}
	state, ok := c.TLSConnectionState()
	if !ok || !state.HandshakeComplete || len(afterTLS) != 1 || state.ServerName != "localhost" {
		t.Errorf("TLS state %v %+v, AfterTLS called %d times", ok, state.ServerName, len(afterTLS))
	}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); !ok || a.Port != srv.Port() {
		t.Errorf("RemoteAddr %v", c.RemoteAddr())
	}
	if c.AuthMechanism() != "" {
		t.Errorf("AuthMechanism %q without AUTH", c.AuthMechanism())
	}
}

func TestAuthMechanismRecorded(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.MustParse("auth", `
S: 220 mx.test
C: EHLO localhost
S: 250-mx.test
S: 250 AUTH PLAIN
C: AUTH PLAIN AHVzZXIAc2VjcmV0
S: 235 ok
C: QUIT
S: 221 bye
`), smtptest.ServerOptions{Quiet: true})
	opts := serverOptions(srv)
	var sawCaps *Capabilities
	opts.Authenticate = func(caps *Capabilities, state *tls.ConnectionState) (sasl.Client, error) {
		sawCaps = caps
		if state != nil {
			t.Error("TLS state without TLS")
		}
		return plainAuth(caps, state)
	}
	c, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if c.AuthMechanism() != "PLAIN" || sawCaps == nil || !sawCaps.SupportsAuth("plain") {
		t.Errorf("mechanism %q, caps %+v", c.AuthMechanism(), sawCaps)
	}
	if err := srv.Wait(); err != nil {
		t.Error(err)
	}
}

// Timeouts bound each operation, not the session: covered by the dialogs greeting-timeout,
// implicit-tls-stall, tls-stall-after-handshake, stall-mid-data, stall-after-dot and
// slow-server. This test checks the QUIT bound: a server that never answers QUIT does not
// hold the client for long even without a session timeout.
func TestQuitIsBounded(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.MustParse("quit", `
S: 220 mx.test
C: EHLO localhost
S: 250 mx.test
C: QUIT
!stall
`), smtptest.ServerOptions{Quiet: true, Timeout: 10 * time.Second})
	opts := serverOptions(srv)
	opts.Timeout = 300 * time.Millisecond
	c, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Quit()
	if d := time.Since(start); d > 2*time.Second || !errors.Is(err, ErrIO) {
		t.Errorf("Quit took %v, error %v", d, err)
	}
	if err := srv.Wait(); err != nil {
		t.Error(err)
	}
}

// Many sessions in parallel share nothing.
func TestParallelSessions(t *testing.T) {
	t.Parallel()
	script := smtptest.MustParse("parallel", "S: 220 x\nC: EHLO localhost\nS: 250 x\nC: QUIT\nS: 221 x\n")
	var wg sync.WaitGroup
	for range 8 {
		srv := smtptest.NewServer(t, script, smtptest.ServerOptions{Quiet: true})
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Open(context.Background(), serverOptions(srv))
			if err != nil {
				t.Error(err)
				return
			}
			c.Close()
			if err := srv.Wait(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
