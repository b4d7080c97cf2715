package smtpclient

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// sink is a minimal SMTP server for benchmarks: it accepts everything as fast as it can.
func sink(b *testing.B) (host string, port int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSink(conn)
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func serveSink(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	w := bufio.NewWriter(conn)
	reply := func(s string) {
		w.WriteString(s)
	}
	reply("220 sink\r\n")
	w.Flush()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch verb, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " "); verb {
		case "EHLO":
			reply("250-sink\r\n250 PIPELINING\r\n")
		case "DATA":
			reply("354 go\r\n")
			w.Flush()
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			reply("250 ok\r\n")
		case "QUIT":
			reply("221 bye\r\n")
			w.Flush()
			return
		default:
			reply("250 ok\r\n")
		}
		if r.Buffered() == 0 {
			w.Flush()
		}
	}
}

const benchMail = "From: a@example.com\nTo: b@example.org\nSubject: benchmark\n\nHello,\nthis is a small mail.\n"

var benchEnvelope = Envelope{From: "a@example.com", Recipients: []Recipient{{Address: "b@example.org"}}}

// BenchmarkSession: connect, EHLO, one small mail, QUIT over loopback.
func BenchmarkSession(b *testing.B) {
	host, port := sink(b)
	opts := Options{Host: host, Port: port, Domain: "localhost", Timeout: 10 * time.Second}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := Open(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Send(ctx, benchEnvelope, strings.NewReader(benchMail)); err != nil {
			b.Fatal(err)
		}
		if err := c.Quit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSend: one small mail on a reused session (the queue's case).
func BenchmarkSend(b *testing.B) {
	host, port := sink(b)
	ctx := context.Background()
	c, err := Open(ctx, Options{Host: host, Port: port, Domain: "localhost", Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Send(ctx, benchEnvelope, strings.NewReader(benchMail)); err != nil {
			b.Fatal(err)
		}
	}
}
