package delivery_test

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/xdg-go/scram"

	"github.com/msmtp-go/msmtp/pkg/auth"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// goConfig describes a go-smtp server for the end-to-end tests: the other half, written by
// someone else, that records what it receives and verifies every SASL mechanism it offers,
// so a passing AUTH test means the exchange really was right.
type goConfig struct {
	// TLS is "", "starttls" or "implicit".
	TLS string
	// Cert is the server's certificate; nil means one for localhost and 127.0.0.1 from a
	// fresh CA (goServer.CA).
	Cert *tls.Certificate
	// MaxVersion caps the TLS version (tls.VersionTLS12 for tls-unique channel binding).
	MaxVersion uint16
	// ClientAuth and ClientCA make the server demand client certificates.
	ClientAuth tls.ClientAuthType
	ClientCA   *smtptest.CA
	// Mechs are the SASL mechanisms offered; none means no AUTH capability. Without TLS
	// they are offered all the same (go-smtp's AllowInsecureAuth).
	Mechs []string
	// User and Password are the only credentials accepted (the token for the OAuth2
	// mechanisms); Password defaults to "secret".
	User, Password string
	// DSN and SMTPUTF8 advertise those extensions.
	DSN, SMTPUTF8 bool
}

// gotMail is one mail the server accepted.
type gotMail struct {
	From     string
	MailOpts gosmtp.MailOptions
	Rcpts    []string
	RcptOpts []gosmtp.RcptOptions
	Data     string
	// TLS and the client's certificate subject and SNI, as the session saw them.
	TLS        bool
	ClientCert string
	ServerName string
	// Auth is "MECHANISM user" of the session's successful authentication, or "".
	Auth string
}

// goServer is a running go-smtp server on 127.0.0.1:0.
type goServer struct {
	Port int
	// CA issued the server's certificate (nil when goConfig.Cert was given); CAFile holds
	// it in PEM form for tls_trust_file.
	CA     *smtptest.CA
	CAFile string

	cfg  goConfig
	scr1 *scram.Server
	scr2 *scram.Server

	mu    sync.Mutex
	mails []gotMail
	auths []string // every AUTH attempt: "MECHANISM ok" or "MECHANISM failed"
}

func startGoServer(t *testing.T, cfg goConfig) *goServer {
	t.Helper()
	if cfg.Password == "" {
		cfg.Password = "secret"
	}
	s := &goServer{cfg: cfg}
	s.scr1 = newSCRAMServer(t, scram.SHA1, cfg.User, cfg.Password)
	s.scr2 = newSCRAMServer(t, scram.SHA256, cfg.User, cfg.Password)

	srv := gosmtp.NewServer(s)
	srv.Domain = "mx.test"
	srv.AllowInsecureAuth = true
	srv.EnableDSN = cfg.DSN
	srv.EnableSMTPUTF8 = cfg.SMTPUTF8
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)

	var l net.Listener
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	if cfg.TLS != "" {
		tc := &tls.Config{MaxVersion: cfg.MaxVersion, ClientAuth: cfg.ClientAuth}
		if cfg.Cert != nil {
			tc.Certificates = []tls.Certificate{*cfg.Cert}
		} else {
			s.CA = smtptest.NewCA(t, smtptest.CertOptions{})
			tc.Certificates = []tls.Certificate{s.CA.Issue(t, smtptest.CertOptions{}).TLS}
			s.CAFile = writeFile(t, tempDir(t), "server-ca.pem", s.CA.CertPEM)
		}
		if cfg.ClientCA != nil {
			tc.ClientCAs = cfg.ClientCA.Pool
		}
		if cfg.TLS == "implicit" {
			l = tls.NewListener(l, tc)
		} else {
			srv.TLSConfig = tc
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return s
}

// Mails returns the mails received so far.
func (s *goServer) Mails() []gotMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gotMail(nil), s.mails...)
}

// Auths returns the AUTH attempts so far.
func (s *goServer) Auths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

func (s *goServer) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	ss := &goSession{srv: s, conn: c}
	if cs, ok := c.TLSConnectionState(); ok {
		ss.mail.TLS = true
		ss.mail.ServerName = cs.ServerName
		if len(cs.PeerCertificates) > 0 {
			ss.mail.ClientCert = cs.PeerCertificates[0].Subject.String()
		}
	}
	return ss, nil
}

type goSession struct {
	srv  *goServer
	conn *gosmtp.Conn
	auth string
	mail gotMail
}

func (ss *goSession) AuthMechanisms() []string { return ss.srv.cfg.Mechs }

// errBadCredentials is the server's answer to wrong credentials.
var errBadCredentials = &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "authentication credentials invalid"}

