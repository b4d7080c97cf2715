package main

import "errors"

// syslogSupported: Windows has no syslog; the Event Log comes with the Windows service.
const syslogSupported = false

func defaultSyslogSockets() []string { return nil }

func sendSyslog([]string, string) error {
	return errors.New("there is no syslog on Windows")
}
