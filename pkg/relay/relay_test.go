package relay_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/relay"
	"github.com/msmtp-go/msmtp/pkg/server"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

var fixedNow = time.Date(2026, 11, 25, 18, 22, 56, 0, time.UTC)

// counter is a deterministic random source for the Message-ID: 0, 1, 2, ...
type counter struct{ n byte }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

// logBuffer collects the backend's log records; the engine's goroutines write to it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// resolver chooses account "test" of an msmtprc made of lines, with -f SENDER, as msmtpd's
// in-process delivery and `msmtp -bs` do (pkg/config's Resolve).
func resolver(lines ...string) relay.Resolver {
	text := "account test\n" + strings.Join(lines, "\n") + "\n"
	return func(_ context.Context, from string, _ *message.Header) (*config.Account, error) {
		ov := new(config.Overrides)
		if err := ov.Set("from", &from); err != nil {
			return nil, err
		}
		return config.Resolve(config.Request{
			Mode: config.ModeSendmail, Account: config.Some("test"), File: config.Some("msmtprc"), Overrides: ov,
			Env: config.Env{OS: "linux", Euid: -1, Open: func(name string) (io.ReadCloser, error) {
				if name == "msmtprc" {
					return io.NopCloser(strings.NewReader(text)), nil
				}
				return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
			}},
		})
	}
}

// relayRun is one session through pkg/server's engine with relay.Backend in front.
type relayRun struct {
	ctx    context.Context // the backend's context; nil: background
	reuse  bool            // keep upstream sessions between mails (the default of Backend)
	lines  []string        // the account, after host and port of the upstream
	client string          // the client's transcript (smtptest.PlayClient)
}

