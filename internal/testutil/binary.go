package testutil

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// BinDirEnv names the environment variable that hands Binary prebuilt programs: a directory
// holding msmtp and msmtpd (msmtp.exe and msmtpd.exe on Windows). .ci/test-windows sets it.
const BinDirEnv = "MSMTP_TEST_BIN_DIR"

// modulePath is the module's import path, as go.mod declares it; Binary builds
// modulePath/cmd/NAME.
const modulePath = "github.com/msmtp-go/msmtp"

// Binary returns the path of an executable of our command cmd/NAME ("msmtp", "msmtpd") for the
// system the test runs on, for end-to-end tests that run the real programs. The program comes
// from one of two places:
//
//   - Prebuilt: if $MSMTP_TEST_BIN_DIR (BinDirEnv) is set and not empty, Binary takes NAME
//     (NAME.exe on Windows) from that directory, as is. This is the way under Wine, where the
//     test binary is a Windows process with no go tool to build with: .ci/test-windows builds
//     every cmd/* for windows/amd64 beforehand and sets the variable. Give an absolute path; a
//     Linux one such as /tmp/x works under Wine, which maps / to Z:. The variable also lets the
//     tests run release binaries.
//   - Built: otherwise Binary runs `go build` (CGO_ENABLED=0, for runtime.GOOS and
//     runtime.GOARCH, as the release does) once per test binary, into a directory that is
//     removed when the test binary ends.
//
// Building needs, once in the package's tests, a TestMain that removes the build afterwards:
//
//	func TestMain(m *testing.M) { os.Exit(testutil.Main(m)) }
//
// Anything missing (the variable points where NAME is not, no go tool, a build error, no
// TestMain) fails the test with the reason: a program that cannot be had is never a skip.
// Binary is safe for parallel tests; concurrent calls for one NAME build it once.
func Binary(t testing.TB, name string) string {
	t.Helper()
	p, err := binary(name)
	if err != nil {
		t.Fatalf("testutil.Binary(%q): %v", name, err)
	}
	return p
}

// Main runs the package's tests (m.Run) and then removes what Binary built. Call it from
// TestMain as shown on Binary. It returns the exit code for os.Exit: m.Run's, or 1 if the
// tests passed but the clean-up failed.
func Main(m *testing.M) int {
	built.mu.Lock()
	built.inMain = true
	built.mu.Unlock()

	code := m.Run()

	built.mu.Lock()
	defer built.mu.Unlock()
	built.inMain = false
	if built.dir == "" {
		return code
	}
	errs := removeTree(built.dir)
	built.dir, built.progs = "", nil
	if len(errs) > 0 {
		fmt.Fprintf(os.Stderr, "testutil.Main: removing the programs Binary built: %v\n",
			errors.Join(errs...))
		if code == 0 {
			code = 1
		}
	}
	return code
}

// built is the per-test-binary cache of Binary's builds. It is package state on purpose: the
// point is to build each program once for all the tests of a package, and Main is the one place
// that sees them all end.
var built struct {
	mu     sync.Mutex
	inMain bool                 // Main is running the tests
	dir    string               // where the programs go, made by the first build
	progs  map[string]*buildJob // by NAME
}

type buildJob struct {
	once sync.Once
	path string
	err  error
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// binary is Binary without the testing.TB, so that its failures can be tested.
func binary(name string) (string, error) {
	if !validName.MatchString(name) {
		return "", fmt.Errorf("%q is not the name of a command under cmd/", name)
	}
	exe := name
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if dir := os.Getenv(BinDirEnv); dir != "" {
		return prebuilt(dir, exe)
	}

	built.mu.Lock()
	if !built.inMain {
		built.mu.Unlock()
		return "", fmt.Errorf("no prebuilt programs ($%s is not set), and building needs "+
			"TestMain to call testutil.Main, which removes the build afterwards: "+
			"func TestMain(m *testing.M) { os.Exit(testutil.Main(m)) }", BinDirEnv)
	}
	if built.dir == "" {
		d, err := os.MkdirTemp("", "msmtp-test-bin-")
		if err != nil {
			built.mu.Unlock()
			return "", err
		}
		built.dir = d
		built.progs = make(map[string]*buildJob)
	}
	job := built.progs[name]
	if job == nil {
		job = &buildJob{}
		built.progs[name] = job
	}
	dir := built.dir
	built.mu.Unlock()

	// Outside the lock: building msmtp must not wait for a build of msmtpd.
	job.once.Do(func() { job.path, job.err = build(name, filepath.Join(dir, exe)) })
	return job.path, job.err
}

// prebuilt returns dir/exe if it is there, with an error that says how it should have got there.
func prebuilt(dir, exe string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("$%s=%s: %v", BinDirEnv, dir, err)
	}
	p := filepath.Join(abs, exe)
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("$%s=%s: no %s there (.ci/test-windows builds every cmd/* into it; "+
			"did that build fail?): %v", BinDirEnv, dir, exe, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("$%s=%s: %s is not a regular file", BinDirEnv, dir, exe)
	}
	return p, nil
}

// build runs `go build` for cmd/NAME, for the system and architecture this test runs on.
func build(name, out string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		// go test puts its own GOROOT/bin first on PATH, so this happens where the test binary
		// runs without Go: under Wine, or a test binary copied elsewhere.
		return "", fmt.Errorf("no go tool to build with (%v); give prebuilt programs in $%s "+
			"(.ci/test-windows does, under Wine)", err, BinDirEnv)
	}
	cmd := exec.Command(goTool, "build", "-buildvcs=false", "-o", out, modulePath+"/cmd/"+name)
	// The caller's GOOS or GOARCH may name another system (GOOS=windows go test -exec wine):
	// build for the one this test binary runs on. CGO_ENABLED=0 as in scripts/release.sh.
	cmd.Env = append(os.Environ(),
		"GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if outb, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s/cmd/%s: %v\n%s", modulePath, name, err,
			strings.TrimSpace(string(outb)))
	}
	return out, nil
}
