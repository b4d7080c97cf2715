package oauth2

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/msmtp-go/msmtp/pkg/secret"
)

// Options are a Source's outside world. The zero value is the real one.
type Options struct {
	// HTTPClient talks to the endpoints; nil means a client with DefaultHTTPTimeout.
	HTTPClient *http.Client
	// Now is the clock that decides when an access token expires; nil means time.Now.
	Now func() time.Time
	// Sleep waits between device-code polls; nil means a timer. It returns ctx's error when
	// ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand gives the state and the PKCE verifier of a redirect login; nil means crypto/rand.
	Rand io.Reader
	// Eval runs oauth2_client_secret_eval and returns the first line of its output; nil
	// means secret.Runner with standard error discarded.
	Eval func(ctx context.Context, command string) (string, error)
}

// DefaultHTTPTimeout bounds each request to an endpoint when Options.HTTPClient is nil.
const DefaultHTTPTimeout = 60 * time.Second

// Source gives the access token of one account, refreshing it through the token endpoint
// when it has expired (or was refused) and storing the result. Every load-refresh-save
// happens under the store's lock, and the store is read again after the lock is taken, so
// that of several processes that find the same expired token exactly one refreshes it and
// the others use its result: a refresh token that the provider rotates is never lost.
//
// A Source is safe for concurrent use. It keeps no token in memory: every Token call reads
// the store.
type Source struct {
	cfg   Config
	store Store
	opts  Options

	// sem serialises this Source's own goroutines before they compete for the file lock.
	sem chan struct{}

	secretMu sync.Mutex
	secret   *secret.Secret // the evaluated client secret
}

// NewSource returns a Source for cfg that keeps its tokens in store.
func NewSource(cfg Config, store Store, opts Options) *Source {
	return &Source{cfg: cfg, store: store, opts: opts, sem: make(chan struct{}, 1)}
}

// Config returns the configuration the Source was made with.
func (s *Source) Config() Config { return s.cfg }

// Store returns where the Source keeps its tokens.
func (s *Source) Store() Store { return s.store }

func (s *Source) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

func (s *Source) httpClient() *http.Client {
	if s.opts.HTTPClient != nil {
		return s.opts.HTTPClient
	}
	return &http.Client{Timeout: DefaultHTTPTimeout}
}

func (s *Source) sleep(ctx context.Context, d time.Duration) error {
	if s.opts.Sleep != nil {
		return s.opts.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *Source) rand() io.Reader {
	if s.opts.Rand != nil {
		return s.opts.Rand
	}
	return rand.Reader
}

// clientSecret returns the client secret, running oauth2_client_secret_eval once if needed.
func (s *Source) clientSecret(ctx context.Context) (string, error) {
	if v := s.cfg.ClientSecret.Reveal(); v != "" || s.cfg.ClientSecretEval == "" {
		return v, nil
	}
	s.secretMu.Lock()
	defer s.secretMu.Unlock()
	if s.secret != nil {
		return s.secret.Reveal(), nil
	}
	eval := s.opts.Eval
	if eval == nil {
		eval = (&secret.Runner{}).Eval
	}
	v, err := eval(ctx, s.cfg.ClientSecretEval)
	if err != nil {
		return "", &ConfigError{Account: s.cfg.Account, Msg: "oauth2_client_secret_eval", Err: err}
	}
	sec := secret.New(v)
	s.secret = &sec
	return v, nil
}

// clientForm is a token request's form with the client's credentials (RFC 6749 §2.3.1: in
// the body, which every provider accepts; x/oauth2's AuthStyleInParams).
func (s *Source) clientForm(ctx context.Context, grant string) (url.Values, error) {
	form := url.Values{"grant_type": {grant}, "client_id": {s.cfg.ClientID}}
	sec, err := s.clientSecret(ctx)
	if err != nil {
		return nil, err
	}
	if sec != "" {
		form.Set("client_secret", sec)
	}
	return form, nil
}

// lock takes this Source's turn and then the store's lock.
func (s *Source) lock(ctx context.Context) (func(), error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	unlock, err := s.store.Lock(ctx)
	if err != nil {
		<-s.sem
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &StoreError{Store: s.store.String(), Op: "lock", Err: err}
	}
	return func() {
		unlock()
		<-s.sem
	}, nil
}

// Token returns a usable access token: the stored one while it is valid for at least
// another minute, else a new one from the token endpoint, which is stored (with the rotated
// refresh token, if the provider sent one) before Token returns.
//
// Errors: *ReauthRequiredError when nothing is stored or the provider refuses the refresh
// token; *TemporaryError for network failures and 5xx answers; *EndpointError for other
// refusals; *StoreError when the store cannot be read, written or locked; *ConfigError when
// oauth2_client_secret_eval fails; the context's error when ctx ends.
func (s *Source) Token(ctx context.Context) (string, error) {
	t, err := s.get(ctx, "")
	return t.AccessToken, err
}

// Invalidate tells the Source that the server refused the access token stale (an SMTP 535
// after the token was sent), so that the next Token refreshes it even though it has not
// expired. The mark is stored, so other processes do not send stale either; if the stored
// token is no longer stale (another process has refreshed it), nothing changes.
func (s *Source) Invalidate(ctx context.Context, stale string) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	t, err := s.store.Load(ctx)
	if err != nil || t.AccessToken != stale {
		return nil
	}
	t.AccessToken, t.Expiry = "", time.Time{}
	if err := s.store.Save(ctx, t); err != nil {
		return &StoreError{Store: s.store.String(), Op: "write", Err: err}
	}
	return nil
}

