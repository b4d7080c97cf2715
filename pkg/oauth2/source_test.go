package oauth2

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/pkg/smtpclient"
)

// TestTokenUsesValidToken checks that a stored token valid for more than a minute is used
// as it is, without a request.
func TestTokenUsesValidToken(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	clock := newFakeClock()
	store := fileStore(t, Token{AccessToken: "at-0", Expiry: t0.Add(61 * time.Second), RefreshToken: "rt-0"})
	got, err := newTestSource(idp, store, clock).Token(testContext(t))
	if err != nil || got != "at-0" {
		t.Fatalf("Token = %q, %v; want at-0", got, err)
	}
	if _, _, n := idp.state(); n != 0 {
		t.Errorf("%d refreshes for a valid token", n)
	}
}

// TestTokenRefresh checks the refresh of an expired, nearly expired, invalidated or
// expiry-less token, with and without rotation, and what is stored.
func TestTokenRefresh(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		stored      Token
		rotate      bool
		wantRefresh bool
		wantRT      string
	}{
		{"expired", Token{AccessToken: "old", Expiry: t0.Add(-time.Second), RefreshToken: "rt-0"}, true, true, "rt-1"},
		{"within the margin", Token{AccessToken: "old", Expiry: t0.Add(59 * time.Second), RefreshToken: "rt-0"}, true, true, "rt-1"},
		{"invalidated", Token{RefreshToken: "rt-0"}, true, true, "rt-1"},
		{"no rotation keeps the refresh token", Token{AccessToken: "old", Expiry: t0, RefreshToken: "rt-0"}, false, true, "rt-0"},
		{"no expiry: used until refused", Token{AccessToken: "at-0", RefreshToken: "rt-0"}, true, false, "rt-0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idp := newFakeIdP(t)
			idp.set(func(f *fakeIdP) { f.rotate = tc.rotate })
			clock := newFakeClock()
			store := fileStore(t, tc.stored)
			got, err := newTestSource(idp, store, clock).Token(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			access, refresh, n := idp.state()
			if !tc.wantRefresh {
				if got != tc.stored.AccessToken || n != 0 {
					t.Fatalf("got %q after %d refreshes, want the stored token", got, n)
				}
				return
			}
			if got != access || n != 1 || refresh != tc.wantRT {
				t.Fatalf("got %q after %d refreshes (provider: %s, %s)", got, n, access, refresh)
			}
			want := Token{AccessToken: access, TokenType: "Bearer", Expiry: t0.Add(time.Hour), RefreshToken: tc.wantRT}
			if st := load(t, store); st != want {
				t.Errorf("stored %+v, want %+v", st, want)
			}
		})
	}
}

// TestRefreshForm checks the refresh request: the client's credentials in the body, the
// scopes only when the provider wants them, and the client secret from
// oauth2_client_secret_eval, run once.
func TestRefreshForm(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	idp.set(func(f *fakeIdP) { f.clientSecret, f.wantScope = "s3cret", "smtp offline_access" })
	clock := newFakeClock()
	store := fileStore(t, Token{RefreshToken: "rt-0"})
	cfg := idp.config("acct")
	cfg.RefreshScope, cfg.ClientSecretEval = true, "pass show client"
	var evals []string
	src := NewSource(cfg, store, Options{HTTPClient: idp.srv.Client(), Now: clock.Now, Eval: func(_ context.Context, cmd string) (string, error) {
		evals = append(evals, cmd)
		return "s3cret", nil
	}})
	for range 2 {
		if _, err := src.Token(testContext(t)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Hour)
	}
	if len(evals) != 1 || evals[0] != "pass show client" {
		t.Errorf("oauth2_client_secret_eval ran %q, want once", evals)
	}
	if _, _, n := idp.state(); n != 2 {
		t.Errorf("%d refreshes, want 2", n)
	}
	// A failing command is a configuration error, and no request is made.
	idp2 := newFakeIdP(t)
	src = NewSource(idp2.config("acct2"), fileStore(t, Token{RefreshToken: "rt-0"}), Options{HTTPClient: idp2.srv.Client(), Now: clock.Now,
		Eval: func(context.Context, string) (string, error) { return "", errors.New("cannot read output of 'x'") }})
	src.cfg.ClientSecretEval = "x"
	_, err := src.Token(testContext(t))
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "account acct2: oauth2_client_secret_eval: cannot read output of 'x'") {
		t.Errorf("failing eval: %v", err)
	}
	if idp2.forms != nil {
		t.Errorf("requests were made: %v", idp2.forms)
	}
}

