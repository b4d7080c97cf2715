package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/syslogsock"
	"github.com/msmtp-go/msmtp/internal/testutil"
)

func TestParseServiceArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want *serviceRequest // nil: an error containing err
		err  string
	}{
		{args: []string{"install"}, want: &serviceRequest{action: "install", name: "msmtpd"}},
		{args: []string{"install", "--port=668", "--name", "php-mail", "--log=C:\\x.log"},
			want: &serviceRequest{action: "install", name: "php-mail", args: []string{"--port=668", "--log=C:\\x.log"}}},
		{args: []string{"start", "--name=a"}, want: &serviceRequest{action: "start", name: "a"}},
		{args: []string{"status"}, want: &serviceRequest{action: "status", name: "msmtpd"}},
		{args: []string{"stop", "--name", "b"}, want: &serviceRequest{action: "stop", name: "b"}},
		{args: []string{"uninstall", "--name=c"}, want: &serviceRequest{action: "uninstall", name: "c"}},
		{args: []string{"--help"}, want: &serviceRequest{action: "help", name: "msmtpd"}},
		{args: nil, err: "missing action"},
		{args: []string{"restart"}, err: `unknown action "restart"`},
		{args: []string{"start", "--port=25"}, err: `start takes no argument but --name: "--port=25"`},
		{args: []string{"stop", "--name"}, err: "'--name' requires an argument"},
		{args: []string{"install", "--name="}, err: "empty service name"},
		{args: []string{"install", "--name=a\\b"}, err: "contains a slash"},
		{args: []string{"install", "--name=-x"}, err: "starts with -"},
	} {
		got, err := parseServiceArgs(tc.args)
		if tc.want == nil {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %+v, %v; want an error with %q", tc.args, got, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(serviceRequest{})); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.args, diff)
		}
	}
}

