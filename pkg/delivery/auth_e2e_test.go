package delivery_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/secret"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// allMechs is what a server offering everything advertises, in an order that is not the
// preference order, so the choice cannot come from the advertised order.
var allMechs = []string{"LOGIN", "PLAIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "XOAUTH2", "OAUTHBEARER", "EXTERNAL"}

// authServer starts a go-smtp server offering mechs with user joe and password secret, with
// TLS when mode is set, and returns it with the account lines that reach it.
func authServer(t *testing.T, mode string, maxVersion uint16, mechs []string) (*goServer, []string) {
	t.Helper()
	srv := startGoServer(t, goConfig{TLS: mode, MaxVersion: maxVersion, Mechs: mechs, User: "joe"})
	lines := []string{"host 127.0.0.1", "port " + strconv.Itoa(srv.Port), "from a@example.com", "timeout 10"}
	switch mode {
	case "starttls":
		lines = append(lines, "tls on", "tls_trust_file "+srv.CAFile)
	case "implicit":
		lines = append(lines, "tls on", "tls_starttls off", "tls_trust_file "+srv.CAFile)
	}
	return srv, lines
}

// TestAuthMechanisms runs every mechanism, named explicitly, against a server that verifies
// it: SCRAM by xdg-go/scram's server side, whose -PLUS variants derive the channel binding
// from their own end of the TLS connection (tls-exporter on TLS 1.3, tls-unique on 1.2).
func TestAuthMechanisms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mech       string
		tls        string
		maxVersion uint16
		lines      []string
	}{
		{mech: "PLAIN"},
		{mech: "LOGIN"},
		{mech: "CRAM-MD5"},
		{mech: "SCRAM-SHA-1"},
		{mech: "SCRAM-SHA-256"},
		{mech: "SCRAM-SHA-256", tls: "starttls"}, // no binding asked for, although available
		{mech: "SCRAM-SHA-1-PLUS", tls: "starttls"},
		{mech: "SCRAM-SHA-256-PLUS", tls: "starttls"},
		{mech: "SCRAM-SHA-1-PLUS", tls: "implicit", maxVersion: tls.VersionTLS12},
		{mech: "SCRAM-SHA-256-PLUS", tls: "starttls", maxVersion: tls.VersionTLS12},
		{mech: "XOAUTH2", tls: "starttls"},
		{mech: "OAUTHBEARER", tls: "starttls"},
		{mech: "PLAIN", tls: "implicit"},
	}
	for _, tt := range tests {
		name := tt.mech + "/" + map[string]string{"": "no TLS", "starttls": "STARTTLS", "implicit": "implicit TLS"}[tt.tls]
		if tt.maxVersion == tls.VersionTLS12 {
			name += "/TLS1.2"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, lines := authServer(t, tt.tls, tt.maxVersion, allMechs)
			lines = append(lines, "auth "+strings.ToLower(tt.mech), "user joe", "password secret")
			acct := mustAccount(t, append(lines, tt.lines...)...)
			if _, err := send(t, testOptions(nil), acct, "Subject: auth\n\nbody\n", "b@example.org"); err != nil {
				t.Fatalf("Send: %v (server saw %v)", err, srv.Auths())
			}
			if got := srv.Auths(); !slices.Equal(got, []string{tt.mech + " ok"}) {
				t.Errorf("AUTH attempts %v, want one %s", got, tt.mech)
			}
			if m := srv.Mails(); len(m) != 1 || m[0].Auth != tt.mech+" joe" {
				t.Errorf("mails %+v, want one sent as %s joe", m, tt.mech)
			}
		})
	}
}

