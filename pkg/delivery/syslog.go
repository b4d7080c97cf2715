package delivery

import (
	"fmt"
	"time"

	"github.com/msmtp-go/msmtp/internal/syslogsock"
)

// ErrSyslogUnavailable means this system has no syslog (Windows, or no syslog socket).
var ErrSyslogUnavailable = syslogsock.ErrUnavailable

// Syslog sends msmtp's log line to the local syslog daemon (spec-mail-smtp.md §5.6): ident
// "msmtp" without a PID, the given facility, priority info on success and err on failure.
// Upstream's datagram is "<14>Nov 25 18:37:14 msmtp: host=...", and so is ours; the standard
// library's log/syslog would add a PID and a host name.
type Syslog struct {
	// Sockets are tried in order; nil means the usual places of /dev/log.
	Sockets []string
	// Now gives the time stamp; nil means time.Now.
	Now func() time.Time
}

// Send writes one record. facility is one of LOG_USER, LOG_MAIL, LOG_LOCAL0 … LOG_LOCAL7.
func (s Syslog) Send(facility string, failed bool, text string) error {
	fac, ok := syslogFacilityCode(facility)
	if !ok {
		return fmt.Errorf("invalid syslog facility %s", facility)
	}
	const info, errPri = 6, 3
	pri := fac*8 + info
	if failed {
		pri = fac*8 + errPri
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return syslogsock.Send(s.Sockets, fmt.Sprintf("<%d>%s msmtp: %s", pri, now().Format(time.Stamp), text))
}
