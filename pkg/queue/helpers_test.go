package queue

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// t0 is the fake clock's start: a fixed instant so that envelopes and mailq output are
// reproducible.
var t0 = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []clockWaiter
	waiting chan time.Duration // receives the duration of each After call, if non-nil
}

type clockWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, clockWaiter{c.now.Add(d), ch})
	w := c.waiting
	c.mu.Unlock()
	if w != nil {
		w <- d
	}
	return ch
}

// Advance moves the clock on and fires the waiters that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
}

// counterIDs returns an ID source giving M0001, M0002, ...
func counterIDs() func() ID {
	var mu sync.Mutex
	n := 0
	return func() ID {
		mu.Lock()
		defer mu.Unlock()
		n++
		return ID(fmt.Sprintf("M%04d", n))
	}
}

// testLogger logs through t.Log, so that a failing test shows what the queue did.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// discardLogger is for tests whose many log lines would only hide a failure.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newQueue opens a queue in a fresh directory with a fake clock and counter IDs.
func newQueue(t testing.TB, opts Options) (*Queue, *fakeClock) {
	t.Helper()
	dir := filepath.Join(testutil.TempDir(t), "queue")
	clk := newFakeClock()
	if opts.Clock == nil {
		opts.Clock = clk
	}
	if opts.NewID == nil {
		opts.NewID = counterIDs()
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	if opts.Hostname == "" {
		opts.Hostname = "relay.test"
	}
	q, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return q, clk
}

// env makes an envelope for the default account.
func env(sender string, rcpts ...string) Envelope {
	e := Envelope{Account: "default", ConfigFile: "/etc/msmtprc", Sender: sender}
	for _, r := range rcpts {
		e.Recipients = append(e.Recipients, Recipient{Address: r})
	}
	return e
}

// mail makes a small message.
func mail(subject string) string {
	return "From: joe@example.org\nTo: ann@example.com\nSubject: " + subject + "\n\nHello.\n"
}

func mustEnqueue(t testing.TB, q *Queue, e Envelope, data string) ID {
	t.Helper()
	id, err := q.Enqueue(context.Background(), e, strings.NewReader(data))
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return id
}

func mustList(t testing.TB, q *Queue) []Entry {
	t.Helper()
	l, err := q.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return l
}

func ids(l []Entry) []ID {
	var out []ID
	for _, e := range l {
		out = append(out, e.Envelope.ID)
	}
	return out
}

// dirFiles lists the names in dir and failed/, for checks that nothing is left behind.
func dirFiles(t testing.TB, q *Queue) []string {
	t.Helper()
	var names []string
	for _, d := range []string{q.dir, q.failedDir} {
		des, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, de := range des {
			if de.Name() == failedName && d == q.dir {
				continue
			}
			rel, _ := filepath.Rel(q.dir, filepath.Join(d, de.Name()))
			names = append(names, filepath.ToSlash(rel))
		}
	}
	slices.Sort(names)
	return names
}

// sent is one message a fakeTransport received.
type sent struct {
	Ref        AccountRef
	Envelope   Envelope
	Recipients []string
	Data       string
	Size       int64
}

// fakeTransport records what it is asked to do and answers as its rule says.
type fakeTransport struct {
	mu     sync.Mutex
	events []string // "open ACCOUNT", "send ID", "reset", "close"
	sent   []sent
	// openErr, if set, fails Open for an account.
	openErr func(AccountRef) error
	// rule decides the outcome for one recipient; nil delivers everything.
	rule func(msg *Message, rcpt string) Outcome
	// sendErr, if set, fails a Send as a whole (a broken session).
	sendErr func(msg *Message) error
	// resetErr, if set, fails Reset.
	resetErr error
	// openCost and msgCost simulate the time a session and a message take.
	openCost, msgCost time.Duration
	// block, if non-nil, is waited on inside Send (the test closes it).
	block chan struct{}
	// inSend, if non-nil, receives each message's ID when Send starts.
	inSend chan ID
}

func (tr *fakeTransport) event(s string) {
	tr.mu.Lock()
	tr.events = append(tr.events, s)
	tr.mu.Unlock()
}

func (tr *fakeTransport) Events() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.events)
}

func (tr *fakeTransport) Sent() []sent {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.sent)
}

func (tr *fakeTransport) Open(ctx context.Context, ref AccountRef) (Session, error) {
	pause(tr.openCost)
	tr.event("open " + ref.Account)
	if tr.openErr != nil {
		if err := tr.openErr(ref); err != nil {
			return nil, err
		}
	}
	return &fakeSession{tr: tr, ref: ref}, nil
}

type fakeSession struct {
	tr  *fakeTransport
	ref AccountRef
}

