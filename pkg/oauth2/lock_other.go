//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly || solaris || illumos || windows)

package oauth2

import "os"

// tryLock: this system has no file lock that msmtp knows, so concurrent processes are not
// serialised; the store is still replaced atomically.
func tryLock(*os.File) error { return nil }

func unlockFile(*os.File) {}

func syncDir(string) {}
