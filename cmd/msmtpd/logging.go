package main

// Logging: the engine and the backends log through log/slog; lineHandler renders each record
// as one line in upstream msmtpd's format (spec-mail-smtp.md §8.7),
//
//	2026-11-25 18:24:20 msmtpd[4711] info: MESSAGE key=value key="value with blanks"
//
// and hands it to a sink: a file (opened for every line, in append mode, so that log
// rotation needs no signal), standard error, or syslog (ident msmtpd with the PID, facility
// mail; on Windows the Event Log). Debug records are dropped; warnings and errors both say
// "error", as upstream has only the two levels. A Windows service also sends its warnings and
// errors to the Event Log, whatever the log setting.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/msmtp-go/msmtp/internal/syslogsock"
)

// logSink writes one rendered message.
type logSink interface {
	write(failed bool, msg string) error
}

// lineHandler is a slog.Handler that renders records for a logSink.
type lineHandler struct {
	sink   logSink
	attrs  string // rendered attributes from WithAttrs
	prefix string // group prefix from WithGroup, "a.b."
}

func newLineLogger(sink logSink) *slog.Logger {
	return slog.New(&lineHandler{sink: sink})
}

// Enabled is false for everything when the sink discards (--log=none), so that records are
// not even built: the engine logs several per mail.
func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool {
	if _, none := h.sink.(discardSink); none {
		return false
	}
	return l >= slog.LevelInfo
}

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(sanitize(r.Message))
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.prefix, a)
		return true
	})
	return h.sink.write(r.Level >= slog.LevelWarn, b.String())
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	for _, a := range as {
		appendAttr(&b, h.prefix, a)
	}
	h2 := *h
	h2.attrs += b.String()
	return &h2
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix += name + "."
	return &h2
}

// appendAttr renders " key=value".
func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, ga := range v.Group() {
			appendAttr(b, p, ga)
		}
		return
	}
	b.WriteString(" " + prefix + a.Key + "=" + formatValue(v))
}

// formatValue renders a value, quoted when it would otherwise be ambiguous.
func formatValue(v slog.Value) string {
	var s string
	switch v.Kind() {
	case slog.KindString:
		s = v.String()
	case slog.KindDuration:
		s = v.Duration().Round(time.Millisecond).String()
	case slog.KindTime:
		s = v.Time().Format(time.RFC3339)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case []string:
			s = strings.Join(x, ",")
		case error:
			s = x.Error()
		default:
			s = fmt.Sprint(x)
		}
	default:
		s = v.String()
	}
	if s == "" || strings.ContainsAny(s, " \"=\\") || strings.ContainsFunc(s, isControl) {
		return strconv.Quote(s)
	}
	return s
}

// lineFormat is the time stamp of upstream's log file lines.
const lineFormat = "2006-01-02 15:04:05"

// formatLine is the full line of a log file or standard error, without the line end.
func formatLine(now time.Time, pid int, failed bool, msg string) string {
	level := "info"
	if failed {
		level = "error"
	}
	return fmt.Sprintf("%s msmtpd[%d] %s: %s", now.Format(lineFormat), pid, level, msg)
}

// writerSink writes lines to a stream (standard error). Each line is one Write.
type writerSink struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
	pid int
}

func (s *writerSink) write(failed bool, msg string) error {
	line := formatLine(s.now(), s.pid, failed, msg) + "\n"
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := io.WriteString(s.w, line)
	return err
}

// fileSink appends lines to a file, opening it for each line as upstream opens it for each
// session. When the file cannot be opened the line goes to fallback (syslog), preceded by
// upstream's complaint.
type fileSink struct {
	mu       sync.Mutex
	name     string
	now      func() time.Time
	pid      int
	fallback logSink // nil: the line is lost, the error returned
}