func TestCheckServiceName(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{
		"msmtpd": true, "msmtpd-php 2": true, strings.Repeat("x", 256): true,
		"": false, strings.Repeat("x", 257): false, "a/b": false, `a\b`: false, `a"b`: false,
		"a\nb": false, "-a": false,
	} {
		if err := checkServiceName(name); (err == nil) != ok {
			t.Errorf("checkServiceName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}

// TestServiceArgs checks install's options as the service gets them: canonical, with
// absolute file names, and checked as the service will check them.
func TestServiceArgs(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	conf := testutil.WriteFile(t, dir, "msmtpd.toml", "hostname = \"mail.example\"\n", 0o644)
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	sys := &system{lookupEnv: envMap(nil), readFile: os.ReadFile}
	got, err := serviceArgs([]string{
		"--port", "668", "--command", "msmtp -f %F --", "--log=msmtpd.log", "--config", conf,
		"--allow-network=10.0.0.0/8", "--allow-network", "192.168.0.0/16", "--tls-self-signed",
		"--spool", filepath.Join("spool", "x"), "--log=syslog", "--queue=false", "--queue", "--queue=q",
	}, settingTable(), sys)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"--config=" + conf,
		"--port=668",
		"--command=msmtp -f %F --",
		"--log=" + filepath.Join(cwd, "msmtpd.log"),
		"--log=syslog",
		"--allow-network=10.0.0.0/8",
		"--allow-network=192.168.0.0/16",
		"--tls-self-signed",
		"--spool-dir=" + filepath.Join(cwd, "spool", "x"),
		"--queue=false",
		"--queue",
		"--queue=" + filepath.Join(cwd, "q"),
	}
	if len(got) == 0 || got[0] != want[0] {
		t.Errorf("the configuration file must come first: %q", got)
	}
	// The rest follows the settings table, whose order is not this test's business.
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--inetd"}, "inetd: a service listens"},
		{[]string{"--log=stderr"}, "a service has no standard error"},
		{[]string{"--version"}, "not options of a service"},
		{[]string{"--no-such-option"}, "unrecognized option"},
		{[]string{"--port=x"}, "invalid argument x for --port"},
		{[]string{"operand"}, "too many arguments"},
		{[]string{"--config=" + filepath.Join(dir, "missing.toml")}, "missing.toml"},
		{[]string{"--port=25", "--listen=127.0.0.1:26"}, "listen"},
	} {
		if got, err := serviceArgs(tc.args, settingTable(), sys); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %q, %v; want an error with %q", tc.args, got, err, tc.err)
		}
	}
}

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestSystemConfigFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"windows", map[string]string{"ProgramData": `D:\Data\`}, `D:\Data\msmtp\msmtpd.toml`},
		{"windows", nil, `C:\ProgramData\msmtp\msmtpd.toml`},
		{"linux", map[string]string{"ProgramData": `D:\Data`}, ""},
		{"darwin", nil, ""},
	} {
		if got := systemConfigFile(tc.goos, envMap(tc.env)); got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.goos, tc.env, got, tc.want)
		}
	}
}

func TestWithSystemConfig(t *testing.T) {
	t.Parallel()
	file := testutil.WriteFile(t, testutil.TempDir(t), "msmtpd.toml", "", 0o644)
	missing := filepath.Join(filepath.Dir(file), "missing.toml")
	for _, tc := range []struct {
		env        map[string]string
		file, want string
		ok         bool
	}{
		{nil, file, file, true},
		{map[string]string{"MSMTPD_CONFIG": ""}, file, file, true},
		{map[string]string{"MSMTPD_CONFIG": "/etc/x.toml"}, file, "/etc/x.toml", true},
		{nil, missing, "", false},
		{nil, "", "", false},
	} {
		lookup := withSystemConfig(envMap(tc.env), tc.file)
		if got, ok := lookup("MSMTPD_CONFIG"); got != tc.want || ok != tc.ok {
			t.Errorf("%v, file %q: MSMTPD_CONFIG = %q, %v; want %q, %v", tc.env, tc.file, got, ok, tc.want, tc.ok)
		}
		if got, ok := lookup("MSMTPD_PORT"); got != "" || ok {
			t.Errorf("%v: MSMTPD_PORT = %q, %v; want unset", tc.env, got, ok)
		}
	}
}

// TestVersionPaths checks that --version names the configuration file and the log in use,
// before the copyright.
func TestVersionPaths(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	logFile := filepath.Join(dir, "msmtpd.log")
	good := testutil.WriteFile(t, dir, "good.toml", "log = '"+logFile+"'\n", 0o644)
	bad := testutil.WriteFile(t, dir, "bad.toml", "no_such_setting = 1\n", 0o644)
	noConfig := "none (use --config=FILE or MSMTPD_CONFIG=FILE)"
	if def := systemConfigFile(runtime.GOOS, envMap(nil)); def != "" {
		noConfig = def + " (absent; read when it exists)"
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "Configuration file: " + noConfig + "\nLog: none\n"},
		{nil, map[string]string{"MSMTPD_CONFIG": good}, "Configuration file: " + good + "\nLog: " + logFile + "\n"},
		{[]string{"--config=" + good}, map[string]string{"MSMTPD_LOG": "stderr"}, "Configuration file: " + good + "\nLog: standard error\n"},
		{[]string{"--config", bad}, nil, "Configuration file: " + bad + "\nLog: unknown: " + bad + ": unknown setting no_such_setting\n"},
	} {
		var stdout, stderr strings.Builder
		args := append([]string{"msmtpd", "--version"}, tc.args...)
		code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, envMap(tc.env))
		if code != exitOK || stderr.Len() > 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), "\n"+tc.want+"\nCopyright ") {
			t.Errorf("%q: want\n%s\nbefore the copyright in\n%s", args, tc.want, stdout.String())
		}
	}
}

func TestWithPaths(t *testing.T) {
	t.Parallel()
	if got, want := withPaths("a\nb\n\nc\n\nd\n", "P\n"), "a\nb\nP\n\nc\n\nd\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := withPaths("a\n", "P\n"), "a\nP\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestServiceLogToEventLog checks the log of a Windows service: every line where log says,
// warnings and errors also in the Event Log, and --log=syslog the Event Log itself.
func TestServiceLogToEventLog(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Date(2026, 11, 25, 18, 24, 20, 0, time.UTC) }
	events := &logBuffer{}
	sys := &system{now: now, pid: 7, eventLog: events}
	file := filepath.Join(testutil.TempDir(t), "msmtpd.log")
	sink, err := newSink(file, sys, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	log := newLineLogger(sink)
	log.Info("mail accepted")
	log.Warn("mail rejected")
	if got, want := events.String(), "error: mail rejected"; got != want {
		t.Errorf("Event Log %q, want %q", got, want)
	}
	data, err := os.ReadFile(file)
	if want := "2026-11-25 18:24:20 msmtpd[7] info: mail accepted\n2026-11-25 18:24:20 msmtpd[7] error: mail rejected\n"; string(data) != want || err != nil {
		t.Errorf("log file %q (%v), want %q", data, err, want)
	}

	sink, err = newSink("none", sys, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	newLineLogger(sink).Error("cannot start pipe command")
	if got, want := events.String(), "error: mail rejected\nerror: cannot start pipe command"; got != want {
		t.Errorf("with --log=none: Event Log %q, want %q", got, want)
	}

	if !syslogsock.Supported {
		if sink, err := newSink("syslog", sys, os.Stderr); err != nil || sink != logSink(events) {
			t.Errorf("--log=syslog in a Windows service: %T, %v; want the Event Log", sink, err)
		}
	}
}
