package getopt

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testTable is a cut-down msmtp table in upstream's order: it has every argument kind,
// short-only, long-only and combined rows, an alias pair (timeout / connect-timeout) and
// the --tls-* family whose prefixes are ambiguous.
var testTable = []Option{
	{Name: "version", Long: "version"},
	{Name: "help", Long: "help"},
	{Name: "configure", Long: "configure", Arg: RequiredArgument},
	{Name: "pretend", Short: 'P', Long: "pretend"},
	{Name: "debug", Short: 'd', Long: "debug", Arg: OptionalArgument},
	{Name: "serverinfo", Short: 'S', Long: "serverinfo"},
	{Name: "rmqs", Long: "rmqs", Arg: RequiredArgument},
	{Name: "file", Short: 'C', Long: "file", Arg: RequiredArgument},
	{Name: "account", Short: 'a', Long: "account", Arg: RequiredArgument},
	{Name: "host", Long: "host", Arg: RequiredArgument},
	{Name: "port", Long: "port", Arg: RequiredArgument},
	{Name: "timeout", Long: "timeout", Arg: RequiredArgument},
	{Name: "timeout", Long: "connect-timeout", Arg: RequiredArgument},
	{Name: "auto-from", Long: "auto-from", Arg: OptionalArgument},
	{Name: "from", Short: 'f', Long: "from", Arg: RequiredArgument},
	{Name: "tls", Long: "tls", Arg: OptionalArgument},
	{Name: "tls-starttls", Long: "tls-starttls", Arg: OptionalArgument},
	{Name: "tls-crl-file", Long: "tls-crl-file", Arg: RequiredArgument},
	{Name: "tls-cert-file", Long: "tls-cert-file", Arg: RequiredArgument},
	{Name: "tls-certcheck", Long: "tls-certcheck", Arg: OptionalArgument},
	{Name: "read-recipients", Short: 't', Long: "read-recipients"},
	{Name: "read-envelope-from", Long: "read-envelope-from"},
	{Name: "A", Short: 'A', Arg: RequiredArgument},
	{Name: "b", Short: 'b', Arg: RequiredArgument},
	{Name: "i", Short: 'i'},
	{Name: "o", Short: 'o', Arg: RequiredArgument},
	{Name: "v", Short: 'v'},
	// Two spellings of one option that share a prefix: "--al" must not be ambiguous.
	{Name: "alpha", Long: "alpha-one"},
	{Name: "alpha", Long: "alpha-two"},
	// Same Name but a different argument kind: glibc treats these as different options.
	{Name: "beta", Long: "beta-one"},
	{Name: "beta", Long: "beta-two", Arg: RequiredArgument},
}

// outcome is everything a scan produced, in a form that is easy to compare.
type outcome struct {
	Opts     []string // "name", "name=arg" (HasArg), in order
	Operands []string
	Err      string
}

func scan(p *Parser, argv []string) outcome {
	s := p.Scan(argv)
	var o outcome
	for s.Next() {
		r := s.Result()
		if r.HasArg {
			o.Opts = append(o.Opts, r.Name+"="+r.Arg)
		} else {
			o.Opts = append(o.Opts, r.Name)
		}
	}
	if err := s.Err(); err != nil {
		o.Err = err.Error()
	}
	o.Operands = s.Operands()
	return o
}

func env(vars ...string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		for i := 0; i+1 < len(vars); i += 2 {
			if vars[i] == k {
				return vars[i+1], true
			}
		}
		return "", false
	}
}

func TestScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      []string
		ordering Ordering
		argv     string // split on blanks; "''" is the empty string
		want     outcome
	}{
		// Permutation: operands anywhere, options after them still recognised.
		{name: "permute", argv: "msmtp a@b.org -f x@y.org c@d.org",
			want: outcome{Opts: []string{"from=x@y.org"}, Operands: []string{"a@b.org", "c@d.org"}}},
		{name: "no args", argv: "msmtp", want: outcome{}},
		{name: "only operands", argv: "msmtp a b c", want: outcome{Operands: []string{"a", "b", "c"}}},
		// POSIXLY_CORRECT: the first operand ends the options, with any value, even empty.
		{name: "posixly correct", env: []string{"POSIXLY_CORRECT", "1"}, argv: "msmtp -t a@b.org -f x@y.org",
			want: outcome{Opts: []string{"read-recipients"}, Operands: []string{"a@b.org", "-f", "x@y.org"}}},
		{name: "posixly correct empty value", env: []string{"POSIXLY_CORRECT", ""}, argv: "msmtp a -t",
			want: outcome{Operands: []string{"a", "-t"}}},
		{name: "posixly correct keeps later --", env: []string{"POSIXLY_CORRECT", "1"}, argv: "msmtp a -- b",
			want: outcome{Operands: []string{"a", "--", "b"}}},
		{name: "posixly correct drops leading --", env: []string{"POSIXLY_CORRECT", "1"}, argv: "msmtp -t -- -a b",
			want: outcome{Opts: []string{"read-recipients"}, Operands: []string{"-a", "b"}}},
		{name: "require order field", ordering: RequireOrder, argv: "msmtp a -t",
			want: outcome{Operands: []string{"a", "-t"}}},
		{name: "other env vars ignored", env: []string{"POSIXLY", "1"}, argv: "msmtp a -t",
			want: outcome{Opts: []string{"read-recipients"}, Operands: []string{"a"}}},
		// "--" ends the options and is dropped; earlier operands keep their place.
		{name: "double dash", argv: "msmtp -- a@b.org -f x@y.org",
			want: outcome{Operands: []string{"a@b.org", "-f", "x@y.org"}}},
		{name: "double dash after operand", argv: "msmtp a -t -- b --",
			want: outcome{Opts: []string{"read-recipients"}, Operands: []string{"a", "b", "--"}}},
		{name: "double dash last", argv: "msmtp -t --", want: outcome{Opts: []string{"read-recipients"}}},
		{name: "lone dash is an operand", argv: "msmtp - -t",
			want: outcome{Opts: []string{"read-recipients"}, Operands: []string{"-"}}},
		{name: "empty string is an operand", argv: "msmtp '' -t",
			want: outcome{Opts: []string{"read-recipients"}, Operands: []string{""}}},
		// Short clusters.
		{name: "cluster", argv: "msmtp -tP", want: outcome{Opts: []string{"read-recipients", "pretend"}}},
		{name: "cluster ending in required", argv: "msmtp -iPf x@y",
			want: outcome{Opts: []string{"i", "pretend", "from=x@y"}}},
		{name: "required takes rest of cluster", argv: "msmtp -oPt",
			want: outcome{Opts: []string{"o=Pt"}}},
		{name: "required attached", argv: "msmtp -fx", want: outcome{Opts: []string{"from=x"}}},
		{name: "required next word", argv: "msmtp -f x", want: outcome{Opts: []string{"from=x"}}},
		{name: "required next word may look like an option", argv: "msmtp -f -t",
			want: outcome{Opts: []string{"from=-t"}}},
		{name: "required next word may be --", argv: "msmtp -f -- a",
			want: outcome{Opts: []string{"from=--"}, Operands: []string{"a"}}},
		{name: "required next word may be empty", argv: "msmtp -f '' a",
			want: outcome{Opts: []string{"from="}, Operands: []string{"a"}}},
		{name: "required after operand", argv: "msmtp a -o i b",
			want: outcome{Opts: []string{"o=i"}, Operands: []string{"a", "b"}}},
		// Optional arguments only when attached.
		{name: "optional attached short", argv: "msmtp -d0.1", want: outcome{Opts: []string{"debug=0.1"}}},
		{name: "optional absorbs cluster", argv: "msmtp -dt", want: outcome{Opts: []string{"debug=t"}}},
		{name: "optional not from next word", argv: "msmtp -d 0.1",
			want: outcome{Opts: []string{"debug"}, Operands: []string{"0.1"}}},
		{name: "optional long attached", argv: "msmtp --tls=off", want: outcome{Opts: []string{"tls=off"}}},
		{name: "optional long empty", argv: "msmtp --tls=", want: outcome{Opts: []string{"tls="}}},
		{name: "optional long separate is an operand", argv: "msmtp --tls off",
			want: outcome{Opts: []string{"tls"}, Operands: []string{"off"}}},
		{name: "optional long certcheck", argv: "msmtp --tls-certcheck off x@y.org",
			want: outcome{Opts: []string{"tls-certcheck"}, Operands: []string{"off", "x@y.org"}}},
		// Required long arguments.
		{name: "long required attached", argv: "msmtp --port=587", want: outcome{Opts: []string{"port=587"}}},
		{name: "long required next", argv: "msmtp --port 587", want: outcome{Opts: []string{"port=587"}}},
		{name: "long required empty attached", argv: "msmtp --host=", want: outcome{Opts: []string{"host="}}},
		{name: "long value with =", argv: "msmtp --from=a=b", want: outcome{Opts: []string{"from=a=b"}}},
		{name: "long required next is option-like", argv: "msmtp --from --",
			want: outcome{Opts: []string{"from=--"}}},
		// Abbreviations.
		{name: "abbrev", argv: "msmtp --pre", want: outcome{Opts: []string{"pretend"}}},
		{name: "abbrev with value", argv: "msmtp --acc=x", want: outcome{Opts: []string{"account=x"}}},
		{name: "abbrev read-r", argv: "msmtp --read-r", want: outcome{Opts: []string{"read-recipients"}}},
		{name: "exact wins over prefix", argv: "msmtp --tls", want: outcome{Opts: []string{"tls"}}},
		{name: "exact wins: from vs ...", argv: "msmtp --from=x", want: outcome{Opts: []string{"from=x"}}},
		{name: "alias prefix not ambiguous", argv: "msmtp --al", want: outcome{Opts: []string{"alpha"}}},
		{name: "alias abbreviation", argv: "msmtp --conn=5", want: outcome{Opts: []string{"timeout=5"}}},
		{name: "same name different arg is ambiguous", argv: "msmtp --be",
			want: outcome{Err: "msmtp: option '--be' is ambiguous; possibilities: '--beta-one' '--beta-two'"}},
		// Errors, with glibc's texts and argv[0] verbatim.
		{name: "invalid short", argv: "./sendmail -x a@b",
			want: outcome{Err: "./sendmail: invalid option -- 'x'"}},
		{name: "invalid short in cluster", argv: "msmtp -tx -P",
			want: outcome{Opts: []string{"read-recipients"}, Err: "msmtp: invalid option -- 'x'"}},
		{name: "invalid short dash in cluster", argv: "msmtp -t-",
			want: outcome{Opts: []string{"read-recipients"}, Err: "msmtp: invalid option -- '-'"}},
		{name: "colon is never an option", argv: "msmtp -:", want: outcome{Err: "msmtp: invalid option -- ':'"}},
		{name: "invalid short non-ASCII byte", argv: "msmtp -é",
			want: outcome{Err: "msmtp: invalid option -- '\xc3'"}},
		{name: "unknown long", argv: "msmtp --bogus a@b",
			want: outcome{Err: "msmtp: unrecognized option '--bogus'"}},
		{name: "unknown long keeps value", argv: "msmtp --bogus=x",
			want: outcome{Err: "msmtp: unrecognized option '--bogus=x'"}},
		{name: "triple dash", argv: "msmtp ---t", want: outcome{Err: "msmtp: unrecognized option '---t'"}},
		{name: "missing short arg", argv: "msmtp -o", want: outcome{Err: "msmtp: option requires an argument -- 'o'"}},
		{name: "missing short arg after cluster", argv: "msmtp -tb",
			want: outcome{Opts: []string{"read-recipients"}, Err: "msmtp: option requires an argument -- 'b'"}},
		{name: "missing long arg", argv: "msmtp --from", want: outcome{Err: "msmtp: option '--from' requires an argument"}},
		{name: "missing long arg abbreviated names full", argv: "msmtp --fro",
			want: outcome{Err: "msmtp: option '--from' requires an argument"}},
		{name: "no argument allowed", argv: "msmtp --help=x",
			want: outcome{Err: "msmtp: option '--help' doesn't allow an argument"}},
		{name: "no argument allowed abbreviated", argv: "msmtp --hel=",
			want: outcome{Err: "msmtp: option '--help' doesn't allow an argument"}},
		{name: "ambiguous", argv: "msmtp --tls-c a@b",
			want: outcome{Err: "msmtp: option '--tls-c' is ambiguous; possibilities: '--tls-crl-file' '--tls-cert-file' '--tls-certcheck'"}},
		{name: "ambiguous keeps value", argv: "msmtp --tls-c=x",
			want: outcome{Err: "msmtp: option '--tls-c=x' is ambiguous; possibilities: '--tls-crl-file' '--tls-cert-file' '--tls-certcheck'"}},
		{name: "ambiguous with alias lists first match only once", argv: "msmtp --t",
			want: outcome{Err: "msmtp: option '--t' is ambiguous; possibilities: '--timeout' '--tls' '--tls-starttls' '--tls-crl-file' '--tls-cert-file' '--tls-certcheck'"}},
		{name: "empty long name", argv: "msmtp --=x",
			want: outcome{Err: "msmtp: option '--=x' is ambiguous; possibilities: '--version' '--help' '--configure' '--pretend' '--debug' '--serverinfo' '--rmqs' '--file' '--account' '--host' '--port' '--timeout' '--connect-timeout' '--auto-from' '--from' '--tls' '--tls-starttls' '--tls-crl-file' '--tls-cert-file' '--tls-certcheck' '--read-recipients' '--read-envelope-from' '--alpha-one' '--alpha-two' '--beta-one' '--beta-two'"}},
		// Scanning stops at the first error: nothing after it is looked at.
		{name: "stop at first error", argv: "msmtp -f x --bogus -q a b",
			want: outcome{Opts: []string{"from=x"}, Err: "msmtp: unrecognized option '--bogus'"}},
		{name: "operands before error are kept", argv: "msmtp a -x b",
			want: outcome{Operands: []string{"a"}, Err: "msmtp: invalid option -- 'x'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var argv []string
			for _, w := range strings.Split(tt.argv, " ") {
				if w == "''" {
					w = ""
				}
				argv = append(argv, w)
			}
			p := &Parser{Options: testTable, Ordering: tt.ordering, LookupEnv: env(tt.env...)}
			got := scan(p, argv)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%q: (-want +got)\n%s", argv, diff)
			}
		})
	}
}

