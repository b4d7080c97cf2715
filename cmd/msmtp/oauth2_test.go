package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/oauth2"
	"github.com/msmtp-go/msmtp/pkg/secret"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// provider is a small OAuth2 provider on loopback: the device code is authorized at the
// first poll (or denied), authorization codes are exchanged when the PKCE verifier and
// redirect URI come back, and every refresh token is revoked.
type provider struct {
	srv    *httptest.Server
	mu     sync.Mutex
	deny   bool
	codes  map[string]string // code → redirect_uri
	issued int
}

func newProvider(t *testing.T) *provider {
	p := &provider{codes: map[string]string{}}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	tokens := func(w http.ResponseWriter) {
		p.issued++
		reply(w, http.StatusOK, map[string]any{"access_token": fmt.Sprintf("at-%d", p.issued), "refresh_token": fmt.Sprintf("rt-%d", p.issued), "expires_in": 3600})
	}
	mux.HandleFunc("/device", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, map[string]any{"device_code": "dc", "user_code": "ABCD-EFGH", "verification_uri": p.srv.URL + "/verify", "interval": 1, "expires_in": 600})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		p.mu.Lock()
		defer p.mu.Unlock()
		f := r.PostForm
		switch {
		case f.Get("client_id") != "cid":
			reply(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		case f.Get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code" && p.deny:
			reply(w, http.StatusBadRequest, map[string]string{"error": "access_denied"})
		case f.Get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code" && f.Get("device_code") == "dc":
			tokens(w)
		case f.Get("grant_type") == "authorization_code" && p.codes[f.Get("code")] == f.Get("redirect_uri") && len(f.Get("code_verifier")) == 43:
			delete(p.codes, f.Get("code"))
			tokens(w)
		default:
			reply(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Token has been revoked."})
		}
	})
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p.mu.Lock()
		p.codes["the-code"] = q.Get("redirect_uri")
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {"the-code"}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// oauth2Env is a configuration directory with an OAuth2 account "work" of the provider at
// base, and a plain account "plain".
func oauth2Env(t *testing.T, base string) (dir, rc string) {
	dir = testutil.TempDir(t)
	rc = testutil.WriteFile(t, dir, "user.rc", fmt.Sprintf(`account work
host 127.0.0.1
from me@example.org
user me@example.org
auth xoauth2
oauth2_provider custom
oauth2_client_id cid
oauth2_token_endpoint %[1]s/token
oauth2_device_endpoint %[1]s/device
oauth2_auth_endpoint %[1]s/authorize
oauth2_token_store file:%[2]s

account plain
host 127.0.0.1
from me@example.org
`, base, filepath.Join(dir, "tokens", "work.json")), 0o600)
	return dir, rc
}

// loginRun runs msmtp with args as run does, for --oauth2-login. (Until run dispatches the
// mode itself, the test calls the mode's function.)
func loginRun(t *testing.T, ctx context.Context, dir string, stdout io.Writer, args ...string) (sysexits.Code, string) {
	t.Helper()
	vars := map[string]string{"HOME": dir, "ProgramData": dir, "APPDATA": dir}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	var stderr bytes.Buffer
	a := &app{ctx: ctx, args: args, stdin: strings.NewReader(""), stdout: stdout, stderr: &stderr, lookupEnv: lookup}
	a.runner = &secret.Runner{Stderr: &stderr}
	a.env = config.OSEnv()
	a.env.LookupEnv, a.env.SysConfDir = lookup, dir
	a.env.Eval = a.runner.Hook(a.ctx)
	a.env.PasswordEval = a.env.Eval
	overrides := new(config.Overrides)
	inv, err := ParseArgs(append([]string{"msmtp"}, args...), ParseConfig{LookupEnv: lookup, Settings: overrides})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Mode != ModeOAuth2Login {
		t.Fatalf("mode %v", inv.Mode)
	}
	a.inv = inv
	return a.oauth2Login(overrides), stderr.String()
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func checkTokenFile(t *testing.T, path, wantRefresh string) {
	t.Helper()
	tok, err := (&oauth2.FileStore{Path: path}).Load(context.Background())
	if err != nil || tok.RefreshToken != wantRefresh {
		t.Fatalf("token file: %v, %v; want refresh token %s", tok, err, wantRefresh)
	}
	if runtime.GOOS != "windows" {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("token file mode %v, %v; want 0600", fi.Mode(), err)
		}
	}
}

func TestOAuth2LoginDevice(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	dir, rc := oauth2Env(t, p.srv.URL)
	var out bytes.Buffer
	code, stderr := loginRun(t, testCtx(t), dir, &out, "-C", rc, "-a", "work", "--oauth2-login")
	if code != sysexits.OK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	tokens := filepath.Join(dir, "tokens", "work.json")
	for _, want := range []string{
		"To let msmtp send mail as me@example.org (account work), open\n\n  " + p.srv.URL + "/verify\n\nand enter the code ABCD-EFGH\n",
		"\nWaiting for the authorization (the code expires at ",
		"Authorized. The tokens of account work are stored in " + tokens + ".\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	checkTokenFile(t, tokens, "rt-1")

	// The access token expires; the provider has revoked the refresh token: sending gets
	// the message that says what to do, and exit status 77.
	if err := (&oauth2.FileStore{Path: tokens}).Save(context.Background(), oauth2.Token{AccessToken: "at-1", Expiry: time.Now().Add(-time.Hour), RefreshToken: "rt-1"}); err != nil {
		t.Fatal(err)
	}
	acct := config.Defaults()
	acct.Name, acct.OAuth2Provider, acct.OAuth2ClientID, acct.OAuth2TokenEndpoint, acct.OAuth2TokenStore = "work", "custom", "cid", p.srv.URL+"/token", "file:"+tokens
	src, err := (&app{lookupEnv: func(string) (string, bool) { return "", false }, runner: &secret.Runner{}}).oauth2Manager().Source(acct)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Token(testCtx(t))
	want := "account work: OAuth2 authorization needed (the provider refused the refresh token: invalid_grant: Token has been revoked.); run 'msmtp --oauth2-login -a work'"
	if err == nil || err.Error() != want || oauth2ExitCode(err) != sysexits.NoPerm {
		t.Errorf("revoked: %v (exit %d)\nwant %s (exit 77)", err, oauth2ExitCode(err), want)
	}
}

func TestOAuth2LoginRedirect(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	dir, rc := oauth2Env(t, p.srv.URL)
	pr, pw := io.Pipe()
	var out bytes.Buffer
	browsed := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		// The user reads the address and opens it in a browser.
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			out.WriteString(line + "\n")
			if u, ok := strings.CutPrefix(line, "  "+p.srv.URL+"/authorize?"); ok {
				go func() {
					resp, err := http.Get(p.srv.URL + "/authorize?" + u)
					if err != nil {
						browsed <- err.Error()
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					browsed <- string(body)
				}()
			}
		}
	}()
	code, stderr := loginRun(t, testCtx(t), dir, pw, "-C", rc, "-a", "work", "--oauth2-login", "--redirect")
	pw.Close()
	<-read
	if code != sysexits.OK || stderr != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, out.String())
	}
	if page := <-browsed; !strings.Contains(page, "msmtp received the authorization") {
		t.Errorf("the browser showed %q", page)
	}
	checkTokenFile(t, filepath.Join(dir, "tokens", "work.json"), "rt-1")
}

