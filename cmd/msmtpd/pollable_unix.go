//go:build unix

package main

import (
	"os"
	"syscall"

	"golang.org/x/term"
)

// pollable returns a file for f's descriptor that the Go runtime's poller serves: reads wait
// for data instead of failing with EAGAIN, and deadlines work. A terminal is left alone
// (making it non-blocking would affect the shell after msmtpd exits).
func pollable(f *os.File) *os.File {
	rc, err := f.SyscallConn()
	if err != nil {
		return f
	}
	var fd uintptr
	_ = rc.Control(func(d uintptr) { fd = d })
	if term.IsTerminal(int(fd)) {
		_ = syscall.SetNonblock(int(fd), false)
		return f
	}
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		return f
	}
	return os.NewFile(fd, f.Name())
}
