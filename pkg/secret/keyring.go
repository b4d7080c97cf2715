package secret

import (
	"context"
	"errors"
)

// ErrNotFound is wrapped by every "there is no such secret" error of this package.
var ErrNotFound = errors.New("secret not found")

// Service is the service part of every key msmtp stores passwords under.
const Service = "smtp"

// Key identifies a stored SMTP password: Host is the account's host (or socket path when it
// has no host), never tls_host_override; User is its user.
type Key struct {
	Host string
	User string
}

// Keyring is a system password store.
type Keyring interface {
	// Lookup returns the password stored for key. When there is none the error wraps
	// ErrNotFound; any other error means the store could not be asked (no D-Bus, no
	// `security` tool). Sources treats both alike: msmtp's keyring failures are silent.
	Lookup(ctx context.Context, key Key) (Secret, error)
}

// KeyringWriter is implemented by keyrings that can also store and delete passwords
// (CredentialManager on Windows, where no other tool stores msmtp's entries).
type KeyringWriter interface {
	Keyring
	// Store creates or replaces the password for key.
	Store(ctx context.Context, key Key, password Secret) error
	// Delete removes the password for key; the error wraps ErrNotFound if there was none.
	Delete(ctx context.Context, key Key) error
}

// SystemKeyring returns this system's keyring, or nil when the build has none:
//
//   - Linux and the BSDs: *SecretService on the session bus named by
//     DBUS_SESSION_BUS_ADDRESS, or the socket $XDG_RUNTIME_DIR/bus;
//   - macOS: *Keychain running /usr/bin/security;
//   - Windows: *CredentialManager.
//
// lookupEnv reads the environment (os.LookupEnv in production).
func SystemKeyring(lookupEnv func(string) (string, bool)) Keyring {
	return systemKeyring(lookupEnv)
}
