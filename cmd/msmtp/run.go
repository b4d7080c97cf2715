package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/message"
	"github.com/msmtp-go/msmtp/pkg/queue"
	"github.com/msmtp-go/msmtp/pkg/secret"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// app is one run of msmtp: its standard streams and environment. Everything the run does
// goes through these, so tests can call run with buffers and a fake environment.
type app struct {
	ctx       context.Context
	args      []string
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	lookupEnv func(string) (string, bool)
	inv       *Invocation
	env       config.Env
	runner    *secret.Runner
	// settings are the command-line account settings, as given.
	settings *settingsRecorder
	// queueFS replaces the queue's file system in tests (a full disk); nil is the real one.
	queueFS queue.FS
}

// run is msmtp's main program; it returns the exit status (sysexits.h).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) sysexits.Code {
	a := &app{ctx: ctx, args: args, stdin: stdin, stdout: stdout, stderr: stderr, lookupEnv: lookupEnv}
	a.runner = &secret.Runner{Stderr: stderr}
	a.env = config.OSEnv()
	a.env.LookupEnv = lookupEnv
	a.env.Eval = a.runner.Hook(ctx)
	a.env.PasswordEval = a.env.Eval
	return a.main()
}

func (a *app) main() sysexits.Code {
	overrides := new(config.Overrides)
	a.settings = &settingsRecorder{overrides: overrides}
	inv, err := ParseArgs(a.args, ParseConfig{LookupEnv: a.lookupEnv, Settings: a.settings})
	if err != nil {
		fmt.Fprintln(a.stderr, err)
		return sysexits.Usage
	}
	a.inv = inv
	if inv.Version {
		io.WriteString(a.stdout, VersionText(a.versionInfo()))
	}
	if inv.Help {
		io.WriteString(a.stdout, HelpText(inv.Program))
	}
	if inv.Configure.Given {
		return a.configure()
	}
	if inv.Version || inv.Help {
		return sysexits.OK
	}
	if err := inv.CheckOperands(); err != nil {
		fmt.Fprintln(a.stderr, err)
		return sysexits.Usage
	}
	switch inv.Mode {
	case ModeNone, ModeNewAliases:
		return sysexits.OK
	case ModeServerInfo:
		return a.serverInfo(overrides)
	case ModeRMQS:
		return a.rmqs(overrides)
	case ModeSMTP:
		return a.smtpStdio()
	case ModeQueueList:
		return a.queueList()
	case ModeQueueRun:
		return a.queueRun()
	case ModeQueueDrop:
		return a.queueDrop()
	case ModeQueuePurge:
		return a.queuePurge()
	case ModeQueueHelp:
		return a.queueHelp()
	case ModeOAuth2Login:
		return a.oauth2Login(overrides)
	}
	return a.sendmail(overrides)
}

// errorf prints one diagnostic line, prefixed with the program name.
func (a *app) errorf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "%s: %s\n", a.inv.Program, fmt.Sprintf(format, args...))
}

// fail prints err and returns its exit code.
func (a *app) fail(err error) sysexits.Code {
	a.errorf("%s", delivery.Sanitize(err.Error()))
	return delivery.ExitCode(err)
}

// info is where the informational lines of --pretend and --debug go.
func (a *app) info() io.Writer {
	if a.inv.Pretend || a.inv.Debug {
		return a.stdout
	}
	return nil
}

func (a *app) versionInfo() VersionInfo {
	return VersionInfo{
		Version: version, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version(), IDN: true,
		SystemConfigFile: config.SystemFile(a.env), UserConfigFile: config.UserFile(a.env),
	}
}

func (a *app) configure() sysexits.Code {
	conf := a.inv.File.Value
	if !a.inv.File.Given {
		conf = config.UserFile(a.env)
	}
	err := runConfigure(a.ctx, net.DefaultResolver, configureInput{address: a.inv.Configure.Value, confFile: conf, goos: runtime.GOOS}, a.stdout)
	var ce *configureError
	if errors.As(err, &ce) {
		a.errorf("%s", err)
		return ce.code
	}
	return sysexits.OK
}

// resolve chooses the account for a mode (config.Resolve with this run's options).
func (a *app) resolve(mode config.Mode, overrides *config.Overrides, fromHeader config.OptString) (*config.Account, error) {
	return config.Resolve(config.Request{
		Mode:       mode,
		Pretend:    a.inv.Pretend,
		Account:    config.OptString{Value: a.inv.Account.Value, Set: a.inv.Account.Given},
		File:       config.OptString{Value: a.inv.File.Value, Set: a.inv.File.Given},
		Overrides:  overrides,
		FromHeader: fromHeader,
		Env:        a.env,
		Info:       a.info(),
	})
}

