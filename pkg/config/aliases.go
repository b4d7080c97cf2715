package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Aliases is a parsed aliases file (spec-cli-config.md §5): local names mapped to lists of
// addresses, which may name further aliases.
type Aliases struct {
	File    string
	entries map[string][]string
}

// Upstream's limits for aliases files.
const (
	aliasLineMax   = 511 // bytes of a line including its LF
	aliasMaxValues = 32  // addresses kept per alias; later ones are dropped
	aliasMaxDepth  = 16  // nested expansions
)

// ParseAliases reads an aliases file: "NAME: ADDRESS, ADDRESS, ..." per line, '#' starting
// a comment anywhere. Errors are *Error with ErrAliases, printed "FILE: line N: MESSAGE"
// (KindConfig): "longer than 511 characters", "single ':' delimiter expected",
// "invalid alias 'NAME'", "duplicate alias 'NAME'"; or "FILE: input error".
func ParseAliases(r io.Reader, file string) (*Aliases, error) {
	al := &Aliases{File: file, entries: make(map[string][]string)}
	br := bufio.NewReader(r)
	lineErr := func(num int, format string, args ...any) error {
		return &Error{File: file, Line: num, Msg: sanitize(fmt.Sprintf(format, args...)), Kind: KindConfig, Err: ErrAliases}
	}
	for num := 1; ; num++ {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fileError(file, KindConfig, ErrAliases, "input error")
		}
		if len(line) >= aliasLineMax {
			return nil, lineErr(num, "longer than %d characters", aliasLineMax)
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.Trim(line, cSpace) != "" {
			parts := strings.Split(line, ":")
			if len(parts) != 2 {
				return nil, lineErr(num, "single ':' delimiter expected")
			}
			name := strings.Trim(parts[0], cSpace)
			if name == "" || strings.Contains(name, "@") {
				return nil, lineErr(num, "invalid alias '%s'", name)
			}
			if _, dup := al.entries[name]; dup {
				return nil, lineErr(num, "duplicate alias '%s'", name)
			}
			var addrs []string
			for a := range strings.SplitSeq(parts[1], ",") {
				if len(addrs) == aliasMaxValues {
					break
				}
				addrs = append(addrs, strings.Trim(a, cSpace))
			}
			al.entries[name] = addrs
		}
		if err != nil { // io.EOF
			return al, nil
		}
	}
}

// cSpace is what C's isspace accepts in the C locale.
const cSpace = " \t\n\v\f\r"

// isLocal reports whether a recipient is a local name that aliases apply to.
func isLocal(addr string) bool { return addr != "" && !strings.Contains(addr, "@") }

// Expand replaces every local recipient (non-empty, without '@') by its alias entry, or by
// the "default" entry for an unknown name, recursively; unknown names without a default
// entry stay as they are. Recipients keep their order and each one is examined.
//
// Upstream reverses each expansion and skips the recipient after an expanded one
// (§5.3 quirks 1 and 2); this is deliberately fixed here. Expansion nested more than 16
// levels deep (a loop) is an error "FILE: Too many redirects when expanding alias R."
func (al *Aliases) Expand(rcpts []string) ([]string, error) {
	var out []string
	for _, r := range rcpts {
		if !isLocal(r) {
			out = append(out, r)
			continue
		}
		var err error
		if out, err = al.expand(out, r, 0); err != nil {
			return nil, fileError(al.File, KindConfig, ErrAliases, "Too many redirects when expanding alias %s.", sanitize(r))
		}
	}
	return out, nil
}

var errTooDeep = errors.New("too many redirects")

func (al *Aliases) expand(out []string, name string, depth int) ([]string, error) {
	if depth > aliasMaxDepth {
		return nil, errTooDeep
	}
	addrs, ok := al.entries[name]
	if !ok {
		addrs, ok = al.entries["default"]
	}
	if !ok {
		return append(out, name), nil
	}
	for _, a := range addrs {
		if !isLocal(a) {
			out = append(out, a)
			continue
		}
		var err error
		if out, err = al.expand(out, a, depth+1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ExpandAliases expands rcpts with the aliases file. The file is opened only if some
// recipient is local, so a missing file matters only then (upstream's behaviour). An
// unopenable file is "FILE: STRERROR" (KindConfig).
func ExpandAliases(file string, rcpts []string, open func(name string) (io.ReadCloser, error)) ([]string, error) {
	hasLocal := false
	for _, r := range rcpts {
		hasLocal = hasLocal || isLocal(r)
	}
	if !hasLocal {
		return rcpts, nil
	}
	f, err := open(file)
	if err != nil {
		return nil, fileError(file, KindConfig, errors.Join(ErrAliases, err), "%s", strerror(err))
	}
	defer f.Close()
	al, err := ParseAliases(f, file)
	if err != nil {
		return nil, err
	}
	return al.Expand(rcpts)
}