// TestTokenErrors checks the classification of every failure, and that a failure leaves
// the store as it was.
func TestTokenErrors(t *testing.T) {
	t.Parallel()
	expired := Token{AccessToken: "old", Expiry: t0.Add(-time.Hour), RefreshToken: "rt-0"}
	for _, tc := range []struct {
		name    string
		stored  Token // zero: nothing stored
		setup   func(f *fakeIdP)
		client  *http.Client
		url     string // token endpoint; "" = the fake's
		check   func(t *testing.T, err error)
		wantMsg string
	}{
		{
			name: "revoked", stored: expired, setup: func(f *fakeIdP) { f.revoked = true },
			check: isReauth(true),
			wantMsg: "account acct: OAuth2 authorization needed (the provider refused the refresh token: invalid_grant: " +
				"Token has been expired or revoked.); run 'msmtp --oauth2-login -a acct'",
		},
		{
			name: "nothing stored", check: isReauth(false),
			wantMsg: "account acct: OAuth2 authorization needed (no token in ",
		},
		{
			name: "no refresh token", stored: Token{AccessToken: "old", Expiry: t0.Add(-time.Hour)}, check: isReauth(false),
			wantMsg: "account acct: OAuth2 authorization needed (no refresh token in ",
		},
		{
			name: "503", stored: expired, setup: func(f *fakeIdP) { f.refreshStatus = http.StatusServiceUnavailable },
			check: isTemporary(http.StatusServiceUnavailable), wantMsg: "/token: 503 Service Unavailable",
		},
		{
			name: "429", stored: expired, setup: func(f *fakeIdP) { f.refreshStatus = http.StatusTooManyRequests },
			check: isTemporary(http.StatusTooManyRequests), wantMsg: "429 Too Many Requests",
		},
		{
			name: "200 without a token", stored: expired, setup: func(f *fakeIdP) { f.refreshStatus = http.StatusOK },
			check: isTemporary(http.StatusOK), wantMsg: "invalid answer",
		},
		{
			name: "connection refused", stored: expired, url: "closed",
			check: isTemporary(0), wantMsg: "cannot reach OAuth2 endpoint http://127.0.0.1:",
		},
		{
			name: "slow answer", stored: expired, setup: func(f *fakeIdP) { f.refreshDelay = 300 * time.Millisecond },
			client: &http.Client{Timeout: 30 * time.Millisecond},
			check:  isTemporary(0), wantMsg: "Client.Timeout exceeded",
		},
		{
			name: "wrong client", stored: expired, setup: func(f *fakeIdP) { f.clientSecret = "needed" },
			check: func(t *testing.T, err error) {
				var ee *EndpointError
				if !errors.As(err, &ee) || ee.Code != "invalid_client" || ee.Status != http.StatusUnauthorized {
					t.Errorf("error %#v, want *EndpointError invalid_client", err)
				}
			},
			wantMsg: "/token refused the request: invalid_client",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idp := newFakeIdP(t)
			if tc.setup != nil {
				idp.set(tc.setup)
			}
			clock := newFakeClock()
			store := fileStore(t, tc.stored)
			src := newTestSource(idp, store, clock)
			switch tc.url {
			case "closed":
				src.cfg.TokenURL = closedURL(t)
			}
			if tc.client != nil {
				src.opts.HTTPClient = tc.client
			}
			_, err := src.Token(testContext(t))
			tc.check(t, err)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("message %q lacks %q", err, tc.wantMsg)
			}
			if tc.stored != (Token{}) {
				if got := load(t, store); got != tc.stored {
					t.Errorf("store changed to %v", got)
				}
			}
		})
	}
}

func isReauth(withCause bool) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var re *ReauthRequiredError
		if !errors.As(err, &re) || re.Account != "acct" {
			t.Fatalf("error %#v, want *ReauthRequiredError", err)
		}
		var ee *EndpointError
		if withCause != errors.As(err, &ee) || withCause && ee.Code != "invalid_grant" {
			t.Errorf("cause %#v", re.Err)
		}
	}
}

func isTemporary(status int) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var te *TemporaryError
		if !errors.As(err, &te) || te.Status != status || !te.Temporary() {
			t.Fatalf("error %#v, want *TemporaryError with status %d", err, status)
		}
	}
}

