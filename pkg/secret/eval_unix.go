//go:build !windows

package secret

import (
	"context"
	"os/exec"
)

// shellCommand runs command the way popen(3) does: `/bin/sh -c command`.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	return exec.CommandContext(ctx, "/bin/sh", "-c", command)
}
