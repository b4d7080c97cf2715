package auth_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/google/go-cmp/cmp"
	"github.com/msmtp-go/msmtp/pkg/auth"
	"github.com/xdg-go/scram"
)

func mustClient(t *testing.T, p auth.Params) sasl.Client {
	t.Helper()
	c, err := auth.NewClient(p)
	if err != nil {
		t.Fatalf("NewClient(%s): %v", p.Mechanism, err)
	}
	return c
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestWireVectors checks the byte-exact lines of spec-mail-smtp.md §3.2 and §10 items 41–45.
func TestWireVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		params     auth.Params
		challenges []string // base64 text of each 334 reply
		want       []string
	}{
		{
			name:   "PLAIN, item 41",
			params: auth.Params{Mechanism: auth.Plain, User: "user", Password: "secret"},
			want:   []string{"AUTH PLAIN AHVzZXIAc2VjcmV0"},
		},
		{
			name:   "PLAIN with empty password",
			params: auth.Params{Mechanism: auth.Plain, User: "user"},
			want:   []string{"AUTH PLAIN " + b64("\x00user\x00")},
		},
		{
			name:       "LOGIN, item 42",
			params:     auth.Params{Mechanism: auth.Login, User: "user", Password: "secret"},
			challenges: []string{"VXNlcm5hbWU6", "UGFzc3dvcmQ6"},
			want:       []string{"AUTH LOGIN", "dXNlcg==", "c2VjcmV0"},
		},
		{
			name:       "LOGIN ignores odd prompts, even undecodable ones",
			params:     auth.Params{Mechanism: auth.Login, User: "user", Password: "secret"},
			challenges: []string{b64("Password:"), "not base64!"},
			want:       []string{"AUTH LOGIN", "dXNlcg==", "c2VjcmV0"},
		},
		{
			name:       "LOGIN with empty password sends an empty line",
			params:     auth.Params{Mechanism: auth.Login, User: "user"},
			challenges: []string{"VXNlcm5hbWU6", "UGFzc3dvcmQ6"},
			want:       []string{"AUTH LOGIN", "dXNlcg==", ""},
		},
		{
			name:       "CRAM-MD5, item 43",
			params:     auth.Params{Mechanism: auth.CRAMMD5, User: "user", Password: "secret"},
			challenges: []string{"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+"},
			want:       []string{"AUTH CRAM-MD5", "dXNlciBhYmI3ZGU0OWM1OGRhMTQxNjg2NmJiYzU2NmI3ZTU4NQ=="},
		},
		{
			name:       "CRAM-MD5, RFC 2195 example",
			params:     auth.Params{Mechanism: auth.CRAMMD5, User: "tim", Password: "tanstaaftanstaaf"},
			challenges: []string{"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"},
			want:       []string{"AUTH CRAM-MD5", "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"},
		},
		{
			name:       "XOAUTH2, item 44",
			params:     auth.Params{Mechanism: auth.XOAuth2, User: "user@example.com", Password: "TOKEN123"},
			challenges: []string{""},
			want:       []string{"AUTH XOAUTH2", "dXNlcj11c2VyQGV4YW1wbGUuY29tAWF1dGg9QmVhcmVyIFRPS0VOMTIzAQE="},
		},
		{
			name:   "XOAUTH2 answers an error challenge with an empty line",
			params: auth.Params{Mechanism: auth.XOAuth2, User: "user@example.com", Password: "TOKEN123"},
			challenges: []string{"",
				b64(`{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}`)},
			want: []string{"AUTH XOAUTH2", "dXNlcj11c2VyQGV4YW1wbGUuY29tAWF1dGg9QmVhcmVyIFRPS0VOMTIzAQE=", ""},
		},
		{
			name: "OAUTHBEARER, item 45",
			params: auth.Params{Mechanism: auth.OAuthBearer, User: "user@example.com", Password: "TOKEN123",
				Host: "127.0.0.1", Port: 2525},
			want: []string{"AUTH OAUTHBEARER " +
				b64("n,a=user@example.com,\x01host=127.0.0.1\x01port=2525\x01auth=Bearer TOKEN123\x01\x01")},
		},
		{
			name: "OAUTHBEARER answers an error challenge with 0x01 (RFC 7628 §3.2.3)",
			params: auth.Params{Mechanism: auth.OAuthBearer, User: "u", Password: "T",
				Host: "/run/smtp.sock", Port: 0},
			challenges: []string{b64(`{"status":"invalid_token"}`)},
			want: []string{"AUTH OAUTHBEARER " + b64("n,a=u,\x01host=/run/smtp.sock\x01port=0\x01auth=Bearer T\x01\x01"),
				"AQ=="},
		},
		{
			name:   "EXTERNAL with a user sends it as initial response",
			params: auth.Params{Mechanism: auth.External, User: "user"},
			want:   []string{"AUTH EXTERNAL dXNlcg=="},
		},
		{
			name:   "EXTERNAL without a user sends an empty initial response",
			params: auth.Params{Mechanism: auth.External},
			want:   []string{"AUTH EXTERNAL ="},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := play(mustClient(t, tt.params), tt.challenges...)
			if err != nil {
				t.Fatalf("exchange failed: %v (lines so far %q)", err, got)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wire lines mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// fixedRand yields the bytes 0, 1, 2, ... so the SCRAM nonce is known.
func fixedRand() *bytes.Reader {
	b := make([]byte, 64)
	for i := range b {
		b[i] = byte(i)
	}
	return bytes.NewReader(b)
}

func TestSCRAMClientFirst(t *testing.T) {
	t.Parallel()
	nonce := base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})
	exporter := &auth.ChannelBinding{Type: auth.TLSExporter, Data: bytes.Repeat([]byte{7}, 32)}
	unique := &auth.ChannelBinding{Type: auth.TLSUnique, Data: bytes.Repeat([]byte{9}, 12)}
	tests := []struct {
		mech auth.Mechanism
		user string
		cb   *auth.ChannelBinding
		want string
	}{
		{auth.SCRAMSHA256, "user", nil, "n,,n=user,r=" + nonce},
		{auth.SCRAMSHA1, "user", nil, "n,,n=user,r=" + nonce},
		// Channel binding data is ignored by the non-PLUS mechanisms: `n,,` even over TLS.
		{auth.SCRAMSHA256, "user", exporter, "n,,n=user,r=" + nonce},
		{auth.SCRAMSHA256Plus, "u", exporter, "p=tls-exporter,,n=u,r=" + nonce},
		{auth.SCRAMSHA1Plus, "u", unique, "p=tls-unique,,n=u,r=" + nonce},
		// RFC 5802 §5.1: `,` and `=` in the user name are escaped.
		{auth.SCRAMSHA256, "a,b=c", nil, "n,,n=a=2Cb=3Dc,r=" + nonce},
	}
	for _, tt := range tests {
		t.Run(string(tt.mech)+"/"+tt.want, func(t *testing.T) {
			t.Parallel()
			c := mustClient(t, auth.Params{Mechanism: tt.mech, User: tt.user, Password: "pw",
				ChannelBinding: tt.cb, Rand: fixedRand()})
			got, err := play(c, "")
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"AUTH " + string(tt.mech), b64(tt.want)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// cramMD5Server checks a CRAM-MD5 response against one challenge (RFC 2195 §2).
type cramMD5Server struct {
	challenge, user, password string
	sent                      bool
}

func (s *cramMD5Server) Next(resp []byte) ([]byte, bool, error) {
	if !s.sent {
		s.sent = true
		return []byte(s.challenge), false, nil
	}
	mac := hmac.New(md5.New, []byte(s.password))
	mac.Write([]byte(s.challenge))
	if string(resp) != s.user+" "+hex.EncodeToString(mac.Sum(nil)) {
		return nil, true, errors.New("535 bad digest")
	}
	return nil, true, nil
}

// xoauth2Server accepts one token; for a wrong one it sends the error JSON challenge and
// fails after the client's (necessarily empty) answer.
type xoauth2Server struct {
	user, token string
	step        int
	failed      bool
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	s.step++
	switch {
	case resp == nil && s.step == 1:
		return []byte{}, false, nil
	case s.failed:
		if len(resp) != 0 {
			return nil, true, errors.New("expected an empty response to the error challenge")
		}
		return nil, true, errors.New("535 invalid token")
	}
	if string(resp) == "user="+s.user+"\x01auth=Bearer "+s.token+"\x01\x01" {
		return nil, true, nil
	}
	s.failed = true
	return []byte(`{"status":"401","schemes":"bearer"}`), false, nil
}

// loginOrPlain accepts user/secret.
func userSecret(user, password string) error {
	if user == "user" && password == "secret" {
		return nil
	}
	return auth.ErrInvalidCredentials
}

func TestClientsAgainstServers(t *testing.T) {
	t.Parallel()
	oauth := func(token string) sasl.OAuthBearerAuthenticator {
		return func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if o.Username == "user@example.com" && o.Token == token && o.Host == "mail.example.org" && o.Port == 587 {
				return nil
			}
			return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
		}
	}
	rfc2195 := "<1896.697170952@postoffice.reston.mci.net>"
	tests := []struct {
		name      string
		params    auth.Params
		server    func() sasl.Server
		wantOK    bool
		wantLines int // number of client lines, to see that nothing extra was sent
	}{
		{"PLAIN vs go-sasl", auth.Params{Mechanism: auth.Plain, User: "user", Password: "secret"},
			func() sasl.Server {
				return sasl.NewPlainServer(func(id, u, p string) error { return userSecret(u, p) })
			}, true, 1},
		{"PLAIN vs go-sasl, wrong password", auth.Params{Mechanism: auth.Plain, User: "user", Password: "nope"},
			func() sasl.Server {
				return sasl.NewPlainServer(func(id, u, p string) error { return userSecret(u, p) })
			}, false, 1},
		{"PLAIN vs ours", auth.Params{Mechanism: auth.Plain, User: "user", Password: "secret"},
			func() sasl.Server { return auth.NewPlainServer(userSecret) }, true, 1},
		{"LOGIN vs ours", auth.Params{Mechanism: auth.Login, User: "user", Password: "secret"},
			func() sasl.Server { return auth.NewLoginServer(userSecret) }, true, 3},
		{"LOGIN vs ours, wrong password", auth.Params{Mechanism: auth.Login, User: "user", Password: "x"},
			func() sasl.Server { return auth.NewLoginServer(userSecret) }, false, 3},
		{"CRAM-MD5 vs RFC 2195 checker", auth.Params{Mechanism: auth.CRAMMD5, User: "tim", Password: "tanstaaftanstaaf"},
			func() sasl.Server {
				return &cramMD5Server{challenge: rfc2195, user: "tim", password: "tanstaaftanstaaf"}
			}, true, 2},
		{"CRAM-MD5, wrong password", auth.Params{Mechanism: auth.CRAMMD5, User: "tim", Password: "tanstaaf"},
			func() sasl.Server {
				return &cramMD5Server{challenge: rfc2195, user: "tim", password: "tanstaaftanstaaf"}
			}, false, 2},
		{"XOAUTH2", auth.Params{Mechanism: auth.XOAuth2, User: "user@example.com", Password: "T1"},
			func() sasl.Server { return &xoauth2Server{user: "user@example.com", token: "T1"} }, true, 2},
		{"XOAUTH2, expired token", auth.Params{Mechanism: auth.XOAuth2, User: "user@example.com", Password: "old"},
			func() sasl.Server { return &xoauth2Server{user: "user@example.com", token: "T1"} }, false, 3},
		{"OAUTHBEARER vs go-sasl", auth.Params{Mechanism: auth.OAuthBearer, User: "user@example.com", Password: "T1",
			Host: "mail.example.org", Port: 587},
			func() sasl.Server { return sasl.NewOAuthBearerServer(oauth("T1")) }, true, 1},
		// go-sasl's server insists on the RFC's 0x01 answer to its error challenge: an empty
		// line (upstream's answer) would make it fail with "invalid response" instead.
		{"OAUTHBEARER vs go-sasl, bad token", auth.Params{Mechanism: auth.OAuthBearer, User: "user@example.com",
			Password: "T0", Host: "mail.example.org", Port: 587},
			func() sasl.Server { return sasl.NewOAuthBearerServer(oauth("T1")) }, false, 2},
		{"EXTERNAL vs go-sasl", auth.Params{Mechanism: auth.External, User: "user"},
			func() sasl.Server {
				return sasl.NewExternalServer(func(id string) error {
					if id != "user" {
						return errors.New("wrong identity")
					}
					return nil
				})
			}, true, 1},
		{"EXTERNAL without user vs go-sasl", auth.Params{Mechanism: auth.External},
			func() sasl.Server {
				return sasl.NewExternalServer(func(id string) error {
					if id != "" {
						return errors.New("expected no identity")
					}
					return nil
				})
			}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := exchange(mustClient(t, tt.params), tt.server())
			if o.clientErr != nil {
				t.Fatalf("client error: %v (lines %q)", o.clientErr, o.lines)
			}
			if ok := o.serverErr == nil; ok != tt.wantOK {
				t.Errorf("success = %v, want %v (server error %v)", ok, tt.wantOK, o.serverErr)
			}
			if len(o.lines) != tt.wantLines {
				t.Errorf("client sent %d lines %q, want %d", len(o.lines), o.lines, tt.wantLines)
			}
			if !tt.wantOK && tt.params.Mechanism == auth.OAuthBearer {
				var oe *sasl.OAuthBearerError
				if !errors.As(o.serverErr, &oe) {
					t.Errorf("server error %v: want the token error, so the 0x01 answer was accepted", o.serverErr)
				}
			}
		})
	}
}

// scramServer adapts an xdg-go/scram server conversation to go-sasl's Server.
type scramServer struct {
	conv *scram.ServerConversation
	// tamper, if set, rewrites the server-final message.
	tamper func(string) string
}

func (s *scramServer) Next(resp []byte) ([]byte, bool, error) {
	if resp == nil {
		return []byte{}, false, nil
	}
	if s.conv.Done() {
		if !s.conv.Valid() {
			return nil, true, errors.New("535 authentication failed")
		}
		if len(resp) != 0 {
			return nil, true, errors.New("expected an empty response after server-final")
		}
		return nil, true, nil
	}
	out, err := s.conv.Step(string(resp))
	if err != nil {
		return nil, true, errors.New("535 " + err.Error())
	}
	if s.conv.Done() && s.tamper != nil {
		out = s.tamper(out)
	}
	return []byte(out), false, nil
}

func newSCRAMServer(t *testing.T, mech auth.Mechanism, user, password string) *scram.Server {
	t.Helper()
	hash := scram.SHA1
	if strings.HasPrefix(string(mech), "SCRAM-SHA-256") {
		hash = scram.SHA256
	}
	c, err := hash.NewClient(user, password, "")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: "pepper and salt", Iters: 4096})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := hash.NewServer(func(u string) (scram.StoredCredentials, error) {
		if u != user {
			return scram.StoredCredentials{}, errors.New("unknown user")
		}
		return creds, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestSCRAM(t *testing.T) {
	t.Parallel()
	cbA := auth.ChannelBinding{Type: auth.TLSExporter, Data: bytes.Repeat([]byte{0xa}, 32)}
	cbB := auth.ChannelBinding{Type: auth.TLSExporter, Data: bytes.Repeat([]byte{0xb}, 32)}
	cbU := auth.ChannelBinding{Type: auth.TLSUnique, Data: bytes.Repeat([]byte{0xa}, 12)}
	type serverMode int
	const (
		noBinding serverMode = iota
		bindingOptional
		bindingRequired
	)
	tests := []struct {
		name     string
		mech     auth.Mechanism
		password string
		client   *auth.ChannelBinding
		server   serverMode
		serverCB auth.ChannelBinding
		wantOK   bool
	}{
		{"right password", auth.SCRAMSHA256, "secret", nil, noBinding, auth.ChannelBinding{}, true},
		{"right password sha1", auth.SCRAMSHA1, "secret", nil, noBinding, auth.ChannelBinding{}, true},
		{"wrong password", auth.SCRAMSHA256, "wrong", nil, noBinding, auth.ChannelBinding{}, false},
		{"plain SCRAM where the server also offers PLUS", auth.SCRAMSHA256, "secret", nil, bindingOptional, cbA, true},
		{"PLUS with matching binding", auth.SCRAMSHA256Plus, "secret", &cbA, bindingRequired, cbA, true},
		{"PLUS sha1 with matching tls-unique", auth.SCRAMSHA1Plus, "secret", &cbU, bindingRequired, cbU, true},
		{"PLUS with binding mismatch", auth.SCRAMSHA256Plus, "secret", &cbB, bindingRequired, cbA, false},
		{"PLUS with binding type mismatch", auth.SCRAMSHA256Plus, "secret", &cbU, bindingRequired, cbA, false},
		{"PLUS wrong password", auth.SCRAMSHA256Plus, "wrong", &cbA, bindingRequired, cbA, false},
		{"no binding where the server requires it", auth.SCRAMSHA256, "secret", nil, bindingRequired, cbA, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newSCRAMServer(t, tt.mech, "user", "secret")
			var conv *scram.ServerConversation
			switch tt.server {
			case noBinding:
				conv = srv.NewConversation()
			case bindingOptional:
				conv = srv.NewConversationWithChannelBinding(scram.ChannelBinding{Type: scram.ChannelBindingType(tt.serverCB.Type), Data: tt.serverCB.Data})
			case bindingRequired:
				conv = srv.NewConversationWithChannelBindingRequired(scram.ChannelBinding{Type: scram.ChannelBindingType(tt.serverCB.Type), Data: tt.serverCB.Data})
			}
			c := mustClient(t, auth.Params{Mechanism: tt.mech, User: "user", Password: tt.password, ChannelBinding: tt.client})
			o := exchange(c, &scramServer{conv: conv})
			if o.clientErr != nil {
				t.Fatalf("client error: %v", o.clientErr)
			}
			if ok := o.serverErr == nil; ok != tt.wantOK {
				t.Fatalf("success = %v, want %v (server: %v)", ok, tt.wantOK, o.serverErr)
			}
			if tt.wantOK {
				// AUTH, client-first, client-final and the empty line after server-final.
				if len(o.lines) != 4 || o.lines[3] != "" {
					t.Errorf("lines %q: want 4 ending with an empty one", o.lines)
				}
				if !c.(auth.MutualClient).ServerVerified() {
					t.Error("ServerVerified() = false after a successful exchange")
				}
			}
		})
	}
}

func TestSCRAMServerSignature(t *testing.T) {
	t.Parallel()
	flip := func(final string) string {
		sig, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(final, "v="))
		if err != nil {
			t.Fatalf("server-final %q: %v", final, err)
		}
		sig[0] ^= 1
		return "v=" + base64.StdEncoding.EncodeToString(sig)
	}
	for _, mech := range []auth.Mechanism{auth.SCRAMSHA1, auth.SCRAMSHA256} {
		t.Run(string(mech), func(t *testing.T) {
			t.Parallel()
			srv := newSCRAMServer(t, mech, "user", "secret")
			c := mustClient(t, auth.Params{Mechanism: mech, User: "user", Password: "secret"})
			o := exchange(c, &scramServer{conv: srv.NewConversation(), tamper: flip})
			var ce *auth.ChallengeError
			if !errors.As(o.clientErr, &ce) || !errors.Is(o.clientErr, auth.ErrServerSignature) {
				t.Fatalf("client error = %v, want *ChallengeError wrapping ErrServerSignature", o.clientErr)
			}
			if ce.Mechanism != mech {
				t.Errorf("Mechanism = %s, want %s", ce.Mechanism, mech)
			}
			if got := o.lines[len(o.lines)-1]; got != "*" {
				t.Errorf("last line %q, want the cancellation", got)
			}
			if c.(auth.MutualClient).ServerVerified() {
				t.Error("ServerVerified() = true with a forged signature")
			}
		})
	}
}

// A server that says 235 right after client-final has not proved anything.
func TestSCRAMServerSkipsFinal(t *testing.T) {
	t.Parallel()
	c := mustClient(t, auth.Params{Mechanism: auth.SCRAMSHA256, User: "user", Password: "secret"})
	srv := newSCRAMServer(t, auth.SCRAMSHA256, "user", "secret").NewConversation()
	step := 0
	liar := serverFunc(func(resp []byte) ([]byte, bool, error) {
		step++
		switch step {
		case 1:
			return []byte{}, false, nil
		case 2:
			out, err := srv.Step(string(resp))
			return []byte(out), false, err
		}
		return nil, true, nil // 235 without server-final
	})
	o := exchange(c, liar)
	if !errors.Is(o.clientErr, auth.ErrServerNotVerified) {
		t.Fatalf("client error = %v, want ErrServerNotVerified", o.clientErr)
	}
}

type serverFunc func([]byte) ([]byte, bool, error)

func (f serverFunc) Next(r []byte) ([]byte, bool, error) { return f(r) }

func TestBadChallenges(t *testing.T) {
	t.Parallel()
	scramParams := auth.Params{Mechanism: auth.SCRAMSHA256, User: "user", Password: "secret", Rand: fixedRand()}
	nonce := base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})
	goodFirst := b64("r=" + nonce + "SERVER,s=" + b64("salt") + ",i=4096")
	tests := []struct {
		name       string
		params     auth.Params
		challenges []string
		wantErr    error  // errors.Is target, or nil to only check the type
		wantType   bool   // the error must be a *ChallengeError
		wantText   string // prefix of the error text
	}{
		{"CRAM-MD5 garbage base64", auth.Params{Mechanism: auth.CRAMMD5, User: "u"}, []string{"!!!not base64"},
			nil, true, "authentication method CRAM-MD5: server sent invalid challenge"},
		{"CRAM-MD5 empty challenge", auth.Params{Mechanism: auth.CRAMMD5, User: "u"}, []string{""},
			nil, true, "authentication method CRAM-MD5: server sent invalid challenge"},
		{"CRAM-MD5 second challenge", auth.Params{Mechanism: auth.CRAMMD5, User: "u"}, []string{b64("<1@x>"), b64("<2@x>")},
			auth.ErrUnexpectedChallenge, false, ""},
		{"PLAIN challenged", auth.Params{Mechanism: auth.Plain, User: "u"}, []string{""},
			auth.ErrUnexpectedChallenge, false, ""},
		{"EXTERNAL challenged", auth.Params{Mechanism: auth.External}, []string{""},
			auth.ErrUnexpectedChallenge, false, ""},
		{"LOGIN third prompt", auth.Params{Mechanism: auth.Login, User: "u"}, []string{"", "", ""},
			auth.ErrUnexpectedChallenge, false, ""},
		{"XOAUTH2 third challenge", auth.Params{Mechanism: auth.XOAuth2, User: "u"}, []string{"", "", ""},
			auth.ErrUnexpectedChallenge, false, ""},
		{"OAUTHBEARER second error", auth.Params{Mechanism: auth.OAuthBearer, User: "u"}, []string{"", ""},
			auth.ErrUnexpectedChallenge, false, ""},
		{"SCRAM garbage base64", scramParams, []string{"", "%%%"},
			nil, true, "authentication method SCRAM-SHA-256: server sent invalid challenge"},
		{"SCRAM empty server-first", scramParams, []string{"", ""},
			nil, true, "authentication method SCRAM-SHA-256: server sent invalid challenge"},
		{"SCRAM server-first without salt", scramParams, []string{"", b64("r=" + nonce + "x,i=4096")},
			nil, true, "authentication method SCRAM-SHA-256: server sent invalid challenge"},
		{"SCRAM nonce not extended", scramParams, []string{"", b64("r=other,s=" + b64("salt") + ",i=4096")},
			nil, true, "authentication method SCRAM-SHA-256: server sent invalid challenge"},
		{"SCRAM server-final error", scramParams, []string{"", goodFirst, b64("e=invalid-proof")},
			nil, true, "authentication method SCRAM-SHA-256: server sent invalid challenge"},
		{"SCRAM empty server-final", scramParams, []string{"", goodFirst, ""},
			nil, true, "authentication method SCRAM-SHA-256: server sent invalid challenge"},
		{"SCRAM wrong signature", scramParams, []string{"", goodFirst, b64("v=" + b64(strings.Repeat("x", 32)))},
			auth.ErrServerSignature, true, "authentication method SCRAM-SHA-256: server sent invalid challenge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := tt.params
			if p.Rand != nil {
				p.Rand = fixedRand() // each subtest its own reader
			}
			_, err := play(mustClient(t, p), tt.challenges...)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			var ce *auth.ChallengeError
			if errors.As(err, &ce) != tt.wantType {
				t.Errorf("error %T %v: *ChallengeError = %v, want %v", err, err, !tt.wantType, tt.wantType)
			}
			if !strings.HasPrefix(err.Error(), tt.wantText) {
				t.Errorf("error text %q, want prefix %q", err, tt.wantText)
			}
		})
	}
}

func TestNewClientErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		params auth.Params
		want   string
		check  func(error) bool
	}{
		{auth.Params{Mechanism: auth.NTLM, User: "u"}, "support for authentication method NTLM is not compiled in",
			func(err error) bool { var e *auth.NotCompiledInError; return errors.As(err, &e) }},
		{auth.Params{Mechanism: auth.GSSAPI}, "support for authentication method GSSAPI is not compiled in",
			func(err error) bool { var e *auth.NotCompiledInError; return errors.As(err, &e) }},
		{auth.Params{Mechanism: auth.DigestMD5, User: "u"}, "support for authentication method DIGEST-MD5 is not compiled in",
			func(err error) bool { var e *auth.NotCompiledInError; return errors.As(err, &e) }},
		{auth.Params{Mechanism: "BOGUS"}, "unknown authentication method BOGUS",
			func(err error) bool { var e *auth.UnknownMechanismError; return errors.As(err, &e) }},
		{auth.Params{Mechanism: auth.Plain}, "authentication method PLAIN needs a user name",
			func(err error) bool {
				var e *auth.MissingError
				return errors.As(err, &e) && e.Missing == auth.NeedUser
			}},
		{auth.Params{Mechanism: auth.XOAuth2}, "authentication method XOAUTH2 needs a user name", nil},
		{auth.Params{Mechanism: auth.SCRAMSHA256Plus, User: "u"}, "authentication method SCRAM-SHA-256-PLUS needs TLS channel binding information",
			func(err error) bool {
				var e *auth.MissingError
				return errors.As(err, &e) && e.Missing == auth.NeedChannelBinding
			}},
		{auth.Params{Mechanism: auth.SCRAMSHA1Plus, User: "u", ChannelBinding: &auth.ChannelBinding{Type: auth.TLSUnique}},
			"authentication method SCRAM-SHA-1-PLUS needs TLS channel binding information", nil},
		// SASLprep (RFC 4013) prohibits control characters.
		{auth.Params{Mechanism: auth.SCRAMSHA256, User: "u", Password: "a\x07b"}, "authentication method SCRAM-SHA-256: ", nil},
		{auth.Params{Mechanism: auth.SCRAMSHA1, User: "u", Rand: bytes.NewReader(nil)},
			"authentication method SCRAM-SHA-1: cannot make a nonce", nil},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			_, err := auth.NewClient(tt.params)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want prefix %q", err, tt.want)
			}
			if tt.check != nil && !tt.check(err) {
				t.Errorf("error %T %v has the wrong type", err, err)
			}
		})
	}
}

