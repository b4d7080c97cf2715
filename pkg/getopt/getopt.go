// Package getopt parses command lines the way GNU getopt_long does, for programs whose
// command line is an interface that scripts depend on (msmtp and msmtpd).
//
// It implements the behaviour of glibc's getopt_long (POSIX.1-2017 XBD §12.2 "Utility Syntax
// Guidelines" plus the GNU extensions), as recorded in spec-cli-config.md §1.1:
//
//   - permutation: options may follow non-options; the non-options (operands) are collected
//     in order, unless the environment variable POSIXLY_CORRECT is set or [RequireOrder] is
//     chosen, in which case scanning stops at the first non-option;
//   - "--" ends the options and is dropped; a lone "-" and the empty string are operands;
//   - short options may be clustered ("-tP"); an option with a required argument takes the
//     rest of its cluster or, if that is empty, the next element ("-oPt" is -o with "Pt");
//   - optional arguments are taken only when attached ("-d0.1", "--tls=off");
//   - long options may be abbreviated to any unique prefix, and an exact name always wins;
//   - diagnostics use glibc's exact English wording, prefixed with argv[0] verbatim.
//
// Options are delivered one at a time, in command-line order, through a [Scanner], because
// callers such as msmtp validate each option as it arrives and report only the first error.
// Scanning stops at the first error.
//
// The package knows nothing about any program's options: the caller supplies the table.
package getopt

import (
	"fmt"
	"strings"
)

// ArgKind says whether an option takes an argument.
type ArgKind uint8

// The argument kinds of getopt_long's has_arg field.
const (
	// NoArgument options take no argument; "--name=x" is an error.
	NoArgument ArgKind = iota
	// RequiredArgument options take the rest of a short-option cluster or the next
	// element; long ones take "--name=value" or "--name value".
	RequiredArgument
	// OptionalArgument options take an argument only when it is attached: "-dX" or
	// "--name=X". "--name X" gives the option without an argument and an operand X.
	OptionalArgument
)

// String names the kind as getopt.h does.
func (k ArgKind) String() string {
	switch k {
	case NoArgument:
		return "no_argument"
	case RequiredArgument:
		return "required_argument"
	case OptionalArgument:
		return "optional_argument"
	}
	return fmt.Sprintf("ArgKind(%d)", uint8(k))
}

// Option is one row of an option table: a short form, a long form, or both.
type Option struct {
	// Name identifies the option to the caller; [Result.Name] carries it. Rows with the
	// same Name and Arg are one option under two spellings (an alias such as msmtp's
	// --connect-timeout for --timeout); as in glibc, a prefix matching only such rows is
	// not ambiguous.
	Name string
	// Short is the option character, or 0 for a long-only option. It is a byte, not a
	// rune, because getopt works on bytes: "-é" is the option byte 0xC3 followed by 0xA9.
	Short byte
	// Long is the long name without the leading "--", or "" for a short-only option.
	Long string
	// Arg says whether the option takes an argument.
	Arg ArgKind
}

// Ordering chooses how operands (non-option arguments) are treated.
type Ordering uint8

const (
	// Permute is GNU's default: operands may appear anywhere and are collected in order,
	// options after them are still recognised.
	Permute Ordering = iota
	// RequireOrder stops option processing at the first operand, as POSIX requires
	// (glibc's "+" optstring prefix, or POSIXLY_CORRECT in the environment).
	RequireOrder
)

// Parser holds an option table and the parsing rules. A Parser is not modified by
// scanning and may be shared by goroutines.
type Parser struct {
	// Options is the option table. Its order matters: it is the order in which ambiguous
	// long-option candidates are listed, as glibc lists them.
	Options []Option
	// Ordering is the ordering used when the environment does not ask for another.
	Ordering Ordering
	// LookupEnv reads the environment (os.LookupEnv in production). If it reports
	// POSIXLY_CORRECT as set, with any value including the empty string, the ordering is
	// RequireOrder. nil means an empty environment.
	LookupEnv func(key string) (string, bool)
}

// Result is one option found on the command line.
type Result struct {
	// Option is the table row that matched.
	Option Option
	// Name is Option.Name, for convenience.
	Name string
	// Spelling is the option as a diagnostic should name it: "-x" for a short option,
	// "--" plus the full long name (not the abbreviation typed) for a long option.
	Spelling string
	// Arg is the option's argument; it is meaningful only when HasArg is true.
	Arg string
	// HasArg reports whether an argument was given. It is always true for
	// RequiredArgument options, never for NoArgument ones, and for OptionalArgument
	// options tells "--tls" (false) from "--tls=" (true, Arg "").
	HasArg bool
	// Index is the position in argv of the element where the option starts.
	Index int
}

