package testutil

import (
	"sync"
	"syscall"
)

// IsWine reports whether this Windows program runs under Wine rather than on Windows. It asks
// the way Wine documents: Wine's ntdll.dll exports wine_get_version, Microsoft's does not
// (../shared/research/wine.md §6). ntdll.dll is mapped into every Windows process, so this loads
// nothing new. On other systems IsWine is always false.
func IsWine() bool { return isWine() }

var isWine = sync.OnceValue(func() bool {
	ntdll, err := syscall.LoadDLL("ntdll.dll")
	if err != nil {
		return false
	}
	_, err = ntdll.FindProc("wine_get_version")
	return err == nil
})
