package delivery

// Windows has no syslog; msmtpd logs to the Event Log instead.
var defaultSyslogSockets = []string{}
