package main

// The Windows side of service.go: the Service Control Manager (SCM) calls of `msmtpd
// service ...`, and msmtpd running as the service (--service).
//
// Under Wine 8 (where CI tests this) Service.Config, UpdateConfig, RecoveryActions and
// DelayedAutoStart fail with "Invalid level", so none of them is used: the status reads the
// configuration with QueryServiceConfig, which works everywhere (wine.md §4e).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// servicesSupported: Windows has the Service Control Manager.
const servicesSupported = true

// How long `service start` and `service stop` wait for the service to get there. Stopping
// can take shutdown_timeout (30 s by default) and more: the service reports progress, and we
// wait while it does.
const (
	startWait = 2 * time.Minute
	stopWait  = 10 * time.Minute
	pollEvery = 100 * time.Millisecond
)

// recoveryActions restart a failed service after 5 s, then 30 s, then every minute; the count
// of failures starts over after a day without one (recoveryResetSeconds).
func recoveryActions() []mgr.RecoveryAction {
	return []mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
	}
}

const recoveryResetSeconds = 24 * 60 * 60

// manageService carries out a service request with the SCM.
func manageService(ctx context.Context, req *serviceRequest, stdout, stderr io.Writer) int {
	if req.action == "status" {
		return serviceStatus(req, stdout, stderr)
	}
	var err error
	switch req.action {
	case "install":
		err = installService(req, stdout, stderr)
	case "uninstall":
		err = uninstallService(ctx, req.name, stdout)
	case "start":
		err = startService(ctx, req.name, stdout)
	case "stop":
		err = stopService(ctx, req.name, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: service %s: %s\n", req.program, req.action, explainSCMError(req.name, err))
		return exitCannotStart
	}
	return exitOK
}

// explainSCMError words the errors users can act on. Windows' own texts differ between
// Windows versions and Wine, so the codes decide.
func explainSCMError(name string, err error) string {
	switch {
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return "access denied: run it from an elevated prompt (Run as administrator)"
	case errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST):
		return fmt.Sprintf("there is no service %s (msmtpd service install --name=%s)", name, name)
	case errors.Is(err, windows.ERROR_SERVICE_EXISTS), errors.Is(err, windows.ERROR_DUPLICATE_SERVICE_NAME):
		return fmt.Sprintf("a service %s exists already; uninstall it first, or choose another --name", name)
	case errors.Is(err, windows.ERROR_SERVICE_MARKED_FOR_DELETE):
		return fmt.Sprintf("service %s is being removed; close programs that show it (services.msc) and try again", name)
	}
	return sanitize(err.Error())
}

// connectSCM opens the SCM with the access given.
func connectSCM(access uint32) (*mgr.Mgr, error) {
	h, err := windows.OpenSCManager(nil, nil, access)
	if err != nil {
		return nil, err
	}
	return &mgr.Mgr{Handle: h}, nil
}

// openService opens the service name with only the access needed, so that status works
// without elevation.
func openService(name string, access uint32) (*mgr.Service, error) {
	m, err := connectSCM(windows.SC_MANAGER_CONNECT)
	if err != nil {
		return nil, err
	}
	defer m.Disconnect()
	p, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	h, err := windows.OpenService(m.Handle, p, access)
	if err != nil {
		return nil, err
	}
	return &mgr.Service{Name: name, Handle: h}, nil
}

