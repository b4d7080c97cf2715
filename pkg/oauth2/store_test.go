package oauth2

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/secret"
)

// recordingFS is the real file system that records the modes it is asked for and can make
// a write or a rename fail.
type recordingFS struct {
	OSFS
	mu         sync.Mutex
	chmods     []fs.FileMode
	mkdirs     []fs.FileMode
	failWrite  bool
	failRename bool
}

func (r *recordingFS) MkdirAll(path string, perm fs.FileMode) error {
	r.mu.Lock()
	r.mkdirs = append(r.mkdirs, perm)
	r.mu.Unlock()
	return r.OSFS.MkdirAll(path, perm)
}

func (r *recordingFS) CreateTemp(dir, pattern string) (File, error) {
	f, err := r.OSFS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &recordingFile{File: f, fs: r}, nil
}

func (r *recordingFS) Rename(oldpath, newpath string) error {
	if r.failRename {
		return errors.New("rename refused")
	}
	return r.OSFS.Rename(oldpath, newpath)
}

type recordingFile struct {
	File
	fs *recordingFS
}

func (f *recordingFile) Chmod(mode fs.FileMode) error {
	f.fs.mu.Lock()
	f.fs.chmods = append(f.fs.chmods, mode)
	f.fs.mu.Unlock()
	return f.File.Chmod(mode)
}

func (f *recordingFile) Write(b []byte) (int, error) {
	if f.fs.failWrite {
		return 0, errors.New("disk full")
	}
	return f.File.Write(b)
}