func TestResultFields(t *testing.T) {
	t.Parallel()
	p := &Parser{Options: testTable}
	s := p.Scan([]string{"msmtp", "a", "-tfx", "--acc", "n", "--tls", "--debug="})
	var got []Result
	for s.Next() {
		got = append(got, s.Result())
	}
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
	want := []Result{
		{Option: testTable[20], Name: "read-recipients", Spelling: "-t", Index: 2},
		{Option: testTable[14], Name: "from", Spelling: "-f", Arg: "x", HasArg: true, Index: 2},
		{Option: testTable[8], Name: "account", Spelling: "--account", Arg: "n", HasArg: true, Index: 3},
		{Option: testTable[15], Name: "tls", Spelling: "--tls", Index: 5},
		{Option: testTable[4], Name: "debug", Spelling: "--debug", Arg: "", HasArg: true, Index: 6},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if ops := s.Operands(); !cmp.Equal(ops, []string{"a"}) {
		t.Errorf("operands %q", ops)
	}
	// Next keeps returning false once done.
	if s.Next() {
		t.Error("Next after the end returned true")
	}
}

func TestErrorType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		argv []string
		want Error
		msg  string
	}{
		{[]string{"p", "-x"}, Error{Program: "p", Kind: UnknownShort, Option: "x"}, "invalid option -- 'x'"},
		{[]string{"p", "--nope=1"}, Error{Program: "p", Kind: UnknownLong, Option: "--nope=1"}, "unrecognized option '--nope=1'"},
		{[]string{"p", "-C"}, Error{Program: "p", Kind: MissingShortArgument, Option: "C"}, "option requires an argument -- 'C'"},
		{[]string{"p", "--fil"}, Error{Program: "p", Kind: MissingLongArgument, Option: "--file"}, "option '--file' requires an argument"},
		{[]string{"p", "--vers=1"}, Error{Program: "p", Kind: UnexpectedArgument, Option: "--version"}, "option '--version' doesn't allow an argument"},
		{[]string{"p", "--tls-ce"}, Error{Program: "p", Kind: Ambiguous, Option: "--tls-ce", Candidates: []string{"--tls-cert-file", "--tls-certcheck"}},
			"option '--tls-ce' is ambiguous; possibilities: '--tls-cert-file' '--tls-certcheck'"},
	}
	for _, tt := range tests {
		s := (&Parser{Options: testTable}).Scan(tt.argv)
		for s.Next() {
		}
		var e *Error
		if !errors.As(s.Err(), &e) {
			t.Fatalf("%q: error %v is not an *Error", tt.argv, s.Err())
		}
		if diff := cmp.Diff(tt.want, *e); diff != "" {
			t.Errorf("%q: (-want +got)\n%s", tt.argv, diff)
		}
		if e.Message() != tt.msg {
			t.Errorf("%q: Message() = %q, want %q", tt.argv, e.Message(), tt.msg)
		}
	}
}

