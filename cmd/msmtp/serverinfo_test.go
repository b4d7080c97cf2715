package main

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/smtpclient"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

func TestServerInfo(t *testing.T) {
	t.Parallel()
	full := &smtpclient.Capabilities{HasSize: true, Size: 10240000, Pipelining: true, SMTPUTF8: true, ETRN: true, DSN: true, STARTTLS: true,
		Auth: true, AuthMechanisms: []string{"LOGIN", "PLAIN", "XOAUTH2", "SCRAM-SHA-256", "X-UNKNOWN", "SCRAM-SHA-256-PLUS"}}
	tests := []struct {
		name string
		si   serverInfo
	}{
		{"full.golden", serverInfo{Server: "127.0.0.1", Port: 25, Canonical: "localhost", Addr: "127.0.0.1", Greeting: "mx.example.org ESMTP Postfix", Caps: full, TLSOff: true}},
		{"none.golden", serverInfo{Server: "mail.example.org", Port: 587, Greeting: "", Caps: &smtpclient.Capabilities{}}},
		{"sizes.golden", serverInfo{LMTP: true, Server: "/run/lmtp.sock", Port: 25, Greeting: "ctl\x01char", Caps: &smtpclient.Capabilities{HasSize: true, Size: 2048}}},
		{"size0.golden", serverInfo{Server: "h", Port: 25, Addr: "::1", Caps: &smtpclient.Capabilities{HasSize: true, Size: 1024}}},
		{"unlimited.golden", serverInfo{Server: "h", Port: 25, Canonical: "h.example", Caps: &smtpclient.Capabilities{HasSize: true}, StartTLSUsed: true}},
	}
	for _, tt := range tests {
		var b strings.Builder
		writeServerInfo(&b, tt.si, time.UTC)
		golden(t, filepath.Join("serverinfo", tt.name), b.String())
	}
}

func TestServerInfoTLS(t *testing.T) {
	t.Parallel()
	ca := smtptest.NewCA(t, smtptest.CertOptions{})
	leaf := ca.Issue(t, smtptest.CertOptions{CommonName: "mx.example.org", NotBefore: time.Date(2026, 11, 25, 18, 36, 13, 0, time.UTC), NotAfter: time.Date(2036, 11, 22, 18, 36, 13, 0, time.UTC)})
	cs := &tls.ConnectionState{Version: tls.VersionTLS13, CurveID: tls.X25519, CipherSuite: tls.TLS_AES_128_GCM_SHA256, PeerCertificates: []*x509.Certificate{leaf.Leaf}}
	var b strings.Builder
	writeTLSInfo(&b, cs, time.UTC)
	sum := sha256.Sum256(leaf.Leaf.Raw)
	for _, want := range []string{
		"TLS session parameters:\n    (TLS1.3)-(X25519)-(TLS_AES_128_GCM_SHA256)\n",
		"    Subject:\n        O=msmtp-go tests,CN=mx.example.org\n",
		"    Issuer:\n        O=msmtp-go tests,CN=msmtp-go test CA\n",
		"        Activation time: Wed Nov 25 18:36:13 2026\n        Expiration time: Sat Nov 22 18:36:13 2036\n",
		"        SHA256: " + delivery.FormatFingerprint(sum[:]) + "\n        SHA1 (deprecated): ",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("TLS block lacks %q:\n%s", want, b.String())
		}
	}
}
