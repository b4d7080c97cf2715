package delivery_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// tlsCase is one end-to-end TLS test: a go-smtp server set up by server, an account made of
// lines ($PORT is the server's port, $DIR the test's directory), and the outcome.
type tlsCase struct {
	name   string
	server func(t *testing.T, dir string) (goConfig, []string)
	exit   int
	// errRe matches the whole error text; "" for success.
	errRe string
}

// fingerprints returns the SHA-256, SHA-1 and MD5 pins of a certificate in msmtprc form.
func fingerprints(c *smtptest.Cert) (s256, s1, m5 string) {
	a, b, d := sha256.Sum256(c.Leaf.Raw), sha1.Sum(c.Leaf.Raw), md5.Sum(c.Leaf.Raw)
	return delivery.FormatFingerprint(a[:]), delivery.FormatFingerprint(b[:]), delivery.FormatFingerprint(d[:])
}

// withCA is a server with a certificate from a fresh CA, and the account lines that trust
// that CA.
func withCA(mode string, lines ...string) func(t *testing.T, dir string) (goConfig, []string) {
	return func(t *testing.T, dir string) (goConfig, []string) {
		ca := smtptest.NewCA(t, smtptest.CertOptions{})
		cert := ca.Issue(t, smtptest.CertOptions{})
		trust := writeFile(t, dir, "ca.pem", ca.CertPEM)
		return goConfig{TLS: mode, Cert: &cert.TLS}, append([]string{"tls on", "tls_trust_file " + trust}, lines...)
	}
}

