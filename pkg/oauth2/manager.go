package oauth2

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/secret"
)

// Manager makes the Sources of accounts and keeps one per account configuration, so that a
// long-running msmtpd, delivering concurrently through one account, serialises its refreshes
// in memory before they meet at the store's lock. The zero Manager works: it uses the real
// world (Options' zero value, the file system, no keyring).
type Manager struct {
	// Options are given to every Source.
	Options Options
	// Keyring is the system keyring, for oauth2_token_store keyring; it must implement
	// secret.KeyringWriter. Nil means no keyring.
	Keyring secret.Keyring
	// FS is the file system of file stores and lock files; nil means OSFS.
	FS FS
	// LockDir holds the lock files of keyring stores; "" means the msmtp directory of the
	// user's cache directory (os.UserCacheDir).
	LockDir string

	mu      sync.Mutex
	sources map[string]*Source
}

// Source returns the Source of the account a (as config.Resolve returned it), or nil and no
// error when the account does not use OAuth2 (no oauth2_provider): then its password is found
// as before. A keyring store needs Keyring to be a secret.KeyringWriter, else the error is a
// *ConfigError.
func (m *Manager) Source(a *config.Account) (*Source, error) {
	if a.OAuth2Provider == "" {
		return nil, nil
	}
	cfg, err := ConfigFor(a)
	if err != nil {
		return nil, err
	}
	var (
		opts   Options
		fsys   FS
		key    string
		newSrc func() (*Source, error)
	)
	if m != nil {
		opts, fsys = m.Options, m.FS
	}
	key = fmt.Sprintf("%q", []string{a.OAuth2TokenStore, a.User, cfg.Account, cfg.ClientID, cfg.TokenURL,
		cfg.DeviceAuthURL, cfg.AuthURL, strings.Join(cfg.Scopes, " "), cfg.ClientSecretEval, cfg.ClientSecret.Reveal()})
	newSrc = func() (*Source, error) {
		store, err := m.store(a, fsys)
		if err != nil {
			return nil, err
		}
		return NewSource(cfg, store, opts), nil
	}
	if m == nil {
		return newSrc()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.sources[key]; ok {
		return s, nil
	}
	s, err := newSrc()
	if err != nil {
		return nil, err
	}
	if m.sources == nil {
		m.sources = make(map[string]*Source)
	}
	m.sources[key] = s
	return s, nil
}

// store makes the store that oauth2_token_store names.
func (m *Manager) store(a *config.Account, fsys FS) (Store, error) {
	switch path, isFile := strings.CutPrefix(a.OAuth2TokenStore, "file:"); {
	case isFile && path != "":
		return &FileStore{Path: path, FS: fsys}, nil
	case a.OAuth2TokenStore == config.OAuth2TokenStoreKeyring:
		var kr secret.Keyring
		if m != nil {
			kr = m.Keyring
		}
		w, ok := kr.(secret.KeyringWriter)
		if !ok {
			return nil, &ConfigError{Account: a.Name, Msg: "oauth2_token_store keyring: msmtp cannot write this system's keyring; use oauth2_token_store file:PATH"}
		}
		dir := ""
		if m != nil {
			dir = m.LockDir
		}
		if dir == "" {
			cache, err := os.UserCacheDir()
			if err != nil {
				return nil, &ConfigError{Account: a.Name, Msg: "oauth2_token_store keyring: no directory for the lock file", Err: err}
			}
			dir = filepath.Join(cache, "msmtp")
		}
		// oauth2-ACCOUNT.json.lock, ACCOUNT made safe as in the default token file.
		lock := filepath.Join(dir, strings.TrimPrefix(config.DefaultTokenFile("", a.Name), ".")+".lock")
		return &KeyringStore{Keyring: w, Key: KeyringKey(a.Name, a.User), LockFile: lock, FS: fsys}, nil
	}
	return nil, &ConfigError{Account: a.Name, Msg: fmt.Sprintf("invalid oauth2_token_store %q", a.OAuth2TokenStore)}
}
