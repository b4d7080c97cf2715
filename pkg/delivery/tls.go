package delivery

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// TLSSettings are the msmtprc TLS settings that shape a *tls.Config (spec-mail-smtp.md §4).
type TLSSettings struct {
	// ServerName is the name the certificate must match and the SNI sent: tls_host_override,
	// else host.
	ServerName string
	// TrustFile is "" (no trust file), "system" (the operating system's store: the Linux
	// bundles, the macOS keychain, the Windows certificate store) or a PEM file of CAs.
	TrustFile string
	// CRLFile is a PEM or DER certificate revocation list; it needs TrustFile.
	CRLFile string
	// Fingerprints pin the server's leaf certificate: each is a SHA-256 (32 bytes), SHA-1
	// (20) or MD5 (16) digest. Several pins may be given so a certificate can be rotated.
	// When set, nothing else is checked (no chain, name or expiry), as upstream does.
	Fingerprints [][]byte
	// CertFile and KeyFile are a PEM client certificate and its key.
	CertFile, KeyFile string
	// CertCheck false disables every check of the server's identity (tls_certcheck off).
	CertCheck bool
	// Priorities is a GnuTLS priority string; see ParsePriorities for what is honoured.
	Priorities string
}

// TLSFileError means a trust, CRL, certificate or key file could not be loaded. Upstream
// exits with EX_NOINPUT for these.
type TLSFileError struct {
	What string // e.g. "X509 trust file /x"
	Err  error
}

func (e *TLSFileError) Error() string {
	return fmt.Sprintf("cannot set %s for TLS session: %v", e.What, e.Err)
}

func (e *TLSFileError) Unwrap() error { return e.Err }

// CertificateError means the server's certificate failed verification. Its text follows
// upstream's "TLS certificate verification failed: ..." and names the cause precisely.
type CertificateError struct {
	Reason string
	Err    error // the underlying x509 error, if any
}

func (e *CertificateError) Error() string {
	return "TLS certificate verification failed: " + e.Reason
}

func (e *CertificateError) Unwrap() error { return e.Err }

// tlsEnv holds what building a TLS configuration needs from the system. Tests replace it.
type tlsEnv struct {
	readFile    func(string) ([]byte, error)
	systemRoots func() (*x509.CertPool, error)
	now         func() time.Time
}

func defaultTLSEnv() tlsEnv {
	return tlsEnv{readFile: os.ReadFile, systemRoots: x509.SystemCertPool, now: time.Now}
}

// TLSConfig builds the client configuration for the settings. The errors are
// *TLSFileError (unreadable or malformed files) or *PrioritiesError.
func TLSConfig(s TLSSettings) (*tls.Config, error) { return defaultTLSEnv().config(s) }

func (env tlsEnv) config(s TLSSettings) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: s.ServerName, Time: env.now}
	if err := applyPriorities(cfg, s.Priorities); err != nil {
		return nil, err
	}
	if s.CertFile != "" || s.KeyFile != "" {
		cert, err := env.keyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return nil, &TLSFileError{What: fmt.Sprintf("X509 key file %s and/or X509 cert file %s", s.KeyFile, s.CertFile), Err: err}
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	switch {
	case !s.CertCheck:
		cfg.InsecureSkipVerify = true
	case len(s.Fingerprints) > 0:
		// A pin replaces every other check, as upstream does: the usual reason to pin is a
		// self-signed certificate whose name and dates do not matter.
		cfg.InsecureSkipVerify = true
		pins := s.Fingerprints
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return checkPins(cs, pins) }
	default:
		if s.TrustFile != "" && s.TrustFile != "system" {
			pool, err := env.pool(s.TrustFile)
			if err != nil {
				return nil, &TLSFileError{What: "X509 trust file " + s.TrustFile, Err: err}
			}
			cfg.RootCAs = pool
		}
		// With "system", RootCAs stays nil: Go then uses the platform verifier, which on
		// Windows and macOS consults the OS store directly.
		if s.CRLFile != "" {
			crl, err := env.crl(s.CRLFile)
			if err != nil {
				return nil, &TLSFileError{What: "X509 CRL file " + s.CRLFile, Err: err}
			}
			cfg.VerifyConnection = func(cs tls.ConnectionState) error { return checkRevocation(cs, crl, env.now()) }
		}
	}
	return cfg, nil
}

func (env tlsEnv) keyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := env.readFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := env.readFile(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

func (env tlsEnv) pool(file string) (*x509.CertPool, error) {
	data, err := env.readFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("no PEM certificates found")
	}
	return pool, nil
}

