package relay_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/auth"
	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/queue"
	"github.com/msmtp-go/msmtp/pkg/relay"
	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// The queue over real SMTP: 200 small mails enqueued durably (every fsync), then delivered
// to an SMTP sink on loopback (pkg/server, which discards them) through QueueTransport, once
// with one session for all, once with one session per mail — what a queue without session
// reuse, such as msmtpq running msmtp once per mail, does. The account is resolved once in
// both cases, so that only the sessions differ. docs/performance.md has the figures; the
// queue's own costs without a network are pkg/queue's benchmarks.

const benchQueueMails = 200

var benchQueueMail = "From: a@example.com\nTo: b@example.org\nSubject: bench\n\n" + strings.Repeat("A small mail of a dozen lines.\n", 12)

// BenchmarkQueueSMTP: enqueue, then flush with and without session reuse, to a sink in clear
// text and to one that wants STARTTLS and AUTH PLAIN, as a provider's submission server
// does; mails/s is the rate per mail.
func BenchmarkQueueSMTP(b *testing.B) {
	plain := startRecordingSink(b, false)
	ca := smtptest.NewCA(b, smtptest.CertOptions{})
	submission := startSink(b, &server.Server{
		TLSConfig:    ca.ServerConfig(b),
		AuthRequired: true,
		Auth: []server.AuthMechanism{{Name: "PLAIN", New: func(_ server.ConnInfo, login func(string)) sasl.Server {
			return auth.NewPlainServer(func(user, password string) error {
				if user != "u" || password != "secret" {
					return errors.New("wrong password")
				}
				login(user)
				return nil
			})
		}}},
	}, false)
	caFile := testutil.WriteFile(b, testutil.TempDir(b), "ca.pem", string(ca.CertPEM), 0o600)
	for _, srv := range []struct {
		name  string
		sink  *recordingSink
		lines []string
	}{
		{"plain", plain, nil},
		{"starttls-auth", submission, []string{"tls on", "tls_trust_file " + caFile, "auth plain", "user u", "password secret"}},
	} {
		b.Run(srv.name, func(b *testing.B) { benchQueueSMTP(b, srv.sink, srv.lines) })
	}
}

func benchQueueSMTP(b *testing.B, sink *recordingSink, lines []string) {
	acct, err := config.Resolve(config.Request{
		Mode: config.ModeSendmail, Account: config.Some("test"), File: config.Some("msmtprc"),
		Env: rcEnv(portOf(sink.port), append([]string{"from a@example.com"}, lines...)...),
	})
	if err != nil {
		b.Fatal(err)
	}
	tr := &relay.QueueTransport{
		Account: func(context.Context, *queue.Envelope, *message.Header) (*config.Account, error) { return acct, nil },
	}
	env := queue.Envelope{
		Account: "test", ConfigFile: "msmtprc", Sender: "a@example.com",
		Recipients: []queue.Recipient{{Address: "b@example.org"}},
		Extras:     map[string]string{relay.ExtraQueuedBy: relay.QueuedByMsmtp},
	}
	open := func(b *testing.B) *queue.Queue {
		q, err := queue.Open(filepath.Join(testutil.TempDir(b), "queue"), queue.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return q
	}
	fill := func(b *testing.B, q *queue.Queue) {
		for range benchQueueMails {
			if _, err := q.Enqueue(context.Background(), env, strings.NewReader(benchQueueMail)); err != nil {
				b.Fatal(err)
			}
		}
	}

	b.Run("enqueue", func(b *testing.B) {
		q := open(b)
		for b.Loop() {
			fill(b, q)
			b.StopTimer()
			if _, err := q.Purge(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(benchQueueMails*b.N)/b.Elapsed().Seconds(), "mails/s")
	})
	for _, mode := range []struct {
		name      string
		transport queue.Transport
	}{
		{"flush-session-reuse", tr},
		{"flush-session-per-mail", sessionPerMail{tr}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			q := open(b)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				fill(b, q)
				before := sink.conns.Load()
				b.StartTimer()
				rep, err := q.Run(context.Background(), queue.RunOptions{Transport: mode.transport})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				for _, m := range rep.Messages {
					if m.Disposition != queue.Completed {
						b.Fatalf("%s: %v %v", m.ID, m.Disposition, m.Outcomes)
					}
				}
				if len(rep.Messages) != benchQueueMails {
					b.Fatalf("%d messages delivered", len(rep.Messages))
				}
				b.ReportMetric(float64(sink.conns.Load()-before), "sessions/op")
				b.StartTimer()
			}
			b.ReportMetric(float64(benchQueueMails*b.N)/b.Elapsed().Seconds(), "mails/s")
		})
	}
}

// sessionPerMail is a transport that opens a session of the inner one for each mail.
type sessionPerMail struct{ inner queue.Transport }

func (t sessionPerMail) Open(_ context.Context, ref queue.AccountRef) (queue.Session, error) {
	return &perMailSession{inner: t.inner, ref: ref}, nil
}

type perMailSession struct {
	inner queue.Transport
	ref   queue.AccountRef
}

func (s *perMailSession) Send(ctx context.Context, msg *queue.Message) ([]queue.Outcome, error) {
	sess, err := s.inner.Open(ctx, s.ref)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	return sess.Send(ctx, msg)
}

func (*perMailSession) Reset(context.Context) error { return nil }
func (*perMailSession) Close() error                { return nil }

// TestSessionPerMail checks the benchmark's premise: the per-mail transport really opens one
// session per mail, and the plain one a single session for all.
func TestSessionPerMail(t *testing.T) {
	t.Parallel()
	sink := startRecordingSink(t, false)
	for _, tc := range []struct {
		perMail bool
		want    int32
	}{{false, 1}, {true, 3}} {
		q, _ := newTestQueue(t)
		for i := range 3 {
			enqueue(t, q, "Subject: "+strconv.Itoa(i)+"\n\nbody\n", "b@example.org")
		}
		var tr queue.Transport = &relay.QueueTransport{Env: rcEnv(portOf(sink.port))}
		if tc.perMail {
			tr = sessionPerMail{tr}
		}
		before := sink.conns.Load()
		if _, err := q.Run(context.Background(), queue.RunOptions{Transport: tr}); err != nil {
			t.Fatal(err)
		}
		if got := sink.conns.Load() - before; got != tc.want {
			t.Errorf("per mail %v: %d sessions, want %d", tc.perMail, got, tc.want)
		}
	}
}
