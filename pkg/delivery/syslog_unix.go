//go:build !windows

package delivery

var defaultSyslogSockets = []string{"/dev/log", "/var/run/syslog", "/var/run/log"}
