package config

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// substitute expands the %-patterns (spec-cli-config.md §3.5) in domain, in every mode, and
// in from, in sendmail mode. The patterns are replaced one after another in HEAD's order
// (%M, %U, %C, %H, %F), each at every occurrence and without an escape, so text one pattern
// inserts can be expanded by a later one, as upstream does. Values are computed only when
// their pattern occurs.
func (r *resolver) substitute(a *Account) error {
	d, err := r.expand(a.Domain, "MCH")
	if err != nil {
		return err
	}
	a.Domain = d
	if r.req.Mode == ModeSendmail && a.From.Set {
		f, err := r.expand(a.From.Value, "MUCHF")
		if err != nil {
			return err
		}
		a.From.Value = f
	}
	return nil
}

func (r *resolver) expand(s, patterns string) (string, error) {
	for _, p := range patterns {
		pat := "%" + string(p)
		if !strings.Contains(s, pat) {
			continue
		}
		var val string
		switch p {
		case 'M':
			m, err := r.mailname()
			if err != nil {
				return "", err
			}
			val = m
		case 'U':
			val = r.userName()
		case 'H':
			val = r.hostName()
		case 'C':
			val = r.canonicalName()
		case 'F':
			// Upstream leaves %F in place when the mail has no From header, and then sends
			// "%F" as the address. An envelope-from we cannot determine is the same error as
			// --read-envelope-from without a From header.
			if !r.req.FromHeader.Set {
				return "", &Error{Msg: "no envelope from address found", Kind: KindUsage, Err: ErrNoEnvelopeFrom}
			}
			val = r.req.FromHeader.Value
		}
		s = strings.ReplaceAll(s, pat, sanitize(val))
	}
	return s, nil
}

// userName is %U: $USER, else $LOGNAME, else the login name, else "unknown".
func (r *resolver) userName() string {
	for _, v := range []string{"USER", "LOGNAME"} {
		if u, ok := r.env.getenv(v); ok {
			return u
		}
	}
	if r.env.LoginName != nil {
		if u := r.env.LoginName(); u != "" {
			return u
		}
	}
	return "unknown"
}

// hostName is %H: $HOSTNAME, else gethostname, else "localhost".
func (r *resolver) hostName() string {
	if h, ok := r.env.getenv("HOSTNAME"); ok {
		return h
	}
	if r.env.Hostname != nil {
		if h, err := r.env.Hostname(); err == nil {
			return h
		}
	}
	return "localhost"
}

// canonicalName is %C: the canonical name of %H, or %H itself if the lookup fails.
func (r *resolver) canonicalName() string {
	h := r.hostName()
	if r.env.CanonicalName != nil {
		if c, err := r.env.CanonicalName(h); err == nil && c != "" {
			return c
		}
	}
	return h
}

// MailnameFile returns the file %M reads: SYSCONFDIR/mailname, or
// %ProgramData%\msmtp\mailname on Windows.
func MailnameFile(env Env) string {
	if env.windows() {
		pd, ok := env.getenv("ProgramData")
		if !ok {
			pd = `C:\ProgramData`
		}
		return env.join(pd, "msmtp", "mailname")
	}
	return env.join(env.SysConfDir, "mailname")
}

// mailname is %M: the first line of the mailname file, without its LF and a CR before it
// and nothing else trimmed. A missing file or an empty first line is an error (78).
func (r *resolver) mailname() (string, error) {
	name := MailnameFile(*r.env)
	f, err := r.env.open(name)
	if err != nil {
		return "", fileError(name, KindConfig, err, "%s", strerror(err))
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fileError(name, KindConfig, err, "%s", strerror(err))
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", fileError(name, KindConfig, nil, "Invalid argument")
	}
	return line, nil
}
