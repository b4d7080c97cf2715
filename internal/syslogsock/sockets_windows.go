package syslogsock

// Windows has no syslog; msmtpd logs to the Event Log there.
const supported = false

var defaultSockets = []string{}