func (s *fakeSession) Send(ctx context.Context, msg *Message) ([]Outcome, error) {
	tr := s.tr
	if tr.inSend != nil {
		tr.inSend <- msg.Envelope.ID
	}
	if tr.block != nil {
		select {
		case <-tr.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	pause(tr.msgCost)
	data, err := io.ReadAll(msg.Data)
	if err != nil {
		return nil, err
	}
	name := "send " + string(msg.Envelope.ID)
	if msg.Size < 0 { // only bounces are built while they are sent
		name = "bounce " + string(msg.Envelope.ID)
	}
	tr.event(name)
	if tr.sendErr != nil {
		if err := tr.sendErr(msg); err != nil {
			return nil, err
		}
	}
	var rcpts []string
	outs := make([]Outcome, len(msg.Recipients))
	for i, r := range msg.Recipients {
		rcpts = append(rcpts, r.Address)
		outs[i] = Outcome{Status: Delivered}
		if tr.rule != nil {
			outs[i] = tr.rule(msg, r.Address)
		}
	}
	tr.mu.Lock()
	tr.sent = append(tr.sent, sent{Ref: s.ref, Envelope: msg.Envelope.Clone(), Recipients: rcpts, Data: string(data), Size: msg.Size})
	tr.mu.Unlock()
	return outs, nil
}

func (s *fakeSession) Reset(ctx context.Context) error {
	s.tr.event("reset")
	return s.tr.resetErr
}

func (s *fakeSession) Close() error {
	s.tr.event("close")
	return nil
}

// pause takes d by spinning: time.Sleep overshoots short durations by up to a
// millisecond on some systems, which would drown the costs the benchmarks simulate.
func pause(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// faultFS wraps OSFS and fails the operations its fail function picks. Each operation
// is named "op path-base", e.g. "write M0001.eml", "rename M0001.env.tmp", "syncdir queue".
type faultFS struct {
	OSFS
	mu   sync.Mutex
	ops  []string
	fail func(n int, op string) error // n counts operations from 1
}

func (f *faultFS) check(op, path string) error {
	f.mu.Lock()
	name := op + " " + filepath.Base(path)
	f.ops = append(f.ops, name)
	n, fail := len(f.ops), f.fail
	f.mu.Unlock()
	if fail != nil {
		return fail(n, name)
	}
	return nil
}

func (f *faultFS) Ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ops)
}

func (f *faultFS) Reset(fail func(n int, op string) error) {
	f.mu.Lock()
	f.ops, f.fail = nil, fail
	f.mu.Unlock()
}

func (f *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	op := "open"
	if flag&os.O_CREATE != 0 {
		op = "create"
	}
	if err := f.check(op, name); err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *faultFS) Rename(o, n string) error {
	if err := f.check("rename", o); err != nil {
		return &os.LinkError{Op: "rename", Old: o, New: n, Err: err}
	}
	return f.OSFS.Rename(o, n)
}

func (f *faultFS) Remove(name string) error {
	if err := f.check("remove", name); err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	return f.OSFS.Remove(name)
}

func (f *faultFS) SyncDir(name string) error {
	if err := f.check("syncdir", name); err != nil {
		return err
	}
	return f.OSFS.SyncDir(name)
}

func (f *faultFS) Mkdir(name string, perm fs.FileMode) error {
	if err := f.check("mkdir", name); err != nil {
		return &fs.PathError{Op: "mkdir", Path: name, Err: err}
	}
	return f.OSFS.Mkdir(name, perm)
}

type faultFile struct {
	File
	fs   *faultFS
	name string
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.check("write", f.name); err != nil {
		// A full disk typically takes part of the write.
		n, _ := f.File.Write(p[:len(p)/2])
		return n, &fs.PathError{Op: "write", Path: f.name, Err: err}
	}
	return f.File.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.check("sync", f.name); err != nil {
		return &fs.PathError{Op: "sync", Path: f.name, Err: err}
	}
	return f.File.Sync()
}

func (f *faultFile) TryLock() error {
	if err := f.fs.check("lock", f.name); err != nil {
		return err
	}
	return f.File.TryLock()
}

// errReader fails after giving some bytes.
type errReader struct {
	data string
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// mustRun runs the queue and fails the test on an error.
func mustRun(t testing.TB, q *Queue, opts RunOptions) Report {
	t.Helper()
	rep, err := q.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// dispositions summarises a report as "ID:disposition" strings.
func dispositions(rep Report) []string {
	var out []string
	for _, m := range rep.Messages {
		out = append(out, string(m.ID)+":"+m.Disposition.String())
	}
	return out
}

func readAll(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// equalLines compares two string slices and reports a readable diff.
func equalLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}
