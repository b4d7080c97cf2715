//go:build !windows

package main

import (
	"errors"
	"net"
	"time"
)

// syslogSupported: Unix systems have a local syslog socket.
const syslogSupported = true

// defaultSyslogSockets are the usual places of the local syslog socket: Linux, macOS, the
// BSDs.
func defaultSyslogSockets() []string { return []string{"/dev/log", "/var/run/syslog", "/var/run/log"} }

// syslogWriteTimeout bounds a write to a stuck syslog daemon: logging must never hold up mail.
const syslogWriteTimeout = 2 * time.Second

// sendSyslog sends one datagram to the first socket that takes it (a stream socket when the
// daemon only listens on one).
func sendSyslog(sockets []string, datagram string) error {
	if sockets == nil {
		sockets = defaultSyslogSockets()
	}
	err := errors.New("no syslog socket")
	for _, path := range sockets {
		for _, network := range []string{"unixgram", "unix"} {
			c, derr := net.Dial(network, path)
			if derr != nil {
				err = derr
				continue
			}
			_ = c.SetWriteDeadline(time.Now().Add(syslogWriteTimeout))
			msg := datagram
			if network == "unix" {
				// A stream needs a delimiter between messages (RFC 6587 non-transparent
				// framing).
				msg += "\n"
			}
			_, werr := c.Write([]byte(msg))
			c.Close()
			if werr == nil {
				return nil
			}
			err = werr
		}
	}
	return err
}
