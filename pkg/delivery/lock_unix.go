//go:build !windows

package delivery

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes a non-blocking exclusive lock on the whole file, as upstream's fcntl lock.
func lockFile(f *os.File) error {
	return unix.FcntlFlock(f.Fd(), unix.F_SETLK, &unix.Flock_t{Type: unix.F_WRLCK, Whence: 0})
}

func unlockFile(f *os.File) {
	_ = unix.FcntlFlock(f.Fd(), unix.F_SETLK, &unix.Flock_t{Type: unix.F_UNLCK, Whence: 0})
}