// TestAuthExternal: EXTERNAL with a client certificate; no password is needed or looked for.
func TestAuthExternal(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	clientCA := smtptest.NewCA(t, smtptest.CertOptions{CommonName: "Client CA"})
	client := clientCA.Issue(t, smtptest.CertOptions{CommonName: "joe"})
	srv := startGoServer(t, goConfig{TLS: "starttls", Mechs: allMechs, User: "joe",
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCA: clientCA})
	acct := mustAccount(t, "host 127.0.0.1", "port "+strconv.Itoa(srv.Port), "from a@example.com", "timeout 10",
		"tls on", "tls_trust_file "+srv.CAFile, "tls_cert_file "+writeFile(t, dir, "c.pem", client.CertPEM),
		"tls_key_file "+writeFile(t, dir, "c.key", client.KeyPEM), "auth external", "user joe")
	opts := testOptions(nil)
	opts.Passwords = forbiddenSources(t)
	if _, err := send(t, opts, acct, "Subject: x\n\nbody\n", "b@example.org"); err != nil {
		t.Fatalf("Send: %v (server saw %v)", err, srv.Auths())
	}
	if m := srv.Mails(); len(m) != 1 || m[0].Auth != "EXTERNAL joe" || m[0].ClientCert != "CN=joe,O=msmtp-go tests" {
		t.Errorf("mails %+v", m)
	}
}

// TestAuthAutomatic: `auth on` chooses in msmtp 1.8.33's order (spec-mail-smtp.md §3.1, §10
// items 46 and 48), through real sessions: with TLS SCRAM-SHA-256-PLUS first and the
// cleartext methods only after SCRAM; without TLS only SCRAM.
func TestAuthAutomatic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		tls        string
		maxVersion uint16
		offered    []string
		want       string // the mechanism used, or the error
	}{
		{"TLS, everything offered", "starttls", 0, allMechs, "SCRAM-SHA-256-PLUS"},
		{"TLS 1.2, everything offered", "implicit", tls.VersionTLS12, allMechs, "SCRAM-SHA-256-PLUS"},
		{"TLS, SCRAM-SHA-1-PLUS before plain SCRAM-SHA-256", "starttls", 0, []string{"SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "PLAIN"}, "SCRAM-SHA-1-PLUS"},
		{"TLS, SCRAM before PLAIN", "starttls", 0, []string{"LOGIN", "PLAIN", "CRAM-MD5", "SCRAM-SHA-1"}, "SCRAM-SHA-1"},
		{"TLS, PLAIN before CRAM-MD5 and LOGIN", "starttls", 0, []string{"LOGIN", "CRAM-MD5", "PLAIN"}, "PLAIN"},
		{"TLS, CRAM-MD5 before LOGIN", "starttls", 0, []string{"LOGIN", "CRAM-MD5"}, "CRAM-MD5"},
		{"TLS, LOGIN last", "starttls", 0, []string{"LOGIN", "XOAUTH2", "OAUTHBEARER", "EXTERNAL"}, "LOGIN"},
		{"TLS, never the token or certificate methods", "starttls", 0, []string{"XOAUTH2", "OAUTHBEARER", "EXTERNAL"}, "cannot find a usable authentication method"},
		{"no TLS, everything offered", "", 0, allMechs, "SCRAM-SHA-256"},
		{"no TLS, SCRAM-SHA-1", "", 0, []string{"PLAIN", "LOGIN", "SCRAM-SHA-1"}, "SCRAM-SHA-1"},
		{"no TLS, no -PLUS without TLS", "", 0, []string{"SCRAM-SHA-256-PLUS", "PLAIN"}, "cannot use a secure authentication method"},
		{"no TLS, cleartext only", "", 0, []string{"PLAIN", "LOGIN", "CRAM-MD5"}, "cannot use a secure authentication method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, lines := authServer(t, tt.tls, tt.maxVersion, tt.offered)
			acct := mustAccount(t, append(lines, "auth on", "user joe", "password secret")...)
			_, err := send(t, testOptions(nil), acct, "Subject: auto\n\nbody\n", "b@example.org")
			if strings.Contains(tt.want, " ") {
				if err == nil || err.Error() != tt.want || delivery.ExitCode(err) != 69 {
					t.Fatalf("error %v (exit %d), want %q (69)", err, delivery.ExitCode(err), tt.want)
				}
				if got := srv.Auths(); len(got) != 0 {
					t.Errorf("AUTH attempted: %v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := srv.Auths(); !slices.Equal(got, []string{tt.want + " ok"}) {
				t.Errorf("AUTH attempts %v, want %s", got, tt.want)
			}
		})
	}
}

// TestAuthWrongPassword: a refused authentication is 77 whatever the mechanism, with the
// server's reply on stderr and in the log.
func TestAuthWrongPassword(t *testing.T) {
	t.Parallel()
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256-PLUS", "XOAUTH2"} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			srv, lines := authServer(t, "starttls", 0, allMechs)
			acct := mustAccount(t, append(lines, "auth "+strings.ToLower(mech), "user joe", "password wrong")...)
			res, err := send(t, testOptions(nil), acct, "Subject: x\n\nbody\n", "b@example.org")
			if delivery.ExitCode(err) != 77 {
				t.Fatalf("exit %d (%v), want 77", delivery.ExitCode(err), err)
			}
			want := "msmtp: authentication failed (method " + mech + ")\n" +
				"msmtp: server message: 535 5.7.8 authentication credentials invalid\n" +
				"msmtp: could not send mail (account test from msmtprc)\n"
			if got := report(acct, res, err); got != want {
				t.Errorf("stderr\n got %q\nwant %q", got, want)
			}
			if got := srv.Auths(); !slices.Equal(got, []string{mech + " failed"}) || len(srv.Mails()) != 0 {
				t.Errorf("server saw %v and %d mails", got, len(srv.Mails()))
			}
			wantLog := "host=127.0.0.1 tls=on auth=on user=joe from=a@example.com recipients=b@example.org smtpstatus=535 smtpmsg='535 5.7.8 authentication credentials invalid' errormsg='authentication failed (method " + mech + ")' exitcode=EX_NOPERM"
			if got := res.Log.Text(); got != wantLog {
				t.Errorf("log\n got %s\nwant %s", got, wantLog)
			}
		})
	}
}

