package oauth2

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/secret"
)

func account(provider string, edit func(a *config.Account)) *config.Account {
	a := config.Defaults()
	a.Name, a.User, a.Auth = "acct", "joe@example.org", "XOAUTH2"
	a.OAuth2Provider, a.OAuth2ClientID, a.OAuth2TokenStore = provider, "cid", "file:/x/acct.json"
	if edit != nil {
		edit(a)
	}
	return a
}

func TestConfigFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		a    *config.Account
		want Config
	}{
		{
			name: "google",
			a:    account("google", func(a *config.Account) { a.OAuth2ClientSecret = config.NewSecret("cs") }),
			want: Config{
				Account: "acct", Provider: "google", ClientID: "cid", ClientSecret: secret.New("cs"),
				AuthURL: "https://accounts.google.com/o/oauth2/v2/auth", TokenURL: "https://oauth2.googleapis.com/token",
				DeviceAuthURL: "https://oauth2.googleapis.com/device/code", Scopes: []string{"https://mail.google.com/"},
				AuthParams: [][2]string{{"access_type", "offline"}, {"prompt", "consent"}}, RedirectHost: "127.0.0.1",
				DeviceHint: "Google allows the Gmail scope only with 'msmtp --oauth2-login --redirect'",
			},
		},
		{
			name: "microsoft, default tenant",
			a:    account("microsoft", nil),
			want: Config{
				Account: "acct", Provider: "microsoft", ClientID: "cid",
				AuthURL:       "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
				TokenURL:      "https://login.microsoftonline.com/common/oauth2/v2.0/token",
				DeviceAuthURL: "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
				Scopes:        []string{"https://outlook.office.com/SMTP.Send", "offline_access"}, RefreshScope: true, RedirectHost: "localhost",
			},
		},
		{
			name: "microsoft, tenant and overrides",
			a: account("microsoft", func(a *config.Account) {
				a.OAuth2Tenant, a.OAuth2TokenEndpoint = "contoso.example", "https://login.microsoftonline.us/{tenant}/oauth2/v2.0/token"
				a.OAuth2Scopes, a.OAuth2ClientSecretEval = "https://outlook.office365.us/SMTP.Send  offline_access", "pass x"
			}),
			want: Config{
				Account: "acct", Provider: "microsoft", ClientID: "cid", ClientSecretEval: "pass x",
				AuthURL:       "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/authorize",
				TokenURL:      "https://login.microsoftonline.us/contoso.example/oauth2/v2.0/token",
				DeviceAuthURL: "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/devicecode",
				Scopes:        []string{"https://outlook.office365.us/SMTP.Send", "offline_access"}, RefreshScope: true, RedirectHost: "localhost",
			},
		},
		{
			name: "custom",
			a: account("custom", func(a *config.Account) {
				a.OAuth2TokenEndpoint, a.OAuth2Scopes = "https://idp.example.org/token", "smtp"
			}),
			want: Config{
				Account: "acct", Provider: "custom", ClientID: "cid", TokenURL: "https://idp.example.org/token",
				Scopes: []string{"smtp"}, RedirectHost: "127.0.0.1",
			},
		},
	} {
		got, err := ConfigFor(tc.a)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b secret.Secret) bool { return a.Reveal() == b.Reveal() })); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
		}
	}
	for _, a := range []*config.Account{account("", nil), account("custom", nil)} {
		var ce *ConfigError
		if _, err := ConfigFor(a); !errors.As(err, &ce) {
			t.Errorf("provider %q: %v", a.OAuth2Provider, err)
		}
	}
}

func TestManager(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	var m Manager
	if s, err := m.Source(account("", nil)); s != nil || err != nil {
		t.Errorf("account without OAuth2: %v, %v", s, err)
	}
	a := account("google", func(a *config.Account) { a.OAuth2TokenStore = "file:" + filepath.Join(dir, "t.json") })
	s1, err := m.Source(a)
	if err != nil {
		t.Fatal(err)
	}
	if fs, ok := s1.Store().(*FileStore); !ok || fs.Path != filepath.Join(dir, "t.json") {
		t.Errorf("store %v", s1.Store())
	}
	if s2, _ := m.Source(a.Clone()); s2 != s1 {
		t.Error("the same account got a second Source")
	}
	b := a.Clone()
	b.OAuth2ClientID = "other"
	if s3, _ := m.Source(b); s3 == s1 {
		t.Error("a changed account got the old Source")
	}
	// A nil Manager works, without sharing.
	var nilM *Manager
	if s, err := nilM.Source(a); err != nil || s == nil || s == s1 {
		t.Errorf("nil Manager: %v, %v", s, err)
	}

	// The keyring needs a writable one.
	k := account("microsoft", func(a *config.Account) { a.OAuth2TokenStore = "keyring" })
	var ce *ConfigError
	if _, err := m.Source(k); !errors.As(err, &ce) || !strings.Contains(err.Error(), "use oauth2_token_store file:PATH") {
		t.Errorf("keyring without a writer: %v", err)
	}
	m2 := Manager{Keyring: &fakeKeyring{}, LockDir: dir}
	s, err := m2.Source(k)
	if err != nil {
		t.Fatal(err)
	}
	ks, ok := s.Store().(*KeyringStore)
	if !ok || ks.Key != (secret.Key{Host: "oauth2:acct", User: "joe@example.org"}) || ks.LockFile != filepath.Join(dir, "oauth2-acct.json.lock") {
		t.Errorf("keyring store %+v", s.Store())
	}
	if _, err := m.Source(account("google", func(a *config.Account) { a.OAuth2TokenStore = "" })); !errors.As(err, &ce) {
		t.Errorf("no store: %v", err)
	}
}

func TestLoginCommand(t *testing.T) {
	t.Parallel()
	for account, want := range map[string]string{
		"gmail":           "msmtp --oauth2-login -a gmail",
		"joe@example.org": "msmtp --oauth2-login -a joe@example.org",
		"my account":      "msmtp --oauth2-login -a 'my account'",
		"it's":            `msmtp --oauth2-login -a 'it'\''s'`,
		"$(rm -rf x)":     "msmtp --oauth2-login -a '$(rm -rf x)'",
		"":                "msmtp --oauth2-login -a ''",
	} {
		if got := LoginCommand(account); got != want {
			t.Errorf("LoginCommand(%q) = %q, want %q", account, got, want)
		}
	}
}
