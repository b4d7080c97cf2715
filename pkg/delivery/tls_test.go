package delivery

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// testPKI is a throw-away CA with one server certificate for "localhost" and 127.0.0.1.
type testPKI struct {
	caPEM, certPEM, keyPEM []byte
	ca, leaf               *x509.Certificate
	caKey                  *ecdsa.PrivateKey
	serverCert             tls.Certificate
}

func newTestPKI(t *testing.T, notAfter time.Time) *testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter,
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:    x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	keyDER, _ := x509.MarshalECPrivateKey(key)
	p := &testPKI{
		caPEM:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		ca:      ca, leaf: leaf, caKey: caKey,
	}
	p.serverCert, err = tls.X509KeyPair(p.certPEM, p.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *testPKI) crlPEM(t *testing.T, revoked ...*big.Int) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range revoked {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(time.Hour),
		RevokedCertificateEntries: entries,
	}, p.ca, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

// handshake runs a TLS handshake between a server using p's certificate and a client using
// cfg, returning the client's error.
func handshake(t *testing.T, p *testPKI, cfg *tls.Config) error {
	t.Helper()
	// A real socket, not net.Pipe: a synchronous pipe deadlocks when the client writes an
	// alert while the server is still writing its flight.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, err := l.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		srv := tls.Server(s, &tls.Config{Certificates: []tls.Certificate{p.serverCert}})
		_ = srv.SetDeadline(time.Now().Add(10 * time.Second))
		_ = srv.Handshake()
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	err = tls.Client(c, cfg).Handshake()
	c.Close()
	<-done
	return err
}

func fileEnv(files map[string][]byte) tlsEnv {
	env := defaultTLSEnv()
	env.readFile = func(name string) ([]byte, error) {
		if b, ok := files[name]; ok {
			return b, nil
		}
		return nil, os.ErrNotExist
	}
	return env
}

func TestTLSVerification(t *testing.T) {
	t.Parallel()
	p := newTestPKI(t, time.Now().Add(time.Hour))
	expired := newTestPKI(t, time.Now().Add(-time.Hour))
	sha := sha256.Sum256(p.leaf.Raw)
	sha1sum := sha1.Sum(p.leaf.Raw)
	other := sha256.Sum256([]byte("other"))
	env := fileEnv(map[string][]byte{"ca.pem": p.caPEM, "ca-exp.pem": expired.caPEM, "crl.pem": p.crlPEM(t, big.NewInt(42)), "crl-ok.pem": p.crlPEM(t, big.NewInt(7))})
	tests := []struct {
		name    string
		pki     *testPKI
		s       TLSSettings
		wantErr string // substring of the CertificateError text; "" = success
	}{
		{"trust file", p, TLSSettings{ServerName: "localhost", TrustFile: "ca.pem", CertCheck: true}, ""},
		{"IP name", p, TLSSettings{ServerName: "127.0.0.1", TrustFile: "ca.pem", CertCheck: true}, ""},
		{"unknown issuer", p, TLSSettings{ServerName: "localhost", TrustFile: "ca-exp.pem", CertCheck: true}, "issuer is unknown (issuer: CN=Test CA)"},
		{"wrong host", p, TLSSettings{ServerName: "mail.example.org", TrustFile: "ca.pem", CertCheck: true}, "does not match the expected"},
		{"expired", expired, TLSSettings{ServerName: "localhost", TrustFile: "ca-exp.pem", CertCheck: true}, "has expired"},
		{"sha256 pin", p, TLSSettings{ServerName: "x", Fingerprints: [][]byte{sha[:]}, CertCheck: true}, ""},
		{"pin rotation", p, TLSSettings{ServerName: "x", Fingerprints: [][]byte{other[:], sha1sum[:]}, CertCheck: true}, ""},
		{"pin ignores expiry", expired, TLSSettings{ServerName: "x", Fingerprints: [][]byte{func() []byte { s := sha256.Sum256(expired.leaf.Raw); return s[:] }()}, CertCheck: true}, ""},
		{"pin mismatch", p, TLSSettings{ServerName: "x", Fingerprints: [][]byte{other[:]}, CertCheck: true}, "fingerprint does not match (the server's SHA256 fingerprint is " + FormatFingerprint(sha[:])},
		{"certcheck off", expired, TLSSettings{ServerName: "nowhere", Fingerprints: [][]byte{other[:]}, CertCheck: false}, ""},
		{"revoked", p, TLSSettings{ServerName: "localhost", TrustFile: "ca.pem", CRLFile: "crl.pem", CertCheck: true}, "has been revoked"},
		{"not revoked", p, TLSSettings{ServerName: "localhost", TrustFile: "ca.pem", CRLFile: "crl-ok.pem", CertCheck: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := env.config(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			err = handshake(t, tt.pki, cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				return
			}
			ce := DescribeCertificateError(err)
			if ce == nil {
				t.Fatalf("error %v is not a certificate error", err)
			}
			if !strings.Contains(ce.Error(), tt.wantErr) || !strings.HasPrefix(ce.Error(), "TLS certificate verification failed: ") {
				t.Errorf("error %q does not contain %q", ce.Error(), tt.wantErr)
			}
		})
	}
}

func TestTLSFiles(t *testing.T) {
	t.Parallel()
	p := newTestPKI(t, time.Now().Add(time.Hour))
	env := fileEnv(map[string][]byte{"ca.pem": p.caPEM, "cert.pem": p.certPEM, "key.pem": p.keyPEM, "junk": []byte("junk")})
	cfg, err := env.config(TLSSettings{TrustFile: "ca.pem", CertFile: "cert.pem", KeyFile: "key.pem", CertCheck: true})
	if err != nil || len(cfg.Certificates) != 1 {
		t.Fatalf("client certificate not loaded: %v", err)
	}
	for _, s := range []TLSSettings{
		{TrustFile: "missing.pem", CertCheck: true},
		{TrustFile: "junk", CertCheck: true},
		{TrustFile: "ca.pem", CRLFile: "junk", CertCheck: true},
		{CertFile: "cert.pem", KeyFile: "junk", CertCheck: true},
		{CertFile: "missing", KeyFile: "key.pem", CertCheck: true},
	} {
		_, err := env.config(s)
		var fe *TLSFileError
		if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "cannot set X509 ") {
			t.Errorf("%+v: error %v, want a TLSFileError", s, err)
		}
	}
}