// deliveryOptions are the outside world for the delivery library. out receives what msmtp
// writes to standard output while it delivers: the --debug transcript and the log line of
// `logfile -`.
func (a *app) deliveryOptions(out io.Writer) delivery.Options {
	home, _ := a.lookupEnv("HOME")
	if home == "" && a.env.HomeDir != nil {
		home = a.env.HomeDir()
	}
	opts := delivery.Options{
		Passwords: &secret.Sources{
			Keyring:    secret.SystemKeyring(a.lookupEnv),
			NetrcFiles: secret.NetrcFiles(home, a.lookupEnv),
			Terminal:   secret.OpenTerminal,
		},
		Hostname: os.Hostname,
		Stdout:   out,
		Now:      time.Now,
		OAuth2:   a.oauth2Manager(),
	}
	if a.inv.Debug {
		opts.Transcript = out
		opts.AfterTLS = func(cs tls.ConnectionState) { writeTLSInfo(out, &cs, time.Local) }
	}
	return opts
}

// sendmail is the default mode: read a mail on standard input and send it
// (spec-cli-config.md §1.5 gives the order of the steps, which decides which error is
// reported first).
func (a *app) sendmail(overrides *config.Overrides) sysexits.Code {
	in := bufio.NewReaderSize(a.stdin, 64<<10)
	readOpts := message.ReadOptions{DotEndsInput: !a.inv.IgnoreDots}
	header, err := message.ReadHeader(in, readOpts)
	if err != nil {
		return a.fail(err)
	}
	fromHeader := config.OptString{}
	if f := header.EnvelopeFrom(); f != "" {
		fromHeader = config.Some(f)
	}
	if a.inv.ReadEnvelopeFrom {
		if !fromHeader.Set {
			a.errorf("no envelope from address found")
			return sysexits.Usage
		}
		overrides.SetEnvelopeFromMail(fromHeader.Value)
		if w := a.info(); w != nil {
			fmt.Fprintf(w, "envelope from address extracted from mail: %s\n", fromHeader.Value)
		}
	}
	var cmdline []string
	for _, arg := range a.inv.Recipients {
		cmdline = append(cmdline, message.ParseAddressList(arg)...)
	}
	var fromMail []string
	if a.inv.ReadRecipients {
		fromMail = header.Recipients()
	}
	rcpts := message.MergeRecipients(cmdline, fromMail)
	if len(rcpts) == 0 && !a.inv.Pretend {
		a.errorf("no recipients found")
		return sysexits.Usage
	}
	acct, err := a.resolve(config.ModeSendmail, overrides, fromHeader)
	if err != nil {
		return a.fail(err)
	}
	if a.inv.Pretend || a.inv.Debug {
		if err := config.WritePretend(a.stdout, acct, config.PretendOptions{Mode: config.ModeSendmail, ReadRecipients: a.inv.ReadRecipients}); err != nil {
			return a.fail(err)
		}
	}
	if a.inv.Pretend {
		// Aliases are expanded under --pretend too, so a broken aliases file shows
		// (spec-cli-config.md §1.5 step 15); the result is not printed.
		if acct.Aliases != "" {
			if _, err := config.ExpandAliases(acct.Aliases, rcpts, openFile); err != nil {
				return a.fail(err)
			}
		}
		return sysexits.OK
	}
	if a.inv.QueueOnly || acct.Queue {
		return a.sendQueued(acct, header, message.NewBody(in, readOpts), rcpts)
	}
	mail := delivery.Mail{
		Account:  acct,
		Envelope: delivery.Envelope{From: acct.From.Value, Recipients: rcpts, EnvelopeID: a.inv.EnvelopeID.Value},
		Header:   header,
		Body:     message.NewBody(in, readOpts),
		BodySize: remaining(a.stdin, in),
	}
	res, err := delivery.Send(a.ctx, a.deliveryOptions(a.stdout), mail)
	a.reportLog(res)
	if err != nil {
		delivery.Report(a.stderr, a.inv.Program, acct, res, err)
		return delivery.ExitCode(err)
	}
	return sysexits.OK
}

// reportLog tells the user that the log line could not be written, as upstream does,
// without changing the exit status.
func (a *app) reportLog(res *delivery.Result) {
	if res == nil || res.LogErr == nil {
		return
	}
	for _, err := range unjoin(res.LogErr) {
		a.errorf("%s", err)
		var le *delivery.LogFileError
		if errors.As(err, &le) {
			a.errorf("log info was: %s", le.Line)
		}
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func openFile(name string) (io.ReadCloser, error) { return os.Open(name) }

// remaining returns how many bytes of the mail are left to read when standard input is a
// regular file (`msmtp -t < mail.txt`), so that its size can be declared to the server; 0
// when that is not known (a pipe).
func remaining(stdin io.Reader, buffered *bufio.Reader) int64 {
	f, ok := stdin.(*os.File)
	if !ok {
		return 0
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0
	}
	return fi.Size() - pos + int64(buffered.Buffered())
}