func (s *fileSink) write(failed bool, msg string) error {
	line := formatLine(s.now(), s.pid, failed, msg) + "\n"
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err == nil {
		// One write of the whole line: with O_APPEND, lines of several processes sharing
		// the file (msmtp's own log, say) never interleave.
		_, err = io.WriteString(f, line)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	if s.fallback == nil {
		return err
	}
	_ = s.fallback.write(true, "cannot open log file, using syslog instead: "+sanitize(strerror(err)))
	return s.fallback.write(failed, msg)
}

// discardSink is --log=none.
type discardSink struct{}

func (discardSink) write(bool, string) error { return nil }

// syslogSink sends datagrams to the local syslog daemon: `<PRI>Mmm dd hh:mm:ss
// msmtpd[PID]: MESSAGE` with facility mail, as upstream's openlog("msmtpd", LOG_PID,
// LOG_MAIL) does. The standard library's log/syslog would add the host name, which local
// daemons do not expect, and does not exist on Windows.
type syslogSink struct {
	sockets []string
	now     func() time.Time
	pid     int
}

// Syslog priorities: facility mail (2) × 8 + severity info (6) or err (3).
const (
	syslogMailInfo = 2*8 + 6
	syslogMailErr  = 2*8 + 3
)

func (s *syslogSink) write(failed bool, msg string) error {
	pri := syslogMailInfo
	if failed {
		pri = syslogMailErr
	}
	datagram := fmt.Sprintf("<%d>%s msmtpd[%d]: %s", pri, s.now().Format(time.Stamp), s.pid, msg)
	return syslogsock.Send(s.sockets, datagram)
}

// newSink makes the sink for the log setting: none, syslog, stderr or a file name. In a
// Windows service (sys.eventLog set) warnings and errors also go to the Event Log: it is where
// Windows administrators look first, and a service has no standard error to complain on.
func newSink(target string, sys *system, stderr io.Writer) (logSink, error) {
	sink, err := newTargetSink(target, sys, stderr)
	if err != nil || sys.eventLog == nil || (target == "syslog" && !syslogsock.Supported) {
		return sink, err
	}
	return failureTee{all: sink, failures: sys.eventLog}, nil
}

// failureTee writes every line to all, and warnings and errors to failures as well.
type failureTee struct{ all, failures logSink }

func (t failureTee) write(failed bool, msg string) error {
	err := t.all.write(failed, msg)
	if failed {
		err = errors.Join(err, t.failures.write(failed, msg))
	}
	return err
}

func newTargetSink(target string, sys *system, stderr io.Writer) (logSink, error) {
	syslog := &syslogSink{sockets: sys.syslogSockets, now: sys.now, pid: sys.pid}
	switch target {
	case "", "none":
		return discardSink{}, nil
	case "syslog":
		if syslogsock.Supported {
			return syslog, nil
		}
		// Windows: the Event Log is the system's log. The service's is open already;
		// otherwise the source is msmtpd's own, registered when the service of that name
		// was installed. It stays open as long as msmtpd runs.
		if sys.eventLog != nil {
			return sys.eventLog, nil
		}
		el, err := openEventLogSink(defaultServiceName)
		if err != nil {
			return nil, usagef("--log=syslog: cannot open the Event Log: %s", strerror(err))
		}
		return el, nil
	case "stderr":
		return &writerSink{w: stderr, now: sys.now, pid: sys.pid}, nil
	}
	fs := &fileSink{name: target, now: sys.now, pid: sys.pid}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	switch {
	case err == nil:
		f.Close()
	case !syslogsock.Supported:
		// Without syslog to fall back on, a log file that cannot be written must stop
		// msmtpd at start-up rather than lose every line.
		return nil, usagef("cannot open log file %s", strerror(err))
	default:
		// Upstream falls back to syslog silently; say so once where the user looks.
		fmt.Fprintf(stderr, "msmtpd: cannot open log file %s; using syslog instead\n", strerror(err))
	}
	if syslogsock.Supported {
		fs.fallback = syslog
	}
	return fs, nil
}
