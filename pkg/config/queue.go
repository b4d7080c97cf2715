package config

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// This file holds what the directive table needs for the queue extension (docs/queue.md):
// the duration value kind of queue_retry_min, queue_retry_max and queue_expire, and
// QueueSettings, which finds the queue settings of the management commands.

// usesQueue reports whether the account queues mail. The queue_* rows of --pretend are
// printed only then.
func usesQueue(a *Account) bool { return a.Queue }

// durationDoc explains the DURATION syntax in the reference.
const durationDoc = "A DURATION is a number of seconds, or numbers with the units `s`, `m`, `h` and `d` " +
	"(`90s`, `30m`, `1h30m`, `5d`)."

// maxDuration bounds durations: anything longer is a typo.
const maxDuration = 100 * 365 * 24 * time.Hour

// ParseDuration reads a queue duration: a plain number of seconds ("90"), or numbers each
// followed by one of the units s, m, h and d ("1h30m", "5d"). It must be at least one
// second. The error is ErrInvalidArgument.
func ParseDuration(s string) (time.Duration, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		s += "s"
	}
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}
	var total time.Duration
	for rest := s; ; {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 12 || i == len(rest) {
			return 0, errInvalid
		}
		n, _ := strconv.ParseInt(rest[:i], 10, 64) // at most 12 digits: cannot fail
		unit, ok := units[rest[i]]
		if !ok || time.Duration(n) > maxDuration/unit {
			return 0, errInvalid
		}
		total += time.Duration(n) * unit
		if total > maxDuration {
			return 0, errInvalid
		}
		if rest = rest[i+1:]; rest == "" {
			break
		}
	}
	if total < time.Second {
		return 0, errInvalid
	}
	return total, nil
}

// FormatDuration writes a duration the way ParseDuration reads it, with the largest units
// that fit: "5d", "1h30m", "1m30s" for 90 seconds.
func FormatDuration(d time.Duration) string {
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// duration is a queue duration setting; an empty argument unsets it, so that the queue's
// default applies.
func duration(f field[time.Duration]) value {
	return value{
		set: func(a *Account, in input) error {
			if in.arg == "" {
				*f(a) = 0
				return nil
			}
			d, err := ParseDuration(in.arg)
			if err != nil {
				return err
			}
			*f(a) = d
			return nil
		},
		show: func(a *Account) string {
			if *f(a) == 0 {
				return notSet
			}
			return FormatDuration(*f(a))
		},
		copy: f.copier(),
	}
}

// QueueSettings returns the account whose queue settings (queue_dir, the back-off and the
// expiry) the queue management commands use — `msmtp -q`, `mailq`, `--queue-drop` and
// `--queue-purge`, which handle the mail of every account: the account req.Account names,
// else the account "default", else, when there is none, an account with the built-in
// defaults. The command-line settings (req.Overrides) apply to it; with --host no file is
// read. Unlike Resolve it runs no passwordeval, computes nothing and validates nothing:
// only the queue settings of the result mean something.
//
// The error is an *Error as from Resolve: the files cannot be read or parsed, or the
// account req.Account names does not exist.
func QueueSettings(req Request) (*Account, error) {
	r := &resolver{req: req, env: &req.Env, info: req.Info}
	if r.info == nil {
		r.info = io.Discard
	}
	ov, home := req.Overrides, r.env.home()
	if ov.HostGiven() {
		a := Defaults()
		ov.apply(a, home)
		return a, nil
	}
	fs, err := loadFiles(r.env, req.File, r.info)
	if err != nil {
		return nil, err
	}
	id := "default"
	if req.Account.Set {
		id = req.Account.Value
	}
	a := fs.find(id)
	switch {
	case a == nil && req.Account.Set:
		return nil, fs.notFound(id)
	case a == nil:
		a = Defaults()
	default:
		a = a.Clone()
	}
	ov.apply(a, home)
	return a, nil
}