// Do runs attempt with an access token. If attempt fails and rejected(err) says that the
// server refused the token (an SMTP 535: smtpclient.ErrAuthFailed), Do gets a new token —
// refreshing it unless another process already has — and runs attempt once more. That is
// the whole retry: a token that is refused twice is not refreshed again. rejected may be
// nil (no retry).
//
// Do returns attempt's error, or Token's errors.
func (s *Source) Do(ctx context.Context, attempt func(token string) error, rejected func(error) bool) error {
	t, err := s.get(ctx, "")
	if err != nil {
		return err
	}
	err = attempt(t.AccessToken)
	if err == nil || rejected == nil || !rejected(err) {
		return err
	}
	t, err = s.get(ctx, t.AccessToken)
	if err != nil {
		return err
	}
	return attempt(t.AccessToken)
}

// get is Token, treating the access token stale as unusable.
func (s *Source) get(ctx context.Context, stale string) (Token, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return Token{}, err
	}
	defer unlock()
	t, err := s.store.Load(ctx)
	switch {
	case errors.Is(err, ErrNoToken):
		return Token{}, &ReauthRequiredError{Account: s.cfg.Account, Reason: "no token in " + s.store.String()}
	case err != nil:
		return Token{}, &StoreError{Store: s.store.String(), Op: "read", Err: err}
	case t.AccessToken != stale && t.usable(s.now()):
		return t, nil
	case t.RefreshToken == "":
		return Token{}, &ReauthRequiredError{Account: s.cfg.Account, Reason: "no refresh token in " + s.store.String()}
	}
	nt, err := s.refresh(ctx, t.RefreshToken)
	if err != nil {
		return Token{}, err
	}
	if err := s.store.Save(ctx, nt); err != nil {
		// The provider may have rotated the refresh token, and the new one is lost with this
		// failure: say so plainly.
		return Token{}, &StoreError{Store: s.store.String(), Op: "write", Err: err}
	}
	return nt, nil
}

// refresh runs the refresh-token grant (RFC 6749 §6). A refresh token the provider refuses
// (invalid_grant, or interaction_required from OpenID Connect providers such as Microsoft's)
// gives *ReauthRequiredError. Without a new refresh token in the answer the old one stays.
func (s *Source) refresh(ctx context.Context, refreshToken string) (Token, error) {
	form, err := s.clientForm(ctx, "refresh_token")
	if err != nil {
		return Token{}, err
	}
	form.Set("refresh_token", refreshToken)
	if s.cfg.RefreshScope && len(s.cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(s.cfg.Scopes, " "))
	}
	t, err := s.post(ctx, s.cfg.TokenURL, form)
	var ee *EndpointError
	if errors.As(err, &ee) && (ee.Code == "invalid_grant" || ee.Code == "interaction_required") {
		reason := "the provider refused the refresh token: " + ee.Code
		if ee.Description != "" {
			reason += ": " + ee.Description
		}
		return Token{}, &ReauthRequiredError{Account: s.cfg.Account, Reason: reason, Err: ee}
	}
	if err != nil {
		return Token{}, err
	}
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken
	}
	return t, nil
}

// save stores t under the lock (after a login).
func (s *Source) save(ctx context.Context, t Token) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.store.Save(ctx, t); err != nil {
		return &StoreError{Store: s.store.String(), Op: "write", Err: err}
	}
	return nil
}
