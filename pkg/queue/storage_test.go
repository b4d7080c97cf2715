package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// faultAt fails the n-th operation (counted from the last Reset) with err.
func faultAt(n int, err error) func(int, string) error {
	return func(i int, _ string) error {
		if i == n {
			return err
		}
		return nil
	}
}

// Every operation of Enqueue can fail — a full disk at each write, a failing sync or
// rename — and each time Enqueue reports a *StorageError, leaves no file of the failed
// message behind, and the queue goes on working.
func TestEnqueueStorageFailures(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("0123456789abcdef\n", 10000) // several buffered writes
	dry := &faultFS{}
	q, _ := newQueue(t, Options{FS: dry})
	mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), "first")
	dry.Reset(nil)
	mustEnqueue(t, q, env("joe@example.org", "bob@example.com"), big)
	ops := dry.Ops()
	t.Logf("operations of one Enqueue: %q", ops)
	for _, want := range []string{"create M0002.eml", "lock M0002.eml", "write M0002.eml", "sync M0002.eml",
		"create M0002.env.tmp", "sync M0002.env.tmp", "syncdir queue", "rename M0002.env.tmp"} {
		if !strings.Contains(strings.Join(ops, "|"), want) {
			t.Fatalf("no %q among the operations; the test would miss it", want)
		}
	}
	for i, op := range ops {
		for _, injected := range []error{syscall.ENOSPC, syscall.EIO} {
			t.Run(fmt.Sprintf("%d %s %v", i+1, op, injected), func(t *testing.T) {
				t.Parallel()
				f := &faultFS{}
				q, _ := newQueue(t, Options{FS: f})
				first := mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), "first")
				f.Reset(faultAt(i+1, injected))
				_, err := q.Enqueue(context.Background(), env("joe@example.org", "bob@example.com"), strings.NewReader(big))
				var se *StorageError
				if !errors.As(err, &se) || !errors.Is(err, injected) {
					t.Fatalf("Enqueue = %v, want a *StorageError wrapping %v", err, injected)
				}
				f.Reset(nil)
				equalLines(t, "files", dirFiles(t, q), []string{string(first) + ".eml", string(first) + ".env"})
				equalLines(t, "listed", toStrings(ids(mustList(t, q))), []string{string(first)})

				third := mustEnqueue(t, q, env("joe@example.org", "cy@example.com"), big)
				tr := &fakeTransport{}
				mustRun(t, q, RunOptions{Transport: tr})
				s := tr.Sent()
				if len(s) != 2 || s[0].Envelope.ID != first || s[1].Envelope.ID != third || s[1].Data != big {
					t.Errorf("delivered %d messages after the failure", len(s))
				}
				equalLines(t, "files after run", dirFiles(t, q), nil)
			})
		}
	}
}

// Every operation of a Run can fail too. The message is then neither lost nor corrupt: a
// later Run delivers it (perhaps a second time: at least once).
func TestRunStorageFailures(t *testing.T) {
	t.Parallel()
	scenarios := []struct {
		name string
		env  Envelope
		rule func(*Message, string) Outcome
	}{
		{"delivered", env("joe@example.org", "ann@example.com"), nil},
		{"deferred", env("joe@example.org", "ann@example.com"), func(*Message, string) Outcome {
			return Outcome{Status: Deferred, Text: "busy"}
		}},
		{"bounced", env("joe@example.org", "ann@example.com", "bad@example.com"), func(m *Message, r string) Outcome {
			if r == "bad@example.com" {
				return Outcome{Status: Rejected, Text: "550 no"}
			}
			return Outcome{Status: Delivered}
		}},
		{"to failed", env("", "bad@example.com"), func(*Message, string) Outcome {
			return Outcome{Status: Rejected, Text: "550 no"}
		}},
	}
	for _, sc := range scenarios {
		dry := &faultFS{}
		q, _ := newQueue(t, Options{FS: dry})
		mustEnqueue(t, q, sc.env, mail(sc.name))
		dry.Reset(nil)
		mustRun(t, q, RunOptions{Transport: &fakeTransport{rule: sc.rule}})
		ops := dry.Ops()
		for i, op := range ops {
			t.Run(fmt.Sprintf("%s/%d %s", sc.name, i+1, op), func(t *testing.T) {
				t.Parallel()
				f := &faultFS{}
				q, _ := newQueue(t, Options{FS: f})
				id := mustEnqueue(t, q, sc.env, mail(sc.name))
				f.Reset(faultAt(i+1, syscall.EIO))
				tr := &fakeTransport{rule: sc.rule}
				if _, err := q.Run(context.Background(), RunOptions{Transport: tr}); err != nil {
					var se *StorageError
					if !errors.As(err, &se) {
						t.Fatalf("Run = %v, want nil or a *StorageError", err)
					}
				}
				f.Reset(nil)
				// Whatever state the failure left, the queue holds the message whole
				// or has finished with it.
				for _, e := range mustList(t, q) {
					if got := readAll(t, q.dataPath(e.Envelope.ID)); got != mail(sc.name) {
						t.Errorf("data of %s = %q", e.Envelope.ID, got)
					}
				}
				ok := &fakeTransport{}
				mustRun(t, q, RunOptions{Transport: ok, Force: true})
				delivered := false
				for _, s := range append(tr.Sent(), ok.Sent()...) {
					if s.Envelope.ID == id && s.Size >= 0 && s.Data == mail(sc.name) {
						delivered = true
					}
				}
				if !delivered {
					t.Errorf("message never delivered whole")
				}
				// The clean run finishes the message: gone, or — when the failure
				// came after the result was recorded — in failed/ as planned.
				files := dirFiles(t, q)
				inFailed := []string{"failed/M0001.eml", "failed/M0001.env", "failed/M0001.reason"}
				if len(files) != 0 && !(sc.name == "to failed" && slices.Equal(files, inFailed)) {
					t.Errorf("left behind: %v", files)
				}
			})
		}
	}
}
