package oauth2

import (
	"bytes"
	"context"
	"fmt"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// TestMsmtpProcesses runs the real msmtp binary: 20 concurrent processes on one expired
// token refresh it once; 20 more with a stale token the server refuses refresh once more and
// retry; a revoked grant exits 77 naming the login command; an unreachable token endpoint
// exits 75. No refresh token is lost on the way.
func TestMsmtpProcesses(t *testing.T) {
	bin := testutil.Binary(t, "msmtp")
	idp := newFakeIdP(t)
	idp.set(func(f *fakeIdP) { f.refreshDelay = 200 * time.Millisecond })
	smtpd := newFakeSMTP(t, func(tok string) bool { a, _, _ := idp.state(); return tok == a })
	dir := testutil.TempDir(t)
	store := filepath.Join(dir, "tok.json")
	rc := testutil.WriteFile(t, dir, "rc", fmt.Sprintf(`account acct
host 127.0.0.1
port %d
from joe@example.org
user joe@example.org
auth xoauth2
oauth2_provider custom
oauth2_client_id msmtp-test
oauth2_token_endpoint %s
oauth2_scopes smtp offline_access
oauth2_token_store file:%s
`, smtpd.port(), idp.url("/token"), store), 0o600)
	fs := &FileStore{Path: store}
	ctx := context.Background()
	run := func(n int) ([]int, []string) {
		cmds := make([]*exec.Cmd, n)
		outs := make([]*bytes.Buffer, n)
		for i := range cmds {
			cmds[i] = exec.Command(bin, "-C", rc, "-a", "acct", "ann@example.org")
			cmds[i].Stdin = strings.NewReader("Subject: x\n\nhi\n")
			outs[i] = new(bytes.Buffer)
			cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
			if err := cmds[i].Start(); err != nil {
				t.Fatal(err)
			}
		}
		codes := make([]int, n)
		texts := make([]string, n)
		for i, c := range cmds {
			_ = c.Wait()
			codes[i], texts[i] = c.ProcessState.ExitCode(), outs[i].String()
		}
		return codes, texts
	}
	// 20 msmtp processes with an expired token.
	_ = fs.Save(ctx, Token{AccessToken: "at-0", Expiry: time.Now().Add(-time.Hour), RefreshToken: "rt-0"})
	codes, texts := run(20)
	for i := range codes {
		if codes[i] != 0 {
			t.Errorf("process %d: %d %s", i, codes[i], texts[i])
		}
	}
	_, rt, n := idp.state()
	acc, ref := smtpd.counts()
	t.Logf("expired: refreshes %d, accepted %d, refused %d", n, acc, len(ref))
	if n != 1 || acc != 20 || load(t, fs).RefreshToken != rt {
		t.Errorf("expired token: %d refreshes, %d mails accepted, refresh token kept %v; want 1, 20, true", n, acc, load(t, fs).RefreshToken == rt)
	}
	// stale token refused by the server: 20 processes
	_ = fs.Save(ctx, Token{AccessToken: "at-stale", Expiry: time.Now().Add(time.Hour), RefreshToken: rt})
	codes, texts = run(20)
	for i := range codes {
		if codes[i] != 0 {
			t.Errorf("process %d: %d %s", i, codes[i], texts[i])
		}
	}
	_, rt, n = idp.state()
	acc, ref = smtpd.counts()
	t.Logf("stale: refreshes %d, accepted %d, refused %d", n, acc, len(ref))
	if n != 2 || acc != 40 || load(t, fs).RefreshToken != rt {
		t.Errorf("stale token: %d refreshes in all, %d mails accepted, refresh token kept %v; want 2, 40, true", n, acc, load(t, fs).RefreshToken == rt)
	}
	// revoked
	idp.set(func(f *fakeIdP) { f.revoked = true })
	_ = fs.Save(ctx, Token{AccessToken: "x", Expiry: time.Now().Add(-time.Hour), RefreshToken: rt})
	codes, texts = run(1)
	if codes[0] != 77 || !strings.Contains(texts[0], "msmtp --oauth2-login -a acct") {
		t.Errorf("revoked grant: exit %d, want 77 and a hint to log in again:\n%s", codes[0], texts[0])
	}
	// endpoint down
	idp.srv.Close()
	codes, texts = run(1)
	if codes[0] != 75 {
		t.Errorf("token endpoint down: exit %d, want 75:\n%s", codes[0], texts[0])
	}
}

func TestMsmtpdInProcess(t *testing.T) {
	bin := testutil.Binary(t, "msmtpd")
	idp := newFakeIdP(t)
	idp.set(func(f *fakeIdP) { f.refreshDelay = 200 * time.Millisecond })
	smtpd := newFakeSMTP(t, func(tok string) bool { a, _, _ := idp.state(); return tok == a })
	dir := testutil.TempDir(t)
	store := filepath.Join(dir, "tok.json")
	rc := testutil.WriteFile(t, dir, "rc", fmt.Sprintf(`account acct
host 127.0.0.1
port %d
from joe@example.org
user joe@example.org
auth xoauth2
oauth2_provider custom
oauth2_client_id msmtp-test
oauth2_token_endpoint %s
oauth2_token_store file:%s
`, smtpd.port(), idp.url("/token"), store), 0o600)
	fs := &FileStore{Path: store}
	_ = fs.Save(context.Background(), Token{AccessToken: "at-0", Expiry: time.Now().Add(-time.Hour), RefreshToken: "rt-0"})
	// start runs an msmtpd and returns its port.
	start := func(name string) string {
		portFile := filepath.Join(dir, name+".port")
		cmd := exec.Command(bin, "--interface=127.0.0.1", "--port=0", "--port-file="+portFile, "-C", rc, "--account=acct", "--log=stderr")
		var logb strings.Builder
		cmd.Stderr = &logb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("%s's log:\n%s", name, logb.String())
			}
		})
		for range 500 {
			if b, err := os.ReadFile(portFile); err == nil && len(b) > 0 {
				return strings.TrimSpace(string(b))
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("%s did not start", name)
		return ""
	}
	port := start("msmtpd")
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() {
			errs[i] = smtp.SendMail("127.0.0.1:"+port, nil, "printer@example.org", []string{"ann@example.org"}, []byte("Subject: x\r\n\r\nhi\r\n"))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
	_, _, n := idp.state()
	acc, _ := smtpd.counts()
	t.Logf("msmtpd: refreshes %d, accepted %d", n, acc)
	if n != 1 || acc != 10 {
		t.Errorf("%d refreshes and %d mails accepted, want 1 and 10", n, acc)
	}
	idp.set(func(f *fakeIdP) { f.revoked = true })
	_ = fs.Save(context.Background(), Token{AccessToken: "x", Expiry: time.Now().Add(-time.Hour), RefreshToken: "rt-1"})
	// A fresh msmtpd: the first one may still hold an authenticated upstream session, which
	// legitimately carries mail without a new token.
	port = start("msmtpd-after-revocation")
	err := smtp.SendMail("127.0.0.1:"+port, nil, "printer@example.org", []string{"ann@example.org"}, []byte("Subject: x\r\n\r\nhi\r\n"))
	if err == nil || !strings.Contains(err.Error(), "451") {
		t.Errorf("revoked grant: the client got %v, want a 451", err)
	}
}