func installService(req *serviceRequest, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find msmtpd.exe itself: %w", err)
	}
	m, err := connectSCM(windows.SC_MANAGER_CREATE_SERVICE | windows.SC_MANAGER_CONNECT)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	display := "msmtpd"
	if req.name != defaultServiceName {
		display += " (" + req.name + ")"
	}
	args := append([]string{serviceFlag + "=" + req.name}, req.args...)
	s, err := m.CreateService(req.name, exe, mgr.Config{
		StartType:   mgr.StartAutomatic,
		DisplayName: display,
		Description: "SMTP server for local programs: passes each mail on to msmtp (msmtp-go " + version + ")",
	}, args...)
	if err != nil {
		return err
	}
	defer s.Close()
	// Without these the service still works; say what is missing and go on.
	warn := func(what string, err error) {
		fmt.Fprintf(stderr, "%s: service install: warning: %s: %s\n", req.program, what, explainSCMError(req.name, err))
	}
	if err := s.SetRecoveryActions(recoveryActions(), recoveryResetSeconds); err != nil {
		warn("the service will not be restarted after a crash", err)
	}
	// Also when it stops with an error of its own (exit status 3: cannot start). Wine 8 does
	// not know this setting (ERROR_INVALID_LEVEL): nothing the user could change.
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil && !errors.Is(err, windows.ERROR_INVALID_LEVEL) {
		warn("the service will not be restarted when it fails to start", err)
	}
	if err := installEventSource(req.name); err != nil {
		warn("cannot register the Event Log source "+req.name, err)
	}
	fmt.Fprintf(stdout, "installed service %s: %s\n", req.name, commandLine(exe, args))
	fmt.Fprintf(stdout, "it starts at boot; to start it now: msmtpd service start --name=%s\n", req.name)
	return nil
}

// commandLine is the command line the SCM runs, as CreateService writes it.
func commandLine(exe string, args []string) string {
	words := []string{syscall.EscapeArg(exe)}
	for _, a := range args {
		words = append(words, syscall.EscapeArg(a))
	}
	return strings.Join(words, " ")
}

func uninstallService(ctx context.Context, name string, stdout io.Writer) error {
	s, err := openService(name, windows.SERVICE_STOP|windows.SERVICE_QUERY_STATUS|windows.DELETE)
	if err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			// Whatever an interrupted uninstall left behind goes too.
			_ = removeEventSource(name)
		}
		return err
	}
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		return err
	}
	if st.State != svc.Stopped {
		if err := stop(ctx, s, stdout); err != nil {
			return err
		}
	}
	if err := s.Delete(); err != nil {
		return err
	}
	if err := removeEventSource(name); err != nil {
		return fmt.Errorf("removed the service, but not its Event Log source: %w", err)
	}
	fmt.Fprintf(stdout, "removed service %s\n", name)
	return nil
}

func startService(ctx context.Context, name string, stdout io.Writer) error {
	s, err := openService(name, windows.SERVICE_START|windows.SERVICE_QUERY_STATUS)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Start(); err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
			fmt.Fprintf(stdout, "service %s is running already\n", name)
			return nil
		}
		return err
	}
	st, err := waitWhile(ctx, s, startWait, svc.StartPending)
	if err != nil {
		return err
	}
	if st.State != svc.Running {
		return fmt.Errorf("service %s did not start (%s); the Event Log says why (Application, source %s)",
			name, describeExit(st), name)
	}
	fmt.Fprintf(stdout, "service %s is running (process %d)\n", name, st.ProcessId)
	return nil
}

func stopService(ctx context.Context, name string, stdout io.Writer) error {
	s, err := openService(name, windows.SERVICE_STOP|windows.SERVICE_QUERY_STATUS)
	if err != nil {
		return err
	}
	defer s.Close()
	return stop(ctx, s, stdout)
}

// stop asks the service to stop and waits until it has.
func stop(ctx context.Context, s *mgr.Service, stdout io.Writer) error {
	if _, err := s.Control(svc.Stop); err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
			fmt.Fprintf(stdout, "service %s is not running\n", s.Name)
			return nil
		}
		return err
	}
	// Until the service has seen the request it may still say it runs.
	st, err := waitWhile(ctx, s, stopWait, svc.Running, svc.StopPending)
	if err != nil {
		return err
	}
	if st.State != svc.Stopped {
		return fmt.Errorf("service %s did not stop: it is %s", s.Name, describeState(st.State))
	}
	fmt.Fprintf(stdout, "service %s stopped\n", s.Name)
	return nil
}