// TestStoreFailures checks that store problems are *StoreError: an unreadable or foreign
// file, and a refreshed token that cannot be written.
func TestStoreFailures(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	clock := newFakeClock()
	store := fileStore(t, Token{})
	if err := os.MkdirAll(store.Path[:strings.LastIndexAny(store.Path, `/\`)], 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(store.Path, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := newTestSource(idp, store, clock).Token(testContext(t))
	var se *StoreError
	if !errors.As(err, &se) || se.Op != "read" || !strings.HasPrefix(err.Error(), "cannot read OAuth2 tokens from "+store.Path+": ") {
		t.Errorf("corrupt file: %v", err)
	}

	fsys := &recordingFS{failRename: true}
	store = fileStore(t, Token{AccessToken: "old", Expiry: t0.Add(-time.Hour), RefreshToken: "rt-0"})
	store.FS = fsys
	_, err = newTestSource(idp, store, clock).Token(testContext(t))
	if !errors.As(err, &se) || se.Op != "write" || !strings.HasPrefix(err.Error(), "cannot store OAuth2 tokens in "+store.Path) {
		t.Errorf("unwritable store: %v", err)
	}
}

// TestDoRetriesOnce runs the send loop of pkg/delivery against the fake SMTP server, which
// accepts only the provider's newest access token.
func TestDoRetriesOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		stored        Token
		smtpAcceptsNo bool
		wantErr       error
		wantRefreshes int
		wantRefused   int
	}{
		{"valid token", Token{AccessToken: "at-0", Expiry: t0.Add(time.Hour), RefreshToken: "rt-0"}, false, nil, 0, 0},
		{"expired token: refreshed before sending", Token{AccessToken: "at-0", Expiry: t0, RefreshToken: "rt-0"}, false, nil, 1, 0},
		{"stale token: 535, refresh, success", Token{AccessToken: "at-stale", Expiry: t0.Add(time.Hour), RefreshToken: "rt-0"}, false, nil, 1, 1},
		{"refused twice: one refresh only", Token{AccessToken: "at-stale", Expiry: t0.Add(time.Hour), RefreshToken: "rt-0"}, true, smtpclient.ErrAuthFailed, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idp := newFakeIdP(t)
			smtpd := newFakeSMTP(t, func(tok string) bool {
				access, _, _ := idp.state()
				return !tc.smtpAcceptsNo && tok == access
			})
			clock := newFakeClock()
			store := fileStore(t, tc.stored)
			err := send(testContext(t), newTestSource(idp, store, clock), smtpd.port())
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("send: %v, want %v", err, tc.wantErr)
			}
			accepted, refused := smtpd.counts()
			if _, _, n := idp.state(); n != tc.wantRefreshes || len(refused) != tc.wantRefused {
				t.Errorf("%d refreshes, refused %q; want %d refreshes, %d refused", n, refused, tc.wantRefreshes, tc.wantRefused)
			}
			if (accepted == 1) != (tc.wantErr == nil) {
				t.Errorf("%d sessions accepted", accepted)
			}
		})
	}
	// A failure that is not a refused token is not retried.
	idp := newFakeIdP(t)
	store := fileStore(t, Token{AccessToken: "at-0", Expiry: t0.Add(time.Hour), RefreshToken: "rt-0"})
	calls := 0
	boom := errors.New("connection refused")
	err := newTestSource(idp, store, newFakeClock()).Do(testContext(t), func(string) error { calls++; return boom },
		func(err error) bool { return errors.Is(err, smtpclient.ErrAuthFailed) })
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("Do: %v after %d calls", err, calls)
	}
}

// TestInvalidate checks that an invalidated token is refreshed by the next Token, and that
// invalidating a token that is no longer stored changes nothing.
func TestInvalidate(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	clock := newFakeClock()
	stored := Token{AccessToken: "at-0", Expiry: t0.Add(time.Hour), RefreshToken: "rt-0"}
	store := fileStore(t, stored)
	src := newTestSource(idp, store, clock)
	ctx := testContext(t)
	if err := src.Invalidate(ctx, "some-other-token"); err != nil || load(t, store) != stored {
		t.Fatalf("invalidating another token: %v, stored %v", err, load(t, store))
	}
	if err := src.Invalidate(ctx, "at-0"); err != nil {
		t.Fatal(err)
	}
	if got := load(t, store); got.AccessToken != "" || got.RefreshToken != "rt-0" {
		t.Fatalf("after Invalidate: %v", got)
	}
	if got, err := src.Token(ctx); err != nil || got != "at-1" {
		t.Errorf("Token after Invalidate = %q, %v; want at-1", got, err)
	}
}

// TestConcurrentSources runs 20 Sources of one store at once, as concurrent msmtpd
// deliveries through separate Managers would: each expiry gives exactly one refresh, and
// every caller gets the refreshed token.
func TestConcurrentSources(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	idp.set(func(f *fakeIdP) { f.refreshDelay = 50 * time.Millisecond })
	clock := newFakeClock()
	store := fileStore(t, Token{AccessToken: "at-0", Expiry: t0.Add(-time.Minute), RefreshToken: "rt-0"})
	for round := 1; round <= 2; round++ {
		var wg sync.WaitGroup
		got := make([]string, 20)
		errs := make([]error, 20)
		for i := range got {
			wg.Go(func() {
				s := &FileStore{Path: store.Path}
				got[i], errs[i] = newTestSource(idp, s, clock).Token(testContext(t))
			})
		}
		wg.Wait()
		access, refresh, n := idp.state()
		if n != round {
			t.Fatalf("round %d: %d refreshes in total", round, n)
		}
		for i := range got {
			if errs[i] != nil || got[i] != access {
				t.Errorf("round %d, caller %d: %q, %v; want %s", round, i, got[i], errs[i], access)
			}
		}
		if st := load(t, store); st.RefreshToken != refresh {
			t.Fatalf("round %d: stored refresh token %s, provider's %s: lost", round, st.RefreshToken, refresh)
		}
		clock.Advance(2 * time.Hour)
	}
}

// TestTokenContext checks that a waiting Token gives up when its context ends.
func TestTokenContext(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	store := fileStore(t, Token{AccessToken: "at-0", Expiry: t0.Add(time.Hour), RefreshToken: "rt-0"})
	unlock, err := store.Lock(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
	defer cancel()
	if _, err := newTestSource(idp, &FileStore{Path: store.Path}, newFakeClock()).Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Token while locked elsewhere: %v", err)
	}
}
