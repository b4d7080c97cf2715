package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestCertificates(t *testing.T) {
	t.Parallel()
	ca := NewCA(t, CertOptions{})
	now := time.Now()
	tests := []struct {
		name    string
		cert    *Cert
		roots   *x509.CertPool
		host    string
		wantErr string // "" for success
	}{
		{"localhost", ca.Issue(t, CertOptions{}), ca.Pool, "localhost", ""},
		{"ipv4", ca.Issue(t, CertOptions{}), ca.Pool, "127.0.0.1", ""},
		{"ipv6", ca.Issue(t, CertOptions{}), ca.Pool, "::1", ""},
		{"wrong name", ca.Issue(t, CertOptions{}), ca.Pool, "mail.example.org", "certificate is valid for"},
		{"custom name", ca.Issue(t, CertOptions{DNSNames: []string{"mx.test"}}), ca.Pool, "mx.test", ""},
		{"expired", ca.Issue(t, CertOptions{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)}), ca.Pool, "localhost", "expired"},
		{"not yet valid", ca.Issue(t, CertOptions{NotBefore: now.Add(time.Hour)}), ca.Pool, "localhost", "not yet valid"},
		{"other CA", NewCA(t, CertOptions{}).Issue(t, CertOptions{}), ca.Pool, "localhost", "unknown authority"},
		{"self-signed", SelfSigned(t, CertOptions{}), ca.Pool, "localhost", "unknown authority"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.cert.Leaf.Verify(x509.VerifyOptions{Roots: tc.roots, DNSName: tc.host})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Verify: %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestCertPEM(t *testing.T) {
	t.Parallel()
	ca := NewCA(t, CertOptions{CommonName: "Test Root"})
	leaf := ca.Issue(t, CertOptions{CommonName: "mx.test"})
	if _, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM); err != nil {
		t.Fatalf("PEM pair does not load: %v", err)
	}
	block, _ := pem.Decode(ca.CertPEM)
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !c.IsCA || c.Subject.CommonName != "Test Root" {
		t.Errorf("CA PEM: %v %+v", err, c)
	}
	if leaf.Leaf.Subject.CommonName != "mx.test" || len(leaf.TLS.Certificate) != 2 {
		t.Errorf("leaf CN %q, chain of %d", leaf.Leaf.Subject.CommonName, len(leaf.TLS.Certificate))
	}
	if ss := SelfSigned(t, CertOptions{}); len(ss.TLS.Certificate) != 1 || ss.Leaf.IsCA {
		t.Error("self-signed certificate has a chain or is a CA")
	}
}

// A TLS handshake over loopback with an expired server certificate fails on the client with
// an x509 error, which is what the client tests build on.
func TestExpiredHandshake(t *testing.T) {
	t.Parallel()
	ca := NewCA(t, CertOptions{})
	past := time.Now().Add(-time.Hour)
	cert := ca.Issue(t, CertOptions{NotBefore: past.Add(-time.Hour), NotAfter: past})
	sc, cc := net.Pipe()
	go func() {
		s := tls.Server(sc, &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
		_ = s.Handshake()
		s.Close()
	}()
	c := tls.Client(cc, ca.ClientConfig("localhost"))
	err := c.Handshake()
	c.Close()
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Errorf("handshake error %v, want an expired-certificate error", err)
	}
}
