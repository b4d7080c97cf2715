package server_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/server"
)

// realClientServer starts a server with STARTTLS, PLAIN and LOGIN for the real-client tests.
func realClientServer(t *testing.T) (*server.Server, *recBackend, string, testCerts) {
	t.Helper()
	tc := certs(t)
	be := &recBackend{}
	srv, _, _ := newServer(t, be)
	srv.TLSConfig = tc.server
	srv.Auth = []server.AuthMechanism{plainMech(), loginMech()}
	srv.MaxMessageBytes = 1 << 20
	l := listen(t)
	serve(t, srv, l, servePlain)
	return srv, be, l.Addr().String(), tc
}

// runTool runs an external client with a timeout and returns its combined output.
func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "HOME="+testutil.TempDir(t))
	out, err := cmd.CombinedOutput()
	t.Logf("%s output:\n%s", name, out)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

const pythonClient = `
import smtplib, ssl, sys
host, port, mode, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = smtplib.SMTP(host, port, timeout=20)
s.set_debuglevel(1)
s.ehlo("python.example")
if "tls" in mode:
    s.starttls(context=ssl.create_default_context(cafile=cafile))
    s.ehlo("python.example")
if "plain" in mode:
    s.login("joe", "s3cret")
if "login" in mode:
    s.user, s.password = "joe", "s3cret"
    s.auth("LOGIN", s.auth_login)
sender, opts = "a@example.com", []
if "utf8" in mode:
    sender, opts = "j\u00f6rg@ex\u00e4mple.com", ["SMTPUTF8"]
msg = "Subject: from python\r\n\r\n.leading dot\r\nbody\r\n"
refused = s.sendmail(sender, ["b@example.org", "c@example.org"], msg.encode(), mail_options=opts)
assert refused == {}, refused
s.quit()
`

// TestPythonSmtplib runs Python's smtplib against the server, plain, with STARTTLS, with
// AUTH PLAIN and LOGIN, and with SMTPUTF8. Skipped without python3.
func TestPythonSmtplib(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	dir := testutil.TempDir(t)
	script := testutil.WriteFile(t, dir, "client.py", pythonClient, 0o644)
	for _, mode := range []string{"cleartext", "tls", "plain", "tls+plain", "tls+login", "utf8"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			srv, be, addr, tc := realClientServer(t)
			ca := testutil.WriteFile(t, testutil.TempDir(t), "ca.pem", string(tc.caPEM), 0o644)
			host, port, _ := strings.Cut(addr, ":")
			runTool(t, python, script, host, port, mode, ca)
			shutdown(t, srv)
			mails := be.delivered()
			if len(mails) != 1 {
				t.Fatalf("%d mails, want 1", len(mails))
			}
			m := mails[0]
			if diff := cmp.Diff([]string{"b@example.org", "c@example.org"}, m.Rcpts); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
			if !strings.HasSuffix(string(m.Data), "Subject: from python\r\n\r\n.leading dot\r\nbody\r\n") {
				t.Errorf("data %q", m.Data)
			}
			if tlsOn := m.Conn.TLS != nil; tlsOn != strings.Contains(mode, "tls") {
				t.Errorf("TLS %v in mode %s", tlsOn, mode)
			}
			wantUser := ""
			if strings.Contains(mode, "plain") || strings.Contains(mode, "login") {
				wantUser = testUser
			}
			if m.Conn.User != wantUser {
				t.Errorf("user %q, want %q", m.Conn.User, wantUser)
			}
			if mode == "utf8" && (m.From != "jörg@exämple.com" || !m.MailOpts.SMTPUTF8) {
				t.Errorf("from %q %+v", m.From, m.MailOpts)
			}
		})
	}
}

// TestSwaks runs swaks against the server. Skipped without swaks.
func TestSwaks(t *testing.T) {
	t.Parallel()
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks not installed")
	}
	support, _ := exec.Command(swaks, "--support").CombinedOutput()
	haveTLS := strings.Contains(string(support), "TLS supported")
	tests := []struct {
		name string
		args []string
		user string
		tls  bool
	}{
		{name: "plain"},
		{name: "pipelining", args: []string{"--pipeline"}},
		{name: "starttls", args: []string{"--tls", "--tls-verify", "--tls-ca-path", "CA"}, tls: true},
		{name: "auth-plain", args: []string{"--auth", "PLAIN", "--auth-user", testUser, "--auth-password", testPassword}, user: testUser},
		{name: "tls-auth-login", args: []string{"--tls", "--tls-verify", "--tls-ca-path", "CA", "--auth", "LOGIN", "--auth-user", testUser, "--auth-password", testPassword}, user: testUser, tls: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.tls && !haveTLS {
				t.Skip("swaks has no TLS support (Net::SSLeay)")
			}
			srv, be, addr, tc := realClientServer(t)
			ca := testutil.WriteFile(t, testutil.TempDir(t), "ca.pem", string(tc.caPEM), 0o644)
			args := []string{"--server", addr, "--from", "a@example.com", "--to", "b@example.org",
				"--helo", "swaks.example", "--body", "hello from swaks", "--timeout", "20"}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "CA", ca))
			}
			runTool(t, swaks, args...)
			shutdown(t, srv)
			mails := be.delivered()
			if len(mails) != 1 {
				t.Fatalf("%d mails, want 1", len(mails))
			}
			m := mails[0]
			if m.Conn.User != tt.user || (m.Conn.TLS != nil) != tt.tls || m.Conn.Hello != "swaks.example" {
				t.Errorf("conn %+v", m.Conn)
			}
			if !strings.Contains(string(m.Data), "hello from swaks") {
				t.Errorf("data %q", m.Data)
			}
		})
	}
}

