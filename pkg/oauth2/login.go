package oauth2

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	xoauth2 "golang.org/x/oauth2"
)

// DeviceCode is what the user needs for a device login (RFC 8628 §3.2): the page to open
// and the code to enter there.
type DeviceCode struct {
	VerificationURI string
	// VerificationURIComplete, when the provider sends one, is the page with the code
	// filled in.
	VerificationURIComplete string
	UserCode                string
	// Expires is when the code stops working; zero if the provider did not say.
	Expires time.Time
}

// deviceCodeLifetime limits a device login whose provider gave no expiry.
const deviceCodeLifetime = 15 * time.Minute

// xconfig is the x/oauth2 view of the Source's configuration.
func (s *Source) xconfig(ctx context.Context) (*xoauth2.Config, error) {
	sec, err := s.clientSecret(ctx)
	if err != nil {
		return nil, err
	}
	return &xoauth2.Config{
		ClientID:     s.cfg.ClientID,
		ClientSecret: sec,
		Endpoint: xoauth2.Endpoint{
			AuthURL: s.cfg.AuthURL, TokenURL: s.cfg.TokenURL, DeviceAuthURL: s.cfg.DeviceAuthURL,
			// In the body: every provider takes it there, and x/oauth2's automatic
			// detection would send a refused request twice.
			AuthStyle: xoauth2.AuthStyleInParams,
		},
		Scopes: s.cfg.Scopes,
	}, nil
}

// withHTTPClient hands the Source's HTTP client to x/oauth2.
func (s *Source) withHTTPClient(ctx context.Context) context.Context {
	return context.WithValue(ctx, xoauth2.HTTPClient, s.httpClient())
}

// LoginDevice authorizes msmtp with the device authorization grant (RFC 8628): it asks the
// device endpoint for a code, calls show with it (show prints it for the user), polls the
// token endpoint at the interval the provider asks for (slowing down when told to) until the
// user has entered the code, and stores the tokens.
//
// Errors: *ConfigError without a device endpoint; *LoginError when the user denies access,
// the code expires or no refresh token comes; *EndpointError (with a hint for Google's
// refusal of the Gmail scope), *TemporaryError and *StoreError as for Token; show's error;
// the context's error.
func (s *Source) LoginDevice(ctx context.Context, show func(DeviceCode) error) error {
	if s.cfg.DeviceAuthURL == "" {
		return &ConfigError{Account: s.cfg.Account, Msg: "no oauth2_device_endpoint: use 'msmtp --oauth2-login --redirect', or set oauth2_device_endpoint"}
	}
	conf, err := s.xconfig(ctx)
	if err != nil {
		return err
	}
	da, err := conf.DeviceAuth(s.withHTTPClient(ctx))
	if err != nil {
		err = fromRetrieveError(s.cfg.DeviceAuthURL, err)
		var ee *EndpointError
		if errors.As(err, &ee) {
			ee.Hint = s.cfg.DeviceHint
		}
		return err
	}
	// x/oauth2 computed the expiry on the real clock; carry the remaining time over to ours.
	lifetime := deviceCodeLifetime
	if !da.Expiry.IsZero() {
		lifetime = time.Until(da.Expiry)
	}
	deadline := s.now().Add(lifetime)
	dc := DeviceCode{VerificationURI: da.VerificationURI, VerificationURIComplete: da.VerificationURIComplete, UserCode: da.UserCode, Expires: deadline}
	if da.VerificationURI == "" || da.UserCode == "" || da.DeviceCode == "" {
		return &TemporaryError{URL: s.cfg.DeviceAuthURL, Err: errors.New("invalid answer: no verification_uri, user_code or device_code")}
	}
	if err := show(dc); err != nil {
		return err
	}
	// RFC 8628 §3.2: five seconds unless the provider says otherwise.
	interval := 5 * time.Second
	if da.Interval > 0 && da.Interval < 3600 {
		interval = time.Duration(da.Interval) * time.Second
	}
	form, err := s.clientForm(ctx, "urn:ietf:params:oauth:grant-type:device_code")
	if err != nil {
		return err
	}
	form.Set("device_code", da.DeviceCode)
	for {
		if err := s.sleep(ctx, interval); err != nil {
			return err
		}
		if !s.now().Before(deadline) {
			return &LoginError{Account: s.cfg.Account, Reason: "the code expired before it was entered; run the login again"}
		}
		t, err := s.post(ctx, s.cfg.TokenURL, form)
		var ee *EndpointError
		if errors.As(err, &ee) {
			switch ee.Code {
			case "authorization_pending":
				continue
			case "slow_down":
				interval += 5 * time.Second // RFC 8628 §3.5
				continue
			case "access_denied":
				return &LoginError{Account: s.cfg.Account, Reason: "access was denied", Err: ee}
			case "expired_token":
				return &LoginError{Account: s.cfg.Account, Reason: "the code expired before it was entered; run the login again", Err: ee}
			}
		}
		if err != nil {
			return err
		}
		return s.finishLogin(ctx, t)
	}
}

