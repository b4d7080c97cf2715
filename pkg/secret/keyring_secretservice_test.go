//go:build linux

// The D-Bus tests run on Linux only: the private bus daemon is tied to the test process with
// Pdeathsig, so that it dies even when the test binary is killed by a timeout.

package secret

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/msmtp-go/msmtp/internal/testutil"
)

// startBus starts a private dbus-daemon for the test and returns its address. The daemon is
// killed when the test ends. Tests skip when dbus-daemon is not installed (Debian: dbus).
func startBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon not installed")
	}
	dir := testutil.TempDir(t)
	conf := filepath.Join(dir, "bus.conf")
	err = os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer // read only after Wait
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("dbus-daemon stderr:\n%s", stderr.String())
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(line)
}

// fakeSecrets is a minimal org.freedesktop.secrets: SearchItems, OpenSession, Item.GetSecret
// and Session.Close, with items held in memory.
type fakeSecrets struct {
	conn  *dbus.Conn
	items []*fakeItem

	mu       sync.Mutex
	searches []map[string]string
	sessions map[dbus.ObjectPath]bool // open sessions
	opened   int
	closed   int
}

type fakeItem struct {
	s      *fakeSecrets
	path   dbus.ObjectPath
	attrs  map[string]string
	value  string
	locked bool
}

func (f *fakeSecrets) SearchItems(attrs map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searches = append(f.searches, attrs)
	unlocked, locked := []dbus.ObjectPath{}, []dbus.ObjectPath{}
	for _, it := range f.items {
		match := true
		for k, v := range attrs {
			if it.attrs[k] != v {
				match = false
			}
		}
		switch {
		case !match:
		case it.locked:
			locked = append(locked, it.path)
		default:
			unlocked = append(unlocked, it.path)
		}
	}
	return unlocked, locked, nil
}

func (f *fakeSecrets) OpenSession(algorithm string, _ dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if algorithm != "plain" {
		return dbus.Variant{}, "", dbus.NewError("org.freedesktop.DBus.Error.NotSupported", []any{algorithm})
	}
	f.opened++
	path := dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/secrets/session/s%d", f.opened))
	f.sessions[path] = true
	if err := f.conn.Export(&fakeSession{s: f, path: path}, path, sessionInterface); err != nil {
		return dbus.Variant{}, "", dbus.MakeFailedError(err)
	}
	return dbus.MakeVariant(""), path, nil
}

type fakeSession struct {
	s    *fakeSecrets
	path dbus.ObjectPath
}

func (s *fakeSession) Close() *dbus.Error {
	s.s.mu.Lock()
	defer s.s.mu.Unlock()
	delete(s.s.sessions, s.path)
	s.s.closed++
	return nil
}

func (it *fakeItem) GetSecret(session dbus.ObjectPath) (secretStruct, *dbus.Error) {
	it.s.mu.Lock()
	defer it.s.mu.Unlock()
	if !it.s.sessions[session] {
		return secretStruct{}, dbus.NewError("org.freedesktop.Secret.Error.NoSession", []any{string(session)})
	}
	if it.locked {
		return secretStruct{}, dbus.NewError("org.freedesktop.Secret.Error.IsLocked", nil)
	}
	return secretStruct{Session: session, Value: []byte(it.value), ContentType: "text/plain"}, nil
}

// serveSecrets registers the fake service with the given items on the bus at addr.
func serveSecrets(t *testing.T, addr string, items []*fakeItem) *fakeSecrets {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fakeSecrets{conn: conn, items: items, sessions: map[dbus.ObjectPath]bool{}}
	if err := conn.Export(f, secretsPath, serviceInterface); err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		it.s = f
		it.path = dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/secrets/collection/login/%d", i+1))
		if err := conn.Export(it, it.path, itemInterface); err != nil {
			t.Fatal(err)
		}
	}
	reply, err := conn.RequestName(secretsName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v, %v", reply, err)
	}
	return f
}

