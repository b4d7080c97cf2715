package server_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/pkg/server"
)

// fuzzMail is what the fuzz backend delivered.
type fuzzMail struct {
	From  string
	Rcpts []string
	Data  string
}

// fuzzBackend delivers a mail only when Data's reader ended with io.EOF, as the Session
// contract asks.
type fuzzBackend struct {
	mails []fuzzMail
}

func (b *fuzzBackend) NewSession(server.ConnInfo) (server.Session, error) {
	return &fuzzSession{b: b}, nil
}

type fuzzSession struct {
	b   *fuzzBackend
	cur fuzzMail
}

func (s *fuzzSession) Mail(from string, _ server.MailOptions) error {
	s.cur = fuzzMail{From: from}
	return nil
}

func (s *fuzzSession) Rcpt(to string, _ server.RcptOptions) error {
	s.cur.Rcpts = append(s.cur.Rcpts, to)
	return nil
}

func (s *fuzzSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = string(data)
	s.b.mails = append(s.b.mails, s.cur)
	return nil
}

func (s *fuzzSession) Reset()        { s.cur = fuzzMail{} }
func (s *fuzzSession) Logout() error { return nil }

// panicHandler counts the engine's panic records.
type panicHandler struct {
	mu     sync.Mutex
	panics []string
}

func (h *panicHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *panicHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "panic in SMTP session" {
		h.mu.Lock()
		defer h.mu.Unlock()
		r.Attrs(func(a slog.Attr) bool {
			h.panics = append(h.panics, a.Value.String())
			return true
		})
	}
	return nil
}
func (h *panicHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *panicHandler) WithGroup(string) slog.Handler      { return h }

// fuzzRun serves in as one client session on a stream and returns what was delivered.
func fuzzRun(t *testing.T, tc testCerts, in []byte) []fuzzMail {
	be := &fuzzBackend{}
	ph := &panicHandler{}
	srv := &server.Server{
		Backend:         be,
		TLSConfig:       tc.server,
		Auth:            []server.AuthMechanism{plainMech(), loginMech()},
		MaxMessageBytes: 2048,
		MaxRecipients:   5,
		MaxLineLength:   256,
		Logger:          slog.New(ph),
		LookupAddr:      fakeLookup,
		Now:             func() time.Time { return fixedNow },
		Sleep:           func(context.Context, time.Duration) {},
	}
	_ = srv.ServeConn(context.Background(), &server.StreamConn{R: strings.NewReader(string(in)), W: io.Discard})
	if len(ph.panics) > 0 {
		t.Fatalf("the session panicked on %q: %v", in, ph.panics)
	}
	return be.mails
}

// FuzzSession feeds arbitrary client bytes through ServeConn. It must never panic or hang,
// and never deliver a mail whose data did not end with the terminating dot: serving any
// prefix of an input delivers a prefix of what the whole input delivers, so a connection
// cut inside DATA never yields an extra (truncated) mail.
func FuzzSession(f *testing.F) {
	seeds := []string{
		"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n..dot\r\n.\r\nQUIT\r\n",
		"HELO php\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\n\nbody\n.\nQUIT\r\n",
		"ehlo c\nmail from:<> size=10 body=8bitmime smtputf8\nrcpt to:<postmaster> notify=never\ndata\n.\nrset\nquit\n",
		"EHLO c\r\nAUTH PLAIN AGpvZQBzM2NyZXQ=\r\nAUTH LOGIN\r\nam9l\r\n*\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n.\r\n",
		"EHLO c\r\nAUTH LOGIN\r\nam9l\r\nczNjcmV0\r\nMAIL FROM:<a@b> AUTH=<>\r\n",
		"EHLO c\r\nSTARTTLS\r\n\x16\x03\x01\x00\x05hello",
		"EHLO c\r\nMAIL FROM:<a@b>\r\nDATA\r\njunk\r\n.\r\n",
		"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n" + strings.Repeat("x", 3000) + "\r\n.\r\nNOOP\r\n",
		"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nline\r\n.\r",
		"NOOP " + strings.Repeat("y", 600) + "\r\nNOOP\r\n",
		"EHLO \x00\r\nMAIL FROM:<\"q\\\"x\"@[IPv6:::1]> ENVID=a+2Bb RET=HDRS\r\nRCPT TO:<j\xc3\xb6rg@ex.org> ORCPT=utf-8;j\\x{F6}rg@ex.org\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	tc := certs(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		full := fuzzRun(t, tc, in)
		for _, cut := range []int{len(in) - 1, len(in) - 3, len(in) / 2, len(in) * 3 / 4} {
			if cut <= 0 || cut >= len(in) {
				continue
			}
			part := fuzzRun(t, tc, in[:cut])
			if len(part) > len(full) || len(part) > 0 && !cmp.Equal(part, full[:len(part)]) {
				t.Fatalf("serving %d of %d bytes delivered %+v,\nbut the whole input delivered %+v", cut, len(in), part, full)
			}
		}
	})
}
