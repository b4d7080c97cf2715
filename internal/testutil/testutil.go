// Package testutil holds helpers shared by the project's tests. Only _test.go files import it.
package testutil

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TempDir makes a fresh directory that is removed when the test ends. Use it instead of
// t.TempDir: under Wine 8, os.RemoveAll (and so t.TempDir's cleanup) fails on any non-empty
// directory, while removing entries one by one, deepest first, works everywhere
// (../shared/research/wine.md §6).
func TempDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "msmtp-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, err := range removeTree(d) {
			t.Errorf("cleanup: %v", err)
		}
	})
	return d
}

// removeTree removes dir and everything in it, entry by entry, deepest first, and returns what
// could not be removed. It is os.RemoveAll done the way that also works under Wine 8.
func removeTree(dir string) []error {
	var paths []string
	_ = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, _ error) error {
		paths = append(paths, p)
		return nil
	})
	var errs []error
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Remove(paths[i]); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
	}
	return errs
}

// WriteFile writes data to name inside dir with the given mode and returns the full path.
func WriteFile(t testing.TB, dir, name string, data string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile honours the umask; set the mode exactly, permission tests depend on it.
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}
