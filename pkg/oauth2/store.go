package oauth2

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/msmtp-go/msmtp/pkg/secret"
)

// Store keeps one account's tokens. Source calls Load and Save only while it holds Lock, so
// a store needs no locking of its own beyond that.
type Store interface {
	// Load returns the stored token; when there is none, the error wraps ErrNoToken.
	Load(ctx context.Context) (Token, error)
	// Save replaces the stored token. Readers see the old token or the new one, never a mix.
	Save(ctx context.Context, t Token) error
	// Lock serialises refreshes across processes: while one holds it, no other process or
	// Source can load, refresh and save.
	Lock(ctx context.Context) (unlock func(), err error)
	// String names the store for messages: a file name, or the keyring entry.
	String() string
}

// FileMode is the mode of token files and lock files: readable by the owner only.
const FileMode fs.FileMode = 0o600

// FileStore keeps the tokens in a JSON file of mode 0600 (FileMode), replaced atomically (a
// new file beside it, synced, renamed over it), and locks through the file Path+".lock",
// which is never removed (removing a lock file lets two processes hold "the" lock).
type FileStore struct {
	Path string
	// FS is the file system; nil means OSFS.
	FS FS
}

func (s *FileStore) fs() FS {
	if s.FS == nil {
		return OSFS{}
	}
	return s.FS
}

func (s *FileStore) String() string { return s.Path }

// Load reads the file. A missing file gives an error wrapping ErrNoToken and fs.ErrNotExist.
func (s *FileStore) Load(context.Context) (Token, error) {
	b, err := s.fs().ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return Token{}, fmt.Errorf("%w: %w", ErrNoToken, err)
	}
	if err != nil {
		return Token{}, err
	}
	return decodeToken(b)
}

// Save writes the token to a temporary file in the same directory (created with mode 0700
// if missing), sets mode 0600, syncs it and renames it over Path.
func (s *FileStore) Save(_ context.Context, t Token) (err error) {
	b, err := encodeToken(t)
	if err != nil {
		return err
	}
	fsys := s.fs()
	dir, base := filepath.Split(s.Path)
	if dir == "" {
		dir = "."
	}
	if err := fsys.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := fsys.CreateTemp(dir, base+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = fsys.Remove(tmp)
		}
	}()
	if err := f.Chmod(FileMode); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fsys.Rename(tmp, s.Path)
}

// Lock locks Path+".lock".
func (s *FileStore) Lock(ctx context.Context) (func(), error) {
	return s.fs().Lock(ctx, s.Path+".lock")
}

// KeyringService is the host part of the keyring key of an account's tokens:
// KeyringService+ACCOUNT, so that the Windows Credential Manager entry is named
// msmtp:smtp/USER@oauth2:ACCOUNT (see secret.CredentialTarget).
const KeyringService = "oauth2:"

// KeyringKey is the keyring key of an account's tokens.
func KeyringKey(account, user string) secret.Key {
	return secret.Key{Host: KeyringService + account, User: user}
}

// maxKeyringToken is the most a Windows Credential Manager entry holds: 2560 bytes, stored
// as UTF-16, so 1280 characters of JSON.
const maxKeyringToken = 1280

// KeyringStore keeps the tokens, in the same JSON form as FileStore, in a system keyring
// that can store secrets (secret.KeyringWriter: the Windows Credential Manager). It locks
// through the file LockFile.
type KeyringStore struct {
	Keyring  secret.KeyringWriter
	Key      secret.Key
	LockFile string
	// FS holds the lock file; nil means OSFS.
	FS FS
}

func (s *KeyringStore) String() string {
	return "the system keyring (" + secret.CredentialTarget(s.Key) + ")"
}

// Load reads the keyring entry. Pkg/secret cannot tell a missing entry from an unreachable
// keyring, so both give an error wrapping ErrNoToken.
func (s *KeyringStore) Load(ctx context.Context) (Token, error) {
	v, err := s.Keyring.Lookup(ctx, s.Key)
	if errors.Is(err, secret.ErrNotFound) {
		return Token{}, fmt.Errorf("%w: %w", ErrNoToken, err)
	}
	if err != nil {
		return Token{}, err
	}
	return decodeToken([]byte(v.Reveal()))
}

// Save replaces the keyring entry. The Credential Manager's entries hold at most 1280
// characters; Microsoft's tokens are often longer, and then Save fails with a hint to use a
// file store.
func (s *KeyringStore) Save(ctx context.Context, t Token) error {
	b, err := encodeToken(t)
	if err != nil {
		return err
	}
	if err := s.Keyring.Store(ctx, s.Key, secret.New(string(b))); err != nil {
		if len(b) > maxKeyringToken {
			return fmt.Errorf("%w (the tokens take %d bytes, more than a Windows credential holds; use oauth2_token_store file:PATH)", err, len(b))
		}
		return err
	}
	return nil
}

// Lock locks LockFile.
func (s *KeyringStore) Lock(ctx context.Context) (func(), error) {
	fsys := s.FS
	if fsys == nil {
		fsys = OSFS{}
	}
	return fsys.Lock(ctx, s.LockFile)
}
