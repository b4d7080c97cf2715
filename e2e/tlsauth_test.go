package e2e

import (
	"crypto/sha256"
	"errors"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// The differential test extended to TLS and AUTH (issue "msmtp III"): ours and Debian's
// msmtp 1.8.23 against the same go-smtp server, in the cases where 1.8.23 and 1.8.33 agree.
// Where our messages deliberately say more (certificate errors name the cause), only the
// exit codes and the first words are compared.

// authServer is a go-smtp server with STARTTLS from a test CA and AUTH PLAIN for joe/secret.
type authServer struct {
	port int
	ca   *smtptest.CA
	leaf []byte // the DER of the certificate the server presents
	be   *goSMTPBackend
}

type authBackend struct{ goSMTPBackend }

func (b *authBackend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &authSession{goSMTPSession{b: &b.goSMTPBackend, conn: c}}, nil
}

type authSession struct{ goSMTPSession }

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user == "joe" && pass == "secret" {
			return nil
		}
		return errors.New("bad credentials")
	}), nil
}

func startAuthServer(t *testing.T, tls bool) *authServer {
	t.Helper()
	be := &authBackend{}
	srv := gosmtp.NewServer(be)
	srv.Domain = "gosmtp.test"
	srv.ReadTimeout, srv.WriteTimeout = connTimeout, connTimeout
	srv.ErrorLog = goSMTPLog{t}
	srv.MaxMessageBytes = 10240000
	a := &authServer{be: &be.goSMTPBackend}
	if tls {
		a.ca = smtptest.NewCA(t, smtptest.CertOptions{})
		srv.TLSConfig = a.ca.ServerConfig(t)
		a.leaf = srv.TLSConfig.Certificates[0].Certificate[0]
	} else {
		srv.AllowInsecureAuth = true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return a
}

// TestDifferentialTLSAuth compares exit codes and messages of both programs for sending with
// STARTTLS and AUTH.
func TestDifferentialTLSAuth(t *testing.T) {
	t.Parallel()
	ref := lookPeer(t, "/usr/bin/msmtp") // Debian's msmtp 1.8.23
	ours := testutil.Binary(t, "msmtp")
	srv := startAuthServer(t, true)
	plain := startAuthServer(t, false)
	dir := testutil.TempDir(t)
	ca := testutil.WriteFile(t, dir, "ca.pem", string(srv.ca.CertPEM), 0o644)
	other := smtptest.NewCA(t, smtptest.CertOptions{CommonName: "Another CA"})
	otherCA := testutil.WriteFile(t, dir, "other.pem", string(other.CertPEM), 0o644)
	leafSHA := func() string {
		sum := sha256.Sum256(srv.leaf)
		return delivery.FormatFingerprint(sum[:])
	}

	tests := []struct {
		name string
		port int
		args []string
		exit int
		// sameStderr: both print the same lines (after the program name); otherwise only
		// the first line's start is compared with stderrPrefix.
		sameStderr   bool
		stderrPrefix string
	}{
		{"starttls auth plain", srv.port, []string{"--tls", "--tls-trust-file=" + ca, "--auth=plain", "--user=joe", "--passwordeval=echo secret"}, 0, true, ""},
		{"starttls auth automatic", srv.port, []string{"--tls", "--tls-trust-file=" + ca, "--auth=on", "--user=joe", "--passwordeval=echo secret"}, 0, true, ""},
		{"wrong password", srv.port, []string{"--tls", "--tls-trust-file=" + ca, "--auth=plain", "--user=joe", "--passwordeval=echo wrong"}, 77, true, ""},
		{"no auth offered without tls", srv.port, []string{"--auth=plain", "--user=joe", "--passwordeval=echo secret"}, 69, true, ""},
		{"automatic without tls finds no secure method", plain.port, []string{"--auth=on", "--user=joe", "--passwordeval=echo secret"}, 69, true, ""},
		{"explicit plain without tls is allowed", plain.port, []string{"--auth=plain", "--user=joe", "--passwordeval=echo secret"}, 0, true, ""},
		{"tls not offered", plain.port, []string{"--tls", "--tls-trust-file=" + ca}, 69, true, ""},
		{"unknown issuer", srv.port, []string{"--tls", "--tls-trust-file=" + otherCA}, 69, false, "msmtp: TLS certificate verification failed: "},
		{"pin matches", srv.port, []string{"--tls", "--tls-fingerprint=" + leafSHA()}, 0, true, ""},
		{"pin does not match", srv.port, []string{"--tls", "--tls-fingerprint=" + strings.Repeat("00:", 31) + "00"}, 69, false, "msmtp: TLS certificate verification failed: the certificate fingerprint does not match"},
		{"certcheck off", srv.port, []string{"--tls", "--tls-certcheck=off"}, 0, true, ""},
		{"implicit tls against starttls server", srv.port, []string{"--tls", "--tls-starttls=off", "--tls-certcheck=off"}, 76, false, "msmtp: TLS handshake failed: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--host=127.0.0.1", "--port=" + strconv.Itoa(tc.port), "-f", "a@example.com"}, tc.args...)
			args = append(args, "b@example.org")
			var got [2]result
			for i, bin := range []string{ref, ours} {
				got[i] = execute(t, run{Path: bin, Args: args, Stdin: "Subject: tls\n\nbody\n"})
			}
			for i, who := range []string{"msmtp 1.8.23", "ours"} {
				if got[i].Code != tc.exit {
					t.Errorf("%s: exit %d, want %d\n%s", who, got[i].Code, tc.exit, got[i])
				}
			}
			if tc.sameStderr {
				if a, b := normalizeStderr(got[0].Stderr), normalizeStderr(got[1].Stderr); a != b {
					t.Errorf("stderr differs:\n1.8.23:\n%s\nours:\n%s", a, b)
				}
			} else if !strings.HasPrefix(got[1].Stderr, tc.stderrPrefix) {
				t.Errorf("our stderr does not start with %q:\n%s", tc.stderrPrefix, got[1].Stderr)
			}
		})
	}
}