// TestStopEarly checks that a caller that stops calling Next never has later options
// looked at: that is how msmtp reports its own first error.
func TestStopEarly(t *testing.T) {
	t.Parallel()
	s := (&Parser{Options: testTable}).Scan([]string{"msmtp", "--port=bad", "-x"})
	if !s.Next() || s.Result().Name != "port" {
		t.Fatalf("first option: %+v", s.Result())
	}
	if s.Err() != nil {
		t.Errorf("error before the invalid option was reached: %v", s.Err())
	}
}

func TestEmptyArgv(t *testing.T) {
	t.Parallel()
	s := (&Parser{Options: testTable}).Scan(nil)
	if s.Next() || s.Err() != nil || len(s.Operands()) != 0 {
		t.Errorf("nil argv: Next, Err, Operands = %v %v %q", s.Next(), s.Err(), s.Operands())
	}
}

func TestLongOnlyTable(t *testing.T) {
	t.Parallel()
	// msmtpd's table: long options only, so every short option is invalid.
	p := &Parser{Options: []Option{
		{Name: "inetd", Long: "inetd"},
		{Name: "interface", Long: "interface", Arg: RequiredArgument},
		{Name: "port", Long: "port", Arg: RequiredArgument},
	}}
	tests := []struct {
		argv string
		want outcome
	}{
		{"msmtpd --in", outcome{Err: "msmtpd: option '--in' is ambiguous; possibilities: '--inetd' '--interface'"}},
		{"msmtpd --int 127.0.0.1 --p=25", outcome{Opts: []string{"interface=127.0.0.1", "port=25"}}},
		{"msmtpd -p 25", outcome{Err: "msmtpd: invalid option -- 'p'"}},
		{"msmtpd x", outcome{Operands: []string{"x"}}},
	}
	for _, tt := range tests {
		got := scan(p, strings.Fields(tt.argv))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.argv, diff)
		}
	}
}