// run starts the engine with the relay backend on 127.0.0.1:0, plays the client's script
// against it and returns the backend's log and the client's result.
func (r relayRun) run(t *testing.T, upstreamPort int) (string, error) {
	t.Helper()
	logs := &logBuffer{}
	srv := &server.Server{
		Backend: &relay.Backend{
			Context: r.ctx,
			Resolve: resolver(append([]string{"host 127.0.0.1", "port " + strconv.Itoa(upstreamPort)}, r.lines...)...),
			Delivery: delivery.Options{
				Now: func() time.Time { return fixedNow }, Location: time.UTC, Random: &counter{},
			},
			Logger:      slog.New(slog.NewTextHandler(logs, nil)),
			SessionIdle: -1,
		},
		Now:        func() time.Time { return fixedNow },
		LookupAddr: func(context.Context, string) ([]string, error) { return nil, errors.New("no reverse DNS in tests") },
	}
	backend := srv.Backend.(*relay.Backend)
	if r.reuse {
		backend.SessionIdle = time.Minute
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	defer func() {
		_ = srv.Close()
		<-done
		_ = backend.Close() // QUIT to the upstream sessions kept for reuse
	}()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	err = smtptest.PlayClient(conn, smtptest.MustParse("client", r.client), smtptest.PlayOptions{Timeout: 10 * time.Second, Logf: t.Logf})
	return logs.String(), err
}

// The engine's greeting and EHLO reply, and the client's envelope.
const (
	clientHello = `S: 220 localhost ESMTP msmtpd
C: EHLO client.example
S: 250-localhost
S: 250-PIPELINING
S: 250-8BITMIME
S: 250-SMTPUTF8
S: 250-SIZE
S: 250-ENHANCEDSTATUSCODES
S: 250 DSN
`
	clientEnvelope = clientHello + `C: MAIL FROM:<a@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<b@example.org>
S: 250 2.1.5 Ok
C: DATA
S: 354 Send data
C: Subject: relayed
C:
C: body
C: .
`
	// upstreamEnvelope is what the upstream server sees of that, up to its 354.
	upstreamEnvelope = `S: 220 upstream.test ESMTP
C: EHLO localhost
S: 250 upstream.test
C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 250 ok
C: DATA
S: 354 go ahead
`
)

// upstream starts a scripted upstream server.
func upstream(t *testing.T, script string) *smtptest.Server {
	return smtptest.NewServer(t, smtptest.MustParse("upstream", script), smtptest.ServerOptions{Timeout: 10 * time.Second})
}

// TestRelaySuccess: the mail goes upstream with the engine's Received header first (a trace
// field stays on top, RFC 5321 §4.4), then the header fields msmtp adds, and the client gets
// the engine's 250.
func TestRelaySuccess(t *testing.T) {
	t.Parallel()
	up := upstream(t, upstreamEnvelope+`C: Received: from client.example ([127.0.0.1])
C~ \tby \[127\.0\.0\.1\] \(msmtpd\) with ESMTP;
C~ \tWed, 25 Nov 2026 18:22:56 \+0000
C: From: a@example.com
C: Date: Wed, 25 Nov 2026 18:22:56 +0000
C: Message-ID: <000102030405060708090a0b0c0d0e0f@example.com>
C: Subject: relayed
C:
C: body
C: .
S: 250 2.0.0 queued as 1234
C: QUIT
S: 221 bye
`)
	logs, err := relayRun{client: clientEnvelope + "S: 250 2.0.0 Ok\nC: QUIT\nS: 221 2.0.0 Bye\n"}.run(t, up.Port())
	if err != nil {
		t.Error(err)
	}
	if err := up.Wait(); err != nil {
		t.Error(err)
	}
	if logs != "" {
		t.Errorf("a successful delivery logged %s", logs)
	}
}

// TestRelayUpstreamRefusal: the upstream server's refusal reaches the client with its class
// kept (4xx stays temporary, 5xx permanent) and its words (relay.ErrorReply), whether it came
// at RCPT or after the data; the log has the whole error.
func TestRelayUpstreamRefusal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		upstream string
		reply    string // the client's reply after the data
		log      string // a piece of the log record
	}{
		{"RCPT 450", strings.Replace(upstreamEnvelope, "C: RCPT TO:<b@example.org>\nS: 250 ok\nC: DATA\nS: 354 go ahead\n", "C: RCPT TO:<b@example.org>\nS: 450 4.2.1 mailbox busy\nC: QUIT\nS: 221 bye\n", 1),
			"451 4.2.1 recipient address b@example.org not accepted by the server: mailbox busy",
			`error="recipient address b@example.org not accepted by the server" exitcode=EX_UNAVAILABLE`},
		{"RCPT 550", strings.Replace(upstreamEnvelope, "C: RCPT TO:<b@example.org>\nS: 250 ok\nC: DATA\nS: 354 go ahead\n", "C: RCPT TO:<b@example.org>\nS: 550 5.1.1 no such user\nC: QUIT\nS: 221 bye\n", 1),
			"554 5.1.1 recipient address b@example.org not accepted by the server: no such user",
			`exitcode=EX_DATAERR`},
		{"RCPT 550 without an enhanced code", strings.Replace(upstreamEnvelope, "C: RCPT TO:<b@example.org>\nS: 250 ok\nC: DATA\nS: 354 go ahead\n", "C: RCPT TO:<b@example.org>\nS: 550 no such user\nC: QUIT\nS: 221 bye\n", 1),
			"554 5.3.0 recipient address b@example.org not accepted by the server: no such user",
			`exitcode=EX_DATAERR`},
		{"end of data 452", upstreamEnvelope + "!skipdata\nS: 452 4.3.1 insufficient storage\nC: QUIT\nS: 221 bye\n",
			"451 4.3.1 the server did not accept the mail: insufficient storage",
			`error="the server did not accept the mail" exitcode=EX_UNAVAILABLE`},
		{"end of data 554", upstreamEnvelope + "!skipdata\nS: 554-5.7.1 rejected\nS: 554 5.7.1 as spam\nC: QUIT\nS: 221 bye\n",
			"554 5.7.1 the server did not accept the mail: rejected",
			`exitcode=EX_UNAVAILABLE`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := upstream(t, tt.upstream)
			logs, err := relayRun{client: clientEnvelope + "S: " + tt.reply + "\nC: QUIT\nS: 221 2.0.0 Bye\n"}.run(t, up.Port())
			if err != nil {
				t.Error(err)
			}
			if err := up.Wait(); err != nil {
				t.Error(err)
			}
			if !strings.Contains(logs, "delivery failed") || !strings.Contains(logs, tt.log) {
				t.Errorf("log %q does not contain %q", logs, tt.log)
			}
		})
	}
}

// TestRelayConfigError: a local configuration problem gives the client a permanent 554
// with a generic text; the detail (which could name files and accounts) is in the log only.
func TestRelayConfigError(t *testing.T) {
	t.Parallel()
	logs, err := relayRun{
		lines:  []string{"tls on", "tls_trust_file", "tls_certcheck on"},
		client: clientEnvelope + "S: 554 5.3.0 Delivery failed (EX_CONFIG)\nC: QUIT\nS: 221 2.0.0 Bye\n",
	}.run(t, 25)
	if err != nil {
		t.Error(err)
	}
	if want := "account test from msmtprc: tls requires either tls_trust_file (highly recommended) or tls_fingerprint or a disabled tls_certcheck"; !strings.Contains(logs, want) {
		t.Errorf("log %q does not have the detail %q", logs, want)
	}
}

