//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package secret

import "golang.org/x/sys/unix"

// echoOff turns the terminal's echo off (keeping line editing and signals) and returns the
// function that restores the previous settings.
func echoOff(fd int) (restore func(), err error) {
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	tio := *old
	tio.Lflag &^= unix.ECHO
	tio.Lflag |= unix.ICANON | unix.ISIG
	tio.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &tio); err != nil {
		return nil, err
	}
	return func() { _ = unix.IoctlSetTermios(fd, ioctlSetTermios, old) }, nil
}
