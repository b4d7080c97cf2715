package main

import (
	"os"
	"os/exec"
	"path/filepath"
)

// parseCommandTemplate parses --command by the Windows command-line rules (see wincmd.go).
func parseCommandTemplate(text string) (*commandTemplate, error) { return parseWindowsCommand(text) }

// defaultCommand is upstream's default with the msmtp.exe next to this msmtpd.exe.
func defaultCommand(exe string) string {
	return quoteWindowsArg(filepath.Join(filepath.Dir(exe), "msmtp.exe")) + " -f %F --"
}

// prepareCommand: Windows has no process groups to set up here; os/exec's default Cancel
// terminates the process.
func prepareCommand(*exec.Cmd) {}

// exitSignal: Windows processes are not killed by signals.
func exitSignal(*os.ProcessState) (string, bool) { return "", false }
