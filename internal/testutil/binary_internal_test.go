package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestBinaryFailures(t *testing.T) {
	empty := TempDir(t)
	notExe := TempDir(t)
	if err := os.Mkdir(filepath.Join(notExe, exeName("msmtp")), 0o755); err != nil {
		t.Fatal(err)
	}
	// Where no go tool exists (under Wine), building fails for that reason first.
	buildFailure := "go build " + modulePath + "/cmd/nosuchcommand"
	if _, err := exec.LookPath("go"); err != nil {
		buildFailure = "no go tool to build with"
	}
	for _, tc := range []struct {
		desc, binDir, name, want string
	}{
		{"not a command name", "", "../msmtp", "not the name of a command"},
		{"not a command name", "", "", "not the name of a command"},
		{"missing from the directory", empty, "msmtpd", "no " + exeName("msmtpd") + " there"},
		{"a directory, not a program", notExe, "msmtp", "not a regular file"},
		{"no such command", "", "nosuchcommand", buildFailure},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Setenv(BinDirEnv, tc.binDir)
			p, err := binary(tc.name)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("binary(%q) with $%s=%q = %q, %v; want an error with %q",
					tc.name, BinDirEnv, tc.binDir, p, err, tc.want)
			}
		})
	}
}

func TestBinaryNeedsMain(t *testing.T) {
	t.Setenv(BinDirEnv, "")
	built.mu.Lock()
	built.inMain = false
	built.mu.Unlock()
	defer func() {
		built.mu.Lock()
		built.inMain = true
		built.mu.Unlock()
	}()
	if _, err := binary("msmtp"); err == nil || !strings.Contains(err.Error(), "testutil.Main") {
		t.Errorf("binary without TestMain: %v; want an error naming testutil.Main", err)
	}
}

func exeName(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}