// TestTLS runs the TLS settings of spec-mail-smtp.md §4 end to end against go-smtp's
// server: STARTTLS and implicit TLS, each way verification can fail with its message and
// exit code, pins, client certificates and the settings that relax the checks.
func TestTLS(t *testing.T) {
	t.Parallel()
	const notTrusted = `TLS certificate verification failed: The certificate is NOT trusted\. `
	tests := []tlsCase{
		{name: "STARTTLS", server: withCA("starttls"), exit: 0},
		{name: "implicit TLS", server: withCA("implicit", "tls_starttls off"), exit: 0},
		{
			name: "unknown authority names the issuer",
			server: func(t *testing.T, dir string) (goConfig, []string) {
				ca := smtptest.NewCA(t, smtptest.CertOptions{CommonName: "Server CA"})
				other := smtptest.NewCA(t, smtptest.CertOptions{CommonName: "Some other CA"})
				cert := ca.Issue(t, smtptest.CertOptions{})
				return goConfig{TLS: "starttls", Cert: &cert.TLS}, []string{"tls on", "tls_trust_file " + writeFile(t, dir, "other.pem", other.CertPEM)}
			},
			exit:  69,
			errRe: notTrusted + `The certificate issuer is unknown \(issuer: CN=Server CA,O=msmtp-go tests\)\.`,
		},
		{
			name: "expired",
			server: func(t *testing.T, dir string) (goConfig, []string) {
				ca := smtptest.NewCA(t, smtptest.CertOptions{})
				cert := ca.Issue(t, smtptest.CertOptions{
					NotBefore: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), NotAfter: time.Date(2021, 1, 2, 3, 4, 5, 0, time.UTC)})
				return goConfig{TLS: "starttls", Cert: &cert.TLS}, []string{"tls on", "tls_trust_file " + writeFile(t, dir, "ca.pem", ca.CertPEM)}
			},
			exit:  69,
			errRe: notTrusted + `The certificate has expired or is not yet valid \(valid from Thu, 02 Jan 2020 03:04:05 UTC to Sat, 02 Jan 2021 03:04:05 UTC\)\.`,
		},
		{
			name: "wrong host",
			server: func(t *testing.T, dir string) (goConfig, []string) {
				ca := smtptest.NewCA(t, smtptest.CertOptions{})
				cert := ca.Issue(t, smtptest.CertOptions{DNSNames: []string{"mail.example.org"}, IPAddresses: []net.IP{}})
				return goConfig{TLS: "starttls", Cert: &cert.TLS}, []string{"tls on", "tls_trust_file " + writeFile(t, dir, "ca.pem", ca.CertPEM)}
			},
			exit:  69,
			errRe: notTrusted + `The name in the certificate does not match the expected \(x509: cannot validate certificate for 127\.0\.0\.1 because it doesn.t contain any IP SANs\)\.`,
		},
		{
			name: "tls_host_override names the certificate's host",
			server: func(t *testing.T, dir string) (goConfig, []string) {
				ca := smtptest.NewCA(t, smtptest.CertOptions{})
				cert := ca.Issue(t, smtptest.CertOptions{DNSNames: []string{"mail.example.org"}, IPAddresses: []net.IP{}})
				return goConfig{TLS: "starttls", Cert: &cert.TLS}, []string{"tls on", "tls_trust_file " + writeFile(t, dir, "ca.pem", ca.CertPEM), "tls_host_override mail.example.org"}
			},
			exit: 0,
		},
		{
			name:   "tls_host_override that does not match",
			server: withCA("starttls", "tls_host_override mail.example.org"),
			exit:   69,
			errRe:  notTrusted + `The name in the certificate does not match the expected \(x509: certificate is valid for localhost, not mail\.example\.org\)\.`,
		},
		{
			name: "tls_certcheck off accepts anything",
			server: func(t *testing.T, dir string) (goConfig, []string) {
				cert := smtptest.SelfSigned(t, smtptest.CertOptions{DNSNames: []string{"elsewhere.example"}, IPAddresses: []net.IP{},
					NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
				return goConfig{TLS: "starttls", Cert: &cert.TLS}, []string{"tls on", "tls_certcheck off"}
			},
			exit: 0,
		},
		{
			name: "tls_trust_file system does not know a private CA",
			server: func(t *testing.T, dir string) (goConfig, []string) {
				ca := smtptest.NewCA(t, smtptest.CertOptions{CommonName: "Private CA"})
				cert := ca.Issue(t, smtptest.CertOptions{})
				return goConfig{TLS: "starttls", Cert: &cert.TLS}, []string{"tls on", "tls_trust_file system"}
			},
			exit:  69,
			errRe: notTrusted + `The certificate issuer is unknown \(issuer: CN=Private CA,O=msmtp-go tests\)\.`,
		},
		{
			name: "client certificate required and given",
			server: func(t *testing.T, dir string) (goConfig, []string) {
				cfg, lines := withCA("starttls")(t, dir)
				clientCA := smtptest.NewCA(t, smtptest.CertOptions{CommonName: "Client CA"})
				client := clientCA.Issue(t, smtptest.CertOptions{CommonName: "joe"})
				cfg.ClientAuth, cfg.ClientCA = tls.RequireAndVerifyClientCert, clientCA
				return cfg, append(lines, "tls_cert_file "+writeFile(t, dir, "client.pem", client.CertPEM),
					"tls_key_file "+writeFile(t, dir, "client.key", client.KeyPEM))
			},
			exit: 0,
		},
		{
			// With TLS 1.3 the client's handshake completes before the server has checked
			// the (missing) certificate; the server's alert arrives with the next read.
			name: "client certificate required but missing",
			server: func(t *testing.T, dir string) (goConfig, []string) {
				cfg, lines := withCA("starttls")(t, dir)
				cfg.ClientAuth, cfg.ClientCA = tls.RequireAndVerifyClientCert, smtptest.NewCA(t, smtptest.CertOptions{})
				return cfg, lines
			},
			exit:  74,
			errRe: `cannot read from TLS connection: (remote error: )?tls: certificate required`,
		},
	}
	// Pins: each digest, any case, and a rotation list; a pin replaces every other check,
	// so a self-signed certificate for another name works.
	pinned := func(pin func(s256, s1, m5 string) string) func(t *testing.T, dir string) (goConfig, []string) {
		return func(t *testing.T, dir string) (goConfig, []string) {
			cert := smtptest.SelfSigned(t, smtptest.CertOptions{DNSNames: []string{"elsewhere.example"}, IPAddresses: []net.IP{}})
			return goConfig{TLS: "starttls", Cert: &cert.TLS}, []string{"tls on", "tls_fingerprint " + pin(fingerprints(cert))}
		}
	}
	tests = append(tests,
		tlsCase{name: "pin SHA256", server: pinned(func(s256, _, _ string) string { return s256 }), exit: 0},
		tlsCase{name: "pin SHA1", server: pinned(func(_, s1, _ string) string { return s1 }), exit: 0},
		tlsCase{name: "pin MD5 lower case", server: pinned(func(_, _, m5 string) string { return strings.ToLower(m5) }), exit: 0},
		tlsCase{name: "pin rotation list", server: pinned(func(_, s1, _ string) string {
			return strings.Repeat("AB:", 31) + "AB," + s1
		}), exit: 0},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runTLSCase(t, tt)
		})
	}
}

