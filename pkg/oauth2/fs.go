package oauth2

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// FS is the file system that the file store and the locks use. OSFS is the real one; tests
// wrap it to see the modes and to make writes fail.
type FS interface {
	ReadFile(name string) ([]byte, error)
	MkdirAll(path string, perm fs.FileMode) error
	// CreateTemp creates a new file in dir, as os.CreateTemp does.
	CreateTemp(dir, pattern string) (File, error)
	// Rename replaces newpath by oldpath atomically, and makes that durable when the system
	// can (OSFS syncs the directory on Unix).
	Rename(oldpath, newpath string) error
	Remove(name string) error
	// Lock takes an exclusive lock on the file name (creating it with mode 0600 if needed),
	// waiting until it is free or ctx ends. The lock is held by the open file, so it is
	// exclusive between processes and between two Lock calls of one process, and the system
	// drops it when the process dies. unlock releases it.
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// File is a file being written by FS.CreateTemp.
type File interface {
	io.Writer
	Name() string
	Chmod(mode fs.FileMode) error
	Sync() error
	Close() error
}

// OSFS is the operating system's file system.
type OSFS struct{}

// ReadFile is os.ReadFile.
func (OSFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// MkdirAll is os.MkdirAll.
func (OSFS) MkdirAll(path string, perm fs.FileMode) error { return os.MkdirAll(path, perm) }

// CreateTemp is os.CreateTemp.
func (OSFS) CreateTemp(dir, pattern string) (File, error) { return os.CreateTemp(dir, pattern) }

// Remove is os.Remove.
func (OSFS) Remove(name string) error { return os.Remove(name) }

// Rename is os.Rename followed, on Unix, by an fsync of the directory, so that the new name
// survives a crash.
func (OSFS) Rename(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	syncDir(filepath.Dir(newpath))
	return nil
}

// errLocked is what tryLock returns while another holder has the lock.
var errLocked = errors.New("locked")

// Lock polls a non-blocking lock (flock on Unix, LockFileEx on Windows) so that waiting
// follows ctx: a blocking lock call could not be abandoned.
func (OSFS) Lock(ctx context.Context, name string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	wait := time.Millisecond
	for {
		err := tryLock(f)
		if err == nil {
			return func() {
				unlockFile(f)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, errLocked) {
			_ = f.Close()
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = f.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}
