package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MsmtpqItem is one message of a queue written by msmtpq or by the older msmtpqueue
// scripts (spec-mail-smtp.md §9): ID.mail holds the message as msmtp read it, ID.msmtp
// the msmtp arguments on one line.
type MsmtpqItem struct {
	// ID is msmtpq's name for the message: its file names without the extension.
	ID string
	// Args is the saved argument line without its line end. msmtpq joined the
	// arguments with single blanks, so an argument that contained a blank cannot be
	// told from two; parsing it is the caller's business.
	Args string
	// Mail is the saved message.
	Mail io.Reader
}

// MsmtpqConverter turns an old queue item into what Enqueue takes: the envelope (account,
// sender, recipients — from the arguments, or from the headers for -t) and the message
// to store, usually item.Mail itself or a reader that rewrites its headers as msmtp
// would have. An error leaves the item in the old queue.
type MsmtpqConverter func(item MsmtpqItem) (Envelope, io.Reader, error)

// ImportedItem pairs an old queue item with the message it became.
type ImportedItem struct {
	MsmtpqID string
	ID       ID
}

// ImportFailure is an old queue item that was not imported, and why, or that was imported
// but could not be removed from the old queue (it is then in Imported as well).
type ImportFailure struct {
	MsmtpqID string
	Err      error
}

// ImportReport is the result of ImportMsmtpq.
type ImportReport struct {
	Imported []ImportedItem
	Failed   []ImportFailure
}

// ImportMsmtpq moves the messages of an msmtpq queue (by default ~/.msmtp.queue; the
// older msmtpqueue scripts used ~/.msmtpqueue with the same files) into this queue.
// Each item is converted by convert, enqueued, and only then removed from the old queue,
// so a crash in between imports it twice at worst. The converter may set the envelope's
// Created (from msmtpq's ID, which starts with the time); left zero, it is the time of
// the import, from which the expiry then counts.
//
// While it works it holds msmtpq's own lock (the directory dir/.lock), so that a running
// msmtpq neither sends nor queues meanwhile; if msmtpq holds it, the error wraps
// ErrMsmtpqLocked. Items that cannot be imported are listed in the report and left in
// place; the error is only for the old queue as a whole (lock, listing) or ctx.
func (q *Queue) ImportMsmtpq(ctx context.Context, dir string, convert MsmtpqConverter) (ImportReport, error) {
	var rep ImportReport
	lock := filepath.Join(dir, ".lock")
	if err := q.fs.Mkdir(lock, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return rep, fmt.Errorf("queue: %s: %w", lock, ErrMsmtpqLocked)
		}
		return rep, &StorageError{Op: "lock", Path: lock, Err: err}
	}
	defer func() { _ = q.fs.Remove(lock) }()

	des, err := q.fs.ReadDir(dir)
	if err != nil {
		return rep, &StorageError{Op: "readdir", Path: dir, Err: err}
	}
	var ids []string
	for _, de := range des {
		if id, ok := strings.CutSuffix(de.Name(), ".mail"); ok && id != "" && de.Type().IsRegular() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, old := range ids {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		id, err := q.importOne(ctx, dir, old, convert)
		if id != "" {
			q.log.Info("imported from msmtpq", "msmtpq_id", old, "id", id)
			rep.Imported = append(rep.Imported, ImportedItem{MsmtpqID: old, ID: id})
		}
		if err != nil {
			// With an ID, the message is queued but still in the old queue too:
			// reported twice, so that the user removes the old copy by hand.
			q.log.Warn("queue: msmtpq item not imported", "msmtpq_id", old, "error", err)
			rep.Failed = append(rep.Failed, ImportFailure{MsmtpqID: old, Err: err})
		}
	}
	return rep, nil
}

func (q *Queue) importOne(ctx context.Context, dir, old string, convert MsmtpqConverter) (ID, error) {
	mailPath := filepath.Join(dir, old+".mail")
	argsPath := filepath.Join(dir, old+".msmtp")
	args, err := readFile(q.fs, argsPath, 1<<20)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", argsPath, err)
	}
	f, err := q.fs.OpenFile(mailPath, os.O_RDONLY, 0)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", mailPath, err)
	}
	defer f.Close()
	env, r, err := convert(MsmtpqItem{
		ID:   old,
		Args: strings.TrimRight(string(args), "\r\n"),
		Mail: f,
	})
	if err != nil {
		return "", err
	}
	id, err := q.Enqueue(ctx, env, r)
	if err != nil {
		return "", err
	}
	_ = f.Close() // Windows cannot remove a file it holds open without FILE_SHARE_DELETE elsewhere
	if err := q.fs.Remove(mailPath); err != nil {
		return id, fmt.Errorf("imported as %s, but cannot remove %s: %w", id, mailPath, err)
	}
	_ = q.fs.Remove(argsPath)
	return id, nil
}