// Scan starts parsing argv. argv[0] is the program name as invoked; it prefixes the
// diagnostics, verbatim, as glibc prints it. The rest is scanned from argv[1].
//
// Scan panics if the option table is malformed (a programmer error): an empty Name, a row
// with neither Short nor Long, a Short of 0x00, '-', ':' or ';', a Long that is empty after
// trimming or contains '=', or a Short or Long used twice.
func (p *Parser) Scan(argv []string) *Scanner {
	if err := p.check(); err != nil {
		panic("getopt: " + err.Error())
	}
	s := &Scanner{p: p, ordering: p.Ordering, next: 1}
	if len(argv) > 0 {
		s.program = argv[0]
		s.args = argv
	} else {
		s.args = []string{""}
	}
	if p.LookupEnv != nil {
		if _, ok := p.LookupEnv("POSIXLY_CORRECT"); ok {
			s.ordering = RequireOrder
		}
	}
	return s
}

func (p *Parser) check() error {
	shorts := map[byte]bool{}
	longs := map[string]bool{}
	for i, o := range p.Options {
		if o.Name == "" {
			return fmt.Errorf("option %d has no Name", i)
		}
		if o.Short == 0 && o.Long == "" {
			return fmt.Errorf("option %q has neither Short nor Long", o.Name)
		}
		if o.Arg > OptionalArgument {
			return fmt.Errorf("option %q has invalid %v", o.Name, o.Arg)
		}
		if o.Short != 0 {
			switch o.Short {
			case '-', ':', ';':
				return fmt.Errorf("option %q: %q cannot be a short option", o.Name, o.Short)
			}
			if shorts[o.Short] {
				return fmt.Errorf("short option %q used twice", o.Short)
			}
			shorts[o.Short] = true
		}
		if o.Long != "" {
			if strings.Contains(o.Long, "=") {
				return fmt.Errorf("long option %q contains '='", o.Long)
			}
			if longs[o.Long] {
				return fmt.Errorf("long option %q used twice", o.Long)
			}
			longs[o.Long] = true
		}
	}
	return nil
}

// Scanner walks a command line one option at a time:
//
//	s := parser.Scan(os.Args)
//	for s.Next() {
//		r := s.Result()
//		...
//	}
//	if err := s.Err(); err != nil { ... }
//	operands := s.Operands()
//
// The caller may stop calling Next at any time (for example on its own validation
// error); the options after that point are then never looked at.
type Scanner struct {
	p        *Parser
	program  string
	args     []string
	ordering Ordering

	next     int    // index of the next argv element to look at
	cluster  string // rest of a short-option cluster still to be scanned ("" when none)
	clusterI int    // argv index of the cluster
	operands []string
	cur      Result
	err      *Error
	done     bool
}

// Next finds the next option. It returns false when the options are exhausted or an error
// was found; Err tells which.
func (s *Scanner) Next() bool {
	if s.done {
		return false
	}
	if s.cluster != "" {
		return s.short()
	}
	for s.next < len(s.args) {
		a := s.args[s.next]
		switch {
		case a == "--":
			s.operands = append(s.operands, s.args[s.next+1:]...)
			s.next = len(s.args)
		case len(a) < 2 || a[0] != '-':
			// An operand: "", "-", or anything not starting with '-'.
			if s.ordering == RequireOrder {
				s.operands = append(s.operands, s.args[s.next:]...)
				s.next = len(s.args)
				break
			}
			s.operands = append(s.operands, a)
			s.next++
		case a[1] == '-':
			s.next++
			return s.long(a, s.next-1)
		default:
			s.cluster = a[1:]
			s.clusterI = s.next
			s.next++
			return s.short()
		}
	}
	s.done = true
	return false
}

// short handles the first byte of the pending cluster.
func (s *Scanner) short() bool {
	c := s.cluster[0]
	rest := s.cluster[1:]
	s.cluster = ""
	o, ok := s.findShort(c)
	if !ok {
		return s.fail(&Error{Program: s.program, Kind: UnknownShort, Option: string([]byte{c})})
	}
	r := Result{Option: o, Name: o.Name, Spelling: "-" + string([]byte{c}), Index: s.clusterI}
	switch o.Arg {
	case NoArgument:
		s.cluster = rest
	case OptionalArgument:
		if rest != "" {
			r.Arg, r.HasArg = rest, true
		}
	case RequiredArgument:
		switch {
		case rest != "":
			r.Arg, r.HasArg = rest, true
		case s.next < len(s.args):
			r.Arg, r.HasArg = s.args[s.next], true
			s.next++
		default:
			return s.fail(&Error{Program: s.program, Kind: MissingShortArgument, Option: string([]byte{c})})
		}
	}
	s.cur = r
	return true
}

func (s *Scanner) findShort(c byte) (Option, bool) {
	if c != 0 {
		for _, o := range s.p.Options {
			if o.Short == c {
				return o, true
			}
		}
	}
	return Option{}, false
}

