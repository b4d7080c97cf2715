package smtptest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Side names one end of a dialogue.
type Side int

// The two sides of a dialogue.
const (
	ServerSide Side = iota
	ClientSide
)

func (s Side) String() string {
	if s == ServerSide {
		return "S"
	}
	return "C"
}

// StepKind says what a step does.
type StepKind int

// Step kinds. Line, Match and Raw carry a Side; the directives do not.
const (
	// Line: Side sends Text followed by CRLF ("S: ..." / "C: ...").
	Line StepKind = iota
	// Match: Side sends one line that matches Regexp ("S~ ..." / "C~ ...").
	Match
	// Raw: Side sends exactly the bytes of Text ("S= ..." / "C= ...").
	Raw
	// StartTLS: both ends run a TLS handshake.
	StartTLS
	// Close: the played side closes the connection.
	Close
	// Sleep: the played side pauses for Duration.
	Sleep
	// Read: the played side reads and discards N bytes.
	Read
	// SkipData: the played side reads mail data up to the "." line.
	SkipData
	// Stall: the played side waits for the peer to close the connection.
	Stall
	// EOF: the peer must close the connection.
	EOF
)

// Step is one line of a script.
type Step struct {
	Kind StepKind
	// Side is who sends, for Line, Match and Raw.
	Side Side
	// Text is the line without its ending (Line), the regular expression's source (Match)
	// or the exact bytes (Raw).
	Text string
	// Regexp is the compiled, anchored form of Text for Match.
	Regexp *regexp.Regexp
	// Duration is the pause of Sleep.
	Duration time.Duration
	// N is the byte count of Read.
	N int
	// Fail, for StartTLS, says that the handshake must fail ("!starttls fail"): the client
	// under test is expected to reject the certificate. The play ends after the failure.
	Fail bool
	// LineNo is the step's line in the script file, for messages.
	LineNo int
	// Source is the step's line as written, for messages.
	Source string
}

// Field is one entry of a script's header block.
type Field struct {
	Key, Value string
}

// Script is a parsed transcript.
type Script struct {
	// Name identifies the script in messages (the file name, usually).
	Name string
	// Header is the header block, in file order.
	Header []Field
	// Steps are the dialogue.
	Steps []Step
	// Text is the whole script as written, shown in mismatch reports.
	Text string
}

// Get returns the value of the first header field named key, and whether there is one.
func (s *Script) Get(key string) (string, bool) {
	for _, f := range s.Header {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// Values returns the values of all header fields named key, in order.
func (s *Script) Values(key string) []string {
	var v []string
	for _, f := range s.Header {
		if f.Key == key {
			v = append(v, f.Value)
		}
	}
	return v
}

// SyntaxError reports a malformed script line.
type SyntaxError struct {
	Name   string
	LineNo int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Name, e.LineNo, e.Msg) }

var headerKey = regexp.MustCompile(`^([a-z][a-z0-9_-]*): ?(.*)$`)

// Parse reads a script. name is used in messages. Errors are *SyntaxError, or the reader's.
func Parse(name string, r io.Reader) (*Script, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s := &Script{Name: name, Text: string(data)}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		step, ok, err := parseStep(line)
		if err != nil {
			return nil, &SyntaxError{Name: name, LineNo: n, Msg: err.Error()}
		}
		if !ok {
			m := headerKey.FindStringSubmatch(line)
			if m == nil || len(s.Steps) > 0 {
				return nil, &SyntaxError{Name: name, LineNo: n, Msg: fmt.Sprintf("not a step: %q", line)}
			}
			s.Header = append(s.Header, Field{Key: m[1], Value: m[2]})
			continue
		}
		step.LineNo, step.Source = n, line
		s.Steps = append(s.Steps, step)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// MustParse parses a script given as a string and panics on a syntax error; it is meant for
// scripts written inline in tests.
func MustParse(name, text string) *Script {
	s, err := Parse(name, strings.NewReader(text))
	if err != nil {
		panic(err)
	}
	return s
}

// ParseFile reads the script in file path; its Name is the file's base name.
func ParseFile(path string) (*Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(filepath.Base(path), f)
}

// parseStep recognises a step line. ok is false for a line that is not a step at all (it may
// be a header field); err is set for a line that looks like a step but is malformed.
func parseStep(line string) (step Step, ok bool, err error) {
	if strings.HasPrefix(line, "!") {
		return parseDirective(line[1:])
	}
	if len(line) < 2 || (line[0] != 'S' && line[0] != 'C') {
		return Step{}, false, nil
	}
	side := ServerSide
	if line[0] == 'C' {
		side = ClientSide
	}
	rest := line[2:]
	switch line[1] {
	case ':':
		return Step{Kind: Line, Side: side, Text: strings.TrimPrefix(rest, " ")}, true, nil
	case '~':
		src := strings.TrimPrefix(rest, " ")
		re, err := regexp.Compile(`^(?:` + src + `)$`)
		if err != nil {
			return Step{}, false, err
		}
		return Step{Kind: Match, Side: side, Text: src, Regexp: re}, true, nil
	case '=':
		text, err := strconv.Unquote(strings.TrimSpace(rest))
		if err != nil {
			return Step{}, false, fmt.Errorf("%c= needs a Go string literal: %v", line[0], err)
		}
		if text == "" {
			return Step{}, false, fmt.Errorf("%c= with no bytes", line[0])
		}
		return Step{Kind: Raw, Side: side, Text: text}, true, nil
	}
	return Step{}, false, nil
}

func parseDirective(d string) (Step, bool, error) {
	word, arg, _ := strings.Cut(d, " ")
	arg = strings.TrimSpace(arg)
	noArg := func(k StepKind) (Step, bool, error) {
		if arg != "" {
			return Step{}, false, fmt.Errorf("!%s takes no argument", word)
		}
		return Step{Kind: k}, true, nil
	}
	switch word {
	case "starttls", "tls":
		if arg == "fail" {
			return Step{Kind: StartTLS, Fail: true}, true, nil
		}
		return noArg(StartTLS)
	case "close":
		return noArg(Close)
	case "skipdata":
		return noArg(SkipData)
	case "stall":
		return noArg(Stall)
	case "eof":
		return noArg(EOF)
	case "sleep":
		dur, err := time.ParseDuration(arg)
		if err != nil || dur < 0 {
			return Step{}, false, fmt.Errorf("!sleep needs a duration, got %q", arg)
		}
		return Step{Kind: Sleep, Duration: dur}, true, nil
	case "read":
		n, err := strconv.Atoi(arg)
		if err != nil || n <= 0 {
			return Step{}, false, fmt.Errorf("!read needs a positive byte count, got %q", arg)
		}
		return Step{Kind: Read, N: n}, true, nil
	}
	return Step{}, false, fmt.Errorf("unknown directive !%s", word)
}
