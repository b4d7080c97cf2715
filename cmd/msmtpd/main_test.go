package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// helperFlag makes the test binary act as a pipe command instead of running the tests (see
// helperMain). The tests use it as --command on every system, Windows included, where there
// is no shell to write a recording command in.
const helperFlag = "-msmtpd-test-helper"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperFlag {
		os.Exit(helperMain(os.Args[2:]))
	}
	os.Exit(testutil.Main(m))
}

// helperMain is the pipe command of the tests:
//
//	TESTBINARY -msmtpd-test-helper DIR BEHAVIOUR ARGS...
//
// It writes ARGS (what msmtpd built: the words after BEHAVIOUR of the template, the sender,
// the recipients) as JSON to DIR/argv and its standard input to DIR/mail, then exits 0.
// BEHAVIOUR is a comma-separated list that changes that: exit=N exits with N; noread does
// not read standard input; chatty writes 200 KiB to standard output and standard error;
// sleep=D sleeps D first; kill kills itself with SIGKILL (Unix). "-" is none of these.
func helperMain(args []string) int {
	dir, behaviour, argv := args[0], args[1], args[2:]
	flags := map[string]string{}
	for _, f := range strings.Split(behaviour, ",") {
		k, v, _ := strings.Cut(f, "=")
		flags[k] = v
	}
	if d, ok := flags["sleep"]; ok {
		dur, _ := time.ParseDuration(d)
		time.Sleep(dur)
	}
	if _, ok := flags["chatty"]; ok {
		line := strings.Repeat("noise from the command ", 10) + "\n"
		for i := 0; i < 1000; i++ {
			io.WriteString(os.Stdout, line)
			io.WriteString(os.Stderr, line)
		}
	}
	if _, ok := flags["kill"]; ok {
		killSelf()
	}
	j, _ := json.Marshal(argv)
	if err := os.WriteFile(filepath.Join(dir, "argv"), j, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 70
	}
	if _, ok := flags["noread"]; !ok {
		data, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 74
		}
		if err := os.WriteFile(filepath.Join(dir, "mail"), data, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 73
		}
	}
	if n, ok := flags["exit"]; ok {
		code, _ := strconv.Atoi(n)
		return code
	}
	return 0
}

// helperEnv is the environment for commands that run the helper: a test binary built with
// -race sleeps a second before a successful exit unless told otherwise.
func helperEnv() []string {
	return append(os.Environ(), "GORACE=atexit_sleep_ms=0")
}

// testBinary is the path of this test binary, for helper commands.
func testBinary(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// helperCommand is a --command that runs the helper with the given behaviour, followed by
// tail (such as "-f %F --"), quoted for this system.
func helperCommand(t testing.TB, dir, behaviour, tail string) string {
	t.Helper()
	quote := shellQuote
	if runtime.GOOS == "windows" {
		quote = quoteWindowsArg
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", quote(testBinary(t)), helperFlag, quote(dir), behaviour, tail))
}

// recorded reads what the helper recorded: its arguments, and the mail (ok false when the
// helper never wrote one).
func recorded(t testing.TB, dir string) (argv []string, mail string, ok bool) {
	t.Helper()
	j, err := os.ReadFile(filepath.Join(dir, "argv"))
	if err != nil {
		return nil, "", false
	}
	if err := json.Unmarshal(j, &argv); err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile(filepath.Join(dir, "mail"))
	if err != nil {
		return argv, "", false
	}
	return argv, string(m), true
}
