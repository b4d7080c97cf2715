package queue

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// FS is the file-system layer the queue works through. OSFS is the real one; a test wraps
// it to make a chosen operation fail (a full disk at the third write, a failing rename)
// and so proves that no failure leaves a half-written message behind.
//
// Errors are returned as they are; the queue wraps them in *StorageError.
type FS interface {
	// OpenFile opens a file as os.OpenFile does. The queue uses O_RDONLY, O_RDWR with
	// O_CREATE|O_EXCL, and O_WRONLY with O_CREATE|O_TRUNC. Files must stay renamable and
	// removable while open (on Windows: FILE_SHARE_DELETE), because a runner keeps a
	// message's data file open, and locked, while it moves or removes it.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Rename replaces newpath by oldpath atomically, as os.Rename does.
	Rename(oldpath, newpath string) error
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// Stat returns a FileInfo, as os.Stat does.
	Stat(name string) (fs.FileInfo, error)
	// ReadDir lists a directory, as os.ReadDir does.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Mkdir creates a directory, as os.Mkdir does; it fails when name exists.
	Mkdir(name string, perm fs.FileMode) error
	// SyncDir makes the entries of a directory durable (fsync of the directory), so that
	// a renamed or created file survives a power cut. It is a no-op where the system
	// has no such call (Windows, whose file systems journal their metadata).
	SyncDir(name string) error
}

// File is an open file of an FS.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Closer
	// Sync commits the file's contents to stable storage (fsync).
	Sync() error
	// Stat returns the open file's FileInfo.
	Stat() (fs.FileInfo, error)
	// TryLock takes an exclusive lock on the file without waiting, or returns an error
	// wrapping ErrLocked when another open file holds it, in this process or another.
	// The lock is released by Close, and by the system when the process dies, so a
	// crashed runner never leaves a message locked (flock on Unix, LockFileEx on
	// Windows).
	TryLock() error
}

// OSFS is the FS of the operating system.
type OSFS struct{}

// OpenFile implements FS.
func (OSFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := openFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Rename implements FS.
func (OSFS) Rename(oldpath, newpath string) error { return rename(oldpath, newpath) }

// Remove implements FS.
func (OSFS) Remove(name string) error { return remove(name) }

// Stat implements FS.
func (OSFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

// ReadDir implements FS.
func (OSFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

// Mkdir implements FS.
func (OSFS) Mkdir(name string, perm fs.FileMode) error { return os.Mkdir(name, perm) }

// SyncDir implements FS.
func (OSFS) SyncDir(name string) error { return syncDir(name) }

// osFile adds the lock to *os.File.
type osFile struct{ *os.File }

func (f osFile) TryLock() error { return tryLock(f.File) }

// Close releases the lock and closes the file.
func (f osFile) Close() error {
	unlock(f.File)
	return f.File.Close()
}

// mkdirAll creates dir and its missing parents through fsys, as os.MkdirAll does.
func mkdirAll(fsys FS, dir string, perm fs.FileMode) error {
	if fi, err := fsys.Stat(dir); err == nil {
		if !fi.IsDir() {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirAll(fsys, parent, perm); err != nil {
			return err
		}
	}
	if err := fsys.Mkdir(dir, perm); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// readFile reads a whole small file through fsys, refusing more than limit bytes.
func readFile(fsys FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errors.New("file too large")
	}
	return b, nil
}
