package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

// claimed is a message a runner holds: its data file open and locked, and the envelope as
// read under the lock. Every change to a message's files happens while it is claimed.
type claimed struct {
	id     ID
	data   File
	env    Envelope
	envErr *envelopeParseError // the envelope could not be parsed; env is zero
	size   int64
}

func (c *claimed) release() { _ = c.data.Close() }

// claim locks message id. It returns (nil, nil) when the message is not (or no longer)
// queued, an error wrapping ErrLocked when another runner holds it, and a *StorageError
// when the files cannot be read. A message whose envelope is corrupt is claimed with
// envErr set, so that the caller may set it aside.
func (q *Queue) claim(id ID) (*claimed, error) {
	p := q.dataPath(id)
	f, err := q.fs.OpenFile(p, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &StorageError{Op: "open", Path: p, Err: err}
	}
	if err := f.TryLock(); err != nil {
		_ = f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("queue: message %s: %w", id, ErrLocked)
		}
		return nil, &StorageError{Op: "lock", Path: p, Err: err}
	}
	c := &claimed{id: id, data: f}
	// Read the envelope only now: the runner that held the lock before may have
	// delivered the message (envelope gone) or rescheduled it.
	env, err := q.readEnvelope(q.envPath(id), id)
	var pe *envelopeParseError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		_ = f.Close()
		return nil, nil
	case errors.As(err, &pe):
		c.envErr = pe
	case err != nil:
		_ = f.Close()
		return nil, err
	}
	c.env = env
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, &StorageError{Op: "stat", Path: p, Err: err}
	}
	c.size = fi.Size()
	return c, nil
}

// update replaces the envelope of a claimed message atomically: temporary file, fsync,
// rename, directory fsync.
func (q *Queue) update(c *claimed, env *Envelope) error {
	tmp, final := q.envPath(c.id)+tmpSuffix, q.envPath(c.id)
	if err := q.writeTemp(tmp, env, StepUpdateWritten); err != nil {
		return err
	}
	if err := q.fs.Rename(tmp, final); err != nil {
		_ = q.fs.Remove(tmp)
		return &StorageError{Op: "rename", Path: final, Err: err}
	}
	q.step(StepUpdated)
	c.env = env.Clone()
	return storageErr("sync", q.dir, q.fs.SyncDir(q.dir))
}

// removeClaimed takes a claimed message out of the queue: the envelope first (from then
// on the message is gone), a directory fsync so that the envelope can never survive its
// data file, then the data file.
func (q *Queue) removeClaimed(c *claimed) error {
	if err := q.removeEnvelope(c); err != nil {
		return err
	}
	q.removeData([]ID{c.id})
	return nil
}

// removeEnvelope is the commit point of taking a message out of the queue. The data file
// stays until removeData; until then it is an orphan that any cleanup may remove.
func (q *Queue) removeEnvelope(c *claimed) error {
	env := q.envPath(c.id)
	if err := q.fs.Remove(env); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &StorageError{Op: "remove", Path: env, Err: err}
	}
	q.step(StepRemovedEnv)
	_ = q.fs.Remove(env + tmpSuffix)
	return nil
}

// removeData removes the data files of messages whose envelopes are gone, after one
// directory fsync that makes those removals durable first: were a data file's removal to
// reach the disk before its envelope's, a power cut could leave an envelope without its
// message. One fsync for a batch keeps a flush of many messages fast.
func (q *Queue) removeData(ids []ID) {
	if len(ids) == 0 {
		return
	}
	if err := q.fs.SyncDir(q.dir); err != nil {
		// Without the fsync the order is not certain: leave the data files to the
		// next cleanup rather than risk an envelope without data.
		q.log.Warn("queue: directory sync failed", "dir", q.dir, "error", err)
		return
	}
	for _, id := range ids {
		// A data file left behind here is an orphan that the next cleanup removes.
		if err := q.fs.Remove(q.dataPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			q.log.Warn("queue: cannot remove data file", "id", id, "error", err)
		}
		q.step(StepRemovedData)
	}
}

// moveToFailed sets a claimed message aside in failed/ with a reason. env, when non-nil,
// is written first so that failed/ keeps the final recipient states; a corrupt envelope
// (nil env) is moved as it is. The data file moves before the envelope, so that a crash
// in between leaves an envelope whose data is already in failed/, which cleanup
// recognises and completes.
func (q *Queue) moveToFailed(c *claimed, env *Envelope, reason string) error {
	if env != nil {
		if err := q.update(c, env); err != nil {
			return err
		}
	}
	line := fmt.Sprintf("%s %s\n", q.clock.Now().UTC().Format(time.RFC3339), oneLine(reason))
	if err := q.writeReason(c.id, line); err != nil {
		return err
	}
	q.step(StepFailedReason)
	src, dst := q.dataPath(c.id), q.failedPath(c.id, dataSuffix)
	if err := q.fs.Rename(src, dst); err != nil {
		return &StorageError{Op: "rename", Path: src, Err: err}
	}
	if err := q.syncBoth(); err != nil {
		return err
	}
	q.step(StepFailedData)
	src, dst = q.envPath(c.id), q.failedPath(c.id, envSuffix)
	if err := q.fs.Rename(src, dst); err != nil {
		return &StorageError{Op: "rename", Path: src, Err: err}
	}
	q.step(StepFailedEnv)
	_ = q.fs.Remove(src + tmpSuffix)
	return q.syncBoth()
}

func (q *Queue) writeReason(id ID, line string) error {
	tmp, final := q.failedPath(id, reasonSuffix+tmpSuffix), q.failedPath(id, reasonSuffix)
	if err := q.writeFileTemp(tmp, []byte(line), ""); err != nil {
		return err
	}
	if err := q.fs.Rename(tmp, final); err != nil {
		_ = q.fs.Remove(tmp)
		return &StorageError{Op: "rename", Path: final, Err: err}
	}
	return nil
}