func (env tlsEnv) crl(file string) (*x509.RevocationList, error) {
	data, err := env.readFile(file)
	if err != nil {
		return nil, err
	}
	if block, _ := pem.Decode(data); block != nil {
		data = block.Bytes
	}
	return x509.ParseRevocationList(data)
}

// checkPins compares the leaf certificate with the pinned digests.
func checkPins(cs tls.ConnectionState, pins [][]byte) error {
	if len(cs.PeerCertificates) == 0 {
		return &CertificateError{Reason: "the server sent no certificate"}
	}
	leaf := cs.PeerCertificates[0].Raw
	for _, pin := range pins {
		var sum []byte
		switch len(pin) {
		case sha256.Size:
			s := sha256.Sum256(leaf)
			sum = s[:]
		case sha1.Size:
			s := sha1.Sum(leaf)
			sum = s[:]
		case md5.Size:
			s := md5.Sum(leaf)
			sum = s[:]
		}
		if sum != nil && bytes.Equal(sum, pin) {
			return nil
		}
	}
	s := sha256.Sum256(leaf)
	return &CertificateError{Reason: "the certificate fingerprint does not match (the server's SHA256 fingerprint is " + FormatFingerprint(s[:]) + ")"}
}

// checkRevocation runs after Go's own chain verification: it rejects a chain in which a
// certificate issued by the CRL's issuer is listed as revoked.
func checkRevocation(cs tls.ConnectionState, crl *x509.RevocationList, now time.Time) error {
	for _, chain := range cs.VerifiedChains {
		for i, cert := range chain {
			if i+1 >= len(chain) {
				break
			}
			issuer := chain[i+1]
			if !bytes.Equal(cert.RawIssuer, crl.RawIssuer) || crl.CheckSignatureFrom(issuer) != nil {
				continue
			}
			for _, rev := range crl.RevokedCertificateEntries {
				if rev.SerialNumber.Cmp(cert.SerialNumber) == 0 {
					return &CertificateError{Reason: fmt.Sprintf("the certificate %s has been revoked", cert.Subject)}
				}
			}
			if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
				return &CertificateError{Reason: "the certificate revocation list is out of date (next update was " + crl.NextUpdate.UTC().Format(time.RFC1123) + ")"}
			}
		}
	}
	return nil
}

// DescribeCertificateError turns Go's verification error into a CertificateError with a
// message that says what to fix. It returns nil when err is not a verification failure.
func DescribeCertificateError(err error) *CertificateError {
	var ce *CertificateError
	if errors.As(err, &ce) {
		return ce
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		issuer := ""
		if unknown.Cert != nil {
			issuer = " (issuer: " + unknown.Cert.Issuer.String() + ")"
		}
		return &CertificateError{Reason: "The certificate is NOT trusted. The certificate issuer is unknown" + issuer + ".", Err: err}
	}
	var host x509.HostnameError
	if errors.As(err, &host) {
		return &CertificateError{Reason: "The certificate is NOT trusted. The name in the certificate does not match the expected (" + host.Error() + ").", Err: err}
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		reason := "The certificate is NOT trusted: " + invalid.Error() + "."
		if invalid.Reason == x509.Expired && invalid.Cert != nil {
			reason = fmt.Sprintf("The certificate is NOT trusted. The certificate has expired or is not yet valid (valid from %s to %s).",
				invalid.Cert.NotBefore.UTC().Format(time.RFC1123), invalid.Cert.NotAfter.UTC().Format(time.RFC1123))
		}
		return &CertificateError{Reason: reason, Err: err}
	}
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		return &CertificateError{Reason: "The certificate is NOT trusted: " + verr.Err.Error() + ".", Err: err}
	}
	return nil
}