// waitWhile polls the service while it is in one of the states, for at most limit.
func waitWhile(ctx context.Context, s *mgr.Service, limit time.Duration, states ...svc.State) (svc.Status, error) {
	deadline := time.Now().Add(limit)
	for {
		st, err := s.Query()
		if err != nil || !slices.Contains(states, st.State) {
			return st, err
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("service %s is still %s after %v", s.Name, describeState(st.State), limit)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

func serviceStatus(req *serviceRequest, stdout, stderr io.Writer) int {
	name := req.name
	s, err := openService(name, windows.SERVICE_QUERY_STATUS|windows.SERVICE_QUERY_CONFIG)
	if err != nil {
		fmt.Fprintf(stderr, "%s: service status: %s\n", req.program, explainSCMError(name, err))
		return statusNotInstalled
	}
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		fmt.Fprintf(stderr, "%s: service status: %s\n", req.program, explainSCMError(name, err))
		return statusNotInstalled
	}
	state := describeState(st.State)
	switch code := exitCodeOf(st); {
	case st.State == svc.Running:
		state += fmt.Sprintf(" (process %d)", st.ProcessId)
	case st.State == svc.Stopped && code != 0 && code != uint32(windows.ERROR_SERVICE_NEVER_STARTED):
		state += " (" + describeExit(st) + ")"
	}
	fmt.Fprintf(stdout, "service %s: %s\n", name, state)
	if cmd, start, err := queryConfig(s.Handle); err == nil {
		fmt.Fprintf(stdout, "command: %s\nstarts: %s\n", cmd, start)
	}
	if st.State == svc.Running {
		return statusRunning
	}
	return statusNotRunning
}

// queryConfig returns the service's command line and start type. Service.Config would also
// query the description and more with QueryServiceConfig2, which Wine 8 lacks in part.
func queryConfig(h windows.Handle) (cmd, start string, err error) {
	n := uint32(1024)
	for {
		buf := make([]byte, n)
		c := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&buf[0]))
		err = windows.QueryServiceConfig(h, c, n, &n)
		if errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		switch c.StartType {
		case windows.SERVICE_AUTO_START:
			start = "at boot"
		case windows.SERVICE_DEMAND_START:
			start = "by hand"
		case windows.SERVICE_DISABLED:
			start = "never (disabled)"
		default:
			start = fmt.Sprintf("start type %d", c.StartType)
		}
		return windows.UTF16PtrToString(c.BinaryPathName), start, nil
	}
}

func describeState(s svc.State) string {
	switch s {
	case svc.Stopped:
		return "stopped"
	case svc.StartPending:
		return "starting"
	case svc.StopPending:
		return "stopping"
	case svc.Running:
		return "running"
	}
	return fmt.Sprintf("in state %d", s)
}

// exitCodeOf is the exit status of a stopped service: msmtpd's own (3: could not start), or
// a Windows error code.
func exitCodeOf(st svc.Status) uint32 {
	if st.Win32ExitCode == uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR) {
		return st.ServiceSpecificExitCode
	}
	return st.Win32ExitCode
}

func describeExit(st svc.Status) string {
	if st.Win32ExitCode == uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR) {
		return fmt.Sprintf("exit status %d", st.ServiceSpecificExitCode)
	}
	if st.Win32ExitCode == 0 {
		return "stopped without an error"
	}
	return fmt.Sprintf("Windows error %d: %s", st.Win32ExitCode, syscall.Errno(st.Win32ExitCode).Error())
}

// Exit statuses of `msmtpd service status`, LSB's: running, not running, unknown.
const (
	statusRunning      = 0
	statusNotRunning   = 3
	statusNotInstalled = 4
)

// serviceNameOf returns the name in --service=NAME, or the default.
func serviceNameOf(flag string) string {
	if name, ok := strings.CutPrefix(flag, serviceFlag+"="); ok && name != "" {
		return name
	}
	return defaultServiceName
}

