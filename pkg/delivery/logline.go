package delivery

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/itchyny/timefmt-go"

	"github.com/msmtp-go/msmtp/internal/oserr"
	"github.com/msmtp-go/msmtp/pkg/smtp"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// DefaultLogTimeFormat is the strftime format of the log line's time stamp when
// logfile_time_format is not set.
const DefaultLogTimeFormat = "%b %d %H:%M:%S"

// LogEntry is what msmtp records about one sendmail-mode attempt, in the logfile and in syslog
// (spec-mail-smtp.md §5.5–5.6). Scripts parse this line, so its fields and their order are
// upstream's.
type LogEntry struct {
	Time       time.Time
	Host       string // the host setting; when empty the entry shows Socket
	Socket     string
	TLS        bool
	Auth       bool
	User       string // shown only when Auth is on and a user is set
	From       string // the final envelope-from (may be empty)
	Recipients []string
	// MailSize is msmtp's mailsize, shown only on success (when Err is nil) and >= 0.
	MailSize int64
	// Reply is the server reply attached to the outcome: the final reply on success, the
	// failing reply otherwise; nil when there is none.
	Reply *smtp.Reply
	// ErrorMsg is the error text; empty on success.
	ErrorMsg string
	Exit     sysexits.Code
}

// Text returns the line without the time stamp, as syslog gets it.
func (e *LogEntry) Text() string {
	var b strings.Builder
	if e.Host != "" || e.Socket == "" {
		fmt.Fprintf(&b, "host=%s", e.Host)
	} else {
		fmt.Fprintf(&b, "socket=%s", e.Socket)
	}
	fmt.Fprintf(&b, " tls=%s auth=%s", onOff(e.TLS), onOff(e.Auth))
	if e.Auth && e.User != "" {
		fmt.Fprintf(&b, " user=%s", e.User)
	}
	fmt.Fprintf(&b, " from=%s recipients=%s", e.From, strings.Join(e.Recipients, ","))
	if e.ErrorMsg == "" && e.MailSize >= 0 {
		fmt.Fprintf(&b, " mailsize=%d", e.MailSize)
	}
	if e.Reply != nil && len(e.Reply.Lines) > 0 {
		msg := make([]string, len(e.Reply.Lines))
		for i, l := range e.Reply.Lines {
			msg[i] = sanitizeLogValue(l)
		}
		fmt.Fprintf(&b, " smtpstatus=%d smtpmsg='%s'", e.Reply.Code, strings.Join(msg, `\n`))
	}
	if e.ErrorMsg != "" {
		fmt.Fprintf(&b, " errormsg='%s'", sanitizeLogValue(e.ErrorMsg))
	}
	fmt.Fprintf(&b, " exitcode=%s", e.Exit)
	return b.String()
}

// ErrInvalidTimeFormat means logfile_time_format expands to nothing usable.
var ErrInvalidTimeFormat = errors.New("invalid logfile_time_format")

// Line returns the logfile line (without a newline): the time stamp formatted with format
// (DefaultLogTimeFormat when empty; "none" leaves the stamp out, as upstream 1.8.28+), a
// blank, and Text.
func (e *LogEntry) Line(format string) (string, error) {
	switch format {
	case "":
		format = DefaultLogTimeFormat
	case "none":
		return e.Text(), nil
	}
	stamp := timefmt.Format(e.Time, format)
	if stamp == "" || len(stamp) > 127 {
		return "", ErrInvalidTimeFormat
	}
	return stamp + " " + e.Text(), nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// sanitizeLogValue replaces control characters and single quotes with '?', so a value can
// neither break the line nor its quoting.
func sanitizeLogValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\'' {
			return '?'
		}
		return r
	}, s)
}

// Sanitize replaces control characters with '?' before a server's or a file's text reaches
// a terminal (upstream's sanitize_string).
func Sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// LogFileError means the log line could not be written. Upstream reports it on stderr
// (`cannot log to FILE: ...` and `log info was: LINE`) without changing the exit code.
type LogFileError struct {
	File string
	Line string // the line that could not be written
	Err  error
}

func (e *LogFileError) Error() string {
	return fmt.Sprintf("cannot log to %s: %v", e.File, e.Err)
}

func (e *LogFileError) Unwrap() error { return e.Err }

// lockRetry is how long and how often upstream tries to lock the log file.
const (
	lockTimeout  = 10 * time.Second
	lockInterval = 100 * time.Millisecond
)

// AppendLog appends line plus a newline to the log file name, or writes it to stdout when
// name is "-". The file is opened in append mode and write-locked while the line is written,
// so lines from concurrent msmtp processes never interleave.
func AppendLog(name, line string, stdout io.Writer) error {
	if name == "-" {
		_, err := io.WriteString(stdout, line+"\n")
		return err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return &LogFileError{File: name, Line: line, Err: fmt.Errorf("cannot open: %s", oserr.Text(err))}
	}
	defer f.Close()
	deadline := time.Now().Add(lockTimeout)
	for {
		err = lockFile(f)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return &LogFileError{File: name, Line: line, Err: fmt.Errorf("cannot lock (tried for %d seconds): %s", int(lockTimeout/time.Second), oserr.Text(err))}
		}
		time.Sleep(lockInterval)
	}
	defer unlockFile(f)
	if _, err := f.WriteString(line + "\n"); err != nil {
		return &LogFileError{File: name, Line: line, Err: fmt.Errorf("cannot write: %s", oserr.Text(err))}
	}
	return nil
}

// syslogFacilityCode returns the numeric facility (RFC 5424 §6.2.1) of a facility name.
func syslogFacilityCode(name string) (int, bool) {
	switch name {
	case "LOG_USER":
		return 1, true
	case "LOG_MAIL":
		return 2, true
	}
	if strings.HasPrefix(name, "LOG_LOCAL") && len(name) == len("LOG_LOCAL0") {
		n, err := strconv.Atoi(name[len("LOG_LOCAL"):])
		if err == nil && n >= 0 && n <= 7 {
			return 16 + n, true
		}
	}
	return 0, false
}
