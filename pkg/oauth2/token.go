package oauth2

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Token is what a store keeps for one account: the access token that XOAUTH2 and OAUTHBEARER
// send, when it expires, and the refresh token that gets the next one. It never prints its
// tokens: String, Format and LogValue show only the expiry.
type Token struct {
	AccessToken  string
	TokenType    string    // "Bearer"; informational
	Expiry       time.Time // zero: the provider did not say, the token is used until refused
	RefreshToken string
}

// expiryMargin is how long before its expiry an access token is no longer used: a mail
// takes a while to send, and clocks differ.
const expiryMargin = time.Minute

// usable reports whether the access token can still be sent at now.
func (t Token) usable(now time.Time) bool {
	return t.AccessToken != "" && (t.Expiry.IsZero() || now.Add(expiryMargin).Before(t.Expiry))
}

// String describes the token without its secrets.
func (t Token) String() string {
	exp := "no expiry"
	if !t.Expiry.IsZero() {
		exp = "expires " + t.Expiry.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("oauth2.Token{access token %s, refresh token %s, %s}", redacted(t.AccessToken), redacted(t.RefreshToken), exp)
}

// Format prints String for every verb, so that %#v and %x cannot show the tokens.
func (t Token) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue makes log/slog print String.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

func redacted(s string) string {
	if s == "" {
		return "none"
	}
	return "*"
}

// tokenFile is the stored form, shared by the file and keyring stores:
//
//	{"version":1,"access_token":"...","token_type":"Bearer","expiry":"2026-01-02T15:04:05Z","refresh_token":"..."}
type tokenFile struct {
	Version      int        `json:"version"`
	AccessToken  string     `json:"access_token,omitempty"`
	TokenType    string     `json:"token_type,omitempty"`
	Expiry       *time.Time `json:"expiry,omitempty"`
	RefreshToken string     `json:"refresh_token"`
}

const tokenFileVersion = 1

func encodeToken(t Token) ([]byte, error) {
	tf := tokenFile{Version: tokenFileVersion, AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken}
	if !t.Expiry.IsZero() {
		e := t.Expiry.UTC()
		tf.Expiry = &e
	}
	b, err := json.MarshalIndent(tf, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func decodeToken(b []byte) (Token, error) {
	var tf tokenFile
	if err := json.Unmarshal(b, &tf); err != nil {
		return Token{}, fmt.Errorf("not a token file: %w", err)
	}
	if tf.Version != tokenFileVersion {
		return Token{}, fmt.Errorf("token file version %d, want %d", tf.Version, tokenFileVersion)
	}
	t := Token{AccessToken: tf.AccessToken, TokenType: tf.TokenType, RefreshToken: tf.RefreshToken}
	if tf.Expiry != nil {
		t.Expiry = *tf.Expiry
	}
	return t, nil
}
