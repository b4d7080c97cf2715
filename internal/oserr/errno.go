package oserr

import "syscall"

// commonErrnos are the errno values whose glibc texts msmtp prints. syscall defines them on
// every system (on Windows as invented values; errno_windows.go adds the real WinSock codes).
func commonErrnos() []errnoText {
	return []errnoText{
		{syscall.ECONNREFUSED, "Connection refused"},
		{syscall.ECONNRESET, "Connection reset by peer"},
		{syscall.EPIPE, "Broken pipe"},
		{syscall.ETIMEDOUT, "Connection timed out"},
		{syscall.ENOENT, "No such file or directory"},
		{syscall.EADDRNOTAVAIL, "Cannot assign requested address"},
		{syscall.EADDRINUSE, "Address already in use"},
		{syscall.EINVAL, "Invalid argument"},
		{syscall.ENETUNREACH, "Network is unreachable"},
		{syscall.EHOSTUNREACH, "No route to host"},
		{syscall.EACCES, "Permission denied"},
		{syscall.ECONNABORTED, "Software caused connection abort"},
	}
}
