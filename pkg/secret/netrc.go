package secret

import (
	"bufio"
	"errors"
	"io"
	"path/filepath"
	"strings"
)

// NetrcEntry is one `machine` entry of a netrc file that has a login. Entries without a login
// and `default` entries are never used by msmtp, so ParseNetrc does not return them.
type NetrcEntry struct {
	Machine  string
	Login    string
	Password Secret
	// HasPassword tells an entry without a password from one with an empty password.
	HasPassword bool
}

// ParseNetrc reads a netrc file in ftp(1)'s format, as msmtp reads it (spec-cli-config.md
// §4.5):
//
//   - tokens are separated by white space (line ends included: an entry may span lines);
//   - single and double quotes quote parts of a token and are removed (`"sec"ret` is
//     `secret`); a quote left open ends at the end of its line; there are no backslash
//     escapes;
//   - a token that starts with an unquoted `#` ends the line (a `#` inside a token does not);
//   - keywords: `machine NAME`, `default`, `login NAME` or `user NAME`, `password VALUE` or
//     `passwd VALUE`, `account VALUE` (ignored), `macdef NAME` (the rest of its line and the
//     following lines up to an empty line are a macro and are skipped); anything else is
//     ignored.
//
// The entries are returned in file order. The only error is a read error of r.
func ParseNetrc(r io.Reader) ([]NetrcEntry, error) {
	p := netrcParser{}
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			p.line(line)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	p.finish()
	return p.entries, nil
}

// netrcParser is a token-stream state machine fed line by line.
type netrcParser struct {
	entries []NetrcEntry
	cur     *netrcEntry
	// want is the keyword whose value the next token is ("" when a keyword is expected).
	want string
	// inMacro is set while skipping a macdef body.
	inMacro bool
}

type netrcEntry struct {
	NetrcEntry
	isDefault bool
}

func (p *netrcParser) line(line string) {
	if p.inMacro {
		if strings.TrimRight(line, "\r\n") == "" {
			p.inMacro = false
		}
		return
	}
	// The line end is white space anyway; removing it keeps it out of an unclosed quote.
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	for i := 0; ; {
		for i < len(line) && isNetrcSpace(line[i]) {
			i++
		}
		if i >= len(line) || line[i] == '#' {
			return
		}
		var tok strings.Builder
		var quote byte
		for ; i < len(line); i++ {
			c := line[i]
			if quote != 0 {
				if c == quote {
					quote = 0
				} else {
					tok.WriteByte(c)
				}
				continue
			}
			if isNetrcSpace(c) {
				break
			}
			if c == '"' || c == '\'' {
				quote = c
				continue
			}
			tok.WriteByte(c)
		}
		if p.token(tok.String()) {
			// The macro body starts after the macdef line.
			p.inMacro = true
			return
		}
	}
}

// token handles one token and reports whether a macdef body starts.
func (p *netrcParser) token(t string) (macro bool) {
	want := p.want
	p.want = ""
	switch want {
	case "machine":
		p.finish()
		p.cur = &netrcEntry{NetrcEntry: NetrcEntry{Machine: t}}
		return false
	case "login":
		if p.cur != nil {
			p.cur.Login = t
		}
		return false
	case "password":
		if p.cur != nil {
			p.cur.Password, p.cur.HasPassword = New(t), true
		}
		return false
	case "account":
		return false
	case "macdef":
		return true
	}
	switch t {
	case "machine", "account", "macdef":
		p.want = t
	case "login", "user":
		p.want = "login"
	case "password", "passwd":
		p.want = "password"
	case "default":
		p.finish()
		p.cur = &netrcEntry{isDefault: true}
	}
	return false
}

// finish ends the current entry; entries without a login and default entries are dropped.
func (p *netrcParser) finish() {
	if p.cur != nil && !p.cur.isDefault && p.cur.Login != "" {
		p.entries = append(p.entries, p.cur.NetrcEntry)
	}
	p.cur = nil
}

func isNetrcSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// FindNetrc returns the first entry whose machine is host and whose login is user, both
// compared exactly (case-sensitive, no name resolution: `localhost` is not `127.0.0.1`).
// Entries whose login differs are skipped. `default` entries never match.
func FindNetrc(entries []NetrcEntry, host, user string) (NetrcEntry, bool) {
	for _, e := range entries {
		if e.Machine == host && e.Login == user {
			return e, true
		}
	}
	return NetrcEntry{}, false
}

// LookupNetrc parses r and returns the password of the first entry for host and user. When
// there is no such entry, or it has no password (upstream crashes then), the error wraps
// ErrNotFound.
func LookupNetrc(r io.Reader, host, user string) (Secret, error) {
	entries, err := ParseNetrc(r)
	if err != nil {
		return Secret{}, err
	}
	e, ok := FindNetrc(entries, host, user)
	if !ok || !e.HasPassword {
		return Secret{}, ErrNotFound
	}
	return e.Password, nil
}

// NetrcFiles returns the netrc files msmtp reads, in order: home/.netrc (left out when home
// is empty), then the system file — /etc/netrc on Unix (SYSCONFDIR/netrc, upstream's
// default SYSCONFDIR), %ProgramData%\msmtp\netrc on Windows. lookupEnv is used for
// ProgramData only.
func NetrcFiles(home string, lookupEnv func(string) (string, bool)) []string {
	var files []string
	if home != "" {
		files = append(files, filepath.Join(home, ".netrc"))
	}
	return append(files, systemNetrc(lookupEnv))
}
