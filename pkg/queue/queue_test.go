package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

func TestEnqueueListDropPurge(t *testing.T) {
	t.Parallel()
	q, clk := newQueue(t, Options{})
	a := mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), mail("one"))
	clk.Advance(time.Minute)
	b := mustEnqueue(t, q, env("", "bob@example.com", "cy@example.com"), mail("two"))
	clk.Advance(time.Minute)
	c := mustEnqueue(t, q, env("joe@example.org", "dan@example.com"), mail("three"))

	l := mustList(t, q)
	equalLines(t, "IDs", toStrings(ids(l)), []string{string(a), string(b), string(c)})
	if got, want := l[1].Size, int64(len(mail("two"))); got != want {
		t.Errorf("size = %d, want %d", got, want)
	}
	e := l[1].Envelope
	if e.Sender != "" || len(e.Recipients) != 2 || e.Recipients[1].State != StatePending ||
		!e.Created.Equal(t0.Add(time.Minute)) || e.Account != "default" || e.ConfigFile != "/etc/msmtprc" {
		t.Errorf("envelope = %+v", e)
	}
	if got := readAll(t, q.dataPath(b)); got != mail("two") {
		t.Errorf("data = %q", got)
	}

	if err := q.Drop(b); err != nil {
		t.Fatalf("Drop: %v", err)
	}
	if err := q.Drop(b); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Drop = %v, want ErrNotFound", err)
	}
	if err := q.Drop("../x"); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Drop(../x) = %v, want ErrInvalidID", err)
	}
	equalLines(t, "IDs after drop", toStrings(ids(mustList(t, q))), []string{string(a), string(c)})

	n, err := q.Purge()
	if err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2, nil", n, err)
	}
	if l := mustList(t, q); len(l) != 0 {
		t.Errorf("after purge: %v", ids(l))
	}
	equalLines(t, "files", dirFiles(t, q), nil)
}

func toStrings(ids []ID) []string {
	var s []string
	for _, id := range ids {
		s = append(s, string(id))
	}
	return s
}

// A message a runner holds cannot be dropped, and Purge leaves it.
func TestDropLocked(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	id := mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), mail("x"))
	other := mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), mail("y"))
	c, err := q.claim(id)
	if err != nil || c == nil {
		t.Fatalf("claim = %v, %v", c, err)
	}
	if err := q.Drop(id); !errors.Is(err, ErrLocked) {
		t.Errorf("Drop of a claimed message = %v, want ErrLocked", err)
	}
	n, err := q.Purge()
	if n != 1 || !errors.Is(err, ErrLocked) {
		t.Errorf("Purge = %d, %v; want 1 and ErrLocked", n, err)
	}
	c.release()
	equalLines(t, "left", toStrings(ids(mustList(t, q))), []string{string(id)})
	_ = other
	if err := q.Drop(id); err != nil {
		t.Errorf("Drop after release: %v", err)
	}
}

func TestEnqueueRejectsBadEnvelopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  Envelope
	}{
		{"no recipients", env("joe@example.org")},
		{"empty recipient", env("joe@example.org", "")},
		{"CRLF in recipient", env("joe@example.org", "a@b\r\nBcc: x@y")},
		{"LF in sender", env("joe@example.org\nX: y", "a@b")},
		{"bad RET", func() Envelope { e := env("a@b", "c@d"); e.Ret = "ALL"; return e }()},
		{"bad NOTIFY", func() Envelope {
			e := env("a@b", "c@d")
			e.Recipients[0].Notify = []string{"NEVER", "FAILURE"}
			return e
		}()},
		{"bad state", func() Envelope { e := env("a@b", "c@d"); e.Recipients[0].State = "lost"; return e }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, _ := newQueue(t, Options{})
			_, err := q.Enqueue(context.Background(), tt.env, strings.NewReader("x"))
			var ee *EnvelopeError
			if !errors.As(err, &ee) {
				t.Fatalf("Enqueue = %v, want *EnvelopeError", err)
			}
			equalLines(t, "files", dirFiles(t, q), nil)
		})
	}
}

