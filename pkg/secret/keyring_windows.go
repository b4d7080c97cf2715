//go:build windows

package secret

import (
	"context"
	"errors"
	"fmt"

	"github.com/danieljoos/wincred"
)

func systemKeyring(func(string) (string, bool)) Keyring { return &CredentialManager{} }

// CredentialManager is the Windows Credential Manager. msmtp's passwords are generic
// credentials whose target name is CredentialTarget(key), whose user name is the key's user
// and whose secret is the password in UTF-16LE (as cmdkey stores it). Upstream msmtp has no
// Windows keyring; this layout is the project's.
type CredentialManager struct{}

// Lookup reads the credential of key. A missing one gives an error wrapping ErrNotFound.
func (*CredentialManager) Lookup(_ context.Context, key Key) (Secret, error) {
	c, err := wincred.GetGenericCredential(CredentialTarget(key))
	if err != nil {
		if errors.Is(err, wincred.ErrElementNotFound) {
			return Secret{}, ErrNotFound
		}
		return Secret{}, fmt.Errorf("%w: credential manager: %v", ErrNotFound, err)
	}
	return New(decodeCredentialBlob(c.CredentialBlob)), nil
}

// Store creates or replaces the credential of key, persisted for this user on this machine.
func (*CredentialManager) Store(_ context.Context, key Key, password Secret) error {
	c := wincred.NewGenericCredential(CredentialTarget(key))
	c.UserName = key.User
	c.CredentialBlob = encodeCredentialBlob(password.Reveal())
	c.Persist = wincred.PersistLocalMachine
	c.Comment = "msmtp SMTP password"
	return c.Write()
}

// Delete removes the credential of key; a missing one gives an error wrapping ErrNotFound.
func (*CredentialManager) Delete(_ context.Context, key Key) error {
	c, err := wincred.GetGenericCredential(CredentialTarget(key))
	if err != nil {
		if errors.Is(err, wincred.ErrElementNotFound) {
			return ErrNotFound
		}
		return err
	}
	return c.Delete()
}
