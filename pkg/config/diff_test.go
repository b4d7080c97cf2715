package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// The differential test runs Debian's msmtp 1.8.23 (skipped when it is not installed) and
// this package on the same configuration files and command lines, and compares standard
// output, the error message and the exit code. It covers every good and bad testdata file
// (the runs of TestGoodConfigs and TestBadConfigs) and a list of command lines.
//
// Differences between 1.8.23 and msmtp 1.8.33, which this package follows, are excepted by
// name: the --pretend lines that only one of them prints, and the files and command lines
// listed in diffSkip.

const referenceMsmtp = "/usr/bin/msmtp"

// oauth2Extension is why the OAuth2 files are not compared: msmtp has no oauth2_* commands.
const oauth2Extension = "the oauth2_* commands are our extension"

// diffSkip lists what 1.8.23 cannot be compared on, with the reason.
var diffSkip = map[string]string{
	"head.msmtprc":                         "from_full_name and set_to_header are msmtp 1.8.24+ commands; allow_from_override inheritance changed in 1.8.24",
	"oauth2-auth.msmtprc":                  oauth2Extension,
	"oauth2-client-id.msmtprc":             oauth2Extension,
	"oauth2-custom-token-endpoint.msmtprc": oauth2Extension,
	"oauth2-http-endpoint.msmtprc":         oauth2Extension,
	"oauth2-provider.msmtprc":              oauth2Extension,
	"oauth2-tenant.msmtprc":                oauth2Extension,
	"oauth2-token-store.msmtprc":           oauth2Extension,
	"oauth2.msmtprc":                       oauth2Extension,
}

// onlyReference and onlyOurs are --pretend lines that exist in one version only
// (spec-cli-config.md §6).
var (
	onlyReference = []string{"undisclosed_recipients = "}
	onlyOurs      = []string{"from_full_name = ", "set_msgid_header = ", "set_to_header = "}
)

