package main

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/server"
)

// benchMail is a typical small mail: headers and 3 KiB of text.
var benchMail = "From: a@example.com\r\nTo: b@example.org\r\nSubject: benchmark\r\n\r\n" +
	strings.Repeat(strings.Repeat("x", 76)+"\r\n", 40)

// startBenchServer serves msmtpd's command backend with a sink command on 127.0.0.1:0: on
// Unix `cat >/dev/null; :` through /bin/sh, as an upstream user would write it (the
// recipients are appended to the `:`); on Windows the test helper, which exits without
// reading.
func startBenchServer(b *testing.B) string {
	b.Helper()
	command := "cat >/dev/null; :"
	if runtime.GOOS == "windows" {
		command = helperCommand(b, testutil.TempDir(b), "noread", "")
	}
	tmpl, err := parseCommandTemplate(command)
	if err != nil {
		b.Fatal(err)
	}
	srv := &server.Server{
		Backend:     &backend{ctx: context.Background(), deliver: &commandDeliverer{tmpl: tmpl, log: newLineLogger(discardSink{}), env: helperEnv()}},
		MaxSessions: -1,
		LookupAddr:  func(context.Context, string) ([]string, error) { return nil, errors.New("no lookups") },
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func sendBenchMails(b *testing.B, addr string, more func() bool) {
	c, err := gosmtp.Dial(addr)
	if err != nil {
		b.Error(err)
		return
	}
	defer c.Close()
	for more() {
		if err := c.SendMail("a@example.com", []string{"b@example.org"}, strings.NewReader(benchMail)); err != nil {
			b.Error(err)
			return
		}
	}
	c.Quit()
}

// BenchmarkCommandBackend measures mails per second through one SMTP session, each mail
// received, spooled and piped to its own process.
func BenchmarkCommandBackend(b *testing.B) {
	addr := startBenchServer(b)
	sendBenchMails(b, addr, b.Loop)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}

// BenchmarkCommandBackendParallel is the same with one session per GOMAXPROCS client.
func BenchmarkCommandBackendParallel(b *testing.B) {
	addr := startBenchServer(b)
	b.RunParallel(func(pb *testing.PB) { sendBenchMails(b, addr, pb.Next) })
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}