// TestTLSPinMismatch checks that a wrong pin fails with the server's real SHA-256
// fingerprint in the message, so that the user can check it and update the pin.
func TestTLSPinMismatch(t *testing.T) {
	t.Parallel()
	cert := smtptest.SelfSigned(t, smtptest.CertOptions{})
	s256, _, _ := fingerprints(cert)
	runTLSCase(t, tlsCase{
		name: "pin mismatch",
		server: func(t *testing.T, dir string) (goConfig, []string) {
			return goConfig{TLS: "starttls", Cert: &cert.TLS}, []string{"tls on", "tls_fingerprint " + strings.Repeat("AB:", 31) + "AB"}
		},
		exit:  69,
		errRe: regexp.QuoteMeta("TLS certificate verification failed: the certificate fingerprint does not match (the server's SHA256 fingerprint is " + s256 + ")"),
	})
}

func runTLSCase(t *testing.T, tt tlsCase) {
	dir := tempDir(t)
	cfg, lines := tt.server(t, dir)
	srv := startGoServer(t, cfg)
	acct := mustAccount(t, append([]string{"host 127.0.0.1", "port " + strconv.Itoa(srv.Port), "from a@example.com", "timeout 10"}, lines...)...)
	res, err := send(t, testOptions(nil), acct, "Subject: tls\n\nbody\n", "b@example.org")
	if got := int(delivery.ExitCode(err)); got != tt.exit {
		t.Errorf("exit code %d, want %d (error: %v)", got, tt.exit, err)
	}
	mails := srv.Mails()
	if tt.errRe == "" {
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if len(mails) != 1 || !mails[0].TLS {
			t.Fatalf("server got %+v, want one mail over TLS", mails)
		}
		if strings.Contains(strings.Join(lines, "\n"), "tls_host_override mail.example.org") && mails[0].ServerName != "mail.example.org" {
			t.Errorf("SNI %q, want the tls_host_override", mails[0].ServerName)
		}
		if strings.Contains(strings.Join(lines, "\n"), "tls_cert_file") && mails[0].ClientCert != "CN=joe,O=msmtp-go tests" {
			t.Errorf("the server saw the client certificate %q", mails[0].ClientCert)
		}
		if res.Log.Text() != "host=127.0.0.1 tls=on auth=off from=a@example.com recipients=b@example.org mailsize="+strconv.FormatInt(res.Log.MailSize, 10)+" smtpstatus=250 smtpmsg='250 2.0.0 OK: queued' exitcode=EX_OK" {
			t.Errorf("log line %s", res.Log.Text())
		}
		return
	}
	if err == nil {
		t.Fatalf("Send succeeded, want %s", tt.errRe)
	}
	if !regexp.MustCompile(`^(?:` + tt.errRe + `)$`).MatchString(err.Error()) {
		t.Errorf("error\n got %q\nwant %s", err, tt.errRe)
	}
	if len(mails) != 0 {
		t.Errorf("the server got a mail: %+v", mails)
	}
	want := "msmtp: " + err.Error() + "\nmsmtp: could not send mail (account test from msmtprc)\n"
	if got := report(acct, res, err); got != want {
		t.Errorf("stderr\n got %q\nwant %q", got, want)
	}
}