func (q *Queue) syncBoth() error {
	if err := q.fs.SyncDir(q.failedDir); err != nil {
		return &StorageError{Op: "sync", Path: q.failedDir, Err: err}
	}
	return storageErr("sync", q.dir, q.fs.SyncDir(q.dir))
}

// cleanup repairs what interrupted work leaves behind (a crash, a kill, a power cut):
//
//   - a data file without an envelope: an enqueue that never committed, or a removal
//     that did not finish. It is removed, or moved to failed/ when the envelope already
//     went there.
//   - an envelope's temporary file: an update that did not finish. It is removed.
//   - an envelope without a data file: a move to failed/ that did not finish (completed),
//     or damage (the envelope is set aside in failed/).
//
// Each repair happens under the message's lock, after looking again, so that work in
// progress in another process is never mistaken for a leftover.
func (q *Queue) cleanup() error {
	des, err := q.fs.ReadDir(q.dir)
	if err != nil {
		return &StorageError{Op: "readdir", Path: q.dir, Err: err}
	}
	type present struct{ env, data, tmp bool }
	seen := map[ID]*present{}
	get := func(id string) *present {
		if !ID(id).Valid() {
			return nil
		}
		p := seen[ID(id)]
		if p == nil {
			p = &present{}
			seen[ID(id)] = p
		}
		return p
	}
	for _, de := range des {
		name := de.Name()
		if id, ok := strings.CutSuffix(name, envSuffix+tmpSuffix); ok {
			if p := get(id); p != nil {
				p.tmp = true
			}
		} else if id, ok := strings.CutSuffix(name, envSuffix); ok {
			if p := get(id); p != nil {
				p.env = true
			}
		} else if id, ok := strings.CutSuffix(name, dataSuffix); ok {
			if p := get(id); p != nil {
				p.data = true
			}
		}
	}
	ids := make([]ID, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var errs []error
	for _, id := range ids {
		p := seen[id]
		var err error
		switch {
		case p.data && (!p.env || p.tmp):
			err = q.cleanupData(id)
		case !p.data && p.env:
			err = q.cleanupEnvelope(id)
		case !p.data && p.tmp:
			// The data file is created before the temporary envelope and removed
			// only under the lock, so without one the other is stale. Look again:
			// a directory listing is not a snapshot.
			if _, err := q.fs.Stat(q.dataPath(id)); errors.Is(err, fs.ErrNotExist) {
				_ = q.fs.Remove(q.envPath(id) + tmpSuffix)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// cleanupData handles a data file seen without an envelope, or with a stale temporary
// envelope.
func (q *Queue) cleanupData(id ID) error {
	p := q.dataPath(id)
	f, err := q.fs.OpenFile(p, os.O_RDONLY, 0)
	if err != nil {
		return nil // gone meanwhile
	}
	defer f.Close()
	if err := f.TryLock(); err != nil {
		return nil // an enqueue or a runner is at work on it
	}
	if !q.sameFile(f, p) {
		return nil
	}
	_ = q.fs.Remove(q.envPath(id) + tmpSuffix)
	if _, err := q.fs.Stat(q.envPath(id)); err == nil {
		return nil // a queued message; only its temporary file was stale
	}
	_, envErr := q.fs.Stat(q.failedPath(id, envSuffix))
	_, dataErr := q.fs.Stat(q.failedPath(id, dataSuffix))
	if envErr == nil && errors.Is(dataErr, fs.ErrNotExist) {
		q.log.Warn("queue: completing interrupted move to failed/", "id", id)
		if err := q.fs.Rename(p, q.failedPath(id, dataSuffix)); err != nil {
			return &StorageError{Op: "rename", Path: p, Err: err}
		}
		return q.syncBoth()
	}
	q.log.Info("queue: removing leftover data file", "id", id)
	if err := q.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &StorageError{Op: "remove", Path: p, Err: err}
	}
	return nil
}

// cleanupEnvelope handles an envelope seen without a data file.
func (q *Queue) cleanupEnvelope(id ID) error {
	if _, err := q.fs.Stat(q.dataPath(id)); err == nil {
		return nil // the listing missed it
	}
	env := q.envPath(id)
	failedData := q.failedPath(id, dataSuffix)
	if f, err := q.fs.OpenFile(failedData, os.O_RDONLY, 0); err == nil {
		defer f.Close()
		if err := f.TryLock(); err != nil {
			return nil // a runner is moving it right now
		}
		if _, err := q.fs.Stat(env); err != nil {
			return nil
		}
		q.log.Warn("queue: completing interrupted move to failed/", "id", id)
		if _, err := q.fs.Stat(q.failedPath(id, reasonSuffix)); err != nil {
			if err := q.writeReason(id, "moving the message to failed/ was interrupted\n"); err != nil {
				return err
			}
		}
		if err := q.fs.Rename(env, q.failedPath(id, envSuffix)); err != nil {
			return &StorageError{Op: "rename", Path: env, Err: err}
		}
		return q.syncBoth()
	}
	if _, err := q.fs.Stat(env); err != nil {
		return nil
	}
	q.log.Error("queue: envelope without data file, moving it to failed/", "id", id)
	line := fmt.Sprintf("%s the message's data file %s is missing\n",
		q.clock.Now().UTC().Format(time.RFC3339), q.dataPath(id))
	if err := q.writeReason(id, line); err != nil {
		return err
	}
	if err := q.fs.Rename(env, q.failedPath(id, envSuffix)); err != nil {
		return &StorageError{Op: "rename", Path: env, Err: err}
	}
	return q.syncBoth()
}
