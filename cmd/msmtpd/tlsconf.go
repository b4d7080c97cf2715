package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"sync"
	"time"
)

// loadTLS returns the TLS configuration of the listeners that use TLS, or nil when none is
// configured: the certificate files, or a certificate made now (tls_self_signed).
func loadTLS(o *options, now func() time.Time) (*tls.Config, error) {
	switch {
	case o.tlsCertFile != "":
		r := &certReloader{certFile: o.tlsCertFile, keyFile: o.tlsKeyFile}
		if err := r.load(); err != nil {
			return nil, usagef("cannot load TLS certificate: %s", strerror(err))
		}
		return &tls.Config{GetCertificate: r.get}, nil
	case o.tlsSelfSigned:
		cert, err := selfSignedCertificate(o, now())
		if err != nil {
			return nil, usagef("cannot make a self-signed certificate: %v", err)
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}}, nil
	}
	return nil, nil
}

// certReloader serves the certificate files and loads them again when they change, so that
// a renewed certificate (Let's Encrypt, say) is used without a restart. A renewal that
// cannot be loaded (key and certificate written one after the other) leaves the old pair
// in use until both fit.
type certReloader struct {
	certFile, keyFile string

	mu              sync.Mutex
	cert            *tls.Certificate
	certMod, keyMod time.Time
}

func (r *certReloader) load() error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return err
	}
	r.cert = &cert
	r.certMod, r.keyMod = modTime(r.certFile), modTime(r.keyFile)
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Two stat calls per handshake: cheap next to the handshake itself.
	if !modTime(r.certFile).Equal(r.certMod) || !modTime(r.keyFile).Equal(r.keyMod) {
		old := r.cert
		if r.load() != nil {
			r.cert = old
		}
	}
	return r.cert, nil
}

func modTime(name string) time.Time {
	fi, err := os.Stat(name)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// selfSignedCertificate makes a certificate for localhost, the loopback addresses, the
// hostname setting and the specific addresses msmtpd listens on. It is made fresh at every
// start and never written anywhere.
func selfSignedCertificate(o *options, now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.hostname, Organization: []string{"msmtpd self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if o.hostname != "" && o.hostname != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, o.hostname)
	}
	for _, l := range o.listeners {
		if ip := l.addr.Addr(); !ip.IsUnspecified() && !ip.IsLoopback() {
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(ip.AsSlice()))
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
