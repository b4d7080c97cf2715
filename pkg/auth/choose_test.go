package auth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/msmtp-go/msmtp/pkg/auth"
)

func TestChoose(t *testing.T) {
	t.Parallel()
	all := "PLAIN LOGIN CRAM-MD5 DIGEST-MD5 NTLM GSSAPI EXTERNAL OAUTHBEARER XOAUTH2 SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-1-PLUS SCRAM-SHA-256-PLUS"
	tests := []struct {
		name    string
		sel     auth.Selection
		offered string
		want    auth.Mechanism
		wantErr string
	}{
		// Automatic with TLS, HEAD order (spec-mail-smtp.md §3.1, §10 item 48).
		{name: "TLS, everything offered, binding", sel: auth.Selection{TLS: true, ChannelBinding: true}, offered: all, want: auth.SCRAMSHA256Plus},
		{name: "item 48", sel: auth.Selection{TLS: true, ChannelBinding: true},
			offered: "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 SCRAM-SHA-256-PLUS", want: auth.SCRAMSHA256Plus},
		{name: "TLS, no binding skips PLUS", sel: auth.Selection{TLS: true}, offered: all, want: auth.SCRAMSHA256},
		{name: "TLS, SHA-1-PLUS before SHA-256", sel: auth.Selection{TLS: true, ChannelBinding: true},
			offered: "SCRAM-SHA-256 SCRAM-SHA-1-PLUS", want: auth.SCRAMSHA1Plus},
		{name: "TLS, SHA-1 before PLAIN", sel: auth.Selection{TLS: true}, offered: "PLAIN SCRAM-SHA-1", want: auth.SCRAMSHA1},
		{name: "TLS, PLAIN before CRAM-MD5", sel: auth.Selection{TLS: true}, offered: "LOGIN CRAM-MD5 PLAIN", want: auth.Plain},
		{name: "TLS, CRAM-MD5 before LOGIN", sel: auth.Selection{TLS: true}, offered: "LOGIN CRAM-MD5", want: auth.CRAMMD5},
		{name: "TLS, DIGEST-MD5 not built", sel: auth.Selection{TLS: true}, offered: "DIGEST-MD5 LOGIN", want: auth.Login},
		{name: "TLS, only LOGIN", sel: auth.Selection{TLS: true}, offered: "LOGIN", want: auth.Login},
		{name: "TLS, case-insensitive", sel: auth.Selection{TLS: true}, offered: "login plain", want: auth.Plain},
		{name: "TLS, only unbuilt or non-automatic", sel: auth.Selection{TLS: true, ChannelBinding: true},
			offered: "DIGEST-MD5 NTLM GSSAPI EXTERNAL OAUTHBEARER XOAUTH2", wantErr: "cannot find a usable authentication method"},
		{name: "TLS, PLUS only without binding", sel: auth.Selection{TLS: true}, offered: "SCRAM-SHA-256-PLUS",
			wantErr: "cannot find a usable authentication method"},
		{name: "TLS, nothing offered", sel: auth.Selection{TLS: true}, offered: "", wantErr: "cannot find a usable authentication method"},
		// Whole-token match (HEAD): XPLAIN is not PLAIN, SCRAM-SHA-1-PLUS is not SCRAM-SHA-1.
		{name: "TLS, no substring match", sel: auth.Selection{TLS: true}, offered: "XPLAIN SCRAM-SHA-1-PLUS LOGINX",
			wantErr: "cannot find a usable authentication method"},

		// Automatic without TLS: SCRAM only (§10 item 46).
		{name: "item 46, cleartext only", offered: "PLAIN LOGIN CRAM-MD5", wantErr: "cannot use a secure authentication method"},
		{name: "item 46, SCRAM offered", offered: "SCRAM-SHA-1 SCRAM-SHA-256", want: auth.SCRAMSHA256},
		{name: "no TLS, SHA-1", offered: "PLAIN SCRAM-SHA-1", want: auth.SCRAMSHA1},
		{name: "no TLS, PLUS is not SCRAM", offered: "SCRAM-SHA-256-PLUS PLAIN", wantErr: "cannot use a secure authentication method"},

		// Explicit.
		{name: "explicit PLAIN without TLS is allowed", sel: auth.Selection{Requested: auth.Plain}, offered: "PLAIN", want: auth.Plain},
		{name: "explicit LOGIN, case-insensitive offer", sel: auth.Selection{Requested: auth.Login}, offered: "plain login", want: auth.Login},
		{name: "explicit, not offered", sel: auth.Selection{Requested: auth.CRAMMD5, TLS: true}, offered: "PLAIN LOGIN",
			wantErr: "the server does not support authentication method CRAM-MD5"},
		{name: "explicit, not offered by substring", sel: auth.Selection{Requested: auth.Plain}, offered: "XPLAIN",
			wantErr: "the server does not support authentication method PLAIN"},
		{name: "explicit, not built", sel: auth.Selection{Requested: auth.NTLM}, offered: "NTLM",
			wantErr: "support for authentication method NTLM is not compiled in"},
		{name: "explicit PLUS without binding", sel: auth.Selection{Requested: auth.SCRAMSHA256Plus, TLS: true},
			offered: "SCRAM-SHA-256-PLUS", wantErr: "authentication method SCRAM-SHA-256-PLUS needs TLS channel binding information"},
		{name: "explicit PLUS with binding", sel: auth.Selection{Requested: auth.SCRAMSHA1Plus, TLS: true, ChannelBinding: true},
			offered: "SCRAM-SHA-1-PLUS", want: auth.SCRAMSHA1Plus},
		{name: "explicit XOAUTH2", sel: auth.Selection{Requested: auth.XOAuth2}, offered: "XOAUTH2 PLAIN", want: auth.XOAuth2},
		{name: "explicit EXTERNAL", sel: auth.Selection{Requested: auth.External, TLS: true}, offered: "EXTERNAL", want: auth.External},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sel := tt.sel
			sel.Offered = strings.Fields(tt.offered)
			got, err := auth.Choose(sel)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Choose = %s, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Choose = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestChooseErrorTypes(t *testing.T) {
	t.Parallel()
	_, err := auth.Choose(auth.Selection{TLS: true})
	if !errors.Is(err, auth.ErrNoUsableMechanism) {
		t.Errorf("%v is not ErrNoUsableMechanism", err)
	}
	_, err = auth.Choose(auth.Selection{Offered: []string{"PLAIN"}})
	if !errors.Is(err, auth.ErrNoSecureMechanism) {
		t.Errorf("%v is not ErrNoSecureMechanism", err)
	}
	_, err = auth.Choose(auth.Selection{Requested: auth.Login, Offered: []string{"PLAIN"}})
	var no *auth.NotOfferedError
	if !errors.As(err, &no) || no.Mechanism != auth.Login {
		t.Errorf("%v is not *NotOfferedError for LOGIN", err)
	}
	_, err = auth.Choose(auth.Selection{Requested: auth.GSSAPI, Offered: []string{"GSSAPI"}})
	var nc *auth.NotCompiledInError
	if !errors.As(err, &nc) || nc.Mechanism != auth.GSSAPI {
		t.Errorf("%v is not *NotCompiledInError for GSSAPI", err)
	}
}

func TestMechanismPolicy(t *testing.T) {
	t.Parallel()
	type policy struct{ supported, user, password, binding bool }
	want := map[auth.Mechanism]policy{
		auth.Plain:           {true, true, true, false},
		auth.Login:           {true, true, true, false},
		auth.CRAMMD5:         {true, true, true, false},
		auth.SCRAMSHA1:       {true, true, true, false},
		auth.SCRAMSHA1Plus:   {true, true, true, true},
		auth.SCRAMSHA256:     {true, true, true, false},
		auth.SCRAMSHA256Plus: {true, true, true, true},
		auth.DigestMD5:       {false, true, true, false},
		auth.NTLM:            {false, true, true, false},
		auth.GSSAPI:          {false, true, false, false},
		auth.External:        {true, false, false, false},
		auth.OAuthBearer:     {true, true, true, false},
		auth.XOAuth2:         {true, true, true, false},
	}
	all := auth.Mechanisms()
	if len(all) != len(want) {
		t.Errorf("Mechanisms() has %d entries, want %d", len(all), len(want))
	}
	for _, m := range all {
		w, ok := want[m]
		if !ok {
			t.Errorf("unexpected mechanism %s", m)
			continue
		}
		got := policy{m.Supported(), m.NeedsUser(), m.NeedsPassword(), m.NeedsChannelBinding()}
		if got != w {
			t.Errorf("%s: policy %+v, want %+v", m, got, w)
		}
		if (m.Check() == nil) != w.supported {
			t.Errorf("%s: Check() = %v", m, m.Check())
		}
		for _, name := range []string{string(m), strings.ToLower(string(m))} {
			if p, err := auth.ParseMechanism(name); err != nil || p != m {
				t.Errorf("ParseMechanism(%q) = %s, %v", name, p, err)
			}
		}
	}
	if _, err := auth.ParseMechanism("scram-sha-512"); err == nil {
		t.Error("ParseMechanism accepted scram-sha-512")
	}
	if auth.Mechanism("X-UNKNOWN").Supported() {
		t.Error("an unknown mechanism is supported")
	}
}
