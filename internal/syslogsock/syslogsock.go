// Package syslogsock delivers one syslog record to the local syslog daemon's socket. msmtp's
// log line and msmtpd's log both use it: they format their own records (upstream's exact
// layout, which log/syslog cannot produce) and only need the transport.
package syslogsock

import (
	"errors"
	"net"
	"time"
)

// Supported reports whether this system has a local syslog socket (not Windows).
const Supported = supported

// ErrUnavailable means no syslog socket took the record.
var ErrUnavailable = errors.New("syslog is not available on this system")

// writeTimeout bounds a write to a stuck syslog daemon: logging must never hold up mail.
const writeTimeout = 2 * time.Second

// Send writes record to the first of sockets that takes it (nil: the usual places of
// /dev/log), as a datagram, or on a stream socket with a newline after it (RFC 6587
// non-transparent framing) when the daemon only listens on one.
func Send(sockets []string, record string) error {
	if sockets == nil {
		sockets = defaultSockets
	}
	err := ErrUnavailable
	for _, path := range sockets {
		for _, network := range []string{"unixgram", "unix"} {
			c, derr := net.Dial(network, path)
			if derr != nil {
				err = derr
				continue
			}
			_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
			msg := record
			if network == "unix" {
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
