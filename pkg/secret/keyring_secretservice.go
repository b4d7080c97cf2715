//go:build linux || freebsd || openbsd || netbsd || dragonfly

package secret

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

func systemKeyring(lookupEnv func(string) (string, bool)) Keyring {
	return &SecretService{Address: sessionBusAddress(lookupEnv)}
}

// DefaultDBusTimeout bounds a Secret Service lookup when SecretService.Timeout is zero; it is
// D-Bus's own default reply timeout, which libsecret's blocking lookup uses.
const DefaultDBusTimeout = 25 * time.Second

// The Secret Service API (freedesktop.org Secret Service API 0.2).
const (
	secretsName      = "org.freedesktop.secrets"
	secretsPath      = dbus.ObjectPath("/org/freedesktop/secrets")
	serviceInterface = "org.freedesktop.Secret.Service"
	itemInterface    = "org.freedesktop.Secret.Item"
	sessionInterface = "org.freedesktop.Secret.Session"
)

// SecretService looks passwords up in the freedesktop Secret Service (GNOME Keyring, KWallet,
// KeePassXC) over D-Bus, the way msmtp's libsecret code does: items whose attributes are
// host=HOST, service=smtp, user=USER (its own schema, matched without the schema name), else
// user=USER, protocol=smtp, server=HOST (GNOME's network-password schema). Only unlocked
// items are read, over a "plain" session (the bus is local to the user). Every failure —
// no bus, no service, no item — is a not-found error.
type SecretService struct {
	// Address is the D-Bus address of the session bus; empty means there is none.
	Address string
	// Timeout bounds one Lookup; zero means DefaultDBusTimeout.
	Timeout time.Duration
}

// secretStruct is the Secret structure of the API, signature (oayays).
type secretStruct struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// Lookup returns the password of key. Errors wrap ErrNotFound.
func (s *SecretService) Lookup(ctx context.Context, key Key) (Secret, error) {
	if s.Address == "" {
		return Secret{}, fmt.Errorf("%w: no D-Bus session bus", ErrNotFound)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultDBusTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	type result struct {
		secret Secret
		err    error
	}
	// Connecting (authentication, Hello) does not honour a context, so the lookup runs on
	// its own and is abandoned if the bus does not answer in time.
	done := make(chan result, 1)
	go func() {
		p, err := s.lookup(ctx, key)
		done <- result{p, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return Secret{}, fmt.Errorf("%w: secret service: %v", ErrNotFound, r.err)
		}
		return r.secret, nil
	case <-ctx.Done():
		return Secret{}, fmt.Errorf("%w: secret service: %v", ErrNotFound, ctx.Err())
	}
}

func (s *SecretService) lookup(ctx context.Context, key Key) (Secret, error) {
	conn, err := dbus.Connect(s.Address, dbus.WithContext(ctx))
	if err != nil {
		return Secret{}, err
	}
	defer conn.Close()
	service := conn.Object(secretsName, secretsPath)
	var session dbus.ObjectPath
	defer func() {
		if session != "" {
			_ = conn.Object(secretsName, session).CallWithContext(ctx, sessionInterface+".Close", 0).Err
		}
	}()
	for _, attrs := range []map[string]string{
		{"host": key.Host, "service": Service, "user": key.User},
		{"user": key.User, "protocol": Service, "server": key.Host},
	} {
		var unlocked, locked []dbus.ObjectPath
		err := service.CallWithContext(ctx, serviceInterface+".SearchItems", 0, attrs).Store(&unlocked, &locked)
		if err != nil {
			return Secret{}, err
		}
		if len(unlocked) == 0 {
			continue
		}
		if session == "" {
			var output dbus.Variant
			err := service.CallWithContext(ctx, serviceInterface+".OpenSession", 0, "plain", dbus.MakeVariant("")).
				Store(&output, &session)
			if err != nil {
				return Secret{}, err
			}
		}
		var sec secretStruct
		err = conn.Object(secretsName, unlocked[0]).CallWithContext(ctx, itemInterface+".GetSecret", 0, session).Store(&sec)
		if err != nil {
			return Secret{}, err
		}
		return New(string(sec.Value)), nil
	}
	return Secret{}, errors.New("no unlocked item")
}

// sessionBusAddress finds the session bus without starting one: DBUS_SESSION_BUS_ADDRESS,
// else the systemd user bus socket $XDG_RUNTIME_DIR/bus. (D-Bus's "autolaunch" would start a
// bus daemon that outlives msmtp.)
func sessionBusAddress(lookupEnv func(string) (string, bool)) string {
	if a, ok := lookupEnv("DBUS_SESSION_BUS_ADDRESS"); ok && a != "" && a != "autolaunch:" {
		return a
	}
	if d, ok := lookupEnv("XDG_RUNTIME_DIR"); ok && d != "" {
		return "unix:path=" + escapeDBusValue(filepath.Join(d, "bus"))
	}
	return ""
}

// escapeDBusValue escapes a value of a D-Bus address (D-Bus specification, "Server
// Addresses"): bytes outside [-0-9A-Za-z_/.\*] become %XX.
func escapeDBusValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-_/.\\*", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02x", c)
	}
	return b.String()
}
