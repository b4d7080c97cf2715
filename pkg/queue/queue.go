package queue

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Clock tells the time and waits; the real one is the time package. Tests inject a fake one
// to walk through days of back-off in no time.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed, as time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure a Queue. The zero value is usable: the real file system and clock,
// random IDs, no logging, and the default Backoff.
type Options struct {
	// FS is the file-system layer; nil means OSFS.
	FS FS
	// Clock gives the time for envelopes and back-off; nil means the system clock.
	Clock Clock
	// NewID returns a fresh message ID; nil means IDs made of the time and random bits
	// (see Queue.Enqueue). A collision with an existing message is detected and a new
	// ID asked for.
	NewID func() ID
	// Logger receives one record per queued, delivered, deferred, returned or failed
	// message; nil means none.
	Logger *slog.Logger
	// Backoff is the retry policy.
	Backoff Backoff
	// Hostname names this system in bounces: the Reporting-MTA, and the domain of the
	// MAILER-DAEMON From address when the original sender has none. Default "localhost".
	Hostname string
	// Step, if set, is called after each durable step of enqueueing and delivery with
	// the step's name (see the Step constants). It exists for tracing and for the crash
	// tests, which end the process at every step in turn.
	Step func(step string)
}

// The durable steps reported to Options.Step, in the order they happen. Enqueue goes
// through the Enqueue steps; each message Run handles goes through StepClaimed, then
// StepSent (once per Send that returned) and StepBounceSent, then either the update steps
// (still queued), the removal steps (done), or the failed/ steps.
const (
	StepDataCreated     = "enqueue:data-created"     // the data file exists, empty and locked
	StepDataWritten     = "enqueue:data-written"     // the message bytes are written
	StepDataSynced      = "enqueue:data-synced"      // and fsynced
	StepEnvelopeWritten = "enqueue:envelope-written" // the envelope's temporary file is written
	StepEnvelopeSynced  = "enqueue:envelope-synced"  // and fsynced
	StepDirSynced       = "enqueue:dir-synced"       // the directory holds both files durably
	StepCommitted       = "enqueue:committed"        // the envelope is renamed into place: queued
	StepCommitSynced    = "enqueue:commit-synced"    // and the rename is durable

	StepClaimed       = "run:claimed"          // a runner holds the message's lock
	StepSent          = "run:sent"             // the transport returned from Send
	StepBounceSent    = "run:bounce-sent"      // a bounce was handed to the transport
	StepUpdateWritten = "run:update-written"   // the new envelope's temporary file is written
	StepUpdated       = "run:updated"          // and renamed into place
	StepRemovedEnv    = "run:removed-envelope" // a finished message's envelope is gone: done
	StepRemovedData   = "run:removed-data"     // and its data file
	StepFailedReason  = "run:failed-reason"    // failed/ID.reason is written
	StepFailedData    = "run:failed-data"      // the data file is moved to failed/
	StepFailedEnv     = "run:failed-envelope"  // the envelope is moved to failed/: done
)

// Queue is a spool directory of messages waiting for delivery. Any number of Queues, in
// any number of processes, may work on one directory at the same time: messages are
// claimed with locks that die with their process, so each is delivered by one runner at a
// time and a crashed runner's messages are taken up by the next.
//
// A Queue's methods may be called from several goroutines.
type Queue struct {
	dir, failedDir string
	fs             FS
	clock          Clock
	newID          func() ID
	log            *slog.Logger
	backoff        Backoff
	hostname       string
	step           func(string)
	wake           chan struct{} // Enqueue → Serve: a new message is waiting
}

// File name suffixes. A message ID has one data file and one envelope; the envelope is
// written last and removed first, so its presence is what makes the message queued.
const (
	dataSuffix   = ".eml"
	envSuffix    = ".env"
	tmpSuffix    = ".tmp"
	reasonSuffix = ".reason"
	failedName   = "failed"
)

// Open opens the queue in dir, creating dir and dir/failed (mode 0700: queued mail is
// private) when missing. It returns a *StorageError when that fails.
func Open(dir string, opts Options) (*Queue, error) {
	q := &Queue{
		dir:       dir,
		failedDir: filepath.Join(dir, failedName),
		fs:        opts.FS,
		clock:     opts.Clock,
		newID:     opts.NewID,
		log:       opts.Logger,
		backoff:   opts.Backoff.withDefaults(),
		hostname:  opts.Hostname,
		step:      opts.Step,
		wake:      make(chan struct{}, 1),
	}
	if q.fs == nil {
		q.fs = OSFS{}
	}
	if q.clock == nil {
		q.clock = realClock{}
	}
	if q.newID == nil {
		q.newID = q.randomID
	}
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	if q.hostname == "" {
		q.hostname = "localhost"
	}
	if q.step == nil {
		q.step = func(string) {}
	}
	for _, d := range []string{q.dir, q.failedDir} {
		if err := mkdirAll(q.fs, d, 0o700); err != nil {
			return nil, &StorageError{Op: "mkdir", Path: d, Err: err}
		}
		fi, err := q.fs.Stat(d)
		if err != nil {
			return nil, &StorageError{Op: "stat", Path: d, Err: err}
		}
		if !fi.IsDir() {
			return nil, &StorageError{Op: "open", Path: d, Err: errors.New("not a directory")}
		}
	}
	return q, nil
}

