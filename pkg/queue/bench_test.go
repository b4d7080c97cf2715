package queue

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// These benchmarks measure the queue's own costs: fsyncs per enqueue, and what session
// reuse saves with a transport that charges a fixed cost per session (2 ms, a TLS
// handshake and AUTH on a near server) and per message (0.1 ms). The numbers over real
// SMTP come from bench/.

const benchMails = 200

var benchMessage = strings.Repeat("Subject: bench\n\nA small message.\n", 10)

// BenchmarkEnqueue: durable enqueues per second, each with its four fsyncs.
func BenchmarkEnqueue(b *testing.B) {
	q, err := Open(filepath.Join(testutil.TempDir(b), "queue"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	e := env("joe@example.org", "ann@example.com")
	for b.Loop() {
		if _, err := q.Enqueue(context.Background(), e, strings.NewReader(benchMessage)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
	b.StopTimer()
	if _, err := q.Purge(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFlush: delivering 200 queued mails of one account through one session, versus
// one session per mail (each mail its own account, as a queue without reuse would do).
func BenchmarkFlush(b *testing.B) {
	for _, mode := range []string{"session-reuse", "session-per-mail"} {
		b.Run(mode, func(b *testing.B) {
			q, err := Open(filepath.Join(testutil.TempDir(b), "queue"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			tr := &fakeTransport{openCost: 2 * time.Millisecond, msgCost: 100 * time.Microsecond}
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := range benchMails {
					e := env("joe@example.org", "ann@example.com")
					if mode == "session-per-mail" {
						e.Account = fmt.Sprintf("acct%d", j)
					}
					if _, err := q.Enqueue(context.Background(), e, strings.NewReader(benchMessage)); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				rep, err := q.Run(context.Background(), RunOptions{Transport: tr})
				if err != nil || len(rep.Messages) != benchMails {
					b.Fatalf("Run: %d messages, %v", len(rep.Messages), err)
				}
			}
			b.ReportMetric(float64(benchMails*b.N)/b.Elapsed().Seconds(), "mails/s")
		})
	}
}
