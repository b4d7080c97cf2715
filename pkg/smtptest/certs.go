package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// CertOptions describes a certificate to make. The zero value gives the defaults named on
// each field.
type CertOptions struct {
	// CommonName is the subject's CN; default "msmtp-go test CA" for a CA and "localhost"
	// otherwise.
	CommonName string
	// DNSNames are the DNS subject alternative names of a leaf; default ["localhost"].
	DNSNames []string
	// IPAddresses are the IP subject alternative names of a leaf; default 127.0.0.1 and ::1.
	IPAddresses []net.IP
	// NotBefore and NotAfter bound the validity; defaults one hour ago and one day ahead.
	// Put both in the past to make an expired certificate.
	NotBefore, NotAfter time.Time
}

// Cert is a certificate with its private key.
type Cert struct {
	// Leaf is the parsed certificate.
	Leaf *x509.Certificate
	// TLS holds the certificate chain (leaf, then the issuing CA unless self-signed) and
	// the key, ready for tls.Config.Certificates.
	TLS tls.Certificate
	// CertPEM is the leaf in PEM form, KeyPEM the key (PKCS #8).
	CertPEM, KeyPEM []byte
	// Key is the private key.
	Key *ecdsa.PrivateKey
}

// CA is a throw-away certificate authority.
type CA struct {
	Cert
	// Pool holds just this CA, for tls.Config.RootCAs or ClientCAs.
	Pool *x509.CertPool
}

// NewCA makes a certificate authority with an ECDSA P-256 key. It fails the test on error.
func NewCA(t testing.TB, opts CertOptions) *CA {
	t.Helper()
	if opts.CommonName == "" {
		opts.CommonName = "msmtp-go test CA"
	}
	key := newKey(t)
	tmpl := template(t, opts)
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	c := makeCert(t, tmpl, tmpl, key, key, nil)
	pool := x509.NewCertPool()
	pool.AddCert(c.Leaf)
	return &CA{Cert: *c, Pool: pool}
}

// Issue makes a leaf certificate signed by ca, usable for both TLS servers and clients, with
// the defaults of CertOptions (SANs localhost, 127.0.0.1 and ::1).
func (ca *CA) Issue(t testing.TB, opts CertOptions) *Cert {
	t.Helper()
	return makeCert(t, leafTemplate(t, opts), ca.Leaf, newKey(t), ca.Key, &ca.Leaf.Raw)
}

// ServerConfig returns a TLS server configuration with a fresh leaf for localhost,
// 127.0.0.1 and ::1 issued by ca.
func (ca *CA) ServerConfig(t testing.TB) *tls.Config {
	t.Helper()
	return &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, CertOptions{}).TLS}}
}

// ClientConfig returns a TLS client configuration that trusts only ca and verifies the
// server name serverName.
func (ca *CA) ClientConfig(serverName string) *tls.Config {
	return &tls.Config{RootCAs: ca.Pool, ServerName: serverName}
}

// SelfSigned makes a self-signed leaf certificate (not a CA), as a server that nobody vouches
// for presents it: useful for fingerprint checks and "issuer is unknown" failures.
func SelfSigned(t testing.TB, opts CertOptions) *Cert {
	t.Helper()
	key := newKey(t)
	tmpl := leafTemplate(t, opts)
	return makeCert(t, tmpl, tmpl, key, key, nil)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func leafTemplate(t testing.TB, opts CertOptions) *x509.Certificate {
	t.Helper()
	if opts.CommonName == "" {
		opts.CommonName = "localhost"
	}
	tmpl := template(t, opts)
	tmpl.DNSNames = opts.DNSNames
	if tmpl.DNSNames == nil {
		tmpl.DNSNames = []string{"localhost"}
	}
	tmpl.IPAddresses = opts.IPAddresses
	if tmpl.IPAddresses == nil {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	return tmpl
}

func template(t testing.TB, opts CertOptions) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: opts.CommonName, Organization: []string{"msmtp-go tests"}},
		NotBefore:    opts.NotBefore,
		NotAfter:     opts.NotAfter,
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = now.Add(24 * time.Hour)
	}
	return tmpl
}

func makeCert(t testing.TB, tmpl, parent *x509.Certificate, key, signer *ecdsa.PrivateKey, chain *[]byte) *Cert {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certs := [][]byte{der}
	if chain != nil {
		certs = append(certs, *chain)
	}
	return &Cert{
		Leaf:    leaf,
		TLS:     tls.Certificate{Certificate: certs, PrivateKey: key, Leaf: leaf},
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		Key:     key,
	}
}
