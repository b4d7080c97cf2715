package main

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/smtpclient"
)

// serverInfo is what --serverinfo reports about a server (spec-mail-smtp.md §5.3).
type serverInfo struct {
	LMTP bool
	// Server is the host name, or the socket path.
	Server string
	Port   int
	// Canonical is the reverse-lookup name of the connected address and Addr that address;
	// either may be empty (through a proxy or over a socket both are).
	Canonical, Addr string
	Greeting        string // the text of the greeting's first line
	TLS             *tls.ConnectionState
	Caps            *smtpclient.Capabilities
	// StartTLSUsed means the session was upgraded with STARTTLS (the capability is then
	// no longer advertised, but is still reported).
	StartTLSUsed bool
	// TLSOff means the account does not use TLS: a server offering STARTTLS may then
	// advertise more once TLS is active.
	TLSOff bool
}

// serverInfoAuthOrder is the fixed order in which the AUTH mechanisms are listed (msmtp
// 1.8.33's).
var serverInfoAuthOrder = []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "GSSAPI", "EXTERNAL", "OAUTHBEARER", "CRAM-MD5", "DIGEST-MD5", "LOGIN", "NTLM", "XOAUTH2"}

// writeServerInfo prints the report in upstream's layout.
func writeServerInfo(w io.Writer, si serverInfo, loc *time.Location) {
	proto := "SMTP"
	if si.LMTP {
		proto = "LMTP"
	}
	where := ""
	switch {
	case si.Canonical != "" && si.Addr != "":
		where = fmt.Sprintf(" (%s [%s])", si.Canonical, si.Addr)
	case si.Canonical != "":
		where = fmt.Sprintf(" (%s)", si.Canonical)
	case si.Addr != "":
		where = fmt.Sprintf(" ([%s])", si.Addr)
	}
	fmt.Fprintf(w, "%s server at %s%s, port %d:\n", proto, si.Server, where, si.Port)
	if g := delivery.Sanitize(si.Greeting); g != "" {
		fmt.Fprintf(w, "    %s\n", g)
	}
	if si.TLS != nil {
		writeTLSInfo(w, si.TLS, loc)
	}
	var blocks []string
	caps := si.Caps
	if caps == nil {
		caps = &smtpclient.Capabilities{}
	}
	if caps.HasSize {
		blocks = append(blocks, fmt.Sprintf("    SIZE %d:\n        Maximum message size is %s\n", caps.Size, sizeText(caps.Size)))
	}
	if caps.Pipelining {
		blocks = append(blocks, "    PIPELINING:\n        Support for command grouping for faster transmission\n")
	}
	if caps.SMTPUTF8 {
		blocks = append(blocks, "    SMTPUTF8:\n        Support for Internationalized Email\n")
	}
	if caps.ETRN {
		blocks = append(blocks, "    ETRN:\n        Support for RMQS (Remote Message Queue Starting)\n")
	}
	if caps.DSN {
		blocks = append(blocks, "    DSN:\n        Support for Delivery Status Notifications\n")
	}
	if caps.STARTTLS || si.StartTLSUsed {
		blocks = append(blocks, "    STARTTLS:\n        Support for TLS encryption via the STARTTLS command\n")
	}
	if caps.Auth {
		var b strings.Builder
		b.WriteString("    AUTH:\n        Supported authentication methods:\n        ")
		for _, m := range serverInfoAuthOrder {
			if caps.SupportsAuth(m) {
				b.WriteString(m + " ")
			}
		}
		b.WriteString("\n")
		blocks = append(blocks, b.String())
	}
	if len(blocks) == 0 {
		fmt.Fprintln(w, "No special capabilities.")
	} else {
		fmt.Fprintln(w, "Capabilities:")
		for _, b := range blocks {
			io.WriteString(w, b)
		}
	}
	if caps.STARTTLS && si.TLSOff {
		fmt.Fprintln(w, "This server might advertise more or other capabilities when TLS is active.")
	}
}

// sizeText describes a SIZE limit as upstream does: "unlimited", "N bytes", or with a KiB
// or MiB figure for larger values.
func sizeText(n int64) string {
	switch {
	case n == 0:
		return "unlimited"
	case n > 1024*1024:
		return fmt.Sprintf("%d bytes = %.2f MiB", n, float64(n)/(1024*1024))
	case n > 1024:
		return fmt.Sprintf("%d bytes = %.2f KiB", n, float64(n)/1024)
	}
	return fmt.Sprintf("%d bytes", n)
}

// writeTLSInfo prints the TLS block of spec-mail-smtp.md §5.4, which --serverinfo and
// --debug show. GnuTLS describes a session as "(TLS1.3)-(ECDHE-SECP256R1)-(RSA-PSS-RSAE-
// SHA256)-(AES-256-GCM)"; Go does not expose the signature algorithm, so ours names the
// version, the key-exchange group and the cipher suite.
func writeTLSInfo(w io.Writer, cs *tls.ConnectionState, loc *time.Location) {
	fmt.Fprintln(w, "TLS session parameters:")
	params := []string{tlsVersionName(cs.Version)}
	if cs.CurveID != 0 {
		params = append(params, cs.CurveID.String())
	}
	params = append(params, tls.CipherSuiteName(cs.CipherSuite))
	fmt.Fprintf(w, "    (%s)\n", strings.Join(params, ")-("))
	if len(cs.PeerCertificates) == 0 {
		return
	}
	leaf := cs.PeerCertificates[0]
	const cFormat = "Mon Jan _2 15:04:05 2006" // strftime %c in the C locale
	sha := sha256.Sum256(leaf.Raw)
	sha1sum := sha1.Sum(leaf.Raw)
	fmt.Fprintln(w, "TLS certificate information:")
	fmt.Fprintf(w, "    Subject:\n        %s\n", delivery.Sanitize(distinguishedName(leaf.RawSubject)))
	fmt.Fprintf(w, "    Issuer:\n        %s\n", delivery.Sanitize(distinguishedName(leaf.RawIssuer)))
	fmt.Fprintf(w, "    Validity:\n        Activation time: %s\n        Expiration time: %s\n",
		leaf.NotBefore.In(loc).Format(cFormat), leaf.NotAfter.In(loc).Format(cFormat))
	fmt.Fprintf(w, "    Fingerprints:\n        SHA256: %s\n        SHA1 (deprecated): %s\n",
		delivery.FormatFingerprint(sha[:]), delivery.FormatFingerprint(sha1sum[:]))
}

// distinguishedName writes a DN as GnuTLS does for msmtp: RFC 4514 escaping, but the
// relative names in the order the certificate encodes them (Go's pkix.Name.String reverses
// them, as RFC 4514 asks, which would make our output differ from upstream's).
func distinguishedName(raw []byte) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) > 0 {
		return "(unparsable)"
	}
	parts := make([]string, len(seq))
	for i, rdn := range seq {
		parts[i] = pkix.RDNSequence{rdn}.String()
	}
	return strings.Join(parts, ",")
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLS1.0"
	case tls.VersionTLS11:
		return "TLS1.1"
	case tls.VersionTLS12:
		return "TLS1.2"
	case tls.VersionTLS13:
		return "TLS1.3"
	}
	return fmt.Sprintf("TLS 0x%04x", v)
}
