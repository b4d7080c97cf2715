package secret_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/msmtp-go/msmtp/pkg/secret"
)

// fakeKeyring answers from a map and records the keys asked for.
type fakeKeyring struct {
	mu      sync.Mutex
	entries map[secret.Key]string
	err     error // returned instead of not-found when set
	asked   []secret.Key
}

func (k *fakeKeyring) Lookup(_ context.Context, key secret.Key) (secret.Secret, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.asked = append(k.asked, key)
	if p, ok := k.entries[key]; ok {
		return secret.New(p), nil
	}
	if k.err != nil {
		return secret.Secret{}, k.err
	}
	return secret.Secret{}, secret.ErrNotFound
}

// fakeFiles is an injected file opener over an in-memory file system that records opens.
type fakeFiles struct {
	files  map[string]string
	opened []string
}

func (f *fakeFiles) open(name string) (io.ReadCloser, error) {
	f.opened = append(f.opened, name)
	data, ok := f.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return io.NopCloser(strings.NewReader(data)), nil
}

// fakeTerminal plays a user at a terminal.
type fakeTerminal struct {
	mu      sync.Mutex
	out     bytes.Buffer
	answer  string
	readErr error
	block   chan struct{} // if set, ReadPassword waits for it
	closed  bool
}

func (t *fakeTerminal) ReadPassword(prompt string) ([]byte, error) {
	t.mu.Lock()
	t.out.WriteString(prompt)
	t.mu.Unlock()
	if t.block != nil {
		<-t.block
	}
	t.mu.Lock()
	t.out.WriteString("\n")
	t.mu.Unlock()
	if t.readErr != nil {
		return nil, t.readErr
	}
	return []byte(t.answer), nil
}

func (t *fakeTerminal) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return nil
}

func (t *fakeTerminal) output() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.out.String()
}

func (t *fakeTerminal) opener(opens *int) func() (secret.Terminal, error) {
	return func() (secret.Terminal, error) {
		*opens++
		return t, nil
	}
}

func noTerminal(opens *int) func() (secret.Terminal, error) {
	return func() (secret.Terminal, error) {
		*opens++
		return nil, errors.New("open /dev/tty: no such device or address")
	}
}