// fakeKeyring is a secret.Keyring with one password, counting lookups.
type fakeKeyring struct {
	key      secret.Key
	password string
	mu       sync.Mutex
	lookups  []secret.Key
}

func (k *fakeKeyring) Lookup(_ context.Context, key secret.Key) (secret.Secret, error) {
	k.mu.Lock()
	k.lookups = append(k.lookups, key)
	k.mu.Unlock()
	if key == k.key && k.password != "" {
		return secret.New(k.password), nil
	}
	return secret.Secret{}, secret.ErrNotFound
}

// fakeTerminal answers the prompt with its password and records the prompt.
type fakeTerminal struct {
	password string
	prompts  *[]string
}

func (f fakeTerminal) ReadPassword(prompt string) ([]byte, error) {
	*f.prompts = append(*f.prompts, prompt)
	return []byte(f.password), nil
}

func (fakeTerminal) Close() error { return nil }

// forbiddenSources are password sources that fail the test when consulted.
func forbiddenSources(t *testing.T) *secret.Sources {
	return &secret.Sources{
		Keyring: keyringFunc(func(secret.Key) { t.Error("the keyring was consulted") }),
		Terminal: func() (secret.Terminal, error) {
			t.Error("the terminal was opened")
			return nil, errors.New("no terminal")
		},
	}
}

type keyringFunc func(secret.Key)

func (f keyringFunc) Lookup(_ context.Context, key secret.Key) (secret.Secret, error) {
	f(key)
	return secret.Secret{}, secret.ErrNotFound
}

