package smtptest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// playBoth plays both sides of one script against each other over net.Pipe.
func playBoth(t *testing.T, s *Script, server, client PlayOptions) (serverErr, clientErr error) {
	t.Helper()
	sc, cc := net.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		serverErr = PlayServer(sc, s, server)
	}()
	clientErr = PlayClient(cc, s, client)
	wg.Wait()
	return serverErr, clientErr
}

func TestPlayersAgree(t *testing.T) {
	t.Parallel()
	s := MustParse("basic", `
S: 220 mx.test ESMTP
C: EHLO localhost
S: 250-mx.test
S: 250 PIPELINING
C: MAIL FROM:<a@example.com>
C: RCPT TO:<b@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go ahead
C: Subject: hi
C:
C: ..dot
C: .
S= "250 queued\r\n"
C: QUIT
S: 221 bye
`)
	serverErr, clientErr := playBoth(t, s, PlayOptions{}, PlayOptions{})
	if serverErr != nil || clientErr != nil {
		t.Fatalf("server: %v\nclient: %v", serverErr, clientErr)
	}
}

func TestPlayersTLS(t *testing.T) {
	t.Parallel()
	ca := NewCA(t, CertOptions{})
	s := MustParse("tls", `
S: 220 mx.test ESMTP
C: STARTTLS
S: 220 go
!starttls
C: EHLO localhost
S: 250 mx.test
C: QUIT
S: 221 bye
`)
	serverErr, clientErr := playBoth(t, s,
		PlayOptions{TLSConfig: ca.ServerConfig(t)},
		PlayOptions{TLSConfig: ca.ClientConfig("localhost")})
	if serverErr != nil || clientErr != nil {
		t.Fatalf("server: %v\nclient: %v", serverErr, clientErr)
	}
}

func TestMismatch(t *testing.T) {
	t.Parallel()
	serverScript := MustParse("server.smtp", "S: 220 x\nC: EHLO a\nS: 250 x\n")
	clientScript := MustParse("client.smtp", "S: 220 x\nC: EHLO b\nS: 250 x\n")
	sc, cc := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- PlayServer(sc, serverScript, PlayOptions{Timeout: time.Second}) }()
	clientErr := PlayClient(cc, clientScript, PlayOptions{Timeout: time.Second})
	serverErr := <-done

	var me *MismatchError
	if !errors.As(serverErr, &me) {
		t.Fatalf("server error %v is not a *MismatchError", serverErr)
	}
	if me.Step.LineNo != 2 || me.Got != `"EHLO b"` {
		t.Errorf("mismatch at line %d, got %s; want line 2, \"EHLO b\"", me.Step.LineNo, me.Got)
	}
	for _, want := range []string{
		"server.smtp:2: want C: EHLO a, got \"EHLO b\"",
		"--- transcript ---\nS: 220 x\nC: EHLO b\n--- script ---\nS: 220 x\nC: EHLO a\n",
	} {
		if !strings.Contains(serverErr.Error(), want) {
			t.Errorf("error text\n%s\nlacks %q", serverErr, want)
		}
	}
	if !errors.As(clientErr, &me) || me.Step.LineNo != 3 {
		t.Errorf("client error %v: want a mismatch at line 3 (the server hung up)", clientErr)
	}
}

func TestMismatchKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script string
		client string // raw bytes the client sends, then it waits for the server to finish
		want   string // in the error text
	}{
		{"bare LF", "C: QUIT\n", "QUIT\n", `(no CRLF line ending)`},
		{"regexp", "C~ MAIL FROM:<a@.*>\n", "MAIL FROM:<b@x>\r\n", `want C~ MAIL FROM:<a@.*>, got "MAIL FROM:<b@x>"`},
		{"raw", `C= "AB"` + "\n", "AC", `got "AC"`},
		{"extra line at end", "C: QUIT\n", "QUIT\r\nNOOP\r\n", `want end of script (the client closes the connection), got "NOOP\r\n"`},
		{"eof", "C: QUIT\n!eof\nS: 221 x\n", "QUIT\r\nRSET\r\n", `want !eof, got "RSET\r\n"`},
		{"read short", "!read 10\n", "12345", `want !read 10, got 5 bytes`},
		{"skipdata unterminated", "!skipdata\n", "a\r\nb\r\n", `end of input after 2 data lines`},
		{"line on played side as regexp", "S~ 220 .*\n", "", "cannot be sent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc, cc := net.Pipe()
			done := make(chan error, 1)
			go func() {
				done <- PlayServer(sc, MustParse(tc.name, tc.script), PlayOptions{Timeout: 500 * time.Millisecond})
			}()
			go io.Copy(io.Discard, cc)
			if tc.client != "" {
				_, _ = cc.Write([]byte(tc.client))
			}
			cc.Close()
			err := <-done
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// A client that waits for each reply is caught by a script that lists pipelined commands
// before their replies.
func TestPipeliningCheck(t *testing.T) {
	t.Parallel()
	s := MustParse("pipelined", "C: MAIL FROM:<a>\nC: RCPT TO:<b>\nS: 250 ok\nS: 250 ok\n")
	sc, cc := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- PlayServer(sc, s, PlayOptions{Timeout: 200 * time.Millisecond}) }()
	_, _ = cc.Write([]byte("MAIL FROM:<a>\r\n"))
	// A non-pipelining client now waits for a reply that never comes.
	_ = cc.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _ = bufio.NewReader(cc).ReadString('\n')
	cc.Close()
	var me *MismatchError
	if err := <-done; !errors.As(err, &me) || me.Step.LineNo != 2 {
		t.Errorf("error %v, want a mismatch at line 2", err)
	}
}

func TestReadAndClose(t *testing.T) {
	t.Parallel()
	s := MustParse("drop", "!read 500\n!close\n")
	sc, cc := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- PlayServer(sc, s, PlayOptions{}) }()
	// The player reads through a buffer, so it may take more than 500 bytes off the pipe,
	// but it closes long before 100000.
	n, err := cc.Write(make([]byte, 100000))
	if err == nil || n < 500 || n >= 100000 {
		t.Errorf("client wrote %d bytes, error %v; want a write error after at least 500", n, err)
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestSkipData(t *testing.T) {
	t.Parallel()
	s := MustParse("skip", "C: DATA\n!skipdata\nS: 250 ok\n")
	sc, cc := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- PlayServer(sc, s, PlayOptions{}) }()
	go func() { _, _ = cc.Write([]byte("DATA\r\na\r\n..b\r\n.\r\n")) }()
	line, err := bufio.NewReader(cc).ReadString('\n')
	if line != "250 ok\r\n" {
		t.Errorf("reply %q, %v", line, err)
	}
	cc.Close()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestStall(t *testing.T) {
	t.Parallel()
	t.Run("peer closes", func(t *testing.T) {
		t.Parallel()
		sc, cc := net.Pipe()
		done := make(chan error, 1)
		go func() { done <- PlayServer(sc, MustParse("stall", "!stall\n"), PlayOptions{}) }()
		time.Sleep(50 * time.Millisecond)
		cc.Close()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	t.Run("peer stays", func(t *testing.T) {
		t.Parallel()
		sc, cc := net.Pipe()
		defer cc.Close()
		err := PlayServer(sc, MustParse("stall", "!stall\n"), PlayOptions{Timeout: 100 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "no close while stalled") {
			t.Errorf("error %v, want a stall mismatch", err)
		}
	})
}

func TestSleep(t *testing.T) {
	t.Parallel()
	sc, cc := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- PlayServer(sc, MustParse("slow", "!sleep 150ms\nS: 220 x\n"), PlayOptions{}) }()
	start := time.Now()
	line, _ := bufio.NewReader(cc).ReadString('\n')
	if d := time.Since(start); d < 150*time.Millisecond || line != "220 x\r\n" {
		t.Errorf("got %q after %v, want 220 after 150ms", line, d)
	}
	cc.Close()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestStartTLSFail(t *testing.T) {
	t.Parallel()
	server, other := NewCA(t, CertOptions{}), NewCA(t, CertOptions{})
	s := MustParse("badcert", "!starttls fail\n")
	sc, cc := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- PlayServer(sc, s, PlayOptions{TLSConfig: server.ServerConfig(t)}) }()
	tc := tls.Client(cc, other.ClientConfig("localhost"))
	if err := tc.Handshake(); err == nil {
		t.Error("handshake with the wrong CA succeeded")
	}
	tc.Close()
	if err := <-done; err != nil {
		t.Errorf("server: %v", err)
	}

	// And the other way: a handshake that succeeds is a mismatch.
	sc, cc = net.Pipe()
	go func() { done <- PlayServer(sc, s, PlayOptions{TLSConfig: server.ServerConfig(t)}) }()
	tc = tls.Client(cc, server.ClientConfig("localhost"))
	_ = tc.Handshake()
	tc.Close()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "a successful handshake") {
		t.Errorf("server: %v, want a mismatch", err)
	}
}

func TestBytesBeforeHandshake(t *testing.T) {
	t.Parallel()
	ca := NewCA(t, CertOptions{})
	s := MustParse("inject", "C: STARTTLS\n!starttls\n")
	sc, cc := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- PlayServer(sc, s, PlayOptions{TLSConfig: ca.ServerConfig(t)}) }()
	go io.Copy(io.Discard, cc)
	_, _ = cc.Write([]byte("STARTTLS\r\nEHLO x\r\n"))
	err := <-done
	cc.Close()
	if err == nil || !strings.Contains(err.Error(), `"EHLO x\r\n" before the handshake`) {
		t.Errorf("error %v", err)
	}
}

func TestServer(t *testing.T) {
	t.Parallel()
	s := MustParse("tcp", `
!starttls
S: 220 mx.test ESMTP
C: QUIT
S: 221 bye
`)
	srv := NewServer(t, s, ServerOptions{})
	if srv.Host() != "127.0.0.1" || srv.Port() == 0 {
		t.Fatalf("server at %s, port %d", srv.Host(), srv.Port())
	}
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := PlayClient(conn, s, PlayOptions{TLSConfig: srv.ClientConfig("127.0.0.1")}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
	want := "!starttls\nS: 220 mx.test ESMTP\nC: QUIT\nS: 221 bye\n(closed by C)\n"
	if got := srv.Transcript(); got != want {
		t.Errorf("transcript\n%s\nwant\n%s", got, want)
	}
}

func TestServerNoClient(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, MustParse("x", "S: 220 x\n"), ServerOptions{Timeout: 50 * time.Millisecond, Quiet: true})
	if err := srv.Wait(); !errors.Is(err, ErrNoClient) {
		t.Errorf("Wait() = %v, want ErrNoClient", err)
	}
	if srv.Transcript() != "" || srv.ClientConfig("x") != nil {
		t.Error("a server without client or TLS has a transcript or a CA")
	}
}

func TestServerGivenListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := MustParse("given", "S: 220 x\n")
	srv := NewServer(t, s, ServerOptions{Listener: ln})
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := PlayClient(conn, s, PlayOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
}

func ExamplePlayServer() {
	script := MustParse("example.smtp", `
S: 220 mx.test ESMTP
C: QUIT
S: 221 bye
`)
	server, client := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- PlayServer(server, script, PlayOptions{}) }()

	// The code under test would talk to client; here we do it by hand.
	r := bufio.NewReader(client)
	greeting, _ := r.ReadString('\n')
	fmt.Fprintf(client, "QUIT\r\n")
	bye, _ := r.ReadString('\n')
	client.Close()
	fmt.Printf("%q %q %v\n", greeting, bye, <-done)
	// Output: "220 mx.test ESMTP\r\n" "221 bye\r\n" <nil>
}

// The reverse player checks a server's lines, with regexps where the text varies.
func TestPlayClientAgainstServer(t *testing.T) {
	t.Parallel()
	script := MustParse("client", "S~ 220 .* ESMTP.*\nC: EHLO x\nC: NOOP\nS: 250 x\nS~ 250 [0-9.]+ ok\nC: QUIT\nS: 221 bye\n")
	tests := []struct {
		name   string
		server string // what the fake server sends in reply to everything
		want   string // "" for success, else part of the error
	}{
		{"match", "220 mx.test ESMTP Postfix\r\n250 x\r\n250 2.0.0 ok\r\n221 bye\r\n", ""},
		{"regexp mismatch", "220 mx.test SMTP\r\n", `client:1: want S~ 220 .* ESMTP.*, got "220 mx.test SMTP"`},
		{"exact mismatch", "220 a ESMTP\r\n250 y\r\n", `client:4: want S: 250 x, got "250 y"`},
		{"server hangs up", "220 a ESMTP\r\n250 x\r\n", `client:5: want S~ 250 [0-9.]+ ok, got end of input (EOF)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cc, sc := net.Pipe()
			go func() {
				defer sc.Close()
				_, _ = sc.Write([]byte(tc.server))
				// Wait for EHLO and NOOP (or for the client to give up), then hang up
				// early or read until the client closes.
				r := bufio.NewReader(sc)
				for range 2 {
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
				}
				if strings.HasSuffix(tc.server, "221 bye\r\n") {
					_, _ = io.Copy(io.Discard, r)
				}
			}()
			err := PlayClient(cc, script, PlayOptions{Timeout: time.Second})
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
