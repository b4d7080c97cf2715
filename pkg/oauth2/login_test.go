package oauth2

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLoginDevice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		setup      func(f *fakeIdP)
		cfg        func(c *Config)
		wantErr    func(t *testing.T, err error)
		wantSleeps []time.Duration
	}{
		{
			name:       "pending, slow down, success",
			setup:      func(f *fakeIdP) { f.slowDowns, f.pending = 1, 2 },
			wantSleeps: []time.Duration{2 * time.Second, 7 * time.Second, 7 * time.Second, 7 * time.Second},
		},
		{
			name:    "denied",
			setup:   func(f *fakeIdP) { f.pending, f.deviceResult = 1, "access_denied" },
			wantErr: loginError("account acct: OAuth2 login failed: access was denied"),
		},
		{
			name:    "expired at the provider",
			setup:   func(f *fakeIdP) { f.deviceResult = "expired_token" },
			wantErr: loginError("account acct: OAuth2 login failed: the code expired before it was entered; run the login again"),
		},
		{
			name:    "expired here",
			setup:   func(f *fakeIdP) { f.pending = 1 << 30 },
			wantErr: loginError("account acct: OAuth2 login failed: the code expired before it was entered; run the login again"),
		},
		{
			name:  "Gmail scope refused",
			setup: func(f *fakeIdP) { f.deviceError = "invalid_scope" },
			cfg: func(c *Config) {
				c.DeviceHint = "Google allows the Gmail scope only with 'msmtp --oauth2-login --redirect'"
			},
			wantErr: func(t *testing.T, err error) {
				var ee *EndpointError
				if !errors.As(err, &ee) || ee.Code != "invalid_scope" || !strings.HasSuffix(err.Error(),
					"/device refused the request: invalid_scope (Invalid device flow scope); Google allows the Gmail scope only with 'msmtp --oauth2-login --redirect'") {
					t.Errorf("error %v", err)
				}
			},
		},
		{
			name: "no device endpoint",
			cfg:  func(c *Config) { c.DeviceAuthURL = "" },
			wantErr: func(t *testing.T, err error) {
				var ce *ConfigError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no oauth2_device_endpoint: use 'msmtp --oauth2-login --redirect'") {
					t.Errorf("error %v", err)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idp := newFakeIdP(t)
			if tc.setup != nil {
				idp.set(tc.setup)
			}
			clock := newFakeClock()
			store := fileStore(t, Token{})
			src := newTestSource(idp, store, clock)
			if tc.cfg != nil {
				tc.cfg(&src.cfg)
			}
			var shown []DeviceCode
			err := src.LoginDevice(testContext(t), func(dc DeviceCode) error { shown = append(shown, dc); return nil })
			if tc.wantErr != nil {
				tc.wantErr(t, err)
				if _, lerr := store.Load(context.Background()); !errors.Is(lerr, ErrNoToken) {
					t.Errorf("a failed login stored something: %v", lerr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := DeviceCode{VerificationURI: idp.url("/verify"), UserCode: "WXYZ-1234"}
			if len(shown) != 1 || shown[0].VerificationURI != want.VerificationURI || shown[0].UserCode != want.UserCode ||
				shown[0].Expires.Sub(t0) < 890*time.Second || shown[0].Expires.Sub(t0) > 900*time.Second {
				t.Errorf("shown %+v, want %+v expiring in 900 s", shown, want)
			}
			if got := clock.Sleeps(); !slices.Equal(got, tc.wantSleeps) {
				t.Errorf("poll intervals %v, want %v", got, tc.wantSleeps)
			}
			access, refresh, _ := idp.state()
			if got := load(t, store); got.AccessToken != access || got.RefreshToken != refresh || !got.Expiry.Equal(clock.Now().Add(time.Hour)) {
				t.Errorf("stored %+v, provider %s/%s", got, access, refresh)
			}
		})
	}
}

func loginError(msg string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var le *LoginError
		if !errors.As(err, &le) || err.Error() != msg {
			t.Errorf("error %v, want *LoginError %q", err, msg)
		}
	}
}

// browser plays the user's browser: it opens the authorization URL, follows the provider's
// redirect to msmtp's loopback listener, and reports the page msmtp showed.
type browser struct {
	pages chan string
}

func newBrowser() *browser { return &browser{pages: make(chan string, 2)} }

func (b *browser) get(u string) {
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(u)
	if err != nil {
		b.pages <- "error: " + err.Error()
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.pages <- resp.Status + " " + string(body)
}

func TestLoginRedirect(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	clock := newFakeClock()
	store := fileStore(t, Token{})
	src := newTestSource(idp, store, clock)
	src.cfg.AuthParams = [][2]string{{"access_type", "offline"}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	br := newBrowser()
	var authURL *url.URL
	err = src.LoginRedirect(testContext(t), ln, func(u string) error {
		if authURL, err = url.Parse(u); err != nil {
			return err
		}
		q := authURL.Query()
		// A forged answer first: wrong state. It is refused and the login goes on waiting.
		go func() {
			br.get(q.Get("redirect_uri") + "?state=forged&code=evil")
			br.get(u)
		}()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := <-br.pages; !strings.HasPrefix(p, "400 ") || !strings.Contains(p, "not the answer msmtp is waiting for") {
		t.Errorf("forged answer got %q", p)
	}
	if p := <-br.pages; !strings.HasPrefix(p, "200 ") || !strings.Contains(p, "msmtp received the authorization") {
		t.Errorf("browser got %q", p)
	}
	q := authURL.Query()
	port := ln.Addr().(*net.TCPAddr).Port
	for k, want := range map[string]string{
		"client_id": "msmtp-test", "response_type": "code", "scope": "smtp offline_access", "code_challenge_method": "S256",
		"redirect_uri": "http://127.0.0.1:" + strconv.Itoa(port) + "/", "access_type": "offline",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("authorization URL: %s=%q, want %q", k, got, want)
		}
	}
	if len(q.Get("state")) < 22 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("state %q or challenge %q too short", q.Get("state"), q.Get("code_challenge"))
	}
	access, refresh, _ := idp.state()
	if got := load(t, store); got.AccessToken != access || got.RefreshToken != refresh {
		t.Errorf("stored %+v, provider %s/%s", got, access, refresh)
	}
	// The listener is closed afterwards.
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("the redirect listener is still open")
	}
}

func TestLoginRedirectDenied(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	idp.set(func(f *fakeIdP) { f.authDenied = true })
	store := fileStore(t, Token{})
	src := newTestSource(idp, store, newFakeClock())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	br := newBrowser()
	err = src.LoginRedirect(testContext(t), ln, func(u string) error { go br.get(u); return nil })
	loginError("account acct: OAuth2 login failed: the provider answered access_denied: The user said no")(t, err)
	if p := <-br.pages; !strings.Contains(p, "Authorization failed: access_denied") {
		t.Errorf("browser got %q", p)
	}
	// A context that ends stops the wait, and a show that fails stops the login.
	ctx, cancel := context.WithTimeout(testContext(t), 20*time.Millisecond)
	defer cancel()
	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	if err := src.LoginRedirect(ctx, ln, func(string) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("nobody answers: %v", err)
	}
	boom := errors.New("cannot print")
	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	if err := src.LoginRedirect(testContext(t), ln, func(string) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("show fails: %v", err)
	}
}