func TestBadTablePanics(t *testing.T) {
	t.Parallel()
	tables := map[string][]Option{
		"no name":         {{Long: "x"}},
		"no spelling":     {{Name: "x"}},
		"dash short":      {{Name: "x", Short: '-'}},
		"colon short":     {{Name: "x", Short: ':'}},
		"semicolon short": {{Name: "x", Short: ';'}},
		"equals in long":  {{Name: "x", Long: "a=b"}},
		"dup short":       {{Name: "x", Short: 'x'}, {Name: "y", Short: 'x'}},
		"dup long":        {{Name: "x", Long: "x"}, {Name: "y", Long: "x"}},
		"bad kind":        {{Name: "x", Long: "x", Arg: 7}},
	}
	for name, table := range tables {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Scan did not panic", name)
				}
			}()
			(&Parser{Options: table}).Scan([]string{"p"})
		}()
	}
}

func TestArgKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[ArgKind]string{
		NoArgument: "no_argument", RequiredArgument: "required_argument",
		OptionalArgument: "optional_argument", 9: "ArgKind(9)",
	} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", k, got, want)
		}
	}
}

// rejoin turns a successful scan back into a canonical argv: every option in its long
// form where it has one (attached argument), short options with their argument as the
// next word, then "--" and the operands.
func rejoin(program string, rs []Result, operands []string) []string {
	argv := []string{program}
	for _, r := range rs {
		switch {
		case r.Option.Long != "" && r.HasArg:
			argv = append(argv, "--"+r.Option.Long+"="+r.Arg)
		case r.Option.Long != "":
			argv = append(argv, "--"+r.Option.Long)
		case r.Option.Arg == RequiredArgument:
			argv = append(argv, "-"+string([]byte{r.Option.Short}), r.Arg)
		case r.HasArg:
			argv = append(argv, "-"+string([]byte{r.Option.Short})+r.Arg)
		default:
			argv = append(argv, "-"+string([]byte{r.Option.Short}))
		}
	}
	argv = append(argv, "--")
	return append(argv, operands...)
}