// diffCommandLines are compared on top of the file runs: command-line values (C-15 to C-18),
// conflicts of selection, EMAIL/SMTPSERVER.
var diffCommandLines = [][]string{
	{"--host=h", "-P", "-f", "a@b", "--port=0x19"},
	{"--host=h", "-P", "-f", "a@b", "--port=031"},
	{"--host=h", "-P", "-f", "a@b", "--port= 25"},
	{"--host=h", "-P", "-f", "a@b", "--port=+26"},
	{"--host=h", "-P", "-f", "a@b", "--port=25x"},
	{"--host=h", "-P", "-f", "a@b", "--port=0"},
	{"--host=h", "-P", "-f", "a@b", "--port=65536"},
	{"--host=h", "-P", "-f", "a@b", "--port="},
	{"--host=h", "-P", "-f", "a@b", "--timeout=08"},
	{"--host=h", "-P", "-f", "a@b", "--timeout=0"},
	{"--host=h", "-P", "-f", "a@b", "--timeout=1"},
	{"--host=h", "-P", "-f", "a@b", "--timeout=2147483648"},
	{"--host=h", "-P", "-f", "a@b", "--connect-timeout=x"},
	{"--host=h", "-P", "-f", "a@b", "--connect-timeout=99"},
	{"--host=h", "-P", "-f", "a@b", "--auth=PLAIN"},
	{"--host=h", "-P", "-f", "a@b", "--auth="},
	{"--host=h", "-P", "-f", "a@b", "--auth=cram-md5"},
	{"--host=h", "-P", "-f", "a@b", "--tls=yes"},
	{"--host=h", "-P", "-f", "a@b", "--tls="},
	{"--host=h", "-P", "-f", "a@b", "--tls", "--tls-starttls=off", "--tls-certcheck=off"},
	{"--host=h", "-P", "-f", "a@b", "--protocol=SMTP"},
	{"--host=h", "-P", "-f", "a@b", "--protocol=lmtp"},
	{"--host=h", "-P", "-f", "a@b", "--protocol=lmtp", "--port=24"},
	{"--host=h", "-P", "-f", "a@b", "-N", "bogus"},
	{"--host=h", "-P", "-f", "a@b", "-N", "success,failure"},
	{"--host=h", "-P", "-f", "a@b", "-N", "never"},
	{"--host=h", "-P", "-f", "a@b", "-N", "delay,,success"},
	{"--host=h", "-P", "-f", "a@b", "-R", "HDRS"},
	{"--host=h", "-P", "-f", "a@b", "-R", "hdrs"},
	{"--host=h", "-P", "-f", "a@b", "-R", "full"},
	{"--host=h", "-P", "-f", "a@b", "--syslog"},
	{"--host=h", "-P", "-f", "a@b", "--syslog=mail"},
	{"--host=h", "-P", "-f", "a@b", "--syslog=LOG_LOCAL5"},
	{"--host=h", "-P", "-f", "a@b", "--tls-fingerprint=aa bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd"},
	{"--host=h", "-P", "-f", "a@b", "--tls-fingerprint=aa-bb"},
	{"--host=h", "-P", "-f", "a@b", "--proxy-host=p", "--proxy-port="},
	{"--host=h", "-P", "-f", "a@b", "--proxy-port=0"},
	{"--host=h", "-P", "-f", "a@b", "--tls-min-dh-prime-bits=0"},
	{"--host=h", "-P", "-f", "a@b", "--maildomain=", "--auto-from"},
	{"--host=h", "-P", "-f", "a@b", "--maildomain=md.example", "--auto-from=on"},
	{"--host=h", "-P", "-f", "a@b", "--domain="},
	{"--host=h", "-P", "-f", "a@b", "--keepbcc", "--add-missing-from-header=off", "--add-missing-date-header=off"},
	{"--host=h", "-P", "-f", "a@b", "--keepbcc="},
	{"--host=h", "-P", "-f", "a@b", "--set-from-header=on", "--set-date-header=on"},
	{"--host=h", "-P", "-f", "a@b", "--tls-force-sslv3=whatever"},
	{"--host=h", "-P", "-f", "a@b", "-X", "~/log", "--aliases=~x", "--tls-trust-file=~/ca", "--socket=~/s"},
	{"--host=h", "-P", "-f", "<>"},
	{"--host=h", "-P", "-f", "<a@b>"},
	{"--host=h", "-P", "-f", "%U@%H"},
	{"--host=", "-P"},
	{"--host=h", "-P", "-S"},
	{"--host=h", "-P", "--rmqs=@dom.example"},
	{"--host=h"},
	{"--host=h", "-f", "a@b", "--tls", "--tls-trust-file="},
	{"--host=h", "-f", "a@b", "--tls", "--tls-key-file=/k"},
	{"-C", "/nonexistent", "-P"},
	{"-C", "", "-P"},
	{"-C", "testdata", "-P"},
	{"-C", "testdata/good/providers.msmtprc", "-P", "-S"},
	{"-C", "testdata/good/providers.msmtprc", "-P", "-a", "nope"},
	{"-C", "testdata/good/providers.msmtprc", "-P", "--rmqs=x", "-a", "fastmail"},
	{"-C", "testdata/good/providers.msmtprc", "-P", "-a", "office365", "-f", "x@y", "--port=99", "--auth=off"},
	{"-C", "testdata/good/debian.msmtprc", "-P", "-f", "other@x"},
}

// diffEnvironments add environment variables to the command lines above.
var diffEnvironments = []struct {
	vars []string
	args []string
}{
	{[]string{"SMTPSERVER=127.0.0.1", "EMAIL=env@example.com"}, []string{"-C", "testdata/good/inheritance.msmtprc", "-P"}},
	{[]string{"SMTPSERVER=127.0.0.1"}, []string{"-C", "testdata/good/inheritance.msmtprc", "-P"}},
	{[]string{"SMTPSERVER=127.0.0.1"}, []string{"-C", "testdata/good/inheritance.msmtprc", "-P", "-f", "me@x"}},
	{[]string{"SMTPSERVER=s"}, []string{"-C", "testdata/good/inheritance.msmtprc", "-P", "-S"}},
	{[]string{"SMTPSERVER=s", "EMAIL=e@x"}, []string{"-C", "testdata/good/inheritance.msmtprc", "-P", "-a", "default"}},
	{[]string{"SMTPSERVER=s", "EMAIL="}, []string{"-C", "testdata/good/inheritance.msmtprc", "-P"}},
	{[]string{"USER=", "HOSTNAME="}, []string{"--host=h", "-P", "-f", "%U@%H"}},
	{[]string{"USER=someone"}, []string{"-C", "testdata/good/debian.msmtprc", "-P"}},
	{[]string{"SMTPSERVER=s"}, []string{"-C", "testdata/good/quoting.msmtprc", "-P", "-f", ""}},
}

