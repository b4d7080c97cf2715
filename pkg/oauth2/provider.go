package oauth2

import (
	"slices"
	"strings"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/secret"
)

// Provider is a preset of oauth2_provider: the endpoints and scopes of a mail provider, so
// that a user names the provider and the client ID and nothing else.
type Provider struct {
	Name string
	// AuthURL (the browser's authorization endpoint, for --redirect), TokenURL and
	// DeviceAuthURL (RFC 8628) may contain "{tenant}".
	AuthURL, TokenURL, DeviceAuthURL string
	Scopes                           []string
	// DefaultTenant replaces "{tenant}" when oauth2_tenant is not set.
	DefaultTenant string
	// AuthParams are extra parameters of the authorization request, in order.
	AuthParams [][2]string
	// RefreshScope sends the scopes with a refresh request (RFC 6749 §6 allows it;
	// Microsoft's v2.0 endpoint wants it).
	RefreshScope bool
	// RedirectHost is the host name of the loopback redirect URI: the one the provider lets
	// a desktop application use with any port.
	RedirectHost string
	// DeviceHint is added to a refused device authorization request.
	DeviceHint string
}

// Providers returns the presets, google and microsoft. The slice is new on every call.
//
// Google: Gmail's scope https://mail.google.com/ is not one of the scopes Google allows in
// the device flow, so Gmail users log in with --redirect and a "Desktop app" client. The
// authorization request asks for offline access and for consent every time, without which
// Google gives a refresh token only at the first authorization.
//
// Microsoft: the v2.0 endpoints of the tenant (default "common"); offline_access gets the
// refresh token. Microsoft accepts http://localhost with any port as the redirect URI of a
// "Mobile and desktop applications" platform.
func Providers() []Provider {
	return []Provider{
		{
			Name:          config.OAuth2Google,
			AuthURL:       "https://accounts.google.com/o/oauth2/v2/auth",
			TokenURL:      "https://oauth2.googleapis.com/token",
			DeviceAuthURL: "https://oauth2.googleapis.com/device/code",
			Scopes:        []string{"https://mail.google.com/"},
			AuthParams:    [][2]string{{"access_type", "offline"}, {"prompt", "consent"}},
			RedirectHost:  "127.0.0.1",
			DeviceHint:    "Google allows the Gmail scope only with 'msmtp --oauth2-login --redirect'",
		},
		{
			Name:          config.OAuth2Microsoft,
			AuthURL:       "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
			TokenURL:      "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
			DeviceAuthURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
			Scopes:        []string{"https://outlook.office.com/SMTP.Send", "offline_access"},
			DefaultTenant: "common",
			RefreshScope:  true,
			RedirectHost:  "localhost",
		},
	}
}

// LookupProvider returns the preset called name ("google", "microsoft"). "custom" and
// unknown names have none.
func LookupProvider(name string) (Provider, bool) {
	for _, p := range Providers() {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

// Config is everything a Source needs to know about an account: the provider's endpoints
// with the account's overrides applied, the client, and the scopes.
type Config struct {
	// Account names the account in messages and in the login command they suggest.
	Account string
	// Provider is the preset's name, or "custom".
	Provider string

	ClientID string
	// ClientSecret is the client secret, or the zero Secret for none. When it is empty and
	// ClientSecretEval is set, Source runs that command (through Options.Eval) the first time
	// a request needs the secret.
	ClientSecret     secret.Secret
	ClientSecretEval string

	AuthURL, TokenURL, DeviceAuthURL string
	Scopes                           []string
	AuthParams                       [][2]string
	RefreshScope                     bool
	RedirectHost                     string
	DeviceHint                       string
}

// ConfigFor builds the Config of an account that config.Resolve accepted (oauth2_provider
// set, auth xoauth2 or oauthbearer, a client ID, and a token endpoint for custom). It gives
// a *ConfigError for an account without oauth2_provider.
func ConfigFor(a *config.Account) (Config, error) {
	c := Config{
		Account:          a.Name,
		Provider:         a.OAuth2Provider,
		ClientID:         a.OAuth2ClientID,
		ClientSecretEval: a.OAuth2ClientSecretEval,
		RedirectHost:     "127.0.0.1",
	}
	if s, ok := a.OAuth2ClientSecret.Reveal(); ok {
		c.ClientSecret = secret.New(s)
	}
	if a.OAuth2Provider == "" {
		return c, &ConfigError{Account: a.Name, Msg: "oauth2_provider is not set"}
	}
	tenant := a.OAuth2Tenant
	if p, ok := LookupProvider(a.OAuth2Provider); ok {
		c.AuthURL, c.TokenURL, c.DeviceAuthURL = p.AuthURL, p.TokenURL, p.DeviceAuthURL
		c.Scopes = slices.Clone(p.Scopes)
		c.AuthParams = slices.Clone(p.AuthParams)
		c.RefreshScope, c.RedirectHost, c.DeviceHint = p.RefreshScope, p.RedirectHost, p.DeviceHint
		if tenant == "" {
			tenant = p.DefaultTenant
		}
	}
	for _, o := range []struct {
		dst *string
		v   string
	}{{&c.AuthURL, a.OAuth2AuthEndpoint}, {&c.TokenURL, a.OAuth2TokenEndpoint}, {&c.DeviceAuthURL, a.OAuth2DeviceEndpoint}} {
		if o.v != "" {
			*o.dst = o.v
		}
		// config only accepts letters, digits, '.' and '-' in a tenant.
		*o.dst = strings.ReplaceAll(*o.dst, "{tenant}", tenant)
	}
	if a.OAuth2Scopes != "" {
		c.Scopes = strings.Fields(a.OAuth2Scopes)
	}
	if c.TokenURL == "" {
		return c, &ConfigError{Account: a.Name, Msg: "no oauth2_token_endpoint"}
	}
	return c, nil
}