// TestGoSMTPClient drives the server with go-smtp's client: STARTTLS with the test CA, AUTH
// PLAIN, SIZE, DSN parameters, SMTPUTF8, and a SIZE refusal.
func TestGoSMTPClient(t *testing.T) {
	t.Parallel()
	srv, be, addr, tc := realClientServer(t)
	// go-smtp says EHLO localhost before STARTTLS and cannot change it afterwards.
	c, err := gosmtp.DialStartTLS(addr, tc.client)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", testUser, testPassword)); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "DSN"} {
		if ok, _ := c.Extension(ext); !ok {
			t.Errorf("extension %s not advertised", ext)
		}
	}
	if n, ok := c.MaxMessageSize(); !ok || n != 1<<20 {
		t.Errorf("MaxMessageSize = %d, %v", n, ok)
	}
	err = c.Mail("a@example.com", &gosmtp.MailOptions{Size: 2 << 20})
	var se *gosmtp.SMTPError
	if !errors.As(err, &se) || se.Code != 552 || se.EnhancedCode != (gosmtp.EnhancedCode{5, 3, 4}) {
		t.Errorf("oversized MAIL: %v, want 552 5.3.4", err)
	}
	if err := c.Mail("a@example.com", &gosmtp.MailOptions{Size: 100, UTF8: true, Return: gosmtp.DSNReturnHeaders, EnvelopeID: "id+1 x"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("jörg@exämple.org", &gosmtp.RcptOptions{
		Notify:                []gosmtp.DSNNotify{gosmtp.DSNNotifySuccess, gosmtp.DSNNotifyFailure},
		OriginalRecipientType: gosmtp.DSNAddressTypeRFC822,
		OriginalRecipient:     "b+x@example.org",
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("unknown@example.org", nil); !errors.As(err, &se) || se.Code != 550 {
		t.Errorf("RCPT unknown: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("Subject: go-smtp\r\n\r\n.dot\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	shutdown(t, srv)
	mails := be.delivered()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	m := mails[0]
	wantMail := server.MailOptions{Size: 100, Body: server.Body8BitMIME, SMTPUTF8: true, Return: server.ReturnHeaders, EnvelopeID: "id+1 x"}
	if diff := cmp.Diff(wantMail, m.MailOpts); diff != "" {
		t.Errorf("mail options (-want +got):\n%s", diff)
	}
	wantRcpt := server.RcptOptions{Notify: []server.DSNNotify{server.NotifySuccess, server.NotifyFailure}, OriginalRecipientType: "RFC822", OriginalRecipient: "b+x@example.org"}
	if diff := cmp.Diff([]server.RcptOptions{wantRcpt}, m.RcptOpts); diff != "" {
		t.Errorf("rcpt options (-want +got):\n%s", diff)
	}
	if m.Conn.User != testUser || m.Conn.TLS == nil || m.Rcpts[0] != "jörg@exämple.org" {
		t.Errorf("conn %+v rcpts %q", m.Conn, m.Rcpts)
	}
	if !strings.Contains(string(m.Data), "with UTF8SMTPSA;") || !strings.HasSuffix(string(m.Data), "\r\n\r\n.dot\r\n") {
		t.Errorf("data %q", m.Data)
	}
}

// TestMsmtpClient sends a mail with the installed msmtp (Debian's 1.8.23, the reference
// client) through the server, with STARTTLS and AUTH PLAIN. Skipped without msmtp.
func TestMsmtpClient(t *testing.T) {
	t.Parallel()
	msmtp, err := exec.LookPath("msmtp")
	if err != nil {
		t.Skip("msmtp not installed")
	}
	srv, be, addr, tc := realClientServer(t)
	dir := testutil.TempDir(t)
	ca := testutil.WriteFile(t, dir, "ca.pem", string(tc.caPEM), 0o644)
	rc := testutil.WriteFile(t, dir, "msmtprc", "", 0o600)
	mailFile := testutil.WriteFile(t, dir, "mail", "Subject: from msmtp\n\n.dot\nbody\n", 0o644)
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, msmtp, "-C", rc, "--host="+host, "--port="+port, "--tls=on",
		"--tls-trust-file="+ca, "--auth=plain", "--user="+testUser, "--passwordeval=echo "+testPassword,
		"--domain=msmtp.example", "-f", "a@example.com", "b@example.org")
	in, err := os.Open(mailFile)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd.Stdin = in
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("msmtp: %v\n%s", err, out)
	}
	shutdown(t, srv)
	mails := be.delivered()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	m := mails[0]
	if m.Conn.User != testUser || m.Conn.TLS == nil || m.Conn.Hello != "msmtp.example" {
		t.Errorf("conn %+v", m.Conn)
	}
	if !strings.Contains(string(m.Data), "Subject: from msmtp\r\n\r\n.dot\r\nbody\r\n") {
		t.Errorf("data %q", m.Data)
	}
}
