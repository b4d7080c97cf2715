//go:build (!unix && !windows) || aix

package queue

import (
	"errors"
	"io/fs"
	"os"
)

// On systems with neither flock nor LockFileEx (AIX, Plan 9, WebAssembly) the queue builds but
// cannot claim messages, so it never delivers one twice; it refuses instead.

func openFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}

func rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func remove(name string) error { return os.Remove(name) }

func syncDir(string) error { return nil }

func tryLock(f *os.File) error {
	return &fs.PathError{Op: "lock", Path: f.Name(), Err: errors.ErrUnsupported}
}

func unlock(*os.File) {}
