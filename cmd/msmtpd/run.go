package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/msmtp-go/msmtp/pkg/secret"
	"github.com/msmtp-go/msmtp/pkg/server"
)

// Exit statuses. Upstream exits 3 whenever msmtpd cannot start (LSB's "program is not
// running"); in --inetd mode it exits 0 after a normal session and 1 otherwise.
const (
	exitOK          = 0
	exitSession     = 1
	exitCannotStart = 3
)

// system is what msmtpd uses from outside the process. osSystem gives the real one; tests
// replace parts.
type system struct {
	lookupEnv  func(string) (string, bool)
	readFile   func(string) ([]byte, error)
	executable func() (string, error)
	pid        int
	now        func() time.Time
	// keyring and terminal are where --auth=USER finds the password.
	keyring  secret.Keyring
	terminal func() (secret.Terminal, error)
	// runner runs passwordeval commands.
	runner *secret.Runner
	// syslogSockets overrides the places of the syslog socket; nil means the usual ones.
	syslogSockets []string
	// eventLog and ready are set in a Windows service (service_windows.go): eventLog is the
	// service's Event Log, ready is called once msmtpd listens.
	eventLog logSink
	ready    func()
}

func osSystem(lookupEnv func(string) (string, bool), stderr io.Writer) *system {
	return &system{
		lookupEnv:  lookupEnv,
		readFile:   os.ReadFile,
		executable: os.Executable,
		pid:        os.Getpid(),
		now:        time.Now,
		keyring:    secret.SystemKeyring(lookupEnv),
		terminal:   secret.OpenTerminal,
		runner:     &secret.Runner{Stderr: stderr},
	}
}

// run is msmtpd's main program. It returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	lookupEnv = withSystemConfig(lookupEnv, systemConfigFile(runtime.GOOS, lookupEnv))
	// `msmtpd service ...` manages the Windows service, which runs `msmtpd --service=NAME
	// OPTIONS...` (service.go).
	if len(args) > 1 {
		switch {
		case args[1] == "service":
			return serviceCommand(ctx, args, stdout, stderr, osSystem(lookupEnv, stderr))
		case isServiceFlag(args[1]):
			return runService(ctx, args, lookupEnv, stderr)
		}
	}
	return runWith(ctx, args, stdin, stdout, stderr, osSystem(lookupEnv, stderr))
}

func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, sys *system) int {
	program := "msmtpd"
	if len(args) > 0 {
		program = args[0]
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s: %s\n", program, sanitize(err.Error()))
		return exitCannotStart
	}
	table := settingTable()
	inv, err := parseArgs(args, table, sys.lookupEnv)
	if err != nil {
		return fail(err)
	}
	if inv.version {
		io.WriteString(stdout, withPaths(versionText(), pathsText(inv, table, sys)))
		return exitOK
	}
	if inv.help {
		io.WriteString(stdout, helpText(table))
		return exitOK
	}
	opts, err := loadOptions(inv, table, sys.lookupEnv, sys.readFile)
	if err != nil {
		return fail(err)
	}
	d, err := newDaemon(ctx, opts, sys, stdout, stderr)
	if err != nil {
		return fail(err)
	}
	if opts.inetd {
		if d.serveConn(ctx, inetdConn(stdin, stdout)) {
			return exitOK
		}
		return exitSession
	}
	if err := d.listen(ctx); err != nil {
		return fail(err)
	}
	if sys.ready != nil {
		sys.ready()
	}
	if err := d.serve(ctx); err != nil {
		// A listener failed after start-up (upstream exits 3 when accept fails).
		return fail(err)
	}
	return exitOK
}

// inetdConn is the connection of --inetd: standard input itself when it is a socket (inetd,
// xinetd, systemd with Accept=yes), so that the Received header shows the client's address;
// otherwise standard input and output as a stream (a pipe, a terminal).
func inetdConn(stdin io.Reader, stdout io.Writer) net.Conn {
	if f, ok := stdin.(*os.File); ok {
		if c, err := net.FileConn(f); err == nil {
			return c
		}
		// Not a socket. net.FileConn has set O_NONBLOCK on the descriptor while trying
		// (on a dup, which shares the flag), and os.Stdin does not wait for data on a
		// non-blocking descriptor: a read before the client's data arrived would fail
		// with EAGAIN. A file opened anew on it uses the runtime's poller, which waits —
		// and gives --inetd its idle timeouts on pipes too.
		stdin = pollable(f)
	}
	return &server.StreamConn{R: stdin, W: stdout}
}
