package secret

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// CredentialTarget returns the Windows Credential Manager target name of key:
// `msmtp:smtp/USER@HOST`. The `msmtp:` prefix keeps msmtp's entries apart from other
// programs' and finds them in the Credential Manager's list; the rest is the same
// (host, service smtp, user) key as on the other systems. Create one with
//
//	cmdkey /generic:msmtp:smtp/USER@HOST /user:USER /pass
func CredentialTarget(key Key) string {
	return "msmtp:" + Service + "/" + key.User + "@" + key.Host
}

// encodeCredentialBlob stores a password the way cmdkey and the Credential Manager window
// do: UTF-16LE without a terminator.
func encodeCredentialBlob(password string) []byte {
	u := utf16.Encode([]rune(password))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// decodeCredentialBlob reads a password blob. cmdkey, the Credential Manager window and
// Store write UTF-16LE; some other tools write UTF-8. UTF-8 text has no NUL bytes, while
// UTF-16LE text has one in every ASCII character, so valid UTF-8 without NULs is taken as
// UTF-8 and anything else of even length as UTF-16LE.
func decodeCredentialBlob(b []byte) string {
	if utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 {
		return string(b)
	}
	if len(b)%2 != 0 {
		return string(b)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	// A terminating NUL written by some tools is not part of the password.
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}