func TestOAuth2LoginFailures(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	p.deny = true
	dir, rc := oauth2Env(t, p.srv.URL)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	dirClosed, rcClosed := oauth2Env(t, closed.URL)
	for _, tc := range []struct {
		name       string
		dir        string
		args       []string
		wantCode   sysexits.Code
		wantStderr string
		wantOut    string
	}{
		{"denied", dir, []string{"-C", rc, "-a", "work"}, sysexits.NoPerm, "msmtp: account work: OAuth2 login failed: access was denied\n", ""},
		{"no OAuth2", dir, []string{"-C", rc, "-a", "plain"}, sysexits.Config,
			"msmtp: account plain does not use OAuth2: set oauth2_provider (see oauth2_provider in the msmtprc reference)\n", ""},
		{"no such account", dir, []string{"-C", rc, "-a", "nope"}, sysexits.Config, "msmtp: account nope not found in " + rc + "\n", ""},
		{"provider unreachable", dirClosed, []string{"-C", rcClosed, "-a", "work"}, sysexits.TempFail,
			"msmtp: cannot reach OAuth2 endpoint " + closed.URL + "/device: ", ""},
		{"pretend", dir, []string{"-C", rc, "-a", "work", "-P"}, sysexits.OK, "", "oauth2_token_endpoint = " + p.srv.URL + "/token\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			code, stderr := loginRun(t, testCtx(t), tc.dir, &out, append(tc.args, "--oauth2-login")...)
			if code != tc.wantCode || !strings.HasPrefix(stderr, tc.wantStderr) || (tc.wantStderr == "") != (stderr == "") {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr, tc.wantCode, tc.wantStderr)
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("output lacks %q:\n%s", tc.wantOut, out.String())
			}
			if _, err := os.Stat(filepath.Join(tc.dir, "tokens", "work.json")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a token file exists after a failed login: %v", err)
			}
		})
	}
}

