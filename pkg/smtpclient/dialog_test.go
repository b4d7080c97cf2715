package smtpclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/msmtp-go/msmtp/pkg/smtp"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

var update = flag.Bool("update", false, "rewrite the golden debug transcripts in testdata/dialog")

// TestDialogs plays every testdata/dialog/*.smtp transcript against the client. The header
// of each file says how to configure the client and what must come out; see runDialog.
func TestDialogs(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/dialog/*.smtp")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dialogs: %v", err)
	}
	for _, file := range files {
		script, err := smtptest.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(filepath.Base(file), ".smtp"), func(t *testing.T) {
			t.Parallel()
			runDialog(t, script)
		})
	}
}

// kindNames names the error kinds for the `kind:` header.
func kindNames() map[string]error {
	return map[string]error{
		"ErrHostNotFound":    ErrHostNotFound,
		"ErrConnect":         ErrConnect,
		"ErrIO":              ErrIO,
		"ErrProtocol":        ErrProtocol,
		"ErrUnavailable":     ErrUnavailable,
		"ErrUnsupported":     ErrUnsupported,
		"ErrAuthFailed":      ErrAuthFailed,
		"ErrTLSHandshake":    ErrTLSHandshake,
		"ErrCertificate":     ErrCertificate,
		"ErrOS":              ErrOS,
		"ErrRejected":        ErrRejected,
		"ErrTooBig":          ErrTooBig,
		"ErrInput":           ErrInput,
		"ErrInvalidArgument": ErrInvalidArgument,
		"ErrClosed":          ErrClosed,
		"ErrEmptyReply":      smtp.ErrEmptyReply,
		"ErrInvalidReply":    smtp.ErrInvalidReply,
		"ErrReplyTooLong":    smtp.ErrReplyTooLong,
	}
}

// exitCode is the mapping of the package documentation, as pkg/delivery implements it; the
// dialogs' `exit:` lines check that every error carries what that mapping needs.
func exitCode(err error) int {
	var e *Error
	if err == nil {
		return 0
	}
	if !errors.As(err, &e) {
		return -1
	}
	switch {
	case errors.Is(err, ErrHostNotFound):
		return 68
	case errors.Is(err, ErrConnect):
		return 75
	case errors.Is(err, ErrIO), errors.Is(err, ErrInput):
		return 74
	case errors.Is(err, ErrProtocol):
		return 76
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrCertificate):
		return 69
	case errors.Is(err, ErrAuthFailed):
		return 77
	case errors.Is(err, ErrOS):
		return 71
	case errors.Is(err, ErrTooBig):
		return 65
	case errors.Is(err, ErrInvalidArgument):
		return 64
	case errors.Is(err, ErrRejected):
		switch {
		case e.Op == OpEndOfData:
			return 69
		case e.Op == OpETRN:
			return 65
		case e.Reply != nil && e.Reply.Temporary():
			return 69
		}
		return 65
	}
	return 70
}

// plainAuth authenticates with go-sasl's PLAIN client as user "user", password "secret".
func plainAuth(*Capabilities, *tls.ConnectionState) (sasl.Client, error) {
	return sasl.NewPlainClient("", "user", "secret"), nil
}

// scriptedMech is a test mechanism: Start gives mech and ir, and each Next returns the next
// response, or err once they run out.
type scriptedMech struct {
	mech      string
	ir        []byte
	responses []string
	err       error
	verified  *bool // when set, the mechanism is mutual and reports this
	got       []string
}

func (m *scriptedMech) Start() (string, []byte, error) { return m.mech, m.ir, nil }

func (m *scriptedMech) Next(challenge []byte) ([]byte, error) {
	m.got = append(m.got, string(challenge))
	if len(m.responses) == 0 {
		if m.err != nil {
			return nil, m.err
		}
		return nil, sasl.ErrUnexpectedServerChallenge
	}
	r := m.responses[0]
	m.responses = m.responses[1:]
	return []byte(r), nil
}

type mutualMech struct{ *scriptedMech }

func (m mutualMech) ServerVerified() bool { return *m.verified }

// authFor returns the Authenticate option for an `auth:` header.
func authFor(t *testing.T, name string) AuthFunc {
	switch name {
	case "":
		return nil
	case "plain":
		return plainAuth
	case "login":
		return func(*Capabilities, *tls.ConnectionState) (sasl.Client, error) {
			return &scriptedMech{mech: "LOGIN", responses: []string{"user", "secret"}}, nil
		}
	case "empty-ir":
		return func(*Capabilities, *tls.ConnectionState) (sasl.Client, error) {
			return &scriptedMech{mech: "EXTERNAL", ir: []byte{}}, nil
		}
	case "broken":
		return func(*Capabilities, *tls.ConnectionState) (sasl.Client, error) {
			return &scriptedMech{mech: "X-TEST", err: errors.New("server signature does not match")}, nil
		}
	case "unverified", "verified":
		return func(*Capabilities, *tls.ConnectionState) (sasl.Client, error) {
			v := name == "verified"
			return mutualMech{&scriptedMech{mech: "SCRAM-SHA-256", responses: []string{"n,,n=user,r=abc", ""}, verified: &v}}, nil
		}
	case "choose-fails":
		return func(caps *Capabilities, _ *tls.ConnectionState) (sasl.Client, error) {
			return nil, fmt.Errorf("the server does not support authentication method CRAM-MD5 (offered: %s)", strings.Join(caps.AuthMechanisms, " "))
		}
	case "none":
		return func(*Capabilities, *tls.ConnectionState) (sasl.Client, error) { return nil, nil }
	}
	t.Fatalf("unknown auth %q", name)
	return nil
}

// envelopeFrom builds the envelope of a dialog's header.
func envelopeFrom(t *testing.T, s *smtptest.Script) Envelope {
	env := Envelope{From: "a@example.com"}
	if v, ok := s.Get("from"); ok {
		env.From = v
	}
	for _, r := range s.Values("rcpt") {
		if strings.HasPrefix(r, `"`) {
			addr, err := strconv.Unquote(r)
			if err != nil {
				t.Fatal(err)
			}
			env.Recipients = append(env.Recipients, Recipient{Address: addr})
			continue
		}
		fields := strings.Fields(r)
		rc := Recipient{Address: fields[0]}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "NOTIFY":
				rc.Notify = v
			case "ORCPT":
				rc.OriginalRecipient = v
			default:
				t.Fatalf("bad rcpt field %q", f)
			}
		}
		env.Recipients = append(env.Recipients, rc)
	}
	if len(env.Recipients) == 0 {
		env.Recipients = []Recipient{{Address: "b@example.org"}}
	}
	if v, ok := s.Get("ret"); ok {
		env.Return = DSNReturn(v)
	}
	env.EnvelopeID, _ = s.Get("envid")
	if v, ok := s.Get("size"); ok {
		env.Size, _ = strconv.ParseInt(v, 10, 64)
	}
	return env
}

func bodyFrom(t *testing.T, s *smtptest.Script) []byte {
	if v, ok := s.Get("body-bytes"); ok {
		n, _ := strconv.Atoi(v)
		line := []byte("0123456789abcdefghijklmnopqrstuvwxyz012345678901234567890123456789\n")
		return bytes.Repeat(line, n/len(line)+1)[:n]
	}
	v, ok := s.Get("body")
	if !ok {
		return []byte("Subject: test\n\nbody\n")
	}
	b, err := strconv.Unquote(v)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return []byte(b)
}

// runDialog configures a client from the script's header, plays the script against it and
// checks the outcome. Header keys:
//
//	tls: starttls|implicit     protocol: lmtp         domain: D (default localhost)
//	timeout: DURATION          require: dsn|etrn      auth: plain|login|... (authFor)
//	trust: other|verify-fails  show-credentials: yes
//	action: send (default)|open|etrn ARG|send-reset-send
//	from, rcpt (repeatable: "addr NOTIFY=x ORCPT=y"), ret, envid, size, body (Go literal),
//	body-bytes: N (a generated body of N bytes)
//	error: exact text | error-re: regexp     kind: ErrX (repeatable)     op: OP
//	exit: N    reply: first line of Error.Reply    final: first line of Result.Reply
//	data-codes: LMTP codes after the data, blank-separated    mailsize: N
//	debug: golden file name under testdata/dialog for the --debug transcript
func runDialog(t *testing.T, s *smtptest.Script) {
	srv := smtptest.NewServer(t, s, smtptest.ServerOptions{Timeout: 5 * time.Second})
	opts := Options{Host: srv.Host(), Port: srv.Port(), Domain: "localhost", Timeout: 5 * time.Second}
	if v, ok := s.Get("domain"); ok {
		opts.Domain = v
	}
	if v, ok := s.Get("timeout"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		opts.Timeout = d
	}
	switch v, _ := s.Get("tls"); v {
	case "starttls":
		opts.TLS = StartTLS
	case "implicit":
		opts.TLS = ImplicitTLS
	}
	if opts.TLS != NoTLS {
		opts.TLSConfig = srv.ClientConfig("")
		if opts.TLSConfig == nil {
			opts.TLSConfig = &tls.Config{}
		}
	}
	switch v, _ := s.Get("trust"); v {
	case "other":
		opts.TLSConfig.RootCAs = smtptest.NewCA(t, smtptest.CertOptions{}).Pool
	case "verify-fails":
		opts.TLSConfig.VerifyConnection = func(tls.ConnectionState) error {
			return errors.New("TLS certificate verification failed: the certificate fingerprint does not match")
		}
	}
	if v, _ := s.Get("protocol"); v == "lmtp" {
		opts.Protocol = LMTP
	}
	for _, r := range s.Values("require") {
		switch r {
		case "dsn":
			opts.RequireDSN = true
		case "etrn":
			opts.RequireETRN = true
		}
	}
	authName, _ := s.Get("auth")
	opts.Authenticate = authFor(t, authName)
	if v, _ := s.Get("show-credentials"); v == "yes" {
		opts.ShowCredentials = true
	}
	var debug bytes.Buffer
	opts.Transcript = &debug

	action, _ := s.Get("action")
	var res *Result
	ctx := context.Background()
	c, err := Open(ctx, opts)
	if err == nil {
		switch {
		case action == "" || action == "send":
			res, err = c.Send(ctx, envelopeFrom(t, s), bytes.NewReader(bodyFrom(t, s)))
		case action == "send-reset-send":
			env := envelopeFrom(t, s)
			if _, err1 := c.Send(ctx, env, bytes.NewReader(bodyFrom(t, s))); err1 == nil {
				t.Error("first Send succeeded, the dialog wants it to fail")
			}
			if err = c.Reset(ctx); err == nil {
				res, err = c.Send(ctx, env, bytes.NewReader(bodyFrom(t, s)))
			}
		case strings.HasPrefix(action, "etrn "):
			_, err = c.ETRN(ctx, strings.TrimPrefix(action, "etrn "))
		case action == "open":
		default:
			t.Fatalf("unknown action %q", action)
		}
		if cerr := c.Close(); cerr != nil {
			t.Errorf("Close: %v", cerr)
		}
	}
	if werr := srv.Wait(); werr != nil {
		t.Errorf("server: %v", werr)
	}
	checkOutcome(t, s, err, res)
	if golden, ok := s.Get("debug"); ok {
		checkGolden(t, filepath.Join("testdata", "dialog", golden), debug.Bytes())
	}
}

func checkOutcome(t *testing.T, s *smtptest.Script, err error, res *Result) {
	t.Helper()
	wantErr, hasErr := s.Get("error")
	wantRe, hasRe := s.Get("error-re")
	switch {
	case !hasErr && !hasRe && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case (hasErr || hasRe) && err == nil:
		t.Fatalf("no error, want %q%s", wantErr, wantRe)
	case hasErr && err.Error() != wantErr:
		t.Errorf("error text\n got %q\nwant %q", err, wantErr)
	case hasRe && !regexp.MustCompile(`^(?:`+wantRe+`)$`).MatchString(err.Error()):
		t.Errorf("error text %q does not match %q", err, wantRe)
	}
	var e *Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("error %T is not an *Error", err)
	}
	kinds := kindNames()
	for _, k := range s.Values("kind") {
		if kinds[k] == nil {
			t.Fatalf("unknown kind %q", k)
		}
		if !errors.Is(err, kinds[k]) {
			t.Errorf("error %q is not %s", err, k)
		}
	}
	if v, ok := s.Get("op"); ok && (e == nil || string(e.Op) != v) {
		t.Errorf("op = %v, want %q", e, v)
	}
	if v, ok := s.Get("exit"); ok {
		if got := strconv.Itoa(exitCode(err)); got != v {
			t.Errorf("exit code %s, want %s", got, v)
		}
	}
	if v, ok := s.Get("reply"); ok {
		if e == nil || e.Reply == nil || e.Reply.Lines[0] != v {
			t.Errorf("error reply %+v, want first line %q", e, v)
		}
	}
	if v, ok := s.Get("final"); ok && (res == nil || res.Reply == nil || res.Reply.Lines[0] != v) {
		t.Errorf("final reply %+v, want %q", res, v)
	}
	if v, ok := s.Get("mailsize"); ok && (res == nil || strconv.FormatInt(res.Size, 10) != v) {
		t.Errorf("mail size %+v, want %s", res, v)
	}
	if v, ok := s.Get("data-codes"); ok {
		var got []string
		for _, r := range res.Recipients {
			if r.Data == nil {
				got = append(got, "-")
			} else {
				got = append(got, strconv.Itoa(r.Data.Code))
			}
		}
		if strings.Join(got, " ") != v {
			t.Errorf("LMTP data codes %q, want %q", strings.Join(got, " "), v)
		}
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got ---\n%s--- want ---\n%s", path, got, want)
	}
}
