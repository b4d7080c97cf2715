package oauth2

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeIdP is an OAuth2 provider on a loopback listener: a device authorization endpoint, a
// token endpoint (device code, authorization code with PKCE, refresh with rotation) and an
// authorization endpoint that redirects at once, as a browser session that approves would.
// Rotation is strict: only the newest refresh token works, so a process that refreshes with
// an old one gets invalid_grant and a test sees the loss.
type fakeIdP struct {
	t   testing.TB
	srv *httptest.Server

	mu           sync.Mutex
	clientID     string
	clientSecret string // "" = public client
	serial       int
	refreshToken string // the only valid refresh token
	accessToken  string // the newest access token, the one the SMTP server accepts
	expiresIn    int    // of new access tokens
	rotate       bool   // issue a new refresh token with every refresh
	refreshes    int    // successful refreshes
	forms        []url.Values
	// Behaviour of the token endpoint on refresh.
	refreshDelay  time.Duration // answer refreshes this late
	refreshStatus int           // answer refreshes with this status and no token
	revoked       bool          // refresh tokens give invalid_grant
	noRotateToken bool          // answer refreshes without refresh_token
	wantScope     string        // refreshes must send this scope ("" = none)

	// Device flow.
	deviceCode   string
	userCode     string
	pending      int    // authorization_pending answers before the result
	slowDowns    int    // slow_down answers before those
	deviceResult string // "" = tokens, or an error code (access_denied, expired_token)
	deviceError  string // the device endpoint answers 400 with this code
	devicePolls  int

	// Authorization code flow.
	codes      map[string]authRequest
	authDenied bool // the authorization endpoint redirects with error=access_denied
}

type authRequest struct {
	challenge, redirect string
}

