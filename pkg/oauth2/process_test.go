package oauth2

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// The environment of a helper process: the test binary run again as a small msmtp that
// sends one mail through the fake servers with a Source on the shared store.
const (
	helperEnv      = "MSMTP_OAUTH2_TEST_HELPER" // the store's path
	helperTokenURL = "MSMTP_OAUTH2_TEST_TOKEN_URL"
	helperSMTP     = "MSMTP_OAUTH2_TEST_SMTP_PORT"
	helperStart    = "MSMTP_OAUTH2_TEST_START" // a file whose appearance starts all helpers at once
)

func TestMain(m *testing.M) {
	if store := os.Getenv(helperEnv); store != "" {
		os.Exit(helperMain(store))
	}
	os.Exit(testutil.Main(m))
}

// helperMain waits for the start file, sends one mail and prints the access token it used
// last. It uses the real clock: the parent sets the store's expiry in real time.
func helperMain(store string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		if _, err := os.Stat(os.Getenv(helperStart)); err == nil {
			break
		}
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "helper: no start signal")
			return 1
		}
		time.Sleep(5 * time.Millisecond)
	}
	port, _ := strconv.Atoi(os.Getenv(helperSMTP))
	src := NewSource(Config{Account: "acct", ClientID: "msmtp-test", TokenURL: os.Getenv(helperTokenURL)}, &FileStore{Path: store}, Options{})
	if err := send(ctx, src, port); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	tok, err := src.Token(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	fmt.Println(tok)
	return 0
}

// TestConcurrentProcesses runs 20 processes that send through one account at the same
// moment, twice: first with an expired token, then with a token that has not expired but that
// the SMTP server refuses (535). Each time exactly one process refreshes (the provider
// rotates the refresh token and refuses old ones, so a lost rotation would show as
// invalid_grant), and every process sends with the new token.
func TestConcurrentProcesses(t *testing.T) {
	t.Parallel()
	const n = 20
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	idp := newFakeIdP(t)
	idp.set(func(f *fakeIdP) { f.refreshDelay = 200 * time.Millisecond }) // the others queue at the lock
	smtpd := newFakeSMTP(t, func(tok string) bool {
		access, _, _ := idp.state()
		return tok == access
	})
	dir := testutil.TempDir(t)
	store := &FileStore{Path: filepath.Join(dir, "acct.json")}
	ctx := testContext(t)

	for round, stored := range []Token{
		{AccessToken: "at-0", Expiry: time.Now().Add(-time.Minute), RefreshToken: "rt-0"},  // expired
		{AccessToken: "at-stale", Expiry: time.Now().Add(time.Hour), RefreshToken: "rt-1"}, // refused by the server
	} {
		if err := store.Save(ctx, stored); err != nil {
			t.Fatal(err)
		}
		start := filepath.Join(dir, fmt.Sprintf("start-%d", round))
		cmds := make([]*exec.Cmd, n)
		outs := make([]*bytes.Buffer, n)
		for i := range cmds {
			cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+store.Path, helperTokenURL+"="+idp.url("/token"),
				helperSMTP+"="+strconv.Itoa(smtpd.port()), helperStart+"="+start)
			outs[i] = new(bytes.Buffer)
			cmd.Stdout, cmd.Stderr = outs[i], outs[i]
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds[i] = cmd
		}
		if err := os.WriteFile(start, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Errorf("round %d, process %d: %v\n%s", round, i, err, outs[i])
			}
		}
		access, refresh, refreshes := idp.state()
		if refreshes != round+1 {
			t.Errorf("round %d: %d refreshes in total, want %d", round, refreshes, round+1)
		}
		for i, out := range outs {
			if got := strings.TrimSpace(out.String()); got != access {
				t.Errorf("round %d, process %d used %q, want %s", round, i, got, access)
			}
		}
		if got := load(t, store); got.RefreshToken != refresh || got.AccessToken != access {
			t.Fatalf("round %d: stored %s/%s, provider %s/%s: a token was lost", round, got.AccessToken, got.RefreshToken, access, refresh)
		}
		accepted, refused := smtpd.counts()
		if accepted != n*(round+1) {
			t.Errorf("round %d: %d sessions accepted in total, want %d", round, accepted, n*(round+1))
		}
		// Processes that read the store before the refresh try the stale token once; the
		// later ones read the new token.
		if round == 1 && (len(refused) < 1 || len(refused) > n || slices.ContainsFunc(refused, func(s string) bool { return s != "at-stale" })) {
			t.Errorf("round 1: refused tokens %q; want 1 to %d times at-stale", refused, n)
		}
	}
}
