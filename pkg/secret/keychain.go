package secret

import (
	"context"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"unicode/utf8"
)

// Keychain is the macOS keychain, read through the `security` tool: msmtp's passwords are
// internet passwords with server HOST, account USER and protocol smtp, which is what
//
//	security find-internet-password -s HOST -a USER -r smtp -w
//
// prints. It is built on every system so that it can be tested anywhere; SystemKeyring
// returns it on macOS only.
type Keychain struct {
	// Path is the tool; empty means /usr/bin/security.
	Path string
	// Run runs a program and returns its standard output; nil runs it with os/exec, standard
	// input from the null device and standard error discarded.
	Run func(ctx context.Context, name string, args ...string) ([]byte, error)
}

// Lookup asks `security` for the password of key. A missing item (exit status 44) and every
// other failure give an error wrapping ErrNotFound.
func (k *Keychain) Lookup(ctx context.Context, key Key) (Secret, error) {
	path := k.Path
	if path == "" {
		path = "/usr/bin/security"
	}
	run := k.Run
	if run == nil {
		run = func(ctx context.Context, name string, args ...string) ([]byte, error) {
			return exec.CommandContext(ctx, name, args...).Output()
		}
	}
	out, err := run(ctx, path, "find-internet-password", "-s", key.Host, "-a", key.User, "-r", Service, "-w")
	if err != nil {
		return Secret{}, fmt.Errorf("%w: security: %v", ErrNotFound, err)
	}
	return New(decodeSecurityOutput(out)), nil
}

// decodeSecurityOutput turns `security ... -w` output into the password. The tool prints a
// password of printable ASCII as it is and any other password as hex digits. A printable
// password can itself be hex digits ("deadbeef", or a PIN such as "12345678"), so hex is
// decoded only when the result is valid UTF-8 with at least one non-ASCII character: no
// digit-only string qualifies (it cannot encode a UTF-8 lead byte), and a printable password
// that does is hex digits spelling UTF-8 text, which no one picks by chance. The price: a
// pure-ASCII password with a control character in it comes back as its hex form.
func decodeSecurityOutput(out []byte) string {
	s := strings.TrimSuffix(string(out), "\n")
	if len(s) == 0 || len(s)%2 != 0 || strings.Trim(s, "0123456789abcdefABCDEF") != "" {
		return s
	}
	b, err := hex.DecodeString(s)
	if err != nil || !utf8.Valid(b) || !hasNonASCII(b) {
		return s
	}
	return string(b)
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