func TestDifferential(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the reference msmtp is a Unix program")
	}
	if _, err := os.Stat(referenceMsmtp); err != nil {
		t.Skipf("%s not installed", referenceMsmtp)
	}
	t.Parallel()
	home := testutil.TempDir(t)
	type run struct {
		name string
		args []string
		vars []string
	}
	var runs []run
	for _, pattern := range []string{"testdata/good/*.msmtprc", "testdata/bad/*.msmtprc"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if reason, ok := diffSkip[filepath.Base(file)]; ok {
				t.Logf("skipping %s: %s", file, reason)
				continue
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(file, "testdata/good/") {
				for _, args := range goodRuns(t, file, data) {
					args = append([]string{"-C", file, "-P"}, args...)
					runs = append(runs, run{name: strings.Join(args, " "), args: args})
				}
				continue
			}
			args := []string{"-C", file, "-P"}
			for _, a := range commentValues(data, "args") {
				args = append(args, strings.Fields(a)...)
			}
			runs = append(runs, run{name: strings.Join(args, " "), args: args})
		}
	}
	for _, args := range diffCommandLines {
		runs = append(runs, run{name: fmt.Sprintf("%q", args), args: args})
	}
	for _, e := range diffEnvironments {
		runs = append(runs, run{name: fmt.Sprintf("%v %q", e.vars, e.args), args: e.args, vars: e.vars})
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			vars := append([]string{
				"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "xdg"), "USER=tester",
				"HOSTNAME=myhost.example", "LANG=C", "LC_ALL=C", "PATH=" + os.Getenv("PATH"),
			}, r.vars...)
			wantOut, wantErr, wantCode := runReference(t, r.args, vars)
			gotOut, gotErr, gotCode := runOurs(t, r.args, vars)
			wantOut, gotOut = dropLines(wantOut, onlyReference), dropLines(gotOut, onlyOurs)
			if wantOut != gotOut {
				t.Errorf("standard output differs (- reference, + ours):\n%s", lineDiff(wantOut, gotOut))
			}
			if wantErr != gotErr || wantCode != gotCode {
				t.Errorf("reference: exit %d, %q\nours:      exit %d, %q", wantCode, wantErr, gotCode, gotErr)
			}
		})
	}
}

func runReference(t *testing.T, args, vars []string) (stdout, stderr string, code int) {
	t.Helper()
	args = append([]string{}, args...)
	sendmail := true
	for _, a := range args {
		sendmail = sendmail && a != "-S" && !strings.HasPrefix(a, "--rmqs=")
	}
	if sendmail {
		args = append(args, "rcpt@example.org")
	}
	cmd := exec.Command(referenceMsmtp, args...)
	cmd.Env = vars
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// runOurs does what msmtp does with args for the parts this package owns: parse the
// settings, resolve, print --pretend, map the error to the exit code.
func runOurs(t *testing.T, args, vars []string) (stdout, stderr string, code int) {
	t.Helper()
	req, err := request(t, args...)
	var out strings.Builder
	if err == nil {
		env := OSEnv()
		lookup := map[string]string{}
		for _, v := range vars {
			k, val, _ := strings.Cut(v, "=")
			lookup[k] = val
		}
		env.LookupEnv = func(k string) (string, bool) { v, ok := lookup[k]; return v, ok }
		env.Eval, env.PasswordEval = shRunner, shRunner
		req.Env = env
		var s string
		s, err = output(req, printOptsOf(args))
		out.WriteString(s)
	}
	if err != nil {
		codes := map[Kind]int{KindIO: 74, KindConfig: 78, KindUsage: 64}
		return out.String(), "msmtp: " + err.Error() + "\n", codes[kindOf(t, err)]
	}
	return out.String(), "", 0
}

// shRunner runs a command as upstream's popen does and returns its first output line.
func shRunner(command string) (string, error) {
	cmd := exec.Command("/bin/sh", "-c", command)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	line, rerr := bufio.NewReader(out).ReadString('\n')
	_, _ = io.Copy(io.Discard, out)
	_ = cmd.Wait() // the exit status does not matter
	if line == "" && rerr != nil {
		return "", io.EOF
	}
	return line, nil
}

func dropLines(s string, prefixes []string) string {
	var b strings.Builder
	for l := range strings.SplitAfterSeq(s, "\n") {
		drop := false
		for _, p := range prefixes {
			drop = drop || strings.HasPrefix(l, p)
		}
		if !drop {
			b.WriteString(l)
		}
	}
	return b.String()
}
