//go:build !windows

package testutil

// IsWine reports whether this Windows program runs under Wine rather than on Windows; on other
// systems it is always false.
func IsWine() bool { return false }