// Dir returns the queue's directory.
func (q *Queue) Dir() string { return q.dir }

// randomID makes IDs like "6754A3C1F0E2B9": the creation time in seconds (so that IDs
// sort roughly by arrival, as in mailq) and 24 random bits.
func (q *Queue) randomID() ID {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return ID(fmt.Sprintf("%08X%02X%02X%02X", uint32(q.clock.Now().Unix()), b[0], b[1], b[2]))
}

func (q *Queue) dataPath(id ID) string { return filepath.Join(q.dir, string(id)+dataSuffix) }
func (q *Queue) envPath(id ID) string  { return filepath.Join(q.dir, string(id)+envSuffix) }
func (q *Queue) failedPath(id ID, suffix string) string {
	return filepath.Join(q.failedDir, string(id)+suffix)
}

// Enqueue stores a message durably and returns its ID. The message bytes are streamed from
// r to disk, so any size takes constant memory. When Enqueue returns without error the
// message is on stable storage: msmtpd may answer 250, msmtp may exit 0.
//
// env.ID is ignored; a zero env.Created is set to now; recipients without a state become
// pending. The other fields are stored as given, so a caller may import a message with
// its history.
//
// The steps are: create the data file exclusively (this reserves the ID) and lock it,
// write and fsync it, write the envelope to a temporary file and fsync it, fsync the
// directory, rename the envelope into place — the commit point — and fsync the directory
// again. Any failure removes what was written.
//
// The error is an *EnvelopeError for an envelope that cannot be queued, an *InputError
// when reading r fails, a *StorageError when the disk fails, or ctx's error.
func (q *Queue) Enqueue(ctx context.Context, env Envelope, r io.Reader) (ID, error) {
	return q.enqueue(ctx, env, func(w io.Writer) error { return copyMessage(ctx, w, r) })
}

// copyMessage copies r to w, telling the reader's errors (InputError) from the writer's
// (which the caller wraps as a StorageError), and stops when ctx is done.
func copyMessage(ctx context.Context, w io.Writer, r io.Reader) error {
	buf := make([]byte, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return &InputError{Err: rerr}
		}
	}
}

// enqueue is Enqueue with the message produced by write, so that bounces can be built
// straight into the queue.
func (q *Queue) enqueue(ctx context.Context, env Envelope, write func(io.Writer) error) (ID, error) {
	env = env.Clone()
	if env.Created.IsZero() {
		env.Created = q.clock.Now()
	}
	for i := range env.Recipients {
		if env.Recipients[i].State == "" {
			env.Recipients[i].State = StatePending
		}
	}
	env.ID = "unassigned" // reserve picks the ID; validate everything else first
	if err := env.validate(); err != nil {
		return "", &EnvelopeError{Reason: err.Error()}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}

	id, f, err := q.reserve()
	if err != nil {
		return "", err
	}
	data, envFile, tmp := q.dataPath(id), q.envPath(id), q.envPath(id)+tmpSuffix
	committed := false
	defer func() {
		if !committed {
			// Remove before closing: the lock keeps a cleaner from racing us, and the
			// envelope never got its final name, so nothing refers to these files.
			_ = q.fs.Remove(tmp)
			_ = q.fs.Remove(data)
			_ = f.Close()
		}
	}()
	q.step(StepDataCreated)

	bw := bufio.NewWriterSize(f, 64<<10)
	werr := write(errWriter{bw})
	if werr == nil {
		werr = storageErr("write", data, bw.Flush())
	}
	if werr != nil {
		var we writeError
		if errors.As(werr, &we) {
			return "", &StorageError{Op: "write", Path: data, Err: we.err}
		}
		return "", werr
	}
	q.step(StepDataWritten)
	if err := f.Sync(); err != nil {
		return "", &StorageError{Op: "sync", Path: data, Err: err}
	}
	q.step(StepDataSynced)

	env.ID = id
	if err := q.writeTemp(tmp, &env, StepEnvelopeWritten); err != nil {
		return "", err
	}
	q.step(StepEnvelopeSynced)
	if err := q.fs.SyncDir(q.dir); err != nil {
		return "", &StorageError{Op: "sync", Path: q.dir, Err: err}
	}
	q.step(StepDirSynced)
	if err := q.fs.Rename(tmp, envFile); err != nil {
		return "", &StorageError{Op: "rename", Path: envFile, Err: err}
	}
	q.step(StepCommitted)
	if err := q.fs.SyncDir(q.dir); err != nil {
		// The message is visible but perhaps not durable. Take it back: the caller
		// reports a temporary failure and the client sends again. Should the removal
		// fail too, the worst outcome is that the message is sent twice.
		if rerr := q.fs.Remove(envFile); rerr != nil {
			q.log.Warn("queue: cannot take back message after failed directory sync", "id", id, "error", rerr)
		}
		return "", &StorageError{Op: "sync", Path: q.dir, Err: err}
	}
	committed = true
	q.step(StepCommitSynced)
	// Release the lock before waking the runner, or it would find the message busy.
	_ = f.Close()
	q.log.Info("queued", "id", id, "account", env.Account, "sender", env.Sender,
		"recipients", len(env.Recipients))
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return id, nil
}

