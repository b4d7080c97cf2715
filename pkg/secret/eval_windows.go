//go:build windows

package secret

import (
	"context"
	"os/exec"
	"syscall"
)

// shellCommand runs command through cmd.exe. The command line is passed verbatim
// (SysProcAttr.CmdLine), because os/exec's argument quoting follows the C runtime's rules,
// which cmd.exe does not use. With /S, cmd.exe removes exactly the outer pair of quotes
// and runs the rest unchanged, whatever quotes the command contains.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "cmd.exe")
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: `cmd.exe /S /C "` + command + `"`}
	return cmd
}
