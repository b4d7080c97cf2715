package queue

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != strings.ReplaceAll(string(want), "\r\n", "\n") {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestWriteMailq(t *testing.T) {
	t.Parallel()
	fresh := env("joe@example.org", "ann@example.com")
	fresh.ID, fresh.Created = "6754A3C1F0E2B9", t0

	retrying := env("", "bob@example.net", "cy@example.net", "done@example.net")
	retrying.ID, retrying.Created = "M0002", t0.Add(-26*time.Hour)
	retrying.Attempts, retrying.NextAttempt = 7, t0.Add(64*time.Minute)
	retrying.LastError = "cannot connect to mail.example.net, port 587: Connection refused"
	retrying.Recipients[1].Error = "452 4.2.2 mailbox full"
	retrying.Recipients[2].State = StateDelivered

	once := env("joe@example.org", "dan@example.com")
	once.ID, once.Created = "M0003", t0.Add(time.Hour)
	once.Attempts, once.NextAttempt, once.LastError = 1, t0.Add(61*time.Minute), "451 4.3.0\r\ntry later"

	for _, e := range []*Envelope{&fresh, &retrying, &once} {
		for i := range e.Recipients {
			if e.Recipients[i].State == "" {
				e.Recipients[i].State = StatePending
			}
		}
	}
	entries := []Entry{{fresh, 1234}, {retrying, 20480}, {once, 1}}
	var b strings.Builder
	if err := WriteMailq(&b, entries, MailqOptions{Location: time.UTC}); err != nil {
		t.Fatal(err)
	}
	golden(t, "mailq/queue.golden", b.String())

	b.Reset()
	if err := WriteMailq(&b, []Entry{{once, 1}}, MailqOptions{Location: time.UTC}); err != nil {
		t.Fatal(err)
	}
	golden(t, "mailq/one.golden", b.String())

	b.Reset()
	if err := WriteMailq(&b, nil, MailqOptions{}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "Mail queue is empty\n" {
		t.Errorf("empty queue: %q", b.String())
	}
}