// TestPasswordSources: where the password comes from, in msmtp's order (spec-cli-config.md
// §4.1): password, passwordeval (run by config.Resolve before anything connects), then at
// AUTH time the keyring, the netrc files and the terminal, each only if the ones before had
// nothing; the key is (host, user), never tls_host_override. No source is consulted when
// authentication is off.
func TestPasswordSources(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	netrc := writeFile(t, dir, "netrc", []byte("machine elsewhere login joe password nope\nmachine 127.0.0.1 login joe password secret\n"))
	emptyNetrc := writeFile(t, dir, "empty-netrc", []byte("machine 127.0.0.1 login someone password nope\n"))
	tests := []struct {
		name     string
		lines    []string
		keyring  string   // the keyring's password for (127.0.0.1, joe); "" none
		netrcs   []string // netrc files
		terminal string   // the terminal's answer; "" no terminal
		eval     string   // passwordeval's output; "" no runner output
		// want: which source answered ("keyring", "netrc", "terminal", "eval",
		// "password"), "none" for 69, or "off" for no authentication at all.
		want string
	}{
		{name: "password wins", lines: []string{"password secret", "passwordeval echo other"}, keyring: "x", terminal: "x", want: "password"},
		{name: "passwordeval before the keyring", lines: []string{"passwordeval get-it"}, keyring: "x", eval: "secret", want: "eval"},
		{name: "keyring", keyring: "secret", netrcs: []string{netrc}, terminal: "x", want: "keyring"},
		{name: "keyring by host, not tls_host_override", lines: []string{"tls_host_override mail.example.org"}, keyring: "secret", want: "keyring"},
		{name: "netrc", netrcs: []string{emptyNetrc, filepath.Join(dir, "missing"), netrc}, terminal: "x", want: "netrc"},
		{name: "terminal", netrcs: []string{emptyNetrc}, terminal: "secret", want: "terminal"},
		{name: "nowhere", netrcs: []string{emptyNetrc}, want: "none"},
		{name: "auth off", lines: []string{"auth off", "passwordeval get-it"}, keyring: "secret", terminal: "secret", want: "off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startGoServer(t, goConfig{Mechs: []string{"PLAIN"}, User: "joe"})
			kr := &fakeKeyring{key: secret.Key{Host: "127.0.0.1", User: "joe"}, password: tt.keyring}
			var prompts []string
			var evals []string
			env := config.Env{PasswordEval: func(cmd string) (string, error) {
				evals = append(evals, cmd)
				return tt.eval + "\n", nil
			}}
			lines := append([]string{"host 127.0.0.1", "port " + strconv.Itoa(srv.Port), "from a@example.com",
				"auth plain", "user joe"}, tt.lines...)
			acct, err := resolveAccount(t, env, lines...)
			if err != nil {
				t.Fatal(err)
			}
			opts := testOptions(nil)
			opts.Passwords = &secret.Sources{Keyring: kr, NetrcFiles: tt.netrcs}
			if tt.terminal != "" {
				opts.Passwords.Terminal = func() (secret.Terminal, error) {
					return fakeTerminal{password: tt.terminal, prompts: &prompts}, nil
				}
			}
			_, err = send(t, opts, acct, "Subject: x\n\nbody\n", "b@example.org")

			switch tt.want {
			case "none":
				if err == nil || err.Error() != "authentication method PLAIN needs a password" || delivery.ExitCode(err) != 69 {
					t.Fatalf("error %v (exit %d), want the missing password (69)", err, delivery.ExitCode(err))
				}
			case "off":
				if err != nil {
					t.Fatal(err)
				}
				if len(srv.Auths()) != 0 || len(kr.lookups) != 0 || len(prompts) != 0 || len(evals) != 0 {
					t.Errorf("auth off, yet: AUTH %v, keyring %v, prompts %v, passwordeval %v", srv.Auths(), kr.lookups, prompts, evals)
				}
				return
			default:
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				if got := srv.Auths(); !slices.Equal(got, []string{"PLAIN ok"}) {
					t.Errorf("AUTH %v", got)
				}
			}
			// Which sources were asked, in order: each only when the ones before failed.
			asked := map[string]bool{"eval": len(evals) > 0, "keyring": len(kr.lookups) > 0, "terminal": len(prompts) > 0}
			wantAsked := map[string]bool{
				"eval":     tt.want == "eval",
				"keyring":  tt.want == "keyring" || tt.want == "netrc" || tt.want == "terminal" || tt.want == "none",
				"terminal": tt.want == "terminal",
			}
			for src, w := range wantAsked {
				if asked[src] != w {
					t.Errorf("%s consulted: %v, want %v", src, asked[src], w)
				}
			}
			for _, k := range kr.lookups {
				if k != (secret.Key{Host: "127.0.0.1", User: "joe"}) {
					t.Errorf("keyring asked for %+v", k)
				}
			}
			if len(prompts) > 0 && prompts[0] != "password for joe at 127.0.0.1: " {
				t.Errorf("prompt %q", prompts[0])
			}
		})
	}
}

