package smtpclient

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
)

// FuzzClient runs a whole session against a server that sends arbitrary bytes. The client
// must never panic, never hang (every wait is bounded by the timeout, and the fake server
// hangs up after its bytes), and must return only *Error values.
func FuzzClient(f *testing.F) {
	f.Add(byte(0), []byte("220 x\r\n250-x\r\n250-PIPELINING\r\n250 SIZE 10\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n"))
	f.Add(byte(1), []byte("220 x\r\n250-x\r\n250 AUTH PLAIN\r\n334 \r\n334 =\r\n235 ok\r\n250 ok\r\n"))
	f.Add(byte(2), []byte("220 lmtp\r\n250 x\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 a\r\n550 b\r\n"))
	f.Add(byte(3), []byte("220 x\r\n250-x\r\n250 STARTTLS\r\n220 go\r\n\x16\x03\x01\x00\x05hello"))
	f.Add(byte(0), []byte("220-a\n220 b\n500 no\n250 helo\n451 later\n"))
	f.Add(byte(4), []byte("220 x\r\n250-x\r\n250 ETRN\r\n459 no\r\n"))
	f.Fuzz(func(t *testing.T, mode byte, server []byte) {
		clientEnd, serverEnd := net.Pipe()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _ = serverEnd.Write(server)
			serverEnd.Close()
		}()
		go func() {
			defer wg.Done()
			_, _ = io.Copy(io.Discard, serverEnd)
		}()
		opts := Options{
			Host:    "mx.test",
			Port:    25,
			Domain:  "localhost",
			Timeout: 50 * time.Millisecond,
			Dialer: dialFunc(func(context.Context, string, string) (net.Conn, error) {
				return clientEnd, nil
			}),
			Transcript: io.Discard,
		}
		switch mode % 5 {
		case 1:
			opts.Authenticate = func(*Capabilities, *tls.ConnectionState) (sasl.Client, error) {
				return sasl.NewPlainClient("", "u", "p"), nil
			}
		case 2:
			opts.Protocol = LMTP
		case 3:
			opts.TLS = StartTLS
			opts.TLSConfig = &tls.Config{InsecureSkipVerify: true}
		case 4:
			opts.RequireETRN = true
		}
		start := time.Now()
		c, err := Open(context.Background(), opts)
		if err == nil {
			if mode%5 == 4 {
				_, err = c.ETRN(context.Background(), "@example.org")
			} else {
				env := Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b@example.org"}, {Address: "c@example.org"}}, Size: 20}
				_, err = c.Send(context.Background(), env, strings.NewReader("Subject: x\n\n.body\n"))
			}
			c.Close()
		}
		clientEnd.Close()
		wg.Wait()
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("error %T %v is not an *Error", err, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("session took %v", d)
		}
	})
}