func TestSourcesOrder(t *testing.T) {
	t.Parallel()
	const (
		home   = "/home/joe/.netrc"
		system = "/etc/netrc"
	)
	key := secret.Key{Host: "127.0.0.1", User: "joe"}
	q := secret.Query{Host: "127.0.0.1", User: "joe", Method: "PLAIN"}
	tests := []struct {
		name        string
		keyring     map[secret.Key]string
		keyringErr  error
		files       map[string]string
		terminal    bool
		answer      string
		want        string
		wantOpened  []string
		wantPrompts int
	}{
		{name: "keyring first", keyring: map[secret.Key]string{key: "fromkeyring"},
			files: map[string]string{home: "machine 127.0.0.1 login joe password fromnetrc"}, terminal: true,
			want: "fromkeyring", wantOpened: nil, wantPrompts: 0},
		{name: "home netrc before system netrc", files: map[string]string{
			home:   "machine 127.0.0.1 login joe password home",
			system: "machine 127.0.0.1 login joe password system"}, terminal: true,
			want: "home", wantOpened: []string{home}},
		{name: "C-61 system netrc when home has none", files: map[string]string{
			system: "machine 127.0.0.1 login joe password system"},
			want: "system", wantOpened: []string{home, system}},
		{name: "home entry without password falls through", files: map[string]string{
			home:   "machine 127.0.0.1 login joe",
			system: "machine 127.0.0.1 login joe password system"},
			want: "system", wantOpened: []string{home, system}},
		{name: "keyring failure is silent", keyringErr: errors.New("dbus: no such service"),
			files: map[string]string{home: "machine 127.0.0.1 login joe password home"},
			want:  "home", wantOpened: []string{home}},
		{name: "C-62 prompt last", files: map[string]string{home: "machine localhost login joe password no"},
			terminal: true, answer: "typed", want: "typed", wantOpened: []string{home, system}, wantPrompts: 1},
		{name: "empty answer is an empty password", terminal: true, answer: "", want: "",
			wantOpened: []string{home, system}, wantPrompts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kr := &fakeKeyring{entries: tt.keyring, err: tt.keyringErr}
			files := &fakeFiles{files: tt.files}
			term := &fakeTerminal{answer: tt.answer}
			opens := 0
			src := secret.Sources{Keyring: kr, NetrcFiles: []string{home, system}, Open: files.open,
				Terminal: noTerminal(&opens)}
			if tt.terminal {
				src.Terminal = term.opener(&opens)
			}
			got, err := src.Password(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if got.Reveal() != tt.want {
				t.Errorf("password %q, want %q", got.Reveal(), tt.want)
			}
			if diff := cmp.Diff([]secret.Key{key}, kr.asked); diff != "" {
				t.Errorf("keyring asked (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOpened, files.opened); diff != "" {
				t.Errorf("files opened (-want +got):\n%s", diff)
			}
			if tt.wantPrompts > 0 && term.output() != "password for joe at 127.0.0.1: \n" {
				t.Errorf("terminal saw %q", term.output())
			}
			if tt.wantPrompts == 0 && term.output() != "" {
				t.Errorf("prompted although an earlier source had the password: %q", term.output())
			}
		})
	}
}

func TestSourcesNotFound(t *testing.T) {
	t.Parallel()
	var logBuf bytes.Buffer
	opens := 0
	files := &fakeFiles{files: map[string]string{"/n": "default login joe password p\nmachine localhost login joe password q\n"}}
	src := secret.Sources{
		Keyring:    &fakeKeyring{},
		NetrcFiles: []string{"/n", "/missing"},
		Open:       files.open,
		Terminal:   noTerminal(&opens),
		Logger:     slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	// C-59 / C-60: no keyring entry, netrc with only default and another host, no tty.
	_, err := src.Password(context.Background(), secret.Query{Host: "127.0.0.1", User: "joe", Method: "PLAIN"})
	var nf *secret.NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("error %v, want *NotFoundError wrapping ErrNotFound", err)
	}
	if err.Error() != "authentication method PLAIN needs a password" {
		t.Errorf("error text %q", err)
	}
	if opens != 1 {
		t.Errorf("terminal opened %d times", opens)
	}
	if !strings.Contains(logBuf.String(), "/missing") {
		t.Errorf("debug log does not mention the missing file:\n%s", logBuf.String())
	}
	_, err = (&secret.Sources{}).Password(context.Background(), secret.Query{Host: "localhost", User: "joe"})
	if err == nil || err.Error() != "no password for joe at localhost" || !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("without method: %v", err)
	}
}

func TestSourcesContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	term := &fakeTerminal{block: make(chan struct{})}
	defer close(term.block)
	opens := 0
	src := secret.Sources{Terminal: term.opener(&opens)}
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	_, err := src.Password(ctx, secret.Query{Host: "h", User: "u", Method: "LOGIN"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	term.mu.Lock()
	closed := term.closed
	term.mu.Unlock()
	if !closed {
		t.Error("terminal not closed (its state not restored) after cancellation")
	}
}

func TestPrompt(t *testing.T) {
	t.Parallel()
	opens := 0
	term := &fakeTerminal{answer: " pass word "}
	got, err := secret.Prompt(context.Background(), term.opener(&opens), "mail.example.org", "joe@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if got.Reveal() != " pass word " {
		t.Errorf("got %q", got.Reveal())
	}
	if out := term.output(); out != "password for joe@example.org at mail.example.org: \n" {
		t.Errorf("terminal output %q", out)
	}
	if !term.closed {
		t.Error("terminal not closed")
	}

	_, err = secret.Prompt(context.Background(), noTerminal(&opens), "h", "u")
	if !errors.Is(err, secret.ErrNoTerminal) {
		t.Errorf("no terminal: %v", err)
	}

	readErr := fmt.Errorf("read /dev/tty: %w", io.EOF)
	term = &fakeTerminal{readErr: readErr}
	if _, err := secret.Prompt(context.Background(), term.opener(&opens), "h", "u"); !errors.Is(err, io.EOF) {
		t.Errorf("read error: %v", err)
	}
}
