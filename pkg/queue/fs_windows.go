//go:build windows

package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// openFile opens like os.OpenFile but with FILE_SHARE_DELETE, which os.OpenFile leaves
// out: without it a runner could not rename or remove a data file it holds open and
// locked, and a reader of an envelope would make the runner's rename over it fail.
func openFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	var access uint32 = windows.GENERIC_READ
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		access |= windows.GENERIC_WRITE
	}
	var disposition uint32
	switch {
	case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		disposition = windows.CREATE_NEW
	case flag&(os.O_CREATE|os.O_TRUNC) == os.O_CREATE|os.O_TRUNC:
		disposition = windows.CREATE_ALWAYS
	case flag&os.O_CREATE != 0:
		disposition = windows.OPEN_ALWAYS
	case flag&os.O_TRUNC != 0:
		disposition = windows.TRUNCATE_EXISTING
	default:
		disposition = windows.OPEN_EXISTING
	}
	share := uint32(windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE)
	h, err := windows.CreateFile(p, access, share, nil, disposition, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(h), name), nil
}

// Other programs (virus scanners, indexers, backup tools) open files without
// FILE_SHARE_DELETE for a moment, which makes a rename or remove fail with a sharing
// violation or access denied. Such failures are retried for a short while.
const shareRetryFor = 2 * time.Second

func retryShared(op func() error) error {
	deadline := time.Now().Add(shareRetryFor)
	for {
		err := op()
		if err == nil || time.Now().After(deadline) ||
			!(errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_ACCESS_DENIED)) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func rename(oldpath, newpath string) error {
	return retryShared(func() error { return os.Rename(oldpath, newpath) })
}

func remove(name string) error {
	return retryShared(func() error { return os.Remove(name) })
}

// syncDir does nothing: Windows has no directory fsync, and NTFS journals its metadata.
func syncDir(string) error { return nil }

// lockOffset places the locked byte far beyond the end of any message. LockFileEx locks
// are mandatory, so locking real bytes would stop the lock holder's own second handle
// (and every reader) from reading the message.
const lockOffset = 1 << 62

// tryLock takes LockFileEx(LOCKFILE_EXCLUSIVE_LOCK|LOCKFILE_FAIL_IMMEDIATELY). The lock
// belongs to the handle and goes when the handle is closed or the process ends.
func tryLock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		ol := &windows.Overlapped{Offset: uint32(lockOffset & 0xffffffff), OffsetHigh: uint32(lockOffset >> 32)}
		lerr = windows.LockFileEx(windows.Handle(fd),
			windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	}); err != nil {
		return err
	}
	if errors.Is(lerr, windows.ERROR_LOCK_VIOLATION) || errors.Is(lerr, windows.ERROR_IO_PENDING) {
		return fmt.Errorf("%s: %w", f.Name(), ErrLocked)
	}
	if lerr != nil {
		return &fs.PathError{Op: "LockFileEx", Path: f.Name(), Err: lerr}
	}
	return nil
}

// unlock is not needed on Windows: handles are not inherited by child processes, so closing
// the handle releases the lock at once.
func unlock(*os.File) {}
