package secret

import (
	"fmt"
	"io"
	"log/slog"
)

// Redacted is what a Secret prints instead of its value, whatever the verb. It is also what
// msmtp's `--pretend` shows for a password (`password = *`).
const Redacted = "*"

// Secret holds a password or token. It cannot be printed by accident: String, GoString,
// Format (every verb, every flag), MarshalText and slog's LogValue all give Redacted. The
// zero Secret is the empty password. Reveal returns the value.
//
// The value sits behind a pointer because fmt bypasses Format for %p and then prints the
// raw struct: with a pointer, that shows an address and never the text.
type Secret struct {
	value *string
}

// New wraps s.
func New(s string) Secret { return Secret{value: &s} }

// Reveal returns the secret value. Call it only where the value leaves the program on
// purpose: on the wire of an AUTH exchange, or to a keyring.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// String returns Redacted.
func (s Secret) String() string { return Redacted }

// GoString returns Redacted, so %#v does not show the field either.
func (s Secret) GoString() string { return Redacted }

// Format writes Redacted for every verb, so neither %x nor %q nor %d can leak the value
// through fmt's handling of the underlying struct.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, Redacted) }

// LogValue makes log/slog print Redacted.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText makes encoding/json, encoding/xml and friends write Redacted.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
