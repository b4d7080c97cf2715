package queue

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// splitArgs is a stand-in for the caller's msmtp option parser: it takes "-f SENDER",
// "-a ACCOUNT" and the recipients after "--".
func splitArgs(item MsmtpqItem) (Envelope, io.Reader, error) {
	f := strings.Fields(item.Args)
	e := Envelope{Extras: map[string]string{"msmtpq_id": item.ID}}
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case "-f":
			i++
			e.Sender = f[i]
		case "-a":
			i++
			e.Account = f[i]
		case "--":
			for _, r := range f[i+1:] {
				e.Recipients = append(e.Recipients, Recipient{Address: r})
			}
			i = len(f)
		case "-t":
			return e, nil, errors.New("-t is not supported by this converter")
		}
	}
	return e, item.Mail, nil
}

func TestImportMsmtpq(t *testing.T) {
	t.Parallel()
	old := testutil.TempDir(t)
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(old, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// msmtpq 1.8.23 and HEAD IDs; a -t item the converter refuses; a .mail without
	// its .msmtp; a stray file.
	write("2024-01-02-10.00.00.mail", mail("first"))
	write("2024-01-02-10.00.00.msmtp", "-a work -f joe@example.org -- ann@example.com bob@example.com\n")
	write("2024-01-02-10.00.01-4c1f3b0e-1a2b-4c3d-9e8f-001122334455.mail", mail("second"))
	write("2024-01-02-10.00.01-4c1f3b0e-1a2b-4c3d-9e8f-001122334455.msmtp", "-f joe@example.org -- cy@example.com")
	write("2024-01-02-10.00.02.mail", mail("third"))
	write("2024-01-02-10.00.02.msmtp", "-t\n")
	write("2024-01-02-10.00.03.mail", mail("orphan"))
	write("README", "not a queue item")

	q, _ := newQueue(t, Options{})
	rep, err := q.ImportMsmtpq(context.Background(), old, splitArgs)
	if err != nil {
		t.Fatal(err)
	}
	var imported, failed []string
	for _, it := range rep.Imported {
		imported = append(imported, it.MsmtpqID+"="+string(it.ID))
	}
	for _, f := range rep.Failed {
		failed = append(failed, f.MsmtpqID)
	}
	equalLines(t, "imported", imported, []string{
		"2024-01-02-10.00.00=M0001",
		"2024-01-02-10.00.01-4c1f3b0e-1a2b-4c3d-9e8f-001122334455=M0002",
	})
	equalLines(t, "failed", failed, []string{"2024-01-02-10.00.02", "2024-01-02-10.00.03"})

	l := mustList(t, q)
	if len(l) != 2 {
		t.Fatalf("queued %d", len(l))
	}
	e := l[0].Envelope
	if e.Account != "work" || e.Sender != "joe@example.org" || len(e.Recipients) != 2 ||
		e.Extras["msmtpq_id"] != "2024-01-02-10.00.00" || !e.Created.Equal(t0) {
		t.Errorf("envelope %+v", e)
	}
	if got := readAll(t, q.dataPath(e.ID)); got != mail("first") {
		t.Errorf("data %q", got)
	}
	// Imported items are gone from the old queue; the others and the lock are not.
	var left []string
	des, _ := os.ReadDir(old)
	for _, de := range des {
		left = append(left, de.Name())
	}
	slices.Sort(left)
	equalLines(t, "left in the old queue", left, []string{
		"2024-01-02-10.00.02.mail", "2024-01-02-10.00.02.msmtp", "2024-01-02-10.00.03.mail", "README"})
}

func TestImportMsmtpqLocked(t *testing.T) {
	t.Parallel()
	old := testutil.TempDir(t)
	if err := os.Mkdir(filepath.Join(old, ".lock"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, "x.mail"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	q, _ := newQueue(t, Options{})
	_, err := q.ImportMsmtpq(context.Background(), old, splitArgs)
	if !errors.Is(err, ErrMsmtpqLocked) {
		t.Errorf("ImportMsmtpq with msmtpq's lock held = %v", err)
	}
	if _, err := os.Stat(filepath.Join(old, ".lock")); err != nil {
		t.Errorf("someone else's lock was removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(old, "x.mail")); err != nil {
		t.Errorf("item touched: %v", err)
	}
}