func FuzzGetopt(f *testing.F) {
	for _, seed := range []string{
		"a@b.org\x00-f\x00x@y.org\x00c@d.org",
		"-oPt\x00--tls=off\x00--tls\x00off",
		"--tls-c\x00a",
		"-d0.1\x00-dt\x00--\x00-x",
		"--acc=x\x00--pre\x00-\x00",
		"--=x",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, joined string, posix bool) {
		argv := append([]string{"prog"}, strings.Split(joined, "\x00")...)
		p := &Parser{Options: testTable}
		if posix {
			p.LookupEnv = env("POSIXLY_CORRECT", "")
		}
		run := func(argv []string) ([]Result, []string, error) {
			s := p.Scan(argv)
			var rs []Result
			for s.Next() {
				rs = append(rs, s.Result())
			}
			return rs, s.Operands(), s.Err()
		}
		rs, ops, err := run(argv)
		rs2, ops2, err2 := run(argv)
		if !cmp.Equal(rs, rs2) || !cmp.Equal(ops, ops2) || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("not deterministic for %q", argv)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "prog: ") {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		for _, r := range rs {
			if r.Index < 1 || r.Index >= len(argv) {
				t.Fatalf("index %d out of range for %q", r.Index, argv)
			}
			if r.Option.Arg == RequiredArgument && !r.HasArg || r.Option.Arg == NoArgument && r.HasArg {
				t.Fatalf("argument presence does not match the kind: %+v", r)
			}
		}
		// Re-joining the parsed options in canonical form gives the same result.
		again := rejoin("prog", rs, ops)
		rs3, ops3, err3 := run(again)
		if err3 != nil {
			t.Fatalf("rejoined %q: %v", again, err3)
		}
		strip := func(rs []Result) []Result {
			out := make([]Result, len(rs))
			for i, r := range rs {
				r.Index, r.Spelling = 0, ""
				out[i] = r
			}
			return out
		}
		if !cmp.Equal(strip(rs), strip(rs3), cmpopts.EquateEmpty()) || !cmp.Equal(ops, ops3, cmpopts.EquateEmpty()) {
			t.Fatalf("rejoin of %q gave %q:\n%+v %q\n%+v %q", argv, again, rs, ops, rs3, ops3)
		}
	})
}