func TestPriorities(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s        string
		min, max uint16
		suites   int // -1: Go's defaults
		bad      bool
	}{
		{"NORMAL", tls.VersionTLS12, tls.VersionTLS13, -1, false},
		{"SECURE256", tls.VersionTLS12, tls.VersionTLS13, 4, false},
		{"NORMAL:-VERS-TLS1.2", tls.VersionTLS13, tls.VersionTLS13, -1, false},
		{"NORMAL:+VERS-TLS1.0:%COMPAT", tls.VersionTLS10, tls.VersionTLS13, -1, false},
		{"NORMAL:-VERS-ALL:+VERS-TLS1.2", tls.VersionTLS12, tls.VersionTLS12, -1, false},
		{"NORMAL:-VERS-SSL3.0:-ARCFOUR-128:+ECDHE-RSA", tls.VersionTLS12, tls.VersionTLS13, -1, false},
		{"NORMAL:-CIPHER-ALL:+AES-128-GCM", tls.VersionTLS12, tls.VersionTLS13, 2, false},
		{"NONE:+VERS-TLS1.2:+AES-256-GCM:+ECDHE-ECDSA:+SHA384", tls.VersionTLS12, tls.VersionTLS12, 2, false},
		{"NORMAL:+VERS-SSL3.0", 0, 0, 0, true},
		{"NORMAL:+ARCFOUR-128", 0, 0, 0, true},
		{"LEGACY", 0, 0, 0, true},
		{"NORMAL:-VERS-ALL", 0, 0, 0, true},
		{"NORMAL:garbage", 0, 0, 0, true},
	}
	for _, tt := range tests {
		cfg := &tls.Config{}
		err := applyPriorities(cfg, tt.s)
		var pe *PrioritiesError
		if tt.bad {
			if !errors.As(err, &pe) {
				t.Errorf("%q: err = %v, want PrioritiesError", tt.s, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.s, err)
			continue
		}
		if cfg.MinVersion != tt.min || cfg.MaxVersion != tt.max {
			t.Errorf("%q: versions %x-%x, want %x-%x", tt.s, cfg.MinVersion, cfg.MaxVersion, tt.min, tt.max)
		}
		if tt.suites >= 0 && len(cfg.CipherSuites) != tt.suites || tt.suites < 0 && cfg.CipherSuites != nil {
			t.Errorf("%q: %d suites, want %d", tt.s, len(cfg.CipherSuites), tt.suites)
		}
	}
}

func TestFormatFingerprint(t *testing.T) {
	t.Parallel()
	if got := FormatFingerprint([]byte{0x00, 0xab, 0x1f}); got != "00:AB:1F" {
		t.Errorf("got %q", got)
	}
}