// TestTLSFileErrors: a trust, CRL, certificate or key file that cannot be loaded fails with
// EX_NOINPUT before any connection is made (spec-mail-smtp.md §1.1 step 7): the account
// points at a port nothing listens on, so a connection attempt would give 75 instead.
func TestTLSFileErrors(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	ca := smtptest.NewCA(t, smtptest.CertOptions{})
	client := ca.Issue(t, smtptest.CertOptions{CommonName: "joe"})
	other := ca.Issue(t, smtptest.CertOptions{CommonName: "other"})
	files := map[string]string{
		"$CA":       writeFile(t, dir, "ca.pem", ca.CertPEM),
		"$CERT":     writeFile(t, dir, "client.pem", client.CertPEM),
		"$KEY":      writeFile(t, dir, "client.key", client.KeyPEM),
		"$OTHERKEY": writeFile(t, dir, "other.key", other.KeyPEM),
		"$JUNK":     writeFile(t, dir, "junk.pem", []byte("this is no PEM file\n")),
		"$NONE":     filepath.Join(dir, "missing.pem"),
	}
	tests := []struct {
		name  string
		lines []string
		want  string // the error text
	}{
		{"trust file missing", []string{"tls_trust_file $NONE"},
			"cannot set X509 trust file $NONE for TLS session: $ENOENT"},
		{"trust file malformed", []string{"tls_trust_file $JUNK"},
			"cannot set X509 trust file $JUNK for TLS session: no PEM certificates found"},
		{"CRL file malformed", []string{"tls_trust_file $CA", "tls_crl_file $JUNK"},
			"cannot set X509 CRL file $JUNK for TLS session: x509: malformed crl"},
		{"certificate malformed", []string{"tls_trust_file $CA", "tls_cert_file $JUNK", "tls_key_file $KEY"},
			"cannot set X509 key file $KEY and/or X509 cert file $JUNK for TLS session: tls: failed to find any PEM data in certificate input"},
		{"key malformed", []string{"tls_trust_file $CA", "tls_cert_file $CERT", "tls_key_file $JUNK"},
			"cannot set X509 key file $JUNK and/or X509 cert file $CERT for TLS session: tls: failed to find any PEM data in key input"},
		{"key missing", []string{"tls_trust_file $CA", "tls_cert_file $CERT", "tls_key_file $NONE"},
			"cannot set X509 key file $NONE and/or X509 cert file $CERT for TLS session: $ENOENT"},
		{"key of another certificate", []string{"tls_trust_file $CA", "tls_cert_file $CERT", "tls_key_file $OTHERKEY"},
			"cannot set X509 key file $OTHERKEY and/or X509 cert file $CERT for TLS session: tls: private key does not match public key"},
	}
	// The operating system's words for a missing file, as the error quotes them.
	_, notFound := os.ReadFile(files["$NONE"])
	files["$ENOENT"] = notFound.Error()
	expand := func(s string) string {
		for k, v := range files {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lines := []string{"host 127.0.0.1", "port " + strconv.Itoa(closedPort(t)), "from a@example.com", "tls on"}
			for _, l := range tt.lines {
				lines = append(lines, expand(l))
			}
			acct := mustAccount(t, lines...)
			res, err := send(t, testOptions(nil), acct, "Subject: x\n\nbody\n", "b@example.org")
			if got := delivery.ExitCode(err); got != 66 {
				t.Errorf("exit code %d, want 66 (error: %v)", got, err)
			}
			if err == nil || err.Error() != expand(tt.want) {
				t.Errorf("error\n got %v\nwant %s", err, expand(tt.want))
			}
			if want := "msmtp: " + expand(tt.want) + "\nmsmtp: could not send mail (account test from msmtprc)\n"; report(acct, res, err) != want {
				t.Errorf("stderr\n got %q\nwant %q", report(acct, res, err), want)
			}
		})
	}
}