// TestFileStoreSave checks the file's mode (the one asked for, and on Unix the one the file
// has), the private directory, the JSON form, and that a failed save leaves the old file
// and no temporary file behind.
func TestFileStoreSave(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	fsys := &recordingFS{}
	s := &FileStore{Path: filepath.Join(dir, "new", "t.json"), FS: fsys}
	tok := Token{AccessToken: "a", TokenType: "Bearer", Expiry: t0, RefreshToken: "r"}
	ctx := context.Background()
	if err := s.Save(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fsys.chmods) != "[-rw-------]" || fmt.Sprint(fsys.mkdirs) != "[-rwx------]" {
		t.Errorf("modes asked for: files %v, directories %v", fsys.chmods, fsys.mkdirs)
	}
	if runtime.GOOS != "windows" { // Windows has no such modes; the ACL of %APPDATA% applies
		for name, want := range map[string]fs.FileMode{s.Path: 0o600, filepath.Dir(s.Path): 0o700 | fs.ModeDir} {
			if fi, err := os.Stat(name); err != nil || fi.Mode() != want {
				t.Errorf("%s: mode %v, %v; want %v", name, fi.Mode(), err, want)
			}
		}
	}
	data, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "version": 1,
  "access_token": "a",
  "token_type": "Bearer",
  "expiry": "2026-03-01T12:00:00Z",
  "refresh_token": "r"
}
`
	if string(data) != want {
		t.Errorf("file:\n%s\nwant:\n%s", data, want)
	}
	if got := load(t, s); got != tok {
		t.Errorf("Load = %v, want %v", got, tok)
	}
	for _, fail := range []struct {
		name string
		set  func()
	}{
		{"write", func() { fsys.failWrite = true }},
		{"rename", func() { fsys.failWrite, fsys.failRename = false, true }},
	} {
		fail.set()
		if err := s.Save(ctx, Token{AccessToken: "b", RefreshToken: "r2"}); err == nil {
			t.Errorf("failing %s: no error", fail.name)
		}
		if got := load(t, s); got != tok {
			t.Errorf("failing %s changed the file: %v", fail.name, got)
		}
		entries, _ := os.ReadDir(filepath.Dir(s.Path))
		if len(entries) != 1 {
			t.Errorf("failing %s left files: %v", fail.name, entries)
		}
	}
}

func TestFileStoreLoad(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	s := &FileStore{Path: filepath.Join(dir, "t.json")}
	if _, err := s.Load(context.Background()); !errors.Is(err, ErrNoToken) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	for _, bad := range []string{"", "{", `{"version":2,"refresh_token":"r"}`, `{"refresh_token":"r"}`, `{"version":1,"expiry":"yesterday"}`} {
		testutil.WriteFile(t, dir, "t.json", bad, 0o600)
		if _, err := s.Load(context.Background()); err == nil || errors.Is(err, ErrNoToken) {
			t.Errorf("file %q: %v", bad, err)
		}
	}
	testutil.WriteFile(t, dir, "t.json", `{"version":1,"refresh_token":"r"}`, 0o600)
	if got := load(t, s); got != (Token{RefreshToken: "r"}) {
		t.Errorf("minimal file: %v", got)
	}
}

// TestLockExcludes checks that the file lock excludes a second holder in the same process
// (msmtpd) until the first lets go.
func TestLockExcludes(t *testing.T) {
	t.Parallel()
	name := filepath.Join(testutil.TempDir(t), "sub", "t.lock")
	ctx := testContext(t)
	unlock, err := OSFS{}.Lock(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if _, err := (OSFS{}).Lock(short, name); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lock while held: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		u, err := OSFS{}.Lock(ctx, name)
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("second Lock returned while held: %v", err)
	default:
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatalf("second Lock after release: %v", err)
	}
}

// fakeKeyring is a KeyringWriter in memory, with an optional size limit like the Windows
// Credential Manager's.
type fakeKeyring struct {
	mu    sync.Mutex
	items map[secret.Key]string
	limit int
}

func (k *fakeKeyring) Lookup(_ context.Context, key secret.Key) (secret.Secret, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.items[key]
	if !ok {
		return secret.Secret{}, secret.ErrNotFound
	}
	return secret.New(v), nil
}

func (k *fakeKeyring) Store(_ context.Context, key secret.Key, s secret.Secret) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.limit > 0 && len(s.Reveal()) > k.limit {
		return errors.New("The stub received bad data.")
	}
	if k.items == nil {
		k.items = map[secret.Key]string{}
	}
	k.items[key] = s.Reveal()
	return nil
}

func (k *fakeKeyring) Delete(_ context.Context, key secret.Key) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.items, key)
	return nil
}

func TestKeyringStore(t *testing.T) {
	t.Parallel()
	kr := &fakeKeyring{limit: maxKeyringToken}
	s := &KeyringStore{Keyring: kr, Key: KeyringKey("gmail", "joe@example.org"), LockFile: filepath.Join(testutil.TempDir(t), "l")}
	ctx := testContext(t)
	if s.String() != "the system keyring (msmtp:smtp/joe@example.org@oauth2:gmail)" {
		t.Errorf("String() = %q", s)
	}
	if _, err := s.Load(ctx); !errors.Is(err, ErrNoToken) {
		t.Errorf("empty keyring: %v", err)
	}
	tok := Token{AccessToken: "a", Expiry: t0, RefreshToken: "r"}
	if err := s.Save(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if got := load(t, s); got != tok {
		t.Errorf("Load = %v", got)
	}
	big := Token{AccessToken: strings.Repeat("x", 1500), RefreshToken: "r"}
	if err := s.Save(ctx, big); err == nil || !strings.Contains(err.Error(), "use oauth2_token_store file:PATH") {
		t.Errorf("too big for the keyring: %v", err)
	}
	unlock, err := s.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

// TestTokenRedacted checks that a Token never prints its secrets.
func TestTokenRedacted(t *testing.T) {
	t.Parallel()
	tok := Token{AccessToken: "ACCESS", RefreshToken: "REFRESH", Expiry: t0}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v %#v %q %x %s", tok, tok, tok, tok, tok), tok.LogValue().String(), fmt.Sprint(&tok)} {
		if strings.Contains(s, "ACCESS") || strings.Contains(s, "REFRESH") {
			t.Errorf("leaked: %s", s)
		}
	}
	if got := tok.String(); got != "oauth2.Token{access token *, refresh token *, expires 2026-03-01T12:00:00Z}" {
		t.Errorf("String() = %q", got)
	}
	if got := (Token{}).String(); got != "oauth2.Token{access token none, refresh token none, no expiry}" {
		t.Errorf("String() = %q", got)
	}
}