// TestRelayClientDisconnects: a client that goes away in the middle of its data must not
// cause a truncated mail upstream (upstream msmtpd delivers it, spec-mail-smtp.md §11.2):
// the upstream session ends without the final dot.
func TestRelayClientDisconnects(t *testing.T) {
	t.Parallel()
	up := upstream(t, upstreamEnvelope+"!skipdata\nS: 250 ok\nC: QUIT\nS: 221 bye\n")
	_, err := relayRun{client: clientHello + `C: MAIL FROM:<a@example.com>
S: 250 2.1.0 Ok
C: RCPT TO:<b@example.org>
S: 250 2.1.5 Ok
C: DATA
S: 354 Send data
C: Subject: cut short
C:
C: the first line of a body that never ends
!sleep 300ms
!close
`}.run(t, up.Port())
	if err != nil {
		t.Error(err)
	}
	var me *smtptest.MismatchError
	werr := up.Wait()
	if !errors.As(werr, &me) || me.Step.Kind != smtptest.SkipData || !strings.HasPrefix(me.Got, "end of input") {
		t.Errorf("the upstream got a complete mail, or something else went wrong: %v", werr)
	}
}

// TestRelayCancelled: cancelling the backend's context (msmtpd shutting down) abandons a
// delivery in flight, and the client gets a temporary failure, as relay.Backend promises,
// so that it retries later.
func TestRelayCancelled(t *testing.T) {
	t.Parallel()
	up := upstream(t, "S= \"220-upstream is slow\"\n!stall\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(300*time.Millisecond, cancel)
	logs, err := relayRun{ctx: ctx, client: clientEnvelope + "S~ 451 4\\.3\\.0 .*\nC: QUIT\nS: 221 2.0.0 Bye\n"}.run(t, up.Port())
	if err != nil {
		t.Errorf("%v\nlog: %s", err, logs)
	}
	_ = up.Wait()
}

// TestExitReply: msmtpd's mapping of a delivery's exit status to its reply
// (spec-mail-smtp.md §8.3 item 9): 250 for success, 451 for the four temporary codes, 554 for
// everything else.
func TestExitReply(t *testing.T) {
	t.Parallel()
	want := map[sysexits.Code]string{
		0:  "250 2.0.0 x",
		64: "554 5.3.0 x", 65: "554 5.3.0 x", 66: "554 5.3.0 x", 67: "554 5.3.0 x",
		68: "451 4.3.0 x", 69: "451 4.3.0 x", 70: "554 5.3.0 x", 71: "451 4.3.0 x",
		72: "554 5.3.0 x", 73: "554 5.3.0 x", 74: "554 5.3.0 x", 75: "451 4.3.0 x",
		76: "554 5.3.0 x", 77: "554 5.3.0 x", 78: "554 5.3.0 x",
		1: "554 5.3.0 x", 127: "554 5.3.0 x", // a pipe command's other statuses
	}
	for code, w := range want {
		r := relay.ExitReply(code, "x")
		if got := strings.Join(r.Lines, "\n"); got != w {
			t.Errorf("ExitReply(%d) = %q, want %q", code, got, w)
		}
		if strconv.Itoa(r.Code) != w[:3] {
			t.Errorf("ExitReply(%d).Code = %d", code, r.Code)
		}
	}
}

// TestErrorReplyWithoutServerReply: errors that carry no server reply follow the exit
// status with a generic text, so nothing of the error's wording reaches the client.
func TestErrorReplyWithoutServerReply(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&config.Error{Msg: "secret.conf: line 3: bad", Kind: config.KindConfig}, "554 5.3.0 Delivery failed (EX_CONFIG)"},
		{errors.New("anything"), "554 5.3.0 Delivery failed (EX_SOFTWARE)"},
		{&message.InputError{Err: io.ErrUnexpectedEOF}, "554 5.3.0 Delivery failed (EX_IOERR)"},
	} {
		if got := strings.Join(relay.ErrorReply(tt.err).Lines, "\n"); got != tt.want {
			t.Errorf("ErrorReply(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