// errWriter marks the errors of the underlying writer, so that enqueue can tell a failing
// disk from a failing producer.
type errWriter struct{ w io.Writer }

type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

func (w errWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		err = writeError{err}
	}
	return n, err
}

func storageErr(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return &StorageError{Op: op, Path: path, Err: err}
}

// reserve creates a new, empty, locked data file under a fresh ID. The exclusive create
// makes the ID ours; the lock and the check that the name still refers to our file keep
// a concurrent cleanup (which removes unlocked data files without an envelope) from
// removing it under us.
func (q *Queue) reserve() (ID, File, error) {
	const tries = 10
	var lastErr error
	for range tries {
		id := q.newID()
		if !id.Valid() {
			return "", nil, fmt.Errorf("queue: ID source returned %q: %w", id, ErrInvalidID)
		}
		p := q.dataPath(id)
		f, err := q.fs.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			lastErr = err
			continue
		}
		if err != nil {
			return "", nil, &StorageError{Op: "create", Path: p, Err: err}
		}
		if err := f.TryLock(); err != nil {
			if errors.Is(err, ErrLocked) {
				// A cleanup got in between; it removes the file.
				_ = f.Close()
				lastErr = err
				continue
			}
			_ = q.fs.Remove(p)
			_ = f.Close()
			return "", nil, &StorageError{Op: "lock", Path: p, Err: err}
		}
		if !q.sameFile(f, p) {
			_ = f.Close()
			lastErr = errors.New("data file removed while being created")
			continue
		}
		return id, f, nil
	}
	return "", nil, &StorageError{Op: "create", Path: q.dir, Err: fmt.Errorf("no free message ID after %d tries: %w", tries, lastErr)}
}

func (q *Queue) sameFile(f File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := q.fs.Stat(path)
	if err != nil {
		return false
	}
	return os.SameFile(a, b)
}

// writeTemp writes env to the temporary file tmp and fsyncs it, reporting step after the
// write. The caller renames it into place.
func (q *Queue) writeTemp(tmp string, env *Envelope, step string) error {
	b, err := marshalEnvelope(env)
	if err != nil {
		return &EnvelopeError{Reason: err.Error()}
	}
	return q.writeFileTemp(tmp, b, step)
}

func (q *Queue) writeFileTemp(tmp string, b []byte, step string) error {
	f, err := q.fs.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return &StorageError{Op: "create", Path: tmp, Err: err}
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		_ = q.fs.Remove(tmp)
		return &StorageError{Op: "write", Path: tmp, Err: err}
	}
	if step != "" {
		q.step(step)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = q.fs.Remove(tmp)
		return &StorageError{Op: "sync", Path: tmp, Err: err}
	}
	if err := f.Close(); err != nil {
		_ = q.fs.Remove(tmp)
		return &StorageError{Op: "close", Path: tmp, Err: err}
	}
	return nil
}

// Entry is a queued message as List shows it.
type Entry struct {
	Envelope Envelope
	Size     int64 // bytes of the message
}

// List returns the queued messages, oldest first. It only reads: envelopes that cannot be
// parsed, or have no data file, are logged or skipped and left for Run to repair. The error is a *StorageError
// when the directory cannot be read.
func (q *Queue) List() ([]Entry, error) {
	ids, err := q.envelopeIDs(q.dir)
	if err != nil {
		return nil, err
	}
	var list []Entry
	for _, id := range ids {
		env, err := q.readEnvelope(q.envPath(id), id)
		if errors.Is(err, fs.ErrNotExist) {
			continue // delivered or dropped meanwhile
		}
		if err != nil {
			q.log.Warn("queue: skipping unreadable envelope", "id", id, "error", err)
			continue
		}
		fi, err := q.fs.Stat(q.dataPath(id))
		if err != nil {
			// Finished meanwhile, or an interrupted move to failed/ that the next
			// Run completes.
			continue
		}
		list = append(list, Entry{Envelope: env, Size: fi.Size()})
	}
	sortEntries(list)
	return list, nil
}