func (ss *goSession) Auth(mech string) (sasl.Server, error) {
	cfg := ss.srv.cfg
	verify := func(user, password string) error {
		if user != cfg.User || password != cfg.Password {
			return errBadCredentials
		}
		return nil
	}
	var srv sasl.Server
	switch mech {
	case "PLAIN":
		srv = auth.NewPlainServer(verify)
	case "LOGIN":
		srv = auth.NewLoginServer(verify)
	case "CRAM-MD5":
		srv = &cramMD5Server{verify: func(user, digest string) error {
			mac := hmac.New(md5.New, []byte(cfg.Password))
			mac.Write([]byte(cramChallenge))
			if user != cfg.User || digest != hex.EncodeToString(mac.Sum(nil)) {
				return errBadCredentials
			}
			return nil
		}}
	case "XOAUTH2":
		srv = &xoauth2Server{verify: verify}
	case "OAUTHBEARER":
		srv = sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if o.Username != cfg.User || o.Token != cfg.Password || o.Host != "127.0.0.1" || o.Port != ss.srv.Port {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		})
	case "EXTERNAL":
		srv = sasl.NewExternalServer(func(identity string) error {
			if ss.mail.ClientCert == "" || identity != "" && identity != cfg.User {
				return errBadCredentials
			}
			return nil
		})
	case "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS":
		sc := ss.srv.scr2
		if strings.HasPrefix(mech, "SCRAM-SHA-1") {
			sc = ss.srv.scr1
		}
		conv := sc.NewConversation()
		if cs, ok := ss.conn.TLSConnectionState(); ok {
			// The server derives the binding from its own end of the connection: the
			// exchange only succeeds if both ends agree on it.
			cb, err := auth.ChannelBindingFromTLS(&cs)
			if err != nil {
				return nil, err
			}
			scb := scram.ChannelBinding{Type: scram.ChannelBindingType(cb.Type), Data: cb.Data}
			if strings.HasSuffix(mech, "-PLUS") {
				conv = sc.NewConversationWithChannelBindingRequired(scb)
			} else {
				conv = sc.NewConversationWithChannelBinding(scb)
			}
		}
		srv = &scramServer{conv: conv}
	default:
		return nil, gosmtp.ErrAuthUnknownMechanism
	}
	return &recordingSASL{Server: srv, done: func(ok bool) {
		ss.srv.mu.Lock()
		defer ss.srv.mu.Unlock()
		result := "failed"
		if ok {
			result = "ok"
			ss.auth = mech + " " + cfg.User
		}
		ss.srv.auths = append(ss.srv.auths, mech+" "+result)
	}}, nil
}

func (ss *goSession) Mail(from string, opts *gosmtp.MailOptions) error {
	ss.mail.From = from
	if opts != nil {
		ss.mail.MailOpts = *opts
	}
	return nil
}

func (ss *goSession) Rcpt(to string, opts *gosmtp.RcptOptions) error {
	ss.mail.Rcpts = append(ss.mail.Rcpts, to)
	if opts != nil {
		ss.mail.RcptOpts = append(ss.mail.RcptOpts, *opts)
	} else {
		ss.mail.RcptOpts = append(ss.mail.RcptOpts, gosmtp.RcptOptions{})
	}
	return nil
}

func (ss *goSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := ss.mail
	m.Data = string(b)
	m.Auth = ss.auth
	ss.srv.mu.Lock()
	ss.srv.mails = append(ss.srv.mails, m)
	ss.srv.mu.Unlock()
	return nil
}

func (ss *goSession) Reset() {
	ss.mail = gotMail{TLS: ss.mail.TLS, ClientCert: ss.mail.ClientCert, ServerName: ss.mail.ServerName}
}

func (ss *goSession) Logout() error { return nil }

var _ gosmtp.AuthSession = (*goSession)(nil)

// recordingSASL reports the end of an exchange.
type recordingSASL struct {
	sasl.Server
	done func(ok bool)
}

func (r *recordingSASL) Next(resp []byte) ([]byte, bool, error) {
	ch, done, err := r.Server.Next(resp)
	if done || err != nil {
		r.done(err == nil)
	}
	return ch, done, err
}

// cramChallenge is the challenge of RFC 2195's example.
const cramChallenge = "<1896.697170952@postoffice.reston.mci.net>"

// cramMD5Server is the server side of CRAM-MD5 (RFC 2195), which go-sasl does not have.
type cramMD5Server struct {
	verify  func(user, digest string) error
	started bool
}

func (s *cramMD5Server) Next(resp []byte) ([]byte, bool, error) {
	if !s.started {
		s.started = true
		return []byte(cramChallenge), false, nil
	}
	user, digest, ok := strings.Cut(string(resp), " ")
	if !ok {
		return nil, true, errBadCredentials
	}
	return nil, true, s.verify(user, digest)
}

// xoauth2Server is the server side of Google's XOAUTH2: one response
// "user=U\x01auth=Bearer TOKEN\x01\x01" after an empty challenge.
type xoauth2Server struct {
	verify  func(user, token string) error
	started bool
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if !s.started && resp == nil {
		s.started = true
		return []byte{}, false, nil
	}
	fields := strings.Split(string(resp), "\x01")
	if len(fields) != 4 || fields[2] != "" || fields[3] != "" ||
		!strings.HasPrefix(fields[0], "user=") || !strings.HasPrefix(fields[1], "auth=Bearer ") {
		return nil, true, fmt.Errorf("malformed XOAUTH2 response %q", resp)
	}
	return nil, true, s.verify(strings.TrimPrefix(fields[0], "user="), strings.TrimPrefix(fields[1], "auth=Bearer "))
}

// scramServer adapts an xdg-go/scram server conversation to go-sasl's Server.
type scramServer struct {
	conv *scram.ServerConversation
}

func (s *scramServer) Next(resp []byte) ([]byte, bool, error) {
	if resp == nil {
		return []byte{}, false, nil // AUTH without an initial response: an empty 334
	}
	if s.conv.Done() {
		if !s.conv.Valid() {
			return nil, true, errBadCredentials
		}
		if len(resp) != 0 {
			return nil, true, errors.New("expected an empty response after server-final")
		}
		return nil, true, nil
	}
	out, err := s.conv.Step(string(resp))
	if err != nil {
		return nil, true, errBadCredentials
	}
	return []byte(out), false, nil
}

func newSCRAMServer(t *testing.T, hash scram.HashGeneratorFcn, user, password string) *scram.Server {
	t.Helper()
	c, err := hash.NewClient(user, password, "")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: "pepper and salt", Iters: 4096})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := hash.NewServer(func(u string) (scram.StoredCredentials, error) {
		if u != user {
			return scram.StoredCredentials{}, errors.New("unknown user")
		}
		return creds, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}
