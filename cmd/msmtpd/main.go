// Command msmtpd is a small SMTP server for local programs that can only speak SMTP (PHP on
// Windows, printers, Alertmanager): it hands each mail on to msmtp — by piping it to a
// command, upstream msmtpd's way, or in-process through the delivery library. See
// docs/msmtpd.1.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// SIGTERM (systemd, docker stop) and SIGINT (Ctrl-C) start a graceful shutdown; a
	// second signal is not special: the shutdown is bounded by shutdown_timeout anyway.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}
