//go:build !(linux || freebsd || openbsd || netbsd || dragonfly || darwin || windows)

package secret

// systemKeyring: this system has no keyring msmtp knows.
func systemKeyring(func(string) (string, bool)) Keyring { return nil }
