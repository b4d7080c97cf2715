//go:build !windows

package secret

// systemNetrc is SYSCONFDIR/netrc with upstream's default SYSCONFDIR.
func systemNetrc(func(string) (string, bool)) string { return "/etc/netrc" }
