//go:build unix && !aix

package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

func openFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}

func rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func remove(name string) error { return os.Remove(name) }

// syncDir fsyncs a directory. File systems that cannot (EINVAL, ENOTSUP) make their own
// ordering promises, so that is not an error.
func syncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTSUP) {
		return nil
	}
	return err
}

// tryLock takes flock(LOCK_EX|LOCK_NB). flock locks belong to the open file description,
// so two opens in one process exclude each other as two processes do, and the kernel
// drops the lock when the process dies.
func tryLock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		for {
			lerr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB)
			if lerr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if errors.Is(lerr, unix.EWOULDBLOCK) {
		return fmt.Errorf("%s: %w", f.Name(), ErrLocked)
	}
	if lerr != nil {
		return &fs.PathError{Op: "flock", Path: f.Name(), Err: lerr}
	}
	return nil
}

// unlock drops the lock before the file is closed. Closing alone is not enough: a child
// process that another goroutine is starting at that moment holds a copy of the descriptor
// until it execs, and with it the open file description and its flock, so the message would
// look busy for a moment. LOCK_UN acts on the description, whoever else refers to it.
func unlock(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.Flock(int(fd), unix.LOCK_UN) })
	}
}
