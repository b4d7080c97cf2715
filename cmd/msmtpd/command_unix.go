//go:build !windows

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// parseCommandTemplate parses --command by POSIX shell rules (see shellcmd.go).
func parseCommandTemplate(text string) (*commandTemplate, error) { return parseShellCommand(text) }

// defaultCommand is upstream's default, `BINDIR/msmtp -f %F --`, with the msmtp next to
// this msmtpd.
func defaultCommand(exe string) string {
	return shellQuote(filepath.Join(filepath.Dir(exe), "msmtp")) + " -f %F --"
}

// prepareCommand puts the command in a process group of its own: a Ctrl-C on msmtpd's
// terminal must not kill a delivery in progress (msmtpd shuts down gracefully instead), and
// a command that has to be stopped is stopped with everything it started.
func prepareCommand(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}

// exitSignal reports the signal that killed a process, if one did.
func exitSignal(ps *os.ProcessState) (string, bool) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return "", false
	}
	return ws.Signal().String(), true
}
