package config

import (
	"net"
	"net/url"
	"strings"
)

// This file holds what the directive table needs for the OAuth2 extension (docs/oauth2.md):
// the value kinds of the oauth2_* commands, the default token store, and the checks that
// Validate adds for an account that uses OAuth2.

// usesOAuth2 reports whether msmtp manages the account's OAuth2 tokens. The oauth2_* rows of
// --pretend are printed only then.
func usesOAuth2(a *Account) bool { return a.OAuth2Provider != "" }

// validatedText is a string setting whose non-empty values must pass ok; an empty argument
// unsets it.
func validatedText(f field[string], ok func(string) bool) value {
	v := text(f, false)
	set := v.set
	v.set = func(a *Account, in input) error {
		if in.arg != "" && !ok(in.arg) {
			return errInvalid
		}
		return set(a, in)
	}
	return v
}

// validTenant accepts what Microsoft's tenant path segment holds: a GUID, a domain name or
// one of the words common, organizations and consumers. Anything else could change the
// URL it is pasted into.
func validTenant(s string) bool {
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validEndpoint accepts an absolute https URL, or an http URL of a loopback host (a local
// test server or proxy): tokens and client secrets must not cross a network in the clear.
func validEndpoint(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return isLoopback(u.Hostname())
	}
	return false
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tokenStorePrefix starts the file form of oauth2_token_store.
const tokenStorePrefix = "file:"

// tokenStore is oauth2_token_store: "keyring" or "file:PATH" with '~' expanded in PATH; an
// empty argument unsets it, so that the default applies.
func tokenStore() value {
	f := field[string](func(a *Account) *string { return &a.OAuth2TokenStore })
	return value{
		set: func(a *Account, in input) error {
			switch path, isFile := strings.CutPrefix(in.arg, tokenStorePrefix); {
			case in.arg == "" || in.arg == OAuth2TokenStoreKeyring:
				a.OAuth2TokenStore = in.arg
			case isFile && path != "":
				a.OAuth2TokenStore = tokenStorePrefix + expandTilde(path, in.home)
			default:
				return errInvalid
			}
			return nil
		},
		show: func(a *Account) string { return orNotSet(a.OAuth2TokenStore) },
		copy: f.copier(),
	}
}

// DefaultTokenFile returns the token file of an account whose oauth2_token_store is not set:
// the user configuration file's name followed by ".oauth2-ACCOUNT.json", so that it sits
// beside the file, is hidden when the file is (~/.msmtprc.oauth2-gmail.json) and lives in
// the same private directory on Windows (%APPDATA%\msmtp\msmtprc.oauth2-gmail.json). In
// ACCOUNT every character other than an ASCII letter, digit, '.', '_', '-', '+' or '@'
// becomes '_', so that no account name can leave the directory.
func DefaultTokenFile(userFile, account string) string {
	if account == "" {
		account = "default"
	}
	name := []byte(account)
	for i, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._-+@", c) >= 0) {
			name[i] = '_'
		}
	}
	return userFile + ".oauth2-" + string(name) + ".json"
}

// oauth2Defaults fills in the default token store of an account that uses OAuth2.
func (r *resolver) oauth2Defaults(a *Account) {
	if !usesOAuth2(a) || a.OAuth2TokenStore != "" {
		return
	}
	userFile := r.req.File.Value
	if !r.req.File.Set {
		userFile = UserFile(*r.env)
	}
	a.OAuth2TokenStore = tokenStorePrefix + DefaultTokenFile(userFile, a.Name)
	a.setOrigin(KeyOAuth2TokenStore, Origin{Kind: OriginComputed})
}

// validateOAuth2 is Validate's part for an account that uses OAuth2: the settings without
// which no token can be had. They come after upstream's checks, so an account that fails
// one of those reports the same error as before.
func validateOAuth2(a *Account) string {
	if !usesOAuth2(a) {
		return ""
	}
	switch {
	case a.Auth != "OAUTHBEARER" && a.Auth != "XOAUTH2":
		return "oauth2_provider requires auth oauthbearer or auth xoauth2"
	case a.OAuth2ClientID == "":
		return "oauth2_provider requires oauth2_client_id"
	case a.OAuth2Provider == OAuth2Custom && a.OAuth2TokenEndpoint == "":
		return "oauth2_provider custom requires oauth2_token_endpoint"
	}
	return ""
}
