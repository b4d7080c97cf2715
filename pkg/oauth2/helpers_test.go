package oauth2

import (
	"context"
	"crypto/tls"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/auth"
	"github.com/msmtp-go/msmtp/pkg/smtpclient"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a clock that moves only when told to; its Sleep moves it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// testContext ends with the test, and after a minute at most, so that a hang fails.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// fileStore is a FileStore in a fresh directory, holding tok unless it is the zero Token.
func fileStore(t *testing.T, tok Token) *FileStore {
	t.Helper()
	s := &FileStore{Path: filepath.Join(testutil.TempDir(t), "tokens", "acct.json")}
	if tok != (Token{}) {
		if err := s.Save(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func load(t *testing.T, s Store) Token {
	t.Helper()
	tok, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newTestSource is a Source for the fake provider with the fake clock.
func newTestSource(idp *fakeIdP, store Store, clock *fakeClock) *Source {
	return NewSource(idp.config("acct"), store, Options{HTTPClient: idp.srv.Client(), Now: clock.Now, Sleep: clock.Sleep})
}

// send is what pkg/delivery does with a Source: open an SMTP session that authenticates
// with XOAUTH2 and the token, send a mail, and on a 535 try once more with a new token.
func send(ctx context.Context, src *Source, port int) error {
	return src.Do(ctx, func(token string) error {
		c, err := smtpclient.Open(ctx, smtpclient.Options{
			Host: "127.0.0.1", Port: port, Timeout: 30 * time.Second,
			Authenticate: func(*smtpclient.Capabilities, *tls.ConnectionState) (sasl.Client, error) {
				return auth.NewClient(auth.Params{Mechanism: auth.XOAuth2, User: "joe@example.org", Password: token})
			},
		})
		if err != nil {
			return err
		}
		defer c.Close()
		env := smtpclient.Envelope{From: "joe@example.org", Recipients: []smtpclient.Recipient{{Address: "ann@example.org"}}}
		if _, err := c.Send(ctx, env, strings.NewReader("Subject: hi\r\n\r\nhello\r\n")); err != nil {
			return err
		}
		return c.Quit()
	}, func(err error) bool { return errors.Is(err, smtpclient.ErrAuthFailed) })
}

// closedURL is the URL of a server that is gone: connections to it are refused.
func closedURL(t *testing.T) string {
	t.Helper()
	idp := newFakeIdP(t)
	u := idp.url("/token")
	idp.srv.Close()
	return u
}