func TestSecretService(t *testing.T) {
	t.Parallel()
	addr := startBus(t)
	ss := &SecretService{Address: addr, Timeout: 10 * time.Second}
	ctx := context.Background()

	// A bus without the service: not found, quickly.
	if _, err := ss.Lookup(ctx, Key{Host: "mail.example.org", User: "joe"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("without service: %v, want ErrNotFound", err)
	}

	f := serveSecrets(t, addr, []*fakeItem{
		// What `secret-tool store --label=msmtp host mail.example.org service smtp user joe`
		// creates (secret-tool adds no schema attribute; libsecret's store would add
		// xdg:schema, which the lookup must not care about).
		{attrs: map[string]string{"host": "mail.example.org", "service": "smtp", "user": "joe"}, value: "primary"},
		{attrs: map[string]string{"host": "mail.example.org", "service": "imap", "user": "ann"}, value: "imap-only"},
		{attrs: map[string]string{"user": "ann", "protocol": "smtp", "server": "mail.example.org"}, value: "gnome schema"},
		{attrs: map[string]string{"host": "locked.example", "service": "smtp", "user": "joe"}, value: "locked", locked: true},
		{attrs: map[string]string{"xdg:schema": "de.marlam.msmtp.password", "host": "/run/smtp.sock", "service": "smtp", "user": "sock"},
			value: "pässwörd with blanks "},
	})

	tests := []struct {
		key          Key
		want         string
		ok           bool
		wantSearches []map[string]string
	}{
		{Key{Host: "mail.example.org", User: "joe"}, "primary", true, []map[string]string{
			{"host": "mail.example.org", "service": "smtp", "user": "joe"}}},
		{Key{Host: "mail.example.org", User: "ann"}, "gnome schema", true, []map[string]string{
			{"host": "mail.example.org", "service": "smtp", "user": "ann"},
			{"user": "ann", "protocol": "smtp", "server": "mail.example.org"}}},
		{Key{Host: "/run/smtp.sock", User: "sock"}, "pässwörd with blanks ", true, nil},
		{Key{Host: "locked.example", User: "joe"}, "", false, nil},
		{Key{Host: "other.example", User: "joe"}, "", false, nil},
	}
	for _, tt := range tests {
		f.mu.Lock()
		f.searches = nil
		f.mu.Unlock()
		got, err := ss.Lookup(ctx, tt.key)
		if tt.ok {
			if err != nil || got.Reveal() != tt.want {
				t.Errorf("%+v: %q, %v; want %q", tt.key, got.Reveal(), err, tt.want)
			}
		} else if !errors.Is(err, ErrNotFound) {
			t.Errorf("%+v: %q, %v; want ErrNotFound", tt.key, got.Reveal(), err)
		}
		if tt.wantSearches != nil {
			f.mu.Lock()
			diff := cmp.Diff(tt.wantSearches, f.searches)
			f.mu.Unlock()
			if diff != "" {
				t.Errorf("%+v: searches (-want +got):\n%s", tt.key, diff)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opened == 0 || f.opened != f.closed || len(f.sessions) != 0 {
		t.Errorf("sessions opened %d, closed %d, still open %d", f.opened, f.closed, len(f.sessions))
	}
}

// SystemKeyring finds the bus through the environment, like msmtp in a desktop session.
func TestSystemKeyringSecretService(t *testing.T) {
	t.Parallel()
	addr := startBus(t)
	serveSecrets(t, addr, []*fakeItem{
		{attrs: map[string]string{"host": "h", "service": "smtp", "user": "u"}, value: "pw"},
	})
	k := SystemKeyring(func(name string) (string, bool) {
		if name == "DBUS_SESSION_BUS_ADDRESS" {
			return addr, true
		}
		return "", false
	})
	got, err := k.Lookup(context.Background(), Key{Host: "h", User: "u"})
	if err != nil || got.Reveal() != "pw" {
		t.Errorf("got %q, %v", got.Reveal(), err)
	}
	// Sources uses it first.
	src := Sources{Keyring: k}
	if p, err := src.Password(context.Background(), Query{Host: "h", User: "u", Method: "PLAIN"}); err != nil || p.Reveal() != "pw" {
		t.Errorf("Sources: %q, %v", p.Reveal(), err)
	}
}

func TestSecretServiceNoBus(t *testing.T) {
	t.Parallel()
	dir := testutil.TempDir(t)
	for _, ss := range []*SecretService{{}, {Address: "unix:path=" + filepath.Join(dir, "nobus")}} {
		if _, err := ss.Lookup(context.Background(), Key{Host: "h", User: "u"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("%q: %v, want ErrNotFound", ss.Address, err)
		}
	}
}

func TestSessionBusAddress(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus,guid=x", "XDG_RUNTIME_DIR": "/r"},
			"unix:path=/run/user/1000/bus,guid=x"},
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "unix:path=/run/user/1000/bus"},
		{map[string]string{"XDG_RUNTIME_DIR": "/tmp/a b,c=d"}, "unix:path=/tmp/a%20b%2cc%3dd/bus"},
		{map[string]string{"DBUS_SESSION_BUS_ADDRESS": "autolaunch:"}, ""},
		{map[string]string{"DBUS_SESSION_BUS_ADDRESS": ""}, ""},
		{map[string]string{}, ""},
	}
	for _, tt := range tests {
		if got := sessionBusAddress(env(tt.env)); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.env, got, tt.want)
		}
	}
}
