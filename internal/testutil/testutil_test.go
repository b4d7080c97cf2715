package testutil_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.Main(m)) }

func TestTempDirIsRemovedWithItsContent(t *testing.T) {
	var dirs []string
	t.Run("use", func(t *testing.T) {
		for range 2 {
			d := testutil.TempDir(t)
			if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
				t.Fatalf("TempDir() = %q, not a directory: %v", d, err)
			}
			// What os.RemoveAll fails on under Wine 8: nested, non-empty directories.
			testutil.WriteFile(t, d, filepath.Join("a", "b", "c.txt"), "deep", 0o600)
			testutil.WriteFile(t, d, "top.txt", "top", 0o644)
			if err := os.Mkdir(filepath.Join(d, "empty"), 0o755); err != nil {
				t.Fatal(err)
			}
			dirs = append(dirs, d)
		}
		if dirs[0] == dirs[1] {
			t.Fatalf("two TempDir calls gave the same directory %q", dirs[0])
		}
	})
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after its test ended (stat: %v)", d, err)
		}
	}
}

func TestWriteFile(t *testing.T) {
	d := testutil.TempDir(t)
	p := testutil.WriteFile(t, d, filepath.Join("sub", "f"), "content\n", 0o640)
	if want := filepath.Join(d, "sub", "f"); p != want {
		t.Errorf("WriteFile returned %q, want %q", p, want)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "content\n" {
		t.Errorf("ReadFile = %q, %v; want %q", b, err, "content\n")
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	// Windows keeps only the read-only bit.
	if want := os.FileMode(0o640); runtime.GOOS != "windows" && fi.Mode().Perm() != want {
		t.Errorf("mode %v, want %v (exactly, whatever the umask)", fi.Mode().Perm(), want)
	}
}

// The oracle is independent of IsWine's own method: .ci/test-windows says so in
// MSMTP_TEST_UNDER_WINE; without it, a Wine prefix is told by its winecfg.exe.
func TestIsWine(t *testing.T) {
	want := false
	if runtime.GOOS == "windows" {
		switch os.Getenv("MSMTP_TEST_UNDER_WINE") {
		case "1":
			want = true
		case "0":
		default:
			_, err := os.Stat(filepath.Join(os.Getenv("SystemRoot"), "system32", "winecfg.exe"))
			want = err == nil
		}
	}
	if got := testutil.IsWine(); got != want {
		t.Errorf("IsWine() = %v, want %v", got, want)
	}
}

func TestSkipUnderWine(t *testing.T) {
	reached := false
	t.Run("sub", func(t *testing.T) {
		testutil.SkipUnderWine(t, "testing SkipUnderWine")
		reached = true
	})
	if wine := testutil.IsWine(); reached == wine {
		t.Errorf("under Wine: %v, but the test went on past SkipUnderWine: %v", wine, reached)
	}
}

// run starts the program and reports only whether it could be started: its exit code depends on
// what the command does today, which is not this package's business.
func run(t *testing.T, prog string) {
	t.Helper()
	err := exec.Command(prog, "--version").Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Errorf("cannot run %s: %v", prog, err)
	}
}

func TestBinaryBuildsOncePerTestBinary(t *testing.T) {
	t.Setenv(testutil.BinDirEnv, "")
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("no go tool here (%v): the case of $%s", err, testutil.BinDirEnv)
	}
	first := testutil.Binary(t, "msmtp")
	fi, err := os.Stat(first)
	if err != nil {
		t.Fatal(err)
	}
	if want := "msmtp"; runtime.GOOS == "windows" && filepath.Base(first) != want+".exe" ||
		runtime.GOOS != "windows" && filepath.Base(first) != want {
		t.Errorf("Binary built %s", first)
	}
	run(t, first)

	var wg sync.WaitGroup
	paths := make([]string, 4)
	for i := range paths {
		wg.Go(func() { paths[i] = testutil.Binary(t, "msmtp") })
	}
	wg.Wait()
	for _, p := range paths {
		if p != first {
			t.Errorf("Binary gave %s, then %s", first, p)
		}
	}
	if again, err := os.Stat(first); err != nil || !again.ModTime().Equal(fi.ModTime()) {
		t.Errorf("%s was built again (mod time %v, then %v; %v)", first, fi.ModTime(), again.ModTime(), err)
	}
}

func TestBinaryFromBinDir(t *testing.T) {
	d := testutil.TempDir(t)
	exe := "msmtpd"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	want := testutil.WriteFile(t, d, exe, "not really a program", 0o755)
	t.Setenv(testutil.BinDirEnv, d)
	if got := testutil.Binary(t, "msmtpd"); got != want {
		t.Errorf("Binary(msmtpd) = %q, want %q from $%s", got, want, testutil.BinDirEnv)
	}
}

// Under .ci/test-windows the programs come prebuilt: check that they are there and start.
func TestBinaryPrebuiltPrograms(t *testing.T) {
	if os.Getenv(testutil.BinDirEnv) == "" {
		t.Skipf("$%s is not set (.ci/test-windows sets it)", testutil.BinDirEnv)
	}
	run(t, testutil.Binary(t, "msmtp"))
}