// TestDebugTranscriptRedaction: the --debug transcript never shows the password, in clear
// or in base64, unless ShowCredentials (--debug with credentials) is asked for. The
// redacted PLAIN transcript is a golden file.
func TestDebugTranscriptRedaction(t *testing.T) {
	t.Parallel()
	const password = "s3cret-pw"
	secrets := []string{password,
		base64.StdEncoding.EncodeToString([]byte(password)),                 // LOGIN's response
		base64.StdEncoding.EncodeToString([]byte("\x00joe\x00" + password)), // PLAIN's
	}
	for _, tt := range []struct {
		mech   string
		show   bool
		golden string
	}{
		{"PLAIN", false, "auth-plain-redacted.debug"},
		{"LOGIN", false, ""},
		{"PLAIN", true, ""},
		{"LOGIN", true, "auth-login-shown.debug"},
	} {
		t.Run(tt.mech+"/show="+strconv.FormatBool(tt.show), func(t *testing.T) {
			t.Parallel()
			script := smtptest.MustParse("auth", "S: 220 mx.test ESMTP\nC: EHLO localhost\nS: 250-mx.test\nS: 250 AUTH PLAIN LOGIN\n"+
				map[string]string{
					"PLAIN": "C: AUTH PLAIN " + secrets[2] + "\nS: 235 2.7.0 ok\n",
					"LOGIN": "C: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: am9l\nS: 334 UGFzc3dvcmQ6\nC: " + secrets[1] + "\nS: 235 2.7.0 ok\n",
				}[tt.mech]+
				"C: MAIL FROM:<a@example.com>\nS: 250 ok\nC: RCPT TO:<b@example.org>\nS: 250 ok\nC: DATA\nS: 354 go\n!skipdata\nS: 250 ok\nC: QUIT\nS: 221 bye\n")
			srv := smtptest.NewServer(t, script, smtptest.ServerOptions{})
			acct := mustAccount(t, "host 127.0.0.1", "port "+strconv.Itoa(srv.Port()), "from a@example.com",
				"auth "+strings.ToLower(tt.mech), "user joe", "password "+password)
			var debug bytes.Buffer
			opts := testOptions(nil)
			opts.Transcript, opts.ShowCredentials = &debug, tt.show
			if _, err := send(t, opts, acct, "Subject: x\n\nbody\n", "b@example.org"); err != nil {
				t.Fatal(err)
			}
			if err := srv.Wait(); err != nil {
				t.Fatal(err)
			}
			shown := false
			for _, s := range secrets {
				shown = shown || strings.Contains(debug.String(), s)
			}
			if shown != tt.show {
				t.Errorf("credentials shown: %v, want %v:\n%s", shown, tt.show, debug.String())
			}
			if tt.golden != "" {
				checkGolden(t, filepath.Join("testdata", "debug", tt.golden), debug.Bytes())
			}
		})
	}
}

// checkGolden compares got with a golden file; -update rewrites it.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got ---\n%s--- want ---\n%s", path, got, want)
	}
}
