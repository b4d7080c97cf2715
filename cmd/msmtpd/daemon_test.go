package main

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/auth"
)

func TestAllowed(t *testing.T) {
	t.Parallel()
	nets := []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.168.1.77"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("192.168.2.1"), Port: 1}, false},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.168.1.5"), Port: 1}, true}, // IPv4 on a dual-stack socket
		{&net.TCPAddr{IP: net.ParseIP("fd12::1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}, false},
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1}, true},
		{&net.UnixAddr{Name: "/run/x", Net: "unix"}, false},
	}
	for _, tt := range tests {
		if got := allowed(tt.addr, nets); got != tt.want {
			t.Errorf("allowed(%v) = %v", tt.addr, got)
		}
	}
}

func TestTracker(t *testing.T) {
	t.Parallel()
	var tr tracker
	for range 2 {
		if !tr.begin() {
			t.Fatal("begin refused before stop")
		}
	}
	stopped := make(chan struct{})
	go func() {
		tr.stopAndWait()
		close(stopped)
	}()
	tr.end()
	select {
	case <-stopped:
		t.Fatal("stopAndWait returned with work in progress")
	case <-time.After(50 * time.Millisecond):
	}
	// After stop began, no new work (polled: stopAndWait runs in its goroutine).
	for deadline := time.Now().Add(10 * time.Second); ; {
		if !tr.begin() {
			break
		}
		tr.end()
		if time.Now().After(deadline) {
			t.Fatal("begin still accepted after stopAndWait")
		}
	}
	tr.end()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stopAndWait did not return after the last end")
	}
}

func TestWarnExposure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		listen  string
		mode    tlsMode
		users   bool
		allow   bool
		insec   bool
		warning string
	}{
		{"127.0.0.1:25", tlsNone, false, false, false, ""},
		{"[::1]:25", tlsNone, false, false, false, ""},
		{"0.0.0.0:25", tlsNone, false, false, false, "anyone who can reach it can send mail"},
		{"0.0.0.0:25", tlsNone, false, true, false, ""},
		{"0.0.0.0:25", tlsNone, true, false, false, "they cannot send"},
		{"0.0.0.0:25", tlsNone, true, false, true, ""},
		{"0.0.0.0:25", tlsStartTLS, true, false, false, ""},
	}
	for _, tt := range tests {
		logs := &logBuffer{}
		d := &daemon{opts: &options{allowInsecureAuth: tt.insec}, log: logs.logger()}
		if tt.users {
			d.users = auth.Users{"u": auth.PlainPassword("p")}
		}
		if tt.allow {
			d.opts.allowNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		}
		d.warnExposure(listenSpec{addr: netip.MustParseAddrPort(tt.listen), mode: tt.mode})
		got := logs.String()
		if tt.warning == "" && got != "" || tt.warning != "" && !strings.Contains(got, tt.warning) {
			t.Errorf("%+v: log %q", tt, got)
		}
	}
}

func TestSelfSignedCertificate(t *testing.T) {
	t.Parallel()
	o := &options{hostname: "mail.example.org", listeners: []listenSpec{
		{addr: netip.MustParseAddrPort("192.0.2.7:25")}, {addr: netip.MustParseAddrPort("0.0.0.0:26")},
	}}
	cert, err := selfSignedCertificate(o, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"localhost", "mail.example.org", "127.0.0.1", "::1", "192.0.2.7"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if leaf.VerifyHostname("0.0.0.0") == nil {
		t.Error("the certificate names the unspecified address")
	}
}

// TestCertReloader: a renewed certificate is served without a restart.
func TestCertReloader(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(name string, mod time.Time) []byte {
		cert, err := selfSignedCertificate(&options{hostname: name}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		testutil.WriteFile(t, dir, "cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})), 0o644)
		testutil.WriteFile(t, dir, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})), 0o600)
		for _, f := range []string{certFile, keyFile} {
			if err := os.Chtimes(f, mod, mod); err != nil {
				t.Fatal(err)
			}
		}
		return cert.Certificate[0]
	}
	first := write("first.example", time.Now().Add(-time.Hour))
	cfg, err := loadTLS(&options{tlsCertFile: certFile, tlsKeyFile: keyFile}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.GetCertificate(nil)
	if err != nil || string(got.Certificate[0]) != string(first) {
		t.Fatalf("first certificate not served (%v)", err)
	}
	second := write("second.example", time.Now())
	got, err = cfg.GetCertificate(nil)
	if err != nil || string(got.Certificate[0]) != string(second) {
		t.Errorf("renewed certificate not served (%v)", err)
	}
	// A half-written renewal keeps the working pair.
	testutil.WriteFile(t, dir, "cert.pem", "garbage", 0o644)
	got, err = cfg.GetCertificate(nil)
	if err != nil || string(got.Certificate[0]) != string(second) {
		t.Errorf("broken renewal: %v", err)
	}
}