// A failing reader (msmtp's stdin, msmtpd's client vanishing) queues nothing.
func TestEnqueueInputError(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	boom := errors.New("connection reset")
	_, err := q.Enqueue(context.Background(), env("a@b", "c@d"), &errReader{data: strings.Repeat("x", 100000), err: boom})
	var ie *InputError
	if !errors.As(err, &ie) || !errors.Is(err, boom) {
		t.Fatalf("Enqueue = %v, want *InputError wrapping the reader's error", err)
	}
	var se *StorageError
	if errors.As(err, &se) {
		t.Errorf("a reader failure must not look like a storage failure: %v", err)
	}
	equalLines(t, "files", dirFiles(t, q), nil)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Enqueue(ctx, env("a@b", "c@d"), strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Enqueue with a cancelled context = %v", err)
	}
	equalLines(t, "files", dirFiles(t, q), nil)
}

// An ID that is taken is skipped; an ID source that keeps colliding is an error.
func TestEnqueueIDCollision(t *testing.T) {
	t.Parallel()
	same := func() ID { return "SAME" }
	q, _ := newQueue(t, Options{NewID: same})
	mustEnqueue(t, q, env("a@b", "c@d"), "1")
	_, err := q.Enqueue(context.Background(), env("a@b", "c@d"), strings.NewReader("2"))
	var se *StorageError
	if !errors.As(err, &se) {
		t.Fatalf("Enqueue with a colliding ID source = %v, want *StorageError", err)
	}
	equalLines(t, "files", dirFiles(t, q), []string{"SAME.eml", "SAME.env"})

	n := 0
	seq := func() ID { n++; return []ID{"A1", "A1", "A2"}[min(n-1, 2)] }
	q2, _ := newQueue(t, Options{NewID: seq})
	mustEnqueue(t, q2, env("a@b", "c@d"), "1")
	if id := mustEnqueue(t, q2, env("a@b", "c@d"), "2"); id != "A2" {
		t.Errorf("second ID = %s, want A2", id)
	}

	q3, _ := newQueue(t, Options{NewID: func() ID { return "bad/id" }})
	if _, err := q3.Enqueue(context.Background(), env("a@b", "c@d"), strings.NewReader("x")); !errors.Is(err, ErrInvalidID) {
		t.Errorf("invalid ID from the source: %v", err)
	}
}

// The default IDs are valid, unique and start with the time.
func TestRandomIDs(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{NewID: nil})
	q.newID = q.randomID
	seen := map[ID]bool{}
	for range 200 {
		id := mustEnqueue(t, q, env("a@b", "c@d"), "x")
		if !id.Valid() || len(id) != 14 || !strings.HasPrefix(string(id), fmt.Sprintf("%08X", t0.Unix())) || seen[id] {
			t.Fatalf("ID %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
}

func TestOpenCreatesPrivateDirs(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testutil.TempDir(t), "a", "b", "queue")
	if _, err := Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "failed")} {
		fi, err := os.Stat(d)
		if err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v", d, err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 && os.PathSeparator == '/' {
			t.Errorf("%s has mode %v, want no group or other access", d, perm)
		}
	}
	// A file where the directory should be is a storage error.
	file := filepath.Join(testutil.TempDir(t), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var se *StorageError
	if _, err := Open(file, Options{}); !errors.As(err, &se) {
		t.Errorf("Open(file) = %v, want *StorageError", err)
	}
	// So is a directory that cannot be made.
	f := &faultFS{fail: func(_ int, op string) error {
		if strings.HasPrefix(op, "mkdir") {
			return syscall.EACCES
		}
		return nil
	}}
	if _, err := Open(filepath.Join(testutil.TempDir(t), "new"), Options{FS: f}); !errors.As(err, &se) || !errors.Is(err, syscall.EACCES) {
		t.Errorf("Open with mkdir failing = %v", err)
	}
}

func TestListFailed(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	id := mustEnqueue(t, q, env("", "ann@example.com"), mail("x"))
	tr := &fakeTransport{rule: func(*Message, string) Outcome {
		return Outcome{Status: Rejected, Reply: []string{"550 5.1.1 no such user"}}
	}}
	mustRun(t, q, RunOptions{Transport: tr})
	l, err := q.ListFailed()
	if err != nil || len(l) != 1 {
		t.Fatalf("ListFailed = %v, %v", l, err)
	}
	f := l[0]
	if f.ID != id || f.Envelope == nil || f.Envelope.Recipients[0].State != StateFailed ||
		f.Size != int64(len(mail("x"))) || !strings.Contains(f.Reason, "null sender") ||
		!strings.Contains(f.Reason, "550 5.1.1 no such user") {
		t.Errorf("failed entry = %+v", f)
	}
}