func sortEntries(list []Entry) {
	slices.SortFunc(list, func(a, b Entry) int {
		if c := a.Envelope.Created.Compare(b.Envelope.Created); c != 0 {
			return c
		}
		return strings.Compare(string(a.Envelope.ID), string(b.Envelope.ID))
	})
}

// envelopeIDs lists the IDs of the envelope files in dir, sorted.
func (q *Queue) envelopeIDs(dir string) ([]ID, error) {
	des, err := q.fs.ReadDir(dir)
	if err != nil {
		return nil, &StorageError{Op: "readdir", Path: dir, Err: err}
	}
	var ids []ID
	for _, de := range des {
		if id, ok := strings.CutSuffix(de.Name(), envSuffix); ok && ID(id).Valid() && de.Type().IsRegular() {
			ids = append(ids, ID(id))
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// readEnvelope reads and parses an envelope file and checks that it names id. Errors
// from parsing are *EnvelopeError; errors reading keep fs.ErrNotExist visible.
func (q *Queue) readEnvelope(path string, id ID) (Envelope, error) {
	b, err := readFile(q.fs, path, maxEnvelopeSize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Envelope{}, err
		}
		return Envelope{}, &StorageError{Op: "read", Path: path, Err: err}
	}
	env, err := parseEnvelope(b)
	if err != nil {
		return Envelope{}, &envelopeParseError{EnvelopeError{Path: path, Reason: err.Error()}, errors.Is(err, errNewerVersion)}
	}
	if env.ID != id {
		return Envelope{}, &envelopeParseError{EnvelopeError: EnvelopeError{Path: path, Reason: fmt.Sprintf("envelope names message %q", env.ID)}}
	}
	return env, nil
}

// envelopeParseError is an *EnvelopeError that remembers whether the file came from a
// newer program, which must be left alone rather than quarantined.
type envelopeParseError struct {
	EnvelopeError
	newer bool
}

func (e *envelopeParseError) Unwrap() error { return &e.EnvelopeError }

// Drop removes one queued message. It returns an error wrapping ErrNotFound when there is
// no such message, ErrLocked when a runner is delivering it, ErrInvalidID for a malformed
// ID, or a *StorageError.
func (q *Queue) Drop(id ID) error {
	if !id.Valid() {
		return fmt.Errorf("queue: %w %q", ErrInvalidID, id)
	}
	c, err := q.claim(id) // a corrupt envelope is claimed too, and can be dropped
	if err != nil {
		return err
	}
	if c == nil {
		// Without a data file there is nothing to lock; an envelope alone is damage
		// that the user may remove all the same.
		p := q.envPath(id)
		if _, err := q.fs.Stat(p); err != nil {
			return fmt.Errorf("queue: message %s: %w", id, ErrNotFound)
		}
		if err := q.fs.Remove(p); err != nil {
			return &StorageError{Op: "remove", Path: p, Err: err}
		}
		return nil
	}
	defer c.release()
	if err := q.removeClaimed(c); err != nil {
		return err
	}
	q.log.Info("dropped", "id", id)
	return nil
}

// Purge drops every queued message that no runner is delivering and returns how many it
// dropped. Messages being delivered are left, and reported in the error (wrapping
// ErrLocked), as are storage failures.
func (q *Queue) Purge() (int, error) {
	ids, err := q.envelopeIDs(q.dir)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		err := q.Drop(id)
		switch {
		case err == nil:
			n++
		case errors.Is(err, ErrNotFound):
		default:
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// FailedEntry is a message in failed/: returned undelivered with nobody to tell, or set
// aside because its envelope could not be read.
type FailedEntry struct {
	ID ID
	// Envelope is the message's last envelope; nil when it could not be parsed.
	Envelope *Envelope
	Reason   string // why the message is here
	Size     int64  // bytes of the message, 0 when its data file is missing
}

// ListFailed returns the messages in failed/, in ID order. Removing them is left to the
// administrator (they are plain files), so that nothing there is lost by accident.
func (q *Queue) ListFailed() ([]FailedEntry, error) {
	ids, err := q.envelopeIDs(q.failedDir)
	if err != nil {
		return nil, err
	}
	var list []FailedEntry
	for _, id := range ids {
		e := FailedEntry{ID: id}
		if env, err := q.readEnvelope(q.failedPath(id, envSuffix), id); err == nil {
			e.Envelope = &env
		}
		if b, err := readFile(q.fs, q.failedPath(id, reasonSuffix), 64<<10); err == nil {
			e.Reason = strings.TrimSpace(string(b))
		}
		if fi, err := q.fs.Stat(q.failedPath(id, dataSuffix)); err == nil {
			e.Size = fi.Size()
		}
		list = append(list, e)
	}
	return list, nil
}
