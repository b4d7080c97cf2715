package server_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtp"
)

type discardBackend struct{}

func (discardBackend) NewSession(server.ConnInfo) (server.Session, error) {
	return discardSession{}, nil
}

type discardSession struct{}

func (discardSession) Mail(string, server.MailOptions) error { return nil }
func (discardSession) Rcpt(string, server.RcptOptions) error { return nil }
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset()        {}
func (discardSession) Logout() error { return nil }

// BenchmarkSession measures whole sessions per second over loopback: connect, greeting,
// EHLO, one small mail (MAIL and RCPT pipelined with DATA), QUIT.
func BenchmarkSession(b *testing.B) {
	srv := &server.Server{
		Backend:    discardBackend{},
		Logger:     slog.New(slog.DiscardHandler),
		LookupAddr: fakeLookup,
	}
	l := listen(b)
	go func() { _ = srv.Serve(l) }()
	b.Cleanup(func() { shutdown(b, srv) })
	addr := l.Addr().String()
	body := "Subject: bench\r\n\r\n" + strings.Repeat("A small mail body line.\r\n", 40) + ".\r\nQUIT\r\n"
	cmds := "EHLO bench.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	start := time.Now()
	n := 0
	for b.Loop() {
		n++
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		r := bufio.NewReader(conn)
		expect := func(code int) {
			rep, err := smtp.ReadReply(r)
			if err != nil || rep.Code != code {
				b.Fatalf("reply %v %v, want %d", rep, err, code)
			}
		}
		expect(220)
		if _, err := io.WriteString(conn, cmds); err != nil {
			b.Fatal(err)
		}
		for _, c := range []int{250, 250, 250, 354} {
			expect(c)
		}
		if _, err := io.WriteString(conn, body); err != nil {
			b.Fatal(err)
		}
		expect(250)
		expect(221)
		conn.Close()
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "sessions/s")
}
