package server_test

import (
	"flag"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestDialogues plays every transcript in testdata/dialog against a server on 127.0.0.1.
// The transcript's header configures the server and states expectations:
//
//	auth: PLAIN LOGIN         mechanisms offered (user joe, password s3cret)
//	auth-required: yes        MAIL needs AUTH first
//	insecure-auth: yes        AUTH allowed without TLS from anywhere
//	starttls: yes             a certificate is configured
//	implicit-tls: yes         the server runs ServeTLS (the script starts with !tls)
//	remote: 192.0.2.7:4321    the address the server sees for the client
//	hostname: NAME            Server.Hostname
//	max-size, max-rcpts, max-bad, max-line: N   the limits
//	auth-delays: N            how many times AUTH answers were delayed
//	aborted: N                how many Data readers failed
//	log: MESSAGE              a log record with this message must exist
//
// What reached the backend is compared with NAME.mail (go test -update rewrites it).
func TestDialogues(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/dialog/*.smtp")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no dialogues found")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".smtp")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runDialogue(t, f)
		})
	}
}

func runDialogue(t *testing.T, file string) {
	script, err := smtptest.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	be := &recBackend{}
	srv, logs, sleeps := newServer(t, be)
	tc := certs(t)
	l := listen(t)
	mode := servePlain
	var wantDelays, wantAborted int
	var wantLogs []string
	for _, f := range script.Header {
		switch f.Key {
		case "auth":
			for _, m := range strings.Fields(f.Value) {
				switch m {
				case "PLAIN":
					srv.Auth = append(srv.Auth, plainMech())
				case "LOGIN":
					srv.Auth = append(srv.Auth, loginMech())
				default:
					t.Fatalf("unknown mechanism %q", m)
				}
			}
		case "auth-required":
			srv.AuthRequired = f.Value == "yes"
		case "insecure-auth":
			srv.AllowInsecureAuth = f.Value == "yes"
		case "starttls":
			srv.TLSConfig = tc.server
		case "implicit-tls":
			srv.TLSConfig = tc.server
			mode = serveImplicitTLS
		case "remote":
			addr, err := net.ResolveTCPAddr("tcp", f.Value)
			if err != nil {
				t.Fatal(err)
			}
			l = remoteListener{Listener: l, remote: addr}
		case "hostname":
			srv.Hostname = f.Value
		case "max-size":
			srv.MaxMessageBytes = int64(atoi(t, f.Value))
		case "max-rcpts":
			srv.MaxRecipients = atoi(t, f.Value)
		case "max-bad":
			srv.MaxBadCommands = atoi(t, f.Value)
		case "max-line":
			srv.MaxLineLength = atoi(t, f.Value)
		case "auth-delays":
			wantDelays = atoi(t, f.Value)
		case "aborted":
			wantAborted = atoi(t, f.Value)
		case "log":
			wantLogs = append(wantLogs, f.Value)
		default:
			t.Fatalf("unknown header field %q", f.Key)
		}
	}
	serve(t, srv, l, mode)
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	playErr := smtptest.PlayClient(conn, script, smtptest.PlayOptions{TLSConfig: tc.client, Logf: t.Logf})
	shutdown(t, srv) // waits for the session to end, so the backend's record is complete
	if playErr != nil {
		t.Fatal(playErr)
	}

	got := formatMails(be.delivered())
	golden := strings.TrimSuffix(file, ".smtp") + ".mail"
	if *update {
		if got == "" {
			_ = os.Remove(golden)
		} else if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("delivered mail mismatch (-%s +got):\n%s", golden, diff)
	}
	if n := sleeps.count(); n != wantDelays {
		t.Errorf("AUTH answers delayed %d times, want %d", n, wantDelays)
	}
	be.mu.Lock()
	aborted := len(be.aborted)
	be.mu.Unlock()
	if aborted != wantAborted {
		t.Errorf("%d Data readers failed, want %d", aborted, wantAborted)
	}
	for _, msg := range wantLogs {
		if len(logs.find(msg)) == 0 {
			t.Errorf("no log record %q", msg)
		}
	}
	for _, r := range logs.all() {
		for k, v := range r.Attrs {
			if strings.Contains(v, testPassword) {
				t.Errorf("log record %q attribute %s shows the password: %q", r.Msg, k, v)
			}
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
