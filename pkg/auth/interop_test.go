package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/msmtp-go/msmtp/pkg/auth"
	"github.com/xdg-go/scram"
)

// selfSigned makes a throw-away certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// authBackend is a go-smtp backend whose sessions offer our mechanisms; SCRAM-PLUS binds to
// the session's own TLS connection through ChannelBindingFromTLS, so the test checks that
// client and server derive the same data.
type authBackend struct {
	scr1 *scram.Server
	scr2 *scram.Server
}

func (b *authBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &authSession{b: b, conn: c}, nil
}

type authSession struct {
	b    *authBackend
	conn *smtp.Conn
}

func (s *authSession) AuthMechanisms() []string {
	return []string{"PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS"}
}

func (s *authSession) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case "PLAIN":
		return auth.NewPlainServer(userSecret), nil
	case "LOGIN":
		return auth.NewLoginServer(userSecret), nil
	}
	srv := s.b.scr2
	if strings.HasPrefix(mech, "SCRAM-SHA-1") {
		srv = s.b.scr1
	}
	cs, ok := s.conn.TLSConnectionState()
	if !ok {
		return nil, errors.New("no TLS")
	}
	cb, err := auth.ChannelBindingFromTLS(&cs)
	if err != nil {
		return nil, err
	}
	scb := scram.ChannelBinding{Type: scram.ChannelBindingType(cb.Type), Data: cb.Data}
	if strings.HasSuffix(mech, "-PLUS") {
		return &scramServer{conv: srv.NewConversationWithChannelBindingRequired(scb)}, nil
	}
	return &scramServer{conv: srv.NewConversationWithChannelBinding(scb)}, nil
}

func (s *authSession) Reset()                               {}
func (s *authSession) Logout() error                        { return nil }
func (s *authSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *authSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *authSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }

var _ smtp.AuthSession = (*authSession)(nil)

// startServer runs a go-smtp server with implicit TLS capped at maxVersion on 127.0.0.1:0.
func startServer(t *testing.T, maxVersion uint16) string {
	t.Helper()
	be := &authBackend{
		scr1: newSCRAMServer(t, auth.SCRAMSHA1, "user", "secret"),
		scr2: newSCRAMServer(t, auth.SCRAMSHA256, "user", "secret"),
	}
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	cfg := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}, MaxVersion: maxVersion}
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(l)
	}()
	t.Cleanup(func() {
		_ = s.Close()
		<-done
	})
	return l.Addr().String()
}

// TestInteropGoSMTP runs every mechanism the go-smtp server offers through go-smtp's client
// over real TLS 1.3 and 1.2 connections: tls-exporter and tls-unique channel binding are
// derived independently on both ends.
func TestInteropGoSMTP(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		name    string
		version uint16
		cbType  auth.ChannelBindingType
	}{{"TLS1.3", tls.VersionTLS13, auth.TLSExporter}, {"TLS1.2", tls.VersionTLS12, auth.TLSUnique}} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			addr := startServer(t, v.version)
			for _, tt := range []struct {
				mech     auth.Mechanism
				password string
				wantOK   bool
			}{
				{auth.Plain, "secret", true},
				{auth.Plain, "wrong", false},
				{auth.Login, "secret", true},
				{auth.SCRAMSHA1, "secret", true},
				{auth.SCRAMSHA256, "secret", true},
				{auth.SCRAMSHA1Plus, "secret", true},
				{auth.SCRAMSHA256Plus, "secret", true},
				{auth.SCRAMSHA256Plus, "wrong", false},
			} {
				t.Run(string(tt.mech)+"/"+tt.password, func(t *testing.T) {
					conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
					if err != nil {
						t.Fatal(err)
					}
					c := smtp.NewClient(conn)
					defer c.Close()
					if err := c.Hello("localhost"); err != nil {
						t.Fatal(err)
					}
					cs := conn.ConnectionState()
					cb, err := auth.ChannelBindingFromTLS(&cs)
					if err != nil {
						t.Fatal(err)
					}
					if cb.Type != v.cbType {
						t.Fatalf("channel binding type %s, want %s", cb.Type, v.cbType)
					}
					_, offered := c.Extension("AUTH")
					mech, err := auth.Choose(auth.Selection{Requested: tt.mech, Offered: strings.Fields(offered),
						TLS: true, ChannelBinding: true})
					if err != nil {
						t.Fatal(err)
					}
					client := mustClient(t, auth.Params{Mechanism: mech, User: "user", Password: tt.password, ChannelBinding: &cb})
					err = c.Auth(client)
					if (err == nil) != tt.wantOK {
						t.Fatalf("Auth: %v, want ok=%v", err, tt.wantOK)
					}
					if m, ok := client.(auth.MutualClient); ok && tt.wantOK && !m.ServerVerified() {
						t.Error("server not verified after success")
					}
					_ = c.Quit()
				})
			}
		})
	}
}

// TestAutomaticChoiceOverTLS: against a server offering everything, automatic choice over a
// real TLS 1.3 connection picks SCRAM-SHA-256-PLUS (spec-mail-smtp.md §10 item 48) and it works.
func TestAutomaticChoiceOverTLS(t *testing.T) {
	t.Parallel()
	addr := startServer(t, tls.VersionTLS13)
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		t.Fatal(err)
	}
	cs := conn.ConnectionState()
	cb, cbErr := auth.ChannelBindingFromTLS(&cs)
	_, offered := c.Extension("AUTH")
	mech, err := auth.Choose(auth.Selection{Offered: strings.Fields(offered), TLS: true, ChannelBinding: cbErr == nil})
	if err != nil || mech != auth.SCRAMSHA256Plus {
		t.Fatalf("Choose = %s, %v", mech, err)
	}
	if err := c.Auth(mustClient(t, auth.Params{Mechanism: mech, User: "user", Password: "secret", ChannelBinding: &cb})); err != nil {
		t.Fatal(err)
	}
	_ = c.Quit()
}

func TestChannelBindingFromTLSWithoutHandshake(t *testing.T) {
	t.Parallel()
	for _, cs := range []*tls.ConnectionState{nil, {}, {HandshakeComplete: true, Version: tls.VersionTLS12}} {
		if _, err := auth.ChannelBindingFromTLS(cs); !errors.Is(err, auth.ErrNoChannelBinding) {
			t.Errorf("%+v: %v, want ErrNoChannelBinding", cs, err)
		}
	}
}
