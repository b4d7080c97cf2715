package main

// The Windows service, for real: msmtpd.exe installs, starts, stops and removes services
// with the Service Control Manager. Under Wine (CI) these run in the Wine prefix's SCM; on
// Windows they need an elevated prompt. Every test's service has a name of its own, and is
// removed at the end even when the test fails.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// testService returns a fresh service name and removes the service of that name, and its
// Event Log source, when the test ends, whatever msmtpd.exe did or did not do. It skips the
// test without the rights to install services (on Windows outside an elevated prompt; under
// Wine the tests always have them).
func testService(t *testing.T) string {
	t.Helper()
	m, err := mgr.Connect()
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		t.Skip("installing services needs an elevated prompt (Run as administrator)")
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Disconnect()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "msmtpd-test-" + hex.EncodeToString(b)
	t.Cleanup(func() { removeTestService(t, name) })
	return name
}

func removeTestService(t *testing.T, name string) {
	defer func() {
		if err := removeEventSource(name); err != nil {
			t.Errorf("removing the Event Log source %s: %v", name, err)
		}
	}()
	m, err := mgr.Connect()
	if err != nil {
		t.Errorf("cannot connect to the SCM to remove service %s: %v", name, err)
		return
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return
	}
	if err != nil {
		t.Errorf("cannot open service %s to remove it: %v", name, err)
		return
	}
	defer s.Close()
	if st, err := s.Control(svc.Stop); err == nil && st.State != svc.Stopped {
		for deadline := time.Now().Add(e2eTimeout); time.Now().Before(deadline); time.Sleep(pollEvery) {
			if st, err := s.Query(); err != nil || st.State == svc.Stopped {
				break
			}
		}
	}
	if err := s.Delete(); err != nil {
		t.Errorf("cannot remove service %s: %v", name, err)
	}
}

// msmtpdExe runs msmtpd.exe to its end.
func msmtpdExe(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runProgram(t, nil, "", testutil.Binary(t, "msmtpd"), args...)
}

// eventSourceExists reports whether the Event Log source is registered.
func eventSourceExists(t *testing.T, name string) bool {
	t.Helper()
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, eventSourceKey+name, registry.QUERY_VALUE)
	if err == nil {
		k.Close()
		return true
	}
	if !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		t.Fatalf("reading the Event Log source %s: %v", name, err)
	}
	return false
}

