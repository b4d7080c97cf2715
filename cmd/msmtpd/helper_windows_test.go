package main

import "os"

// killSelf: Windows has no signals; a process killed by TerminateProcess exits with status 1.
func killSelf() { os.Exit(1) }

// terminateSignal: Windows has no SIGTERM; the process is killed.
func terminateSignal() os.Signal { return os.Kill }
