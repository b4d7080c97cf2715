//go:build windows

package oserr

import "golang.org/x/sys/windows"

// errnoTexts adds WinSock's codes, which Go on Windows returns instead of the POSIX errnos,
// so that a refused connection reads `Connection refused` there too.
func errnoTexts() []errnoText {
	return append([]errnoText{
		{windows.WSAECONNREFUSED, "Connection refused"},
		{windows.WSAECONNRESET, "Connection reset by peer"},
		{windows.WSAECONNABORTED, "Software caused connection abort"},
		{windows.WSAETIMEDOUT, "Connection timed out"},
		{windows.WSAEADDRNOTAVAIL, "Cannot assign requested address"},
		{windows.WSAEADDRINUSE, "Address already in use"},
		{windows.WSAEINVAL, "Invalid argument"},
		{windows.WSAENETUNREACH, "Network is unreachable"},
		{windows.WSAEHOSTUNREACH, "No route to host"},
		{windows.WSAEACCES, "Permission denied"},
		{windows.WSAEAFNOSUPPORT, "Address family not supported by protocol"},
		{windows.ERROR_BROKEN_PIPE, "Broken pipe"},
	}, commonErrnos()...)
}
