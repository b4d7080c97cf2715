package config

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestOAuth2Values checks the arguments each oauth2_* command accepts and what it stores.
func TestOAuth2Values(t *testing.T) {
	t.Parallel()
	get := map[string]func(a *Account) string{
		"oauth2_provider":           func(a *Account) string { return a.OAuth2Provider },
		"oauth2_client_id":          func(a *Account) string { return a.OAuth2ClientID },
		"oauth2_client_secret":      func(a *Account) string { v, _ := a.OAuth2ClientSecret.Reveal(); return v },
		"oauth2_client_secret_eval": func(a *Account) string { return a.OAuth2ClientSecretEval },
		"oauth2_tenant":             func(a *Account) string { return a.OAuth2Tenant },
		"oauth2_auth_endpoint":      func(a *Account) string { return a.OAuth2AuthEndpoint },
		"oauth2_token_endpoint":     func(a *Account) string { return a.OAuth2TokenEndpoint },
		"oauth2_device_endpoint":    func(a *Account) string { return a.OAuth2DeviceEndpoint },
		"oauth2_scopes":             func(a *Account) string { return a.OAuth2Scopes },
		"oauth2_token_store":        func(a *Account) string { return a.OAuth2TokenStore },
	}
	tests := []struct {
		cmd, arg string
		want     string // stored value; "!" means invalid argument
	}{
		{"oauth2_provider", "google", "google"},
		{"oauth2_provider", "microsoft", "microsoft"},
		{"oauth2_provider", "custom", "custom"},
		{"oauth2_provider", "", ""},
		{"oauth2_provider", "Google", "!"},
		{"oauth2_provider", "yahoo", "!"},
		{"oauth2_client_id", "abc.apps.example", "abc.apps.example"},
		{"oauth2_client_secret", "s e c", "s e c"},
		{"oauth2_client_secret_eval", "pass show x", "pass show x"},
		{"oauth2_tenant", "contoso.onmicrosoft.com", "contoso.onmicrosoft.com"},
		{"oauth2_tenant", "9188040d-6c67-4c5b-b112-36a304b66dad", "9188040d-6c67-4c5b-b112-36a304b66dad"},
		{"oauth2_tenant", "", ""},
		{"oauth2_tenant", "a/b", "!"},
		{"oauth2_tenant", "a?b", "!"},
		{"oauth2_tenant", "a b", "!"},
		{"oauth2_token_endpoint", "https://idp.example.org/token", "https://idp.example.org/token"},
		{"oauth2_token_endpoint", "http://127.0.0.1:8080/token", "http://127.0.0.1:8080/token"},
		{"oauth2_token_endpoint", "http://[::1]:8080/token", "http://[::1]:8080/token"},
		{"oauth2_token_endpoint", "http://localhost/token", "http://localhost/token"},
		{"oauth2_token_endpoint", "http://idp.example.org/token", "!"},
		{"oauth2_token_endpoint", "ftp://idp.example.org/token", "!"},
		{"oauth2_token_endpoint", "https:///token", "!"},
		{"oauth2_token_endpoint", "https://u:p@idp.example.org/token", "!"},
		{"oauth2_token_endpoint", "https://idp.example.org/token#x", "!"},
		{"oauth2_token_endpoint", "/token", "!"},
		{"oauth2_device_endpoint", "https://idp.example.org/device", "https://idp.example.org/device"},
		{"oauth2_device_endpoint", "http://10.0.0.1/device", "!"},
		{"oauth2_auth_endpoint", "https://idp.example.org/auth?x=1", "https://idp.example.org/auth?x=1"},
		{"oauth2_auth_endpoint", "idp.example.org", "!"},
		{"oauth2_scopes", "a b  c", "a b  c"},
		{"oauth2_token_store", "keyring", "keyring"},
		{"oauth2_token_store", "file:/var/lib/msmtp/t.json", "file:/var/lib/msmtp/t.json"},
		{"oauth2_token_store", "file:~/t.json", "file:/home/tester/t.json"},
		{"oauth2_token_store", "file:t.json", "file:t.json"},
		{"oauth2_token_store", "", ""},
		{"oauth2_token_store", "file:", "!"},
		{"oauth2_token_store", "Keyring", "!"},
		{"oauth2_token_store", "/var/lib/t.json", "!"},
	}
	for _, tc := range tests {
		rc := "account default\n" + tc.cmd + " " + tc.arg + "\n"
		f, err := Parse(strings.NewReader(rc), "F", ParseOptions{Home: "/home/tester"})
		if tc.want == "!" {
			want := "F: line 2: invalid argument " + tc.arg + " for command " + tc.cmd
			if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("%s %q: error %v, want %q", tc.cmd, tc.arg, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tc.cmd, tc.arg, err)
			continue
		}
		if got := get[tc.cmd](f.Accounts[0]); got != tc.want {
			t.Errorf("%s %q stored %q, want %q", tc.cmd, tc.arg, got, tc.want)
		}
	}
}

func TestDefaultTokenFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, account, want string }{
		{"/home/joe/.msmtprc", "gmail", "/home/joe/.msmtprc.oauth2-gmail.json"},
		{"/home/joe/.config/msmtp/config", "work", "/home/joe/.config/msmtp/config.oauth2-work.json"},
		{`C:\Users\joe\AppData\Roaming\msmtp\msmtprc`, "o365", `C:\Users\joe\AppData\Roaming\msmtp\msmtprc.oauth2-o365.json`},
		{"/rc", "", "/rc.oauth2-default.json"},
		{"/rc", "../../etc/x", "/rc.oauth2-.._.._etc_x.json"},
		{"/rc", `a\b c`, "/rc.oauth2-a_b_c.json"},
		{"/rc", "joe+x@example.org", "/rc.oauth2-joe+x@example.org.json"},
		{"/rc", "grüße", "/rc.oauth2-gr____e.json"}, // each byte of a non-ASCII character becomes '_'
	} {
		if got := DefaultTokenFile(tc.file, tc.account); got != tc.want {
			t.Errorf("DefaultTokenFile(%q, %q) = %q, want %q", tc.file, tc.account, got, tc.want)
		}
	}
}

// TestOAuth2Resolve checks what Resolve does for an account that uses OAuth2: the default
// token store beside the user configuration file (the one found, or -C), no passwordeval,
// and the origins.
func TestOAuth2Resolve(t *testing.T) {
	t.Parallel()
	const rc = "account g\nhost h\nfrom a@example.org\nuser u\nauth xoauth2\npasswordeval echo pw\n" +
		"oauth2_provider google\noauth2_client_id c\n"
	for _, tc := range []struct {
		name      string
		file      string // "" = found as the user file
		wantStore string
	}{
		{"user file", "", "file:/home/tester/.msmtprc.oauth2-g.json"},
		{"-C", "/etc/other-rc", "file:/etc/other-rc.oauth2-g.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeEnv()
			name := tc.file
			if name == "" {
				name = "/home/tester/.msmtprc"
			}
			f.add(name, rc)
			req := Request{Account: Some("g"), Env: f.env()}
			if tc.file != "" {
				req.File = Some(tc.file)
			}
			a, err := Resolve(req)
			if err != nil {
				t.Fatal(err)
			}
			if a.OAuth2TokenStore != tc.wantStore || a.Origin(KeyOAuth2TokenStore).Kind != OriginComputed {
				t.Errorf("token store %q (%v), want %q (computed)", a.OAuth2TokenStore, a.Origin(KeyOAuth2TokenStore), tc.wantStore)
			}
			if a.Password.IsSet() || len(f.ran) != 0 {
				t.Errorf("passwordeval ran for an OAuth2 account: %q", f.ran)
			}
		})
	}
	// An explicit store is kept, and turning OAuth2 off brings passwordeval back.
	f := newFakeEnv()
	f.add(rcName, rc+"oauth2_token_store keyring\naccount p : g\noauth2_provider\nauth on\n")
	a, err := Resolve(Request{File: Some(rcName), Account: Some("g"), Env: f.env()})
	if err != nil || a.OAuth2TokenStore != "keyring" || !a.Explicit(KeyOAuth2TokenStore) {
		t.Errorf("explicit store: %v, %q", err, a.OAuth2TokenStore)
	}
	a, err = Resolve(Request{File: Some(rcName), Account: Some("p"), Env: f.env()})
	if pw, _ := a.Password.Reveal(); err != nil || pw != "pw" || !slices.Equal(f.ran, []string{"echo pw"}) {
		t.Errorf("OAuth2 off: %v, password %q, ran %q", err, pw, f.ran)
	}
	if a.OAuth2TokenStore != "keyring" {
		t.Errorf("the inherited store was lost: %q", a.OAuth2TokenStore)
	}
}

// TestOAuth2Pretend checks that --pretend shows the oauth2_* lines, the client secret as *,
// only for an account that uses OAuth2: every other account prints upstream's layout.
func TestOAuth2Pretend(t *testing.T) {
	t.Parallel()
	f := newFakeEnv()
	f.add(rcName, "account o\nhost h\nfrom a@example.org\nuser u\nauth oauthbearer\noauth2_provider custom\n"+
		"oauth2_client_id c\noauth2_client_secret hunter2\noauth2_token_endpoint https://idp.example.org/t\n"+
		"account p\nhost h\nfrom a@example.org\noauth2_client_id c\noauth2_scopes s\n")
	dump := func(name string) string {
		a, err := Resolve(Request{File: Some(rcName), Account: Some(name), Env: f.env()})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WritePretend(&b, a, PretendOptions{Mode: ModeServerInfo}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	o := dump("o")
	for _, want := range []string{
		"ntlmdomain = (not set)\noauth2_provider = custom\noauth2_client_id = c\noauth2_client_secret = *\n",
		"oauth2_token_endpoint = https://idp.example.org/t\n",
		"oauth2_scopes = (not set)\noauth2_token_store = file:" + rcName + ".oauth2-o.json\ntls = off\n",
	} {
		if !strings.Contains(o, want) {
			t.Errorf("--pretend lacks %q:\n%s", want, o)
		}
	}
	if strings.Contains(o, "hunter2") {
		t.Error("--pretend shows the client secret")
	}
	if p := dump("p"); strings.Contains(p, "oauth2") || !strings.Contains(p, "ntlmdomain = (not set)\ntls = off\n") {
		t.Errorf("an account without oauth2_provider prints OAuth2 lines:\n%s", p)
	}
}
