package queue

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// The crash and multi-process tests run this test binary again as a child process, with
// its job in environment variables.
const (
	childEnv   = "MSMTP_QUEUE_TEST_CHILD" // "crash" or "runner"
	dirEnv     = "MSMTP_QUEUE_TEST_DIR"
	crashAtEnv = "MSMTP_QUEUE_TEST_CRASH_AT"
	logEnv     = "MSMTP_QUEUE_TEST_LOG"
	ackEnv     = "MSMTP_QUEUE_TEST_ACK"
	goEnv      = "MSMTP_QUEUE_TEST_GO"
)

// crashMessage is message k of the crash test; a delivered copy must match it byte for byte.
func crashMessage(k int) string {
	return fmt.Sprintf("From: joe@example.org\nSubject: crash %d\n\n", k) + strings.Repeat(fmt.Sprintf("line of message %d\n", k), 1500)
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// crashEnvelope is the envelope of message k: one plain recipient and a second that the
// child's server defers (partial success), or rejects (a bounce); message 4 has the null
// sender and one rejected recipient, so it ends in failed/.
const crashMessages = 4

func crashEnvelope(k int) Envelope {
	e := env("joe@example.org", fmt.Sprintf("a%d@example.com", k))
	switch k {
	case 2:
		e.Recipients = append(e.Recipients, Recipient{Address: "slow@example.com"})
	case 3:
		e.Recipients = append(e.Recipients, Recipient{Address: "bad@example.com"})
	case 4:
		e = env("", "bad@example.com")
	}
	e.Extras = map[string]string{"k": strconv.Itoa(k)}
	return e
}

// logTransport plays the SMTP server: it appends a line per accepted recipient to a log
// file before it answers, as a server commits a message before its 250.
type logTransport struct {
	mu      sync.Mutex
	path    string
	deferTo string // this recipient is deferred
	msgCost time.Duration
}

func (tr *logTransport) Open(context.Context, AccountRef) (Session, error) { return tr, nil }
func (tr *logTransport) Reset(context.Context) error                       { return nil }
func (tr *logTransport) Close() error                                      { return nil }

func (tr *logTransport) Send(_ context.Context, msg *Message) ([]Outcome, error) {
	var data strings.Builder
	if _, err := bufio.NewReader(msg.Data).WriteTo(&data); err != nil {
		return nil, err
	}
	time.Sleep(tr.msgCost)
	var lines []string
	outs := make([]Outcome, len(msg.Recipients))
	for i, r := range msg.Recipients {
		switch {
		case msg.Size < 0:
			lines = append(lines, fmt.Sprintf("BOUNCE %s %s", msg.Envelope.ID, r.Address))
			outs[i] = Outcome{Status: Delivered}
		case r.Address == "bad@example.com":
			outs[i] = Outcome{Status: Rejected, Reply: []string{"550 5.1.1 no such user"}}
		case r.Address == tr.deferTo:
			outs[i] = Outcome{Status: Deferred, Text: "try later"}
		default:
			lines = append(lines, fmt.Sprintf("DELIVER %s %s %s %s", msg.Envelope.ID, msg.Envelope.Extras["k"], r.Address, digest(data.String())))
			outs[i] = Outcome{Status: Delivered}
		}
	}
	if len(lines) > 0 {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		f, err := os.OpenFile(tr.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// TestQueueChild is the child process's entry point; it does nothing in a normal run.
func TestQueueChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("helper process for the crash and multi-process tests")
	}
	dir := os.Getenv(dirEnv)
	switch mode {
	case "crash":
		crashAt, _ := strconv.Atoi(os.Getenv(crashAtEnv))
		steps := 0
		q, err := Open(dir, Options{Step: func(string) {
			steps++
			if steps == crashAt {
				crashNow()
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		ack, err := os.OpenFile(os.Getenv(ackEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		for k := 1; k <= crashMessages; k++ {
			id, err := q.Enqueue(context.Background(), crashEnvelope(k), strings.NewReader(crashMessage(k)))
			if err != nil {
				t.Fatal(err)
			}
			// The caller's "250": written only after Enqueue returned.
			if _, err := fmt.Fprintf(ack, "%d %s\n", k, id); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := q.Run(context.Background(), RunOptions{Transport: &logTransport{path: os.Getenv(logEnv), deferTo: "slow@example.com"}}); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("steps=%d\n", steps)
	case "runner":
		q, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
			if _, err := os.Stat(os.Getenv(goEnv)); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no go signal")
			}
		}
		if _, err := q.Run(context.Background(), RunOptions{Transport: &logTransport{path: os.Getenv(logEnv), msgCost: 2 * time.Millisecond}}); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown child mode %q", mode)
	}
}

func childCommand(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^TestQueueChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestCrashAtEveryStep kills a child process at each durable step of enqueueing and
// delivery in turn, then checks what the next process finds: every message is in the
// queue whole or not at all, every message whose Enqueue returned is delivered (once or,
// after a crash between the server's acceptance and the envelope update, twice), no
// delivered copy differs from the original, and nothing is left behind after a run.
func TestCrashAtEveryStep(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a process per step")
	}
	for n := 1; ; n++ {
		if n > 200 {
			t.Fatal("the child never finished")
		}
		base := testutil.TempDir(t)
		dir := filepath.Join(base, "queue")
		logPath, ackPath := filepath.Join(base, "server.log"), filepath.Join(base, "acked")
		cmd := childCommand(t, childEnv+"=crash", dirEnv+"="+dir, crashAtEnv+"="+strconv.Itoa(n),
			logEnv+"="+logPath, ackEnv+"="+ackPath)
		out, err := cmd.CombinedOutput()
		finished := err == nil
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) || strings.Contains(string(out), "--- FAIL") {
				t.Fatalf("step %d: child failed: %v\n%s", n, err, out)
			}
		}
		checkAfterCrash(t, n, dir, logPath, ackPath)
		if finished {
			if !strings.Contains(string(out), "steps=") {
				t.Fatalf("child finished without reporting its steps:\n%s", out)
			}
			t.Logf("crashed at each of %d steps; %s", n-1, strings.TrimSpace(string(out[strings.Index(string(out), "steps="):])))
			return
		}
	}
}

func checkAfterCrash(t *testing.T, n int, dir, logPath, ackPath string) {
	t.Helper()
	q, err := Open(dir, Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("step %d: %v", n, err)
	}
	// Before anything repairs it: every envelope parses and its data is whole.
	envIDs, err := q.envelopeIDs(q.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range envIDs {
		e, err := q.readEnvelope(q.envPath(id), id)
		if err != nil {
			t.Fatalf("step %d: envelope %s: %v", n, id, err)
		}
		k, _ := strconv.Atoi(e.Extras["k"])
		data, err := os.ReadFile(q.dataPath(id))
		if errors.Is(err, os.ErrNotExist) {
			data, err = os.ReadFile(q.failedPath(id, dataSuffix)) // an interrupted move to failed/
		}
		if err != nil || string(data) != crashMessage(k) {
			t.Fatalf("step %d: message %s (k=%d) is not whole: %v", n, id, k, err)
		}
	}

	// The next process delivers everything (the server now accepts slow@).
	parent := &logTransport{path: logPath}
	if _, err := q.Run(context.Background(), RunOptions{Transport: parent, Force: true}); err != nil {
		t.Fatalf("step %d: %v", n, err)
	}
	// Nothing is left in the queue; failed/ holds message 4, whole, if it was queued.
	inFailed := map[string]bool{}
	for _, f := range dirFiles(t, q) {
		rest, ok := strings.CutPrefix(f, "failed/")
		if !ok {
			t.Fatalf("step %d: left behind after a run: %s", n, f)
		}
		inFailed[rest] = true
	}
	failedIDs, err := q.envelopeIDs(q.failedDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range failedIDs {
		e, err := q.readEnvelope(q.failedPath(id, envSuffix), id)
		if err != nil || e.Extras["k"] != "4" || !inFailed[string(id)+reasonSuffix] ||
			readAll(t, q.failedPath(id, dataSuffix)) != crashMessage(4) {
			t.Fatalf("step %d: failed/%s is not message 4, whole, with a reason (%v)", n, id, err)
		}
		delete(inFailed, string(id)+envSuffix)
		delete(inFailed, string(id)+dataSuffix)
		delete(inFailed, string(id)+reasonSuffix)
	}
	if len(inFailed) != 0 {
		t.Fatalf("step %d: stray files in failed/: %v", n, inFailed)
	}

	acked := map[string]int{} // ID → k
	if b, err := os.ReadFile(ackPath); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var k int
			var id string
			if _, err := fmt.Sscanf(l, "%d %s", &k, &id); err == nil {
				acked[id] = k
			}
		}
	}
	delivered := map[string]bool{} // "ID rcpt"
	if b, err := os.ReadFile(logPath); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) == 5 && f[0] == "DELIVER":
				k, _ := strconv.Atoi(f[2])
				if f[4] != digest(crashMessage(k)) {
					t.Fatalf("step %d: a corrupt copy of message %d was delivered: %s", n, k, l)
				}
				delivered[f[1]+" "+f[3]] = true
			case len(f) == 3 && f[0] == "BOUNCE":
				delivered[f[1]+" bounce"] = true
			case len(f) == 0:
			default:
				t.Fatalf("step %d: bad log line %q", n, l)
			}
		}
	}
	for id, k := range acked {
		if k == 4 {
			if !slices.Contains(failedIDs, ID(id)) {
				t.Fatalf("step %d: message %s (k=4) was acknowledged but is not in failed/", n, id)
			}
			continue
		}
		for _, r := range crashEnvelope(k).Recipients {
			key := id + " " + r.Address
			if r.Address == "bad@example.com" {
				key = id + " bounce"
			}
			if !delivered[key] {
				t.Fatalf("step %d: message %s (k=%d) was acknowledged but %q never happened", n, id, k, key)
			}
		}
	}
}

// Two processes running the same queue at the same time send each message exactly once.
func TestTwoProcessesNeverSendTwice(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	base := testutil.TempDir(t)
	dir := filepath.Join(base, "queue")
	q, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	want := map[ID]bool{}
	for i := range n {
		e := env("joe@example.org", fmt.Sprintf("r%d@example.com", i))
		e.Account = fmt.Sprintf("acct%d", i%3)
		e.Extras = map[string]string{"k": "1"}
		want[mustEnqueue(t, q, e, crashMessage(1))] = true
	}
	goFile := filepath.Join(base, "go")
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for i := range 2 {
		cmd := childCommand(t, childEnv+"=runner", dirEnv+"="+dir, logEnv+"="+filepath.Join(base, fmt.Sprintf("log%d", i)), goEnv+"="+goFile)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("runner %d: %v\n%s", i, err, outs[i])
		}
	}
	count := map[ID]int{}
	per := [2]int{}
	for i := range 2 {
		b, err := os.ReadFile(filepath.Join(base, fmt.Sprintf("log%d", i)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if f := strings.Fields(l); len(f) == 5 {
				count[ID(f[1])]++
				per[i]++
			}
		}
	}
	for id := range want {
		if count[id] != 1 {
			t.Errorf("%s sent %d times", id, count[id])
		}
	}
	if len(count) != n {
		t.Errorf("%d messages sent, want %d", len(count), n)
	}
	t.Logf("runner 0 sent %d, runner 1 sent %d", per[0], per[1])
	if l := mustList(t, q); len(l) != 0 {
		t.Errorf("%d messages left", len(l))
	}
}