func newFakeIdP(t testing.TB) *fakeIdP {
	t.Helper()
	f := &fakeIdP{
		t: t, clientID: "msmtp-test", refreshToken: "rt-0", accessToken: "at-0", expiresIn: 3600, rotate: true,
		deviceCode: "dev-code", userCode: "WXYZ-1234", codes: map[string]authRequest{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", f.token)
	mux.HandleFunc("/device", f.device)
	mux.HandleFunc("/authorize", f.authorize)
	f.srv = httptest.NewServer(mux) // 127.0.0.1:0
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) url(path string) string { return f.srv.URL + path }

// config is a custom-provider Config for this server.
func (f *fakeIdP) config(account string) Config {
	return Config{
		Account: account, Provider: "custom", ClientID: f.clientID,
		AuthURL: f.url("/authorize"), TokenURL: f.url("/token"), DeviceAuthURL: f.url("/device"),
		Scopes: []string{"smtp", "offline_access"}, RedirectHost: "127.0.0.1",
	}
}

func (f *fakeIdP) state() (access, refresh string, refreshes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accessToken, f.refreshToken, f.refreshes
}

func (f *fakeIdP) set(fn func(f *fakeIdP)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

// issue makes a new access token (and refresh token when rotating); f.mu is held.
func (f *fakeIdP) issue(w http.ResponseWriter, withRefresh bool) {
	f.serial++
	f.accessToken = "at-" + strconv.Itoa(f.serial)
	resp := map[string]any{"access_token": f.accessToken, "token_type": "Bearer", "expires_in": f.expiresIn}
	if withRefresh {
		f.refreshToken = "rt-" + strconv.Itoa(f.serial)
		resp["refresh_token"] = f.refreshToken
	}
	writeJSON(w, http.StatusOK, resp)
}

func (f *fakeIdP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		oauthError(w, "invalid_request", "bad request")
		return
	}
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	delay := f.refreshDelay
	f.mu.Unlock()
	if r.PostForm.Get("grant_type") == "refresh_token" && delay > 0 {
		time.Sleep(delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("client_secret") != f.clientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "refresh_token":
		switch {
		case f.refreshStatus != 0:
			w.WriteHeader(f.refreshStatus)
			fmt.Fprintln(w, "<html>overloaded</html>")
		case f.revoked || r.PostForm.Get("refresh_token") != f.refreshToken:
			oauthError(w, "invalid_grant", "Token has been expired or revoked.")
		case r.PostForm.Get("scope") != f.wantScope:
			oauthError(w, "invalid_scope", "scope "+r.PostForm.Get("scope"))
		default:
			f.refreshes++
			f.issue(w, f.rotate && !f.noRotateToken)
		}
	case "urn:ietf:params:oauth:grant-type:device_code":
		f.devicePolls++
		switch {
		case r.PostForm.Get("device_code") != f.deviceCode:
			oauthError(w, "invalid_grant", "unknown device code")
		case f.slowDowns > 0:
			f.slowDowns--
			oauthError(w, "slow_down", "")
		case f.pending > 0:
			f.pending--
			oauthError(w, "authorization_pending", "")
		case f.deviceResult != "":
			oauthError(w, f.deviceResult, "")
		default:
			f.issue(w, true)
		}
	case "authorization_code":
		req, ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case !ok:
			oauthError(w, "invalid_grant", "unknown code")
		case base64.RawURLEncoding.EncodeToString(sum[:]) != req.challenge:
			oauthError(w, "invalid_grant", "PKCE verification failed")
		case r.PostForm.Get("redirect_uri") != req.redirect:
			oauthError(w, "invalid_grant", "redirect_uri mismatch")
		default:
			f.issue(w, true)
		}
	default:
		oauthError(w, "unsupported_grant_type", "")
	}
}

func (f *fakeIdP) device(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deviceError != "" {
		oauthError(w, f.deviceError, "Invalid device flow scope")
		return
	}
	if r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("scope") != "smtp offline_access" {
		oauthError(w, "invalid_request", "client or scope")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": f.deviceCode, "user_code": f.userCode, "verification_uri": f.url("/verify"),
		"expires_in": 900, "interval": 2,
	})
}

// authorize approves at once: it redirects to redirect_uri with a code bound to the PKCE
// challenge, or with error=access_denied.
func (f *fakeIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.Get("client_id") != f.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("state") == "" || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	if f.authDenied {
		back.Set("error", "access_denied")
		back.Set("error_description", "The user said no")
	} else {
		f.serial++
		code := "code-" + strconv.Itoa(f.serial)
		f.codes[code] = authRequest{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
		back.Set("code", code)
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
}

// fakeSMTP is an SMTP server on a loopback listener that offers XOAUTH2 and OAUTHBEARER and
// accepts exactly the access token valid() accepts; it answers 535 to any other.
type fakeSMTP struct {
	ln    net.Listener
	valid func(token string) bool

	mu       sync.Mutex
	accepted int
	refused  []string // the refused tokens
	wg       sync.WaitGroup
}

func newFakeSMTP(t testing.TB, valid func(string) bool) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{ln: ln, valid: valid}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *fakeSMTP) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *fakeSMTP) counts() (accepted int, refused []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, append([]string(nil), s.refused...)
}

// bearer extracts the token of an XOAUTH2 or OAUTHBEARER response.
func bearer(b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return ""
	}
	for _, part := range strings.Split(string(raw), "\x01") {
		if tok, ok := strings.CutPrefix(part, "auth=Bearer "); ok {
			return tok
		}
	}
	return ""
}

func (s *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	say := func(lines string) { _, _ = c.Write([]byte(lines)) }
	say("220 fake ESMTP\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			say("250-fake\r\n250-AUTH XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n")
		case "AUTH":
			mech, ir, _ := strings.Cut(arg, " ")
			if ir == "" {
				say("334 \r\n")
				if ir, err = r.ReadString('\n'); err != nil {
					return
				}
				ir = strings.TrimRight(ir, "\r\n")
			}
			tok := bearer(ir)
			s.mu.Lock()
			ok := (mech == "XOAUTH2" || mech == "OAUTHBEARER") && s.valid(tok)
			if ok {
				s.accepted++
			} else {
				s.refused = append(s.refused, tok)
			}
			s.mu.Unlock()
			if ok {
				say("235 2.7.0 Accepted\r\n")
			} else {
				say("535 5.7.8 Username and Password not accepted\r\n")
			}
		case "MAIL", "RCPT", "RSET", "NOOP":
			say("250 2.0.0 OK\r\n")
		case "DATA":
			say("354 go ahead\r\n")
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			say("250 2.0.0 queued\r\n")
		case "QUIT":
			say("221 2.0.0 bye\r\n")
			return
		default:
			say("502 5.5.2 unknown\r\n")
		}
	}
}
