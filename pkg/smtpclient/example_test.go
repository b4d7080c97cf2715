package smtpclient_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/smtpclient"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// A complete session: Open, one mail, QUIT, with the --debug transcript. The server here is
// a scripted fake on the other end of a net.Pipe.
func ExampleOpen() {
	server := smtptest.MustParse("example", `
S: 220 mx.example.org ESMTP
C: EHLO client.example.com
S: 250-mx.example.org
S: 250 PIPELINING
C: MAIL FROM:<joe@example.com>
C: RCPT TO:<ann@example.org>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go ahead
C: Subject: hello
C:
C: Hi Ann!
C: .
S: 250 queued as 12345
C: QUIT
S: 221 bye
`)
	clientEnd, serverEnd := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- smtptest.PlayServer(serverEnd, server, smtptest.PlayOptions{}) }()

	var debug bytes.Buffer
	ctx := context.Background()
	c, err := smtpclient.Open(ctx, smtpclient.Options{
		Host:       "mx.example.org",
		Port:       25,
		Domain:     "client.example.com",
		Timeout:    30 * time.Second,
		Transcript: &debug,
		Dialer: dialer(func(context.Context, string, string) (net.Conn, error) {
			return clientEnd, nil
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	env := smtpclient.Envelope{
		From:       "joe@example.com",
		Recipients: []smtpclient.Recipient{{Address: "ann@example.org"}},
	}
	res, err := c.Send(ctx, env, strings.NewReader("Subject: hello\n\nHi Ann!\n"))
	if err != nil {
		fmt.Println(err)
	}
	_ = c.Quit()
	// The transcript has the raw CRLF line endings; they are trimmed for this example.
	for _, line := range strings.Split(strings.TrimSpace(debug.String()), "\n") {
		fmt.Println(strings.TrimRight(line, "\r "))
	}
	fmt.Printf("mailsize=%d smtpstatus=%d script: %v\n", res.Size, res.Reply.Code, <-done)
	// Output:
	// <-- 220 mx.example.org ESMTP
	// --> EHLO client.example.com
	// <-- 250-mx.example.org
	// <-- 250 PIPELINING
	// --> MAIL FROM:<joe@example.com>
	// --> RCPT TO:<ann@example.org>
	// --> DATA
	// <-- 250 ok
	// <-- 250 ok
	// <-- 354 go ahead
	// --> Subject: hello
	// -->
	// --> Hi Ann!
	// --> .
	// <-- 250 queued as 12345
	// --> QUIT
	// <-- 221 bye
	// mailsize=24 smtpstatus=250 script: <nil>
}

type dialer func(ctx context.Context, network, address string) (net.Conn, error)

func (d dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return d(ctx, network, address)
}
