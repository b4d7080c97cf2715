//go:build !windows

package syslogsock

const supported = true

// defaultSockets are the usual places of the local syslog socket: Linux, macOS, the BSDs.
var defaultSockets = []string{"/dev/log", "/var/run/syslog", "/var/run/log"}