// FormatFingerprint writes a digest as upper-case hex pairs separated by colons, the form
// msmtprc's tls_fingerprint takes and --serverinfo prints.
func FormatFingerprint(sum []byte) string {
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// PrioritiesError means a tls_priorities string asks for something Go's TLS cannot do.
type PrioritiesError struct {
	Priorities, Item string
}

func (e *PrioritiesError) Error() string {
	return fmt.Sprintf("cannot use tls_priorities %q: %q is not supported", e.Priorities, e.Item)
}

// applyPriorities maps the common GnuTLS priority strings onto Go's settings. Base keywords
// NORMAL, PFS, SECURE, SECURE128, SECURE192, SECURE256, PERFORMANCE and SYSTEM keep Go's
// defaults (TLS 1.2 and 1.3 with modern AEAD suites; SECURE192/256 restrict TLS 1.2 to
// 256-bit suites). Version items +VERS-TLS1.0 … +VERS-TLS1.3, -VERS-…, -VERS-ALL and
// -VERS-TLS-ALL set the version range; cipher items +/-AES-128-GCM, AES-256-GCM,
// CHACHA20-POLY1305, AES-128-CBC, AES-256-CBC shape the TLS 1.2 suite list (TLS 1.3 suites
// are not configurable in Go). %-flags (e.g. %COMPAT, %NO_TICKETS) and the key-exchange,
// MAC, signature and curve groups are accepted and left to Go. Anything that needs SSL 3.0,
// RC4, 3DES, NULL ciphers or DHE is rejected, since Go cannot honour it.
func applyPriorities(cfg *tls.Config, s string) error {
	if s == "" {
		return nil
	}
	versions := map[string]uint16{"TLS1.0": tls.VersionTLS10, "TLS1.1": tls.VersionTLS11, "TLS1.2": tls.VersionTLS12, "TLS1.3": tls.VersionTLS13}
	enabled := map[uint16]bool{tls.VersionTLS12: true, tls.VersionTLS13: true}
	ciphers := map[string][]uint16{
		"AES-128-GCM":       {tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
		"AES-256-GCM":       {tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
		"CHACHA20-POLY1305": {tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
		"AES-128-CBC":       {tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA},
		"AES-256-CBC":       {tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA},
	}
	cipherOrder := []string{"AES-256-GCM", "CHACHA20-POLY1305", "AES-128-GCM", "AES-256-CBC", "AES-128-CBC"}
	var chosen map[string]bool // nil: Go's defaults
	for i, item := range strings.Split(s, ":") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if i == 0 {
			switch strings.ToUpper(item) {
			case "NORMAL", "PFS", "SECURE", "SECURE128", "PERFORMANCE", "SYSTEM", "@SYSTEM":
				continue
			case "SECURE192", "SECURE256":
				chosen = map[string]bool{"AES-256-GCM": true, "CHACHA20-POLY1305": true}
				continue
			case "NONE":
				enabled = map[uint16]bool{}
				chosen = map[string]bool{}
				continue
			}
			return &PrioritiesError{Priorities: s, Item: item}
		}
		if item[0] == '%' {
			continue
		}
		op, name := item[0], strings.ToUpper(item[1:])
		if op != '+' && op != '-' && op != '!' {
			return &PrioritiesError{Priorities: s, Item: item}
		}
		add := op == '+'
		switch {
		case name == "VERS-ALL" || name == "VERS-TLS-ALL":
			for _, v := range versions {
				enabled[v] = add
			}
		case strings.HasPrefix(name, "VERS-"):
			v, ok := versions[strings.TrimPrefix(name, "VERS-")]
			if !ok {
				if add {
					return &PrioritiesError{Priorities: s, Item: item}
				}
				continue // removing SSL3.0 or DTLS is what Go does anyway
			}
			enabled[v] = add
		case name == "CIPHER-ALL":
			chosen = map[string]bool{}
			if add {
				for _, c := range cipherOrder {
					chosen[c] = true
				}
			}
		case ciphers[name] != nil:
			if chosen == nil {
				chosen = map[string]bool{"AES-256-GCM": true, "CHACHA20-POLY1305": true, "AES-128-GCM": true, "AES-256-CBC": true, "AES-128-CBC": true}
			}
			chosen[name] = add
		case strings.HasPrefix(name, "ARCFOUR") || strings.HasPrefix(name, "3DES") || name == "NULL" ||
			strings.HasPrefix(name, "DHE-") || strings.HasPrefix(name, "CAMELLIA") || strings.HasPrefix(name, "GOST"):
			if add {
				return &PrioritiesError{Priorities: s, Item: item}
			}
		default:
			// Key exchange, MAC, signature, group and compression items: Go picks safe
			// values itself, so adding or removing them changes nothing we can express.
		}
	}
	var lo, hi uint16
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
		if enabled[v] {
			if lo == 0 {
				lo = v
			}
			hi = v
		}
	}
	if lo == 0 {
		return &PrioritiesError{Priorities: s, Item: "(no TLS version left)"}
	}
	cfg.MinVersion, cfg.MaxVersion = lo, hi
	if chosen != nil {
		var suites []uint16
		for _, c := range cipherOrder {
			if chosen[c] {
				suites = append(suites, ciphers[c]...)
			}
		}
		if len(suites) == 0 && lo < tls.VersionTLS13 {
			return &PrioritiesError{Priorities: s, Item: "(no cipher left)"}
		}
		cfg.CipherSuites = suites
	}
	return nil
}
