package server_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtp"
)

// printSession prints each mail it receives.
type printSession struct{ from string }

func (s *printSession) Mail(from string, _ server.MailOptions) error { s.from = from; return nil }
func (s *printSession) Rcpt(to string, _ server.RcptOptions) error {
	if !strings.HasSuffix(to, "@example.org") {
		return smtp.NewReply(550, smtp.EnhBadDestMailbox, "No such user here")
	}
	return nil
}
func (s *printSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err // incomplete mail: never deliver it
	}
	fmt.Printf("--- mail from <%s>:\n%s---\n", s.from, strings.ReplaceAll(string(data), "\r\n", "\n"))
	return nil
}
func (s *printSession) Reset()        {}
func (s *printSession) Logout() error { return nil }

type lineWriter struct{ w io.Writer }

func (l lineWriter) Write(p []byte) (int, error) {
	_, err := l.w.Write([]byte(strings.ReplaceAll(string(p), "\r\n", "\n")))
	return len(p), err
}

// ExampleServer_ServeConn serves one session on a reader and a writer, as `msmtp -bs` does
// on stdin and stdout.
func ExampleServer_ServeConn() {
	srv := &server.Server{
		Backend: server.BackendFunc(func(server.ConnInfo) (server.Session, error) { return &printSession{}, nil }),
		Now:     func() time.Time { return time.Date(2026, 11, 25, 18, 24, 20, 0, time.UTC) },
	}
	client := strings.Join([]string{
		"HELO php-host",
		"MAIL FROM:<www@example.com>",
		"RCPT TO:<nobody@elsewhere.example>",
		"RCPT TO:<joe@example.org>",
		"DATA",
		"Subject: hello",
		"",
		"Hi Joe.",
		".",
		"QUIT",
		"",
	}, "\r\n")
	// StreamConn closes R and W at the end when they are io.Closers: lineWriter keeps
	// os.Stdout open (and shows CRLF line endings as plain newlines).
	err := srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader(client), W: lineWriter{os.Stdout}})
	fmt.Println("session error:", err)
	// Output:
	// 220 localhost ESMTP msmtpd
	// 250 localhost
	// 250 Ok
	// 550 5.1.1 No such user here
	// 250 Ok
	// 354 Send data
	// --- mail from <www@example.com>:
	// Received: from php-host ([])
	// 	by [] (msmtpd) with SMTP;
	// 	Wed, 25 Nov 2026 18:24:20 +0000
	// Subject: hello
	//
	// Hi Joe.
	// ---
	// 250 Ok
	// 221 Bye
	// session error: <nil>
}