// normalizeStderr removes what legitimately differs between runs: the port numbers.
func normalizeStderr(s string) string {
	return regexp.MustCompile(`port \d+`).ReplaceAllString(s, "port N")
}

// TestDifferentialServerInfo compares --serverinfo of both programs against one STARTTLS
// server. GnuTLS and Go describe the TLS session differently (that line is normalised), and
// 1.8.23 lists AUTH methods in its own order (the server offers one); everything else —
// the server line, greeting, certificate subject, issuer, validity and fingerprints, the
// capabilities — must be the same.
func TestDifferentialServerInfo(t *testing.T) {
	t.Parallel()
	ref := lookPeer(t, "/usr/bin/msmtp")
	ours := testutil.Binary(t, "msmtp")
	srv := startAuthServer(t, true)
	dir := testutil.TempDir(t)
	ca := testutil.WriteFile(t, dir, "ca.pem", string(srv.ca.CertPEM), 0o644)
	for _, extra := range [][]string{
		{"--tls", "--tls-trust-file=" + ca},
		{"--tls", "--tls-certcheck=off"},
		{},
	} {
		args := append([]string{"--serverinfo", "--host=127.0.0.1", "--port=" + strconv.Itoa(srv.port)}, extra...)
		var out [2]string
		for i, bin := range []string{ref, ours} {
			res := execute(t, run{Path: bin, Args: args})
			if res.Code != 0 {
				t.Fatalf("%s %q: %s", bin, args, res)
			}
			out[i] = regexp.MustCompile(`(?m)^    \(TLS1\.\d\)-.*$`).ReplaceAllString(res.Stdout, "    (TLS session)")
		}
		if out[0] != out[1] {
			t.Errorf("--serverinfo %q differs:\n--- 1.8.23\n%s--- ours\n%s", extra, out[0], out[1])
		}
	}
}