// waitForState polls the service until it is in state want; a service that stops instead
// fails the test at once.
func waitForState(t *testing.T, name string, want svc.State) {
	t.Helper()
	s, err := openService(name, windows.SERVICE_QUERY_STATUS)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(e2eTimeout)
	for {
		st, err := s.Query()
		if err != nil {
			t.Fatal(err)
		}
		if st.State == want {
			return
		}
		if st.State == svc.Stopped || time.Now().After(deadline) {
			t.Fatalf("service %s is %s, not %s", name, describeState(st.State), describeState(want))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServiceLifecycle installs msmtpd as a service that pipes mail to a recording command,
// starts it, sends it a mail the way PHP on Windows does, stops it while a second mail is
// being sent (which must still be delivered), and removes it.
func TestServiceLifecycle(t *testing.T) {
	name := testService(t)
	dir := testutil.TempDir(t)
	// The command records each mail in rec, replacing the one before.
	rec := filepath.Join(dir, "rec")
	if err := os.Mkdir(rec, 0o755); err != nil {
		t.Fatal(err)
	}
	portFile, logFile := filepath.Join(dir, "port"), filepath.Join(dir, "msmtpd.log")
	command := helperCommand(t, rec, "-", "-f %F --")
	defer func() {
		if t.Failed() {
			log, _ := os.ReadFile(logFile)
			t.Logf("msmtpd log:\n%s", log)
		}
	}()

	stdout, stderr, code := msmtpdExe(t, "service", "install", "--name", name,
		"--port=0", "--port-file="+portFile, "--log="+logFile, "--command", command)
	if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "installed service "+name+": ") {
		t.Fatalf("service install: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !eventSourceExists(t, name) {
		t.Errorf("install did not register the Event Log source %s", name)
	}
	if _, stderr, code := msmtpdExe(t, "service", "install", "--name="+name, "--port=0"); code != exitCannotStart || !strings.Contains(stderr, "exists already") {
		t.Errorf("installing %s twice: exit %d, stderr %q; want 3 and \"exists already\"", name, code, stderr)
	}

	stdout, stderr, code = msmtpdExe(t, "service", "status", "--name", name)
	exe := testutil.Binary(t, "msmtpd")
	wantCmd := "command: " + commandLine(exe, []string{"--service=" + name, "--port=0", "--log=" + logFile,
		"--command=" + command, "--port-file=" + portFile})
	if code != statusNotRunning || !strings.HasPrefix(stdout, "service "+name+": stopped\n") || !strings.Contains(stdout, wantCmd+"\n") {
		t.Errorf("status before start: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 3, stopped, %s", code, stdout, stderr, wantCmd)
	}

	stdout, stderr, code = msmtpdExe(t, "service", "start", "--name", name)
	if code != 0 || !strings.HasPrefix(stdout, "service "+name+" is running (process ") {
		t.Fatalf("service start: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if stdout, _, code := msmtpdExe(t, "service", "start", "--name", name); code != 0 || !strings.Contains(stdout, "running already") {
		t.Errorf("starting it again: exit %d, %q; want 0 and \"running already\"", code, stdout)
	}
	if stdout, _, code := msmtpdExe(t, "service", "status", "--name", name); code != statusRunning || !strings.HasPrefix(stdout, "service "+name+": running (process ") {
		t.Errorf("status: exit %d, %q; want 0 and running", code, stdout)
	}
	data, err := os.ReadFile(portFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strings.TrimSpace(string(data)))

	// PHP's Windows SMTP client: HELO, no AUTH, no TLS.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	converse(t, conn, [][2]string{
		{"", "220 localhost ESMTP msmtpd\r\n"},
		{"HELO WIN-PHP\r\n", "250 localhost\r\n"},
		{"MAIL FROM:<www@example.com>\r\n", "250 Ok\r\n"},
		{"RCPT TO:<to@example.org>\r\n", "250 Ok\r\n"},
		{"DATA\r\n", "354 "},
		{"Subject: first\r\n\r\nbody one\n.\r\n", "250 Ok, mail was piped\r\n"},
		{"QUIT\r\n", "221 "},
	})
	conn.Close()
	wantDelivered(t, rec, []string{"-f", "www@example.com", "--", "to@example.org"}, "Subject: first\n", "\n\nbody one\n")

	// A stop request while a mail is coming in: msmtpd stops listening, lets the
	// transaction finish, then stops.
	conn, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	converse(t, conn, [][2]string{
		{"", "220 "},
		{"HELO WIN-PHP\r\n", "250 "},
		{"MAIL FROM:<www@example.com>\r\n", "250 "},
		{"RCPT TO:<second@example.org>\r\n", "250 "},
		{"DATA\r\n", "354 "},
		{"Subject: second\r\n\r\n", ""},
	})
	type result struct {
		stdout, stderr string
		code           int
	}
	stopped := make(chan result, 1)
	go func() {
		var r result
		r.stdout, r.stderr, r.code = msmtpdExe(t, "service", "stop", "--name", name)
		stopped <- r
	}()
	waitForState(t, name, svc.StopPending)
	select {
	case r := <-stopped:
		t.Fatalf("service stop returned before the mail in progress was finished: %+v", r)
	case <-time.After(200 * time.Millisecond):
	}
	converse(t, conn, [][2]string{{"body two\n.\r\n", "250 Ok, mail was piped\r\n"}})
	conn.Close()
	r := <-stopped
	if r.code != 0 || r.stdout != "service "+name+" stopped\n" {
		t.Errorf("service stop: %+v", r)
	}
	argv, mail, _ := recorded(t, rec)
	if want := "-f www@example.com -- second@example.org"; strings.Join(argv, " ") != want || !strings.Contains(mail, "\n\nbody two\n") {
		t.Errorf("the mail in progress at the stop: arguments %q, mail\n%s\nwant %s and body two", argv, mail, want)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("%s still accepts connections after the stop", addr)
	}
	if stdout, _, code := msmtpdExe(t, "service", "status", "--name", name); code != statusNotRunning || !strings.HasPrefix(stdout, "service "+name+": stopped\n") {
		t.Errorf("status after stop: exit %d, %q; want 3 and stopped", code, stdout)
	}

	// Uninstall stops a running service first.
	if _, stderr, code := msmtpdExe(t, "service", "start", "--name", name); code != 0 {
		t.Fatalf("second start: exit %d: %s", code, stderr)
	}
	stdout, stderr, code = msmtpdExe(t, "service", "uninstall", "--name", name)
	if want := "service " + name + " stopped\nremoved service " + name + "\n"; code != 0 || stdout != want {
		t.Errorf("service uninstall: exit %d\nstdout:\n%s\nstderr:\n%s\nwant stdout\n%s", code, stdout, stderr, want)
	}
	if eventSourceExists(t, name) {
		t.Errorf("uninstall left the Event Log source %s", name)
	}
	if _, stderr, code := msmtpdExe(t, "service", "status", "--name", name); code != statusNotInstalled || !strings.Contains(stderr, "there is no service "+name) {
		t.Errorf("status after uninstall: exit %d, stderr %q; want 4 and \"there is no service\"", code, stderr)
	}
	for _, want := range []string{"info: listening on " + addr, "info: mail was piped successfully", "info: shutting down", "info: msmtpd stopped"} {
		if log, _ := os.ReadFile(logFile); !strings.Contains(string(log), want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}

// TestServiceStartFailure checks that a service that cannot start says so with its exit
// status: here its port is taken.
func TestServiceStartFailure(t *testing.T) {
	name := testService(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	if _, stderr, code := msmtpdExe(t, "service", "install", "--name", name, "--port="+port); code != 0 {
		t.Fatalf("service install: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := msmtpdExe(t, "service", "start", "--name", name)
	if want := "service " + name + " did not start (exit status 3)"; code != exitCannotStart || stdout != "" || !strings.Contains(stderr, want) {
		t.Errorf("service start: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 3 and %q", code, stdout, stderr, want)
	}
	// The SCM may restart it (recovery actions); stop it for the status.
	msmtpdExe(t, "service", "stop", "--name", name)
	stdout, _, code = msmtpdExe(t, "service", "status", "--name", name)
	if code != statusNotRunning || !strings.HasPrefix(stdout, "service "+name+": stopped (exit status 3)\n") {
		t.Errorf("status: exit %d, %q; want 3 and stopped (exit status 3)", code, stdout)
	}
}

// TestServiceFlagOutsideTheSCM checks that --service run by hand says what to do instead
// of waiting for a Service Control Manager that will never call.
func TestServiceFlagOutsideTheSCM(t *testing.T) {
	t.Parallel()
	_, stderr, code := msmtpdExe(t, "--service=msmtpd", "--port=0")
	if code != exitCannotStart || !strings.Contains(stderr, "--service: only the Service Control Manager runs msmtpd so") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestServiceErrors checks the errors of actions on a service that is not there.
func TestServiceErrors(t *testing.T) {
	t.Parallel()
	name := testService(t)
	for _, action := range []string{"start", "stop", "uninstall"} {
		_, stderr, code := msmtpdExe(t, "service", action, "--name="+name)
		if want := "service " + action + ": there is no service " + name; code != exitCannotStart || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want 3 and %q", action, code, stderr, want)
		}
	}
	if _, stderr, code := msmtpdExe(t, "service", "install", "--name="+name, "--inetd"); code != exitCannotStart || !strings.Contains(stderr, "inetd") {
		t.Errorf("install --inetd: exit %d, stderr %q; want 3 and a word on inetd", code, stderr)
	}
	if _, stderr, code := msmtpdExe(t, "service", "restart"); code != exitCannotStart || !strings.Contains(stderr, `unknown action "restart"`) {
		t.Errorf("service restart: exit %d, stderr %q; want 3 and unknown action", code, stderr)
	}
	if stdout, _, code := msmtpdExe(t, "service", "--help"); code != 0 || stdout != serviceUsage {
		t.Errorf("service --help: exit %d, stdout %q", code, stdout)
	}
}
