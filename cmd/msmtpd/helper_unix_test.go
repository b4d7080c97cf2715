//go:build !windows

package main

import (
	"os"
	"syscall"
)

// killSelf ends the helper by SIGKILL, as a crashing command ends.
func killSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// terminateSignal is what a service manager sends to stop msmtpd.
func terminateSignal() os.Signal { return syscall.SIGTERM }