// finishLogin stores the tokens of a successful login.
func (s *Source) finishLogin(ctx context.Context, t Token) error {
	if t.RefreshToken == "" {
		return &LoginError{Account: s.cfg.Account, Reason: "the provider sent no refresh token (check oauth2_scopes: Microsoft needs offline_access)"}
	}
	return s.save(ctx, t)
}

// RedirectURI is the redirect URI of a loopback login on port: http://HOST:PORT/ with the
// provider's loopback host (RFC 8252 §7.3).
func (s *Source) RedirectURI(port int) string {
	return "http://" + net.JoinHostPort(s.cfg.RedirectHost, strconv.Itoa(port)) + "/"
}

// LoginRedirect authorizes msmtp with the authorization code grant and a loopback redirect
// (RFC 8252) for providers, such as Gmail, that do not offer the device grant for mail. It
// serves ln (a listener on 127.0.0.1:0 that the caller opened), builds the authorization
// URL with a fresh state and a PKCE challenge (RFC 7636, S256), and calls show with it; the
// user opens it in a browser on this machine. The first request to the redirect URI that
// carries the right state ends the wait (requests with another state are answered 400 and
// ignored); its code is exchanged, with the PKCE verifier, for the tokens, which are stored.
// LoginRedirect closes ln.
//
// Errors: *ConfigError without an authorization endpoint; *LoginError when the provider
// redirects with an error (access_denied) or sends no refresh token; *EndpointError,
// *TemporaryError and *StoreError as for Token; show's error; the context's error.
func (s *Source) LoginRedirect(ctx context.Context, ln net.Listener, show func(authURL string) error) error {
	defer ln.Close()
	if s.cfg.AuthURL == "" {
		return &ConfigError{Account: s.cfg.Account, Msg: "no oauth2_auth_endpoint for a --redirect login"}
	}
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return fmt.Errorf("oauth2: listener on %v is not TCP", ln.Addr())
	}
	conf, err := s.xconfig(ctx)
	if err != nil {
		return err
	}
	conf.RedirectURL = s.RedirectURI(addr.Port)
	state, err := s.randomString(16)
	if err != nil {
		return err
	}
	verifier, err := s.randomString(32) // 43 characters, RFC 7636 §4.1
	if err != nil {
		return err
	}
	opts := []xoauth2.AuthCodeOption{xoauth2.S256ChallengeOption(verifier)}
	for _, p := range s.cfg.AuthParams {
		opts = append(opts, xoauth2.SetAuthURLParam(p[0], p[1]))
	}
	authURL := conf.AuthCodeURL(state, opts...)

	type result struct {
		code string
		err  error
	}
	results := make(chan result, 1)
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if r.URL.Path != "/" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
				// Not the answer to our request (RFC 6749 §10.12): a stray or forged one.
				loginPage(w, http.StatusBadRequest, "This is not the answer msmtp is waiting for.")
				return
			}
			var res result
			switch code := q.Get("code"); {
			case q.Get("error") != "":
				reason := "the provider answered " + q.Get("error")
				if d := q.Get("error_description"); d != "" {
					reason += ": " + d
				}
				res.err = &LoginError{Account: s.cfg.Account, Reason: reason}
				loginPage(w, http.StatusOK, "Authorization failed: "+q.Get("error")+". You can close this window.")
			case code == "":
				loginPage(w, http.StatusBadRequest, "The answer has no authorization code.")
				return
			default:
				res.code = code
				loginPage(w, http.StatusOK, "msmtp received the authorization. You can close this window.")
			}
			select {
			case results <- res:
			default: // a second answer after the first: ignored
			}
		}),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		// Let the browser have its page, then stop.
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
		<-served
	}()
	if err := show(authURL); err != nil {
		return err
	}
	var res result
	select {
	case res = <-results:
	case <-ctx.Done():
		return ctx.Err()
	}
	if res.err != nil {
		return res.err
	}
	xt, err := conf.Exchange(s.withHTTPClient(ctx), res.code, xoauth2.VerifierOption(verifier))
	if err != nil {
		return fromRetrieveError(s.cfg.TokenURL, err)
	}
	t := Token{AccessToken: xt.AccessToken, TokenType: xt.TokenType, RefreshToken: xt.RefreshToken, Expiry: expiry(s.now(), xt.ExpiresIn)}
	return s.finishLogin(ctx, t)
}

// randomString returns n random bytes from Options.Rand, base64url-encoded without padding.
func (s *Source) randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand(), b); err != nil {
		return "", fmt.Errorf("oauth2: random numbers: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// loginPage answers the browser.
func loginPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<title>msmtp</title>\n<p>%s</p>\n", html.EscapeString(msg))
}
