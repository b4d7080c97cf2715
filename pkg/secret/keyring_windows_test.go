//go:build windows

package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/danieljoos/wincred"
)

// TestCredentialManager stores, finds and deletes a credential in the real Credential
// Manager (Wine's under CI), under a key no one else uses; the entry is removed at the end.
func TestCredentialManager(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key := Key{Host: fmt.Sprintf("test-%d-%d.invalid", os.Getpid(), time.Now().UnixNano()), User: "joe@example.org"}
	var k KeyringWriter = &CredentialManager{}
	t.Cleanup(func() { _ = k.Delete(ctx, key) })

	if _, err := k.Lookup(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before Store: %v, want ErrNotFound", err)
	}
	for _, pw := range []string{"first", "pässwörd 🔑"} {
		if err := k.Store(ctx, key, New(pw)); err != nil {
			t.Fatal(err)
		}
		got, err := k.Lookup(ctx, key)
		if err != nil || got.Reveal() != pw {
			t.Fatalf("Lookup = %q, %v; want %q", got.Reveal(), err, pw)
		}
	}
	// The layout documented for users who create the entry with cmdkey.
	c, err := wincred.GetGenericCredential("msmtp:smtp/joe@example.org@" + key.Host)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserName != key.User || string(c.CredentialBlob[:4]) != "p\x00\xe4\x00" {
		t.Errorf("stored user %q, blob % x", c.UserName, c.CredentialBlob)
	}
	if err := k.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lookup(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Errorf("after Delete: %v, want ErrNotFound", err)
	}
	if err := k.Delete(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
}