// runService is msmtpd started by the SCM as `msmtpd --service=NAME OPTION...`.
func runService(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stderr io.Writer) int {
	h := &serviceHandler{
		ctx:       ctx,
		name:      serviceNameOf(args[1]),
		args:      append([]string{args[0]}, args[2:]...),
		lookupEnv: lookupEnv,
		stderr:    stderr,
	}
	if err := svc.Run(h.name, h); err != nil {
		if errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
			fmt.Fprintf(stderr, "%s: %s: only the Service Control Manager runs msmtpd so; use: msmtpd service start --name=%s\n",
				args[0], serviceFlag, h.name)
		} else {
			fmt.Fprintf(stderr, "%s: %s: %s\n", args[0], serviceFlag, sanitize(err.Error()))
		}
		return exitCannotStart
	}
	return int(h.code)
}

// serviceHandler runs msmtpd for the SCM: the same run as on the command line (runWith), with
// a context that a stop request cancels, so that mail in progress is finished first.
type serviceHandler struct {
	ctx       context.Context
	name      string
	args      []string
	lookupEnv func(string) (string, bool)
	stderr    io.Writer
	code      uint32 // runWith's exit status
}

// Wait hints for the SCM: how long until the next status report, at most.
const (
	startWaitHint = 30 * time.Second
	stopWaitHint  = 5 * time.Second
	stopProgress  = time.Second // how often a stopping service reports progress
)

// Execute is svc.Handler's.
func (h *serviceHandler) Execute(_ []string, requests <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending, WaitHint: uint32(startWaitHint.Milliseconds())}
	sys := osSystem(h.lookupEnv, h.stderr)
	// Without the Event Log msmtpd still runs; its complaints then go nowhere but to a
	// log file, if one is set.
	if el, err := openEventLog(h.name); err == nil {
		defer el.close()
		sys.eventLog = el
	}
	// A service's standard error leads nowhere: what msmtpd would say there (why it cannot
	// start, passwordeval's complaints) goes to the Event Log as errors.
	stderr := &eventLogWriter{sink: sys.eventLog, also: h.stderr}
	sys.runner.Stderr = stderr
	ready := make(chan struct{})
	sys.ready = sync.OnceFunc(func() { close(ready) })

	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runWith(ctx, h.args, strings.NewReader(""), io.Discard, stderr, sys)
	}()

	running := svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case <-ready:
			ready = nil
			status <- running
			stderr.info("service " + h.name + " started")
		case code := <-done:
			// msmtpd ended by itself: it could not start, or a listener failed.
			return h.exit(code)
		case r := <-requests:
			switch r.Cmd {
			case svc.Interrogate:
				status <- r.CurrentStatus
			case svc.Stop, svc.Shutdown:
				cancel()
				code := h.stopping(requests, status, done)
				stderr.info("service " + h.name + " stopped")
				return h.exit(code)
			}
		}
	}
}

// stopping reports progress to the SCM until msmtpd has finished the mail in progress.
func (h *serviceHandler) stopping(requests <-chan svc.ChangeRequest, status chan<- svc.Status, done <-chan int) int {
	st := svc.Status{State: svc.StopPending, CheckPoint: 1, WaitHint: uint32(stopWaitHint.Milliseconds())}
	status <- st
	tick := time.NewTicker(stopProgress)
	defer tick.Stop()
	for {
		select {
		case code := <-done:
			return code
		case <-tick.C:
			st.CheckPoint++
			status <- st
		case r := <-requests:
			if r.Cmd == svc.Interrogate {
				status <- st
			}
		}
	}
}

// exit turns runWith's status into Execute's result: a service-specific exit code.
func (h *serviceHandler) exit(code int) (bool, uint32) {
	h.code = uint32(code)
	return code != exitOK, h.code
}

// eventLogWriter is the standard error of the service: each line is an error event. It also
// writes to also, the process's standard error, which is nowhere on Windows and Wine's
// console in a test.
type eventLogWriter struct {
	mu   sync.Mutex
	sink logSink // nil: no Event Log
	also io.Writer
}

func (w *eventLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.also.Write(p)
	if w.sink != nil {
		for _, line := range strings.Split(string(p), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				_ = w.sink.write(true, sanitize(line))
			}
		}
	}
	return len(p), nil
}

// info records a service event in the Event Log.
func (w *eventLogWriter) info(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sink != nil {
		_ = w.sink.write(false, msg)
	}
}