// long handles the argv element a ("--name" or "--name=value") found at index i.
func (s *Scanner) long(a string, i int) bool {
	text := a[2:]
	name, value, hasValue := strings.Cut(text, "=")
	o, err := s.findLong(name, text)
	if err != nil {
		return s.fail(err)
	}
	r := Result{Option: o, Name: o.Name, Spelling: "--" + o.Long, Index: i}
	switch {
	case hasValue && o.Arg == NoArgument:
		return s.fail(&Error{Program: s.program, Kind: UnexpectedArgument, Option: "--" + o.Long})
	case hasValue:
		r.Arg, r.HasArg = value, true
	case o.Arg == RequiredArgument:
		if s.next >= len(s.args) {
			return s.fail(&Error{Program: s.program, Kind: MissingLongArgument, Option: "--" + o.Long})
		}
		r.Arg, r.HasArg = s.args[s.next], true
		s.next++
	}
	s.cur = r
	return true
}

// findLong looks name up: an exact match first, then a unique prefix. text is the whole
// element after "--", which glibc quotes in its messages (including any "=value").
func (s *Scanner) findLong(name, text string) (Option, *Error) {
	for _, o := range s.p.Options {
		if o.Long != "" && o.Long == name {
			return o, nil
		}
	}
	var (
		found      Option
		matched    bool
		candidates []string
	)
	for _, o := range s.p.Options {
		if o.Long == "" || !strings.HasPrefix(o.Long, name) {
			continue
		}
		if !matched {
			found, matched = o, true
			continue
		}
		// glibc counts a second match as ambiguous only when it is a different option
		// (has_arg, flag or val differ); the candidates listed are the first match and
		// every such different one, in table order.
		if o.Name != found.Name || o.Arg != found.Arg {
			if candidates == nil {
				candidates = []string{"--" + found.Long}
			}
			candidates = append(candidates, "--"+o.Long)
		}
	}
	switch {
	case candidates != nil:
		return Option{}, &Error{Program: s.program, Kind: Ambiguous, Option: "--" + text, Candidates: candidates}
	case !matched:
		return Option{}, &Error{Program: s.program, Kind: UnknownLong, Option: "--" + text}
	}
	return found, nil
}

func (s *Scanner) fail(err *Error) bool {
	s.err = err
	s.done = true
	s.cluster = ""
	return false
}

// Result returns the option found by the last successful call to Next.
func (s *Scanner) Result() Result { return s.cur }

// Err returns the error that stopped scanning, or nil. A non-nil error is always an
// [*Error].
func (s *Scanner) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}

// Operands returns the non-option arguments, in command-line order. It is complete once
// Next has returned false without an error; before that, or after an error, it holds the
// operands seen so far.
func (s *Scanner) Operands() []string { return s.operands }

// ErrorKind classifies a command-line error.
type ErrorKind uint8

// The errors glibc's getopt_long reports.
const (
	// UnknownShort is a short option character not in the table.
	UnknownShort ErrorKind = iota + 1
	// UnknownLong is a long option that neither matches nor abbreviates a table entry.
	UnknownLong
	// MissingShortArgument is a short option with a required argument at the end of argv.
	MissingShortArgument
	// MissingLongArgument is a long option with a required argument at the end of argv.
	MissingLongArgument
	// UnexpectedArgument is "--name=value" for an option that takes no argument.
	UnexpectedArgument
	// Ambiguous is an abbreviation that matches more than one long option.
	Ambiguous
)

// Error is a command-line error, printed exactly as glibc prints it.
type Error struct {
	// Program is argv[0] as given.
	Program string
	// Kind says what went wrong.
	Kind ErrorKind
	// Option is the offending option: the character for the short kinds; for UnknownLong
	// and Ambiguous the element as typed ("--bogus=x"); for the other long kinds "--" plus
	// the full option name.
	Option string
	// Candidates lists, for Ambiguous, the matching long options ("--name") in table order.
	Candidates []string
}

// Error returns glibc's diagnostic line without the trailing newline, for example
// "msmtp: invalid option -- 'x'".
func (e *Error) Error() string {
	return e.Program + ": " + e.Message()
}

// Message returns the diagnostic without the program-name prefix.
func (e *Error) Message() string {
	switch e.Kind {
	case UnknownShort:
		return "invalid option -- '" + e.Option + "'"
	case UnknownLong:
		return "unrecognized option '" + e.Option + "'"
	case MissingShortArgument:
		return "option requires an argument -- '" + e.Option + "'"
	case MissingLongArgument:
		return "option '" + e.Option + "' requires an argument"
	case UnexpectedArgument:
		return "option '" + e.Option + "' doesn't allow an argument"
	case Ambiguous:
		var b strings.Builder
		b.WriteString("option '" + e.Option + "' is ambiguous; possibilities:")
		for _, c := range e.Candidates {
			b.WriteString(" '" + c + "'")
		}
		return b.String()
	}
	return "invalid command line (" + e.Option + ")"
}