func TestDecodeChallenge(t *testing.T) {
	t.Parallel()
	got, err := auth.DecodeChallenge(auth.CRAMMD5, "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+")
	if err != nil || string(got) != "<1896.697170952@postoffice.example.net>" {
		t.Errorf("got %q, %v", got, err)
	}
	// LOGIN, XOAUTH2 and OAUTHBEARER do not look at the text: no error.
	for _, m := range []auth.Mechanism{auth.Login, auth.XOAuth2, auth.OAuthBearer} {
		if _, err := auth.DecodeChallenge(m, "Username:"); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	for _, m := range []auth.Mechanism{auth.CRAMMD5, auth.SCRAMSHA1, auth.Plain} {
		if _, err := auth.DecodeChallenge(m, "Username:"); err == nil {
			t.Errorf("%s: no error for undecodable text", m)
		}
	}
	if got, ok := auth.EncodeInitialResponse(nil); ok || got != "" {
		t.Errorf("EncodeInitialResponse(nil) = %q, %v", got, ok)
	}
	if got, ok := auth.EncodeInitialResponse([]byte{}); !ok || got != "=" {
		t.Errorf("EncodeInitialResponse(empty) = %q, %v", got, ok)
	}
	if got := auth.EncodeResponse([]byte{}); got != "" {
		t.Errorf("EncodeResponse(empty) = %q", got)
	}
}