func TestOAuth2ExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want sysexits.Code
	}{
		{&oauth2.ReauthRequiredError{Account: "a"}, sysexits.NoPerm},
		{&oauth2.LoginError{Account: "a", Err: &oauth2.EndpointError{Code: "access_denied"}}, sysexits.NoPerm},
		{&oauth2.TemporaryError{URL: "u", Status: 503}, sysexits.TempFail},
		{fmt.Errorf("x: %w", context.Canceled), sysexits.TempFail},
		{&oauth2.EndpointError{Code: "invalid_client"}, sysexits.Config},
		{&oauth2.ConfigError{Account: "a"}, sysexits.Config},
		{&oauth2.StoreError{Op: "write", Err: os.ErrPermission}, sysexits.IOErr},
		{&config.Error{Kind: config.KindConfig}, sysexits.Config},
	} {
		if got := oauth2ExitCode(tc.err); got != tc.want {
			t.Errorf("%T %v: %d, want %d", tc.err, tc.err, got, tc.want)
		}
	}
}

func TestOAuth2Args(t *testing.T) {
	t.Parallel()
	inv, err := ParseArgs([]string{"msmtp", "-a", "x", "--oauth2-login", "--redirect"}, ParseConfig{})
	if err != nil || inv.Mode != ModeOAuth2Login || !inv.OAuth2Redirect || inv.Account.Value != "x" || inv.Mode.String() != "oauth2-login" {
		t.Errorf("%+v, %v", inv, err)
	}
	if inv, err := ParseArgs([]string{"msmtp", "--oauth2-l"}, ParseConfig{}); err != nil || inv.Mode != ModeOAuth2Login {
		t.Errorf("abbreviation: %v", err)
	}
	if _, err := ParseArgs([]string{"msmtp", "--redirect", "-t"}, ParseConfig{}); !errors.Is(err, ErrRedirectWithoutLogin) ||
		err.Error() != "msmtp: --redirect requires --oauth2-login" {
		t.Errorf("--redirect alone: %v", err)
	}
	inv, err = ParseArgs([]string{"msmtp", "--oauth2-login", "joe@example.org"}, ParseConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.CheckOperands(); !errors.Is(err, ErrTooManyArguments) {
		t.Errorf("recipients with --oauth2-login: %v", err)
	}
}
