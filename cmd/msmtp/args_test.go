package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/msmtp-go/msmtp/pkg/getopt"
)

// fakeSink records the settings it receives and fails, with upstream's message, on the
// "name=value" pairs listed in bad.
type fakeSink struct {
	calls []string
	bad   map[string]bool
}

func (s *fakeSink) Set(option string, arg *string) error {
	if arg == nil {
		s.calls = append(s.calls, option)
		return nil
	}
	s.calls = append(s.calls, option+"="+*arg)
	if s.bad[option+"="+*arg] {
		return fmt.Errorf("invalid argument %s for --%s", *arg, option)
	}
	return nil
}

// result is one parse, rendered for comparison.
type result struct {
	inv   *Invocation
	calls []string
	err   error
}

func parse(argv []string, envs []string, goos string, bad ...string) result {
	sink := &fakeSink{bad: map[string]bool{}}
	for _, b := range bad {
		sink.bad[b] = true
	}
	if goos == "" {
		goos = "linux"
	}
	inv, err := ParseArgs(argv, ParseConfig{LookupEnv: lookup(envs), Settings: sink, GOOS: goos})
	return result{inv: inv, calls: sink.calls, err: err}
}

func lookup(envs []string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		for _, e := range envs {
			if k, v, _ := strings.Cut(e, "="); k == key {
				return v, true
			}
		}
		return "", false
	}
}

// render describes a parse as "key: value" lines, leaving out what has its zero value.
// The caller corpus in testdata/callers is written in this form.
func (r result) render() []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, c := range r.calls {
		add("setting: %s", c)
	}
	if r.err != nil {
		add("error: %s", r.err)
		return out
	}
	inv := r.inv
	add("program: %s", inv.Program)
	add("mode: %s", inv.Mode)
	var flags []string
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"version", inv.Version}, {"help", inv.Help}, {"pretend", inv.Pretend},
		{"debug", inv.Debug}, {"read-recipients", inv.ReadRecipients},
		{"read-envelope-from", inv.ReadEnvelopeFrom}, {"ignore-dots", inv.IgnoreDots},
		{"host-given", inv.HostGiven}, {"queue-only", inv.QueueOnly}, {"force", inv.QueueForce},
	} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	if flags != nil {
		add("flags: %s", strings.Join(flags, " "))
	}
	if inv.Configure.Given {
		add("configure: %q", inv.Configure.Value)
	}
	if inv.Mode == ModeRMQS {
		add("rmqs: %q", inv.RMQS)
	}
	if inv.From.Given {
		add("from: %q (%s)", inv.From.Value, inv.FromOption)
	}
	if inv.Account.Given {
		add("account: %q", inv.Account.Value)
	}
	if inv.File.Given {
		add("file: %q", inv.File.Value)
	}
	if inv.EnvelopeID.Given {
		add("envelope-id: %q", inv.EnvelopeID.Value)
	}
	if inv.BodyType != "" {
		add("body-type: %s", inv.BodyType)
	}
	if q := inv.QueueRun; q.Args != nil {
		parts := []string{fmt.Sprintf("args=%q", q.Args)}
		if q.Interval != 0 {
			parts = append(parts, "interval="+q.Interval.String())
		}
		if q.Persistent {
			parts = append(parts, "persistent")
		}
		if q.Foreground {
			parts = append(parts, "foreground")
		}
		if q.Group != "" {
			parts = append(parts, "group="+q.Group)
		}
		for _, f := range q.Filters {
			neg := ""
			if f.Negate {
				neg = "!"
			}
			parts = append(parts, fmt.Sprintf("filter=%s%c:%q", neg, f.Field, f.Substring))
		}
		add("queue-run: %s", strings.Join(parts, " "))
	}
	if inv.QueueIDs != nil {
		add("queue-ids: %q", inv.QueueIDs)
	}
	if inv.Recipients != nil {
		var q []string
		for _, r := range inv.Recipients {
			q = append(q, fmt.Sprintf("%q", r))
		}
		add("recipients: %s", strings.Join(q, " "))
	}
	return out
}

// TestLongOptionOrder pins the long options to upstream's table order: the order Debian's
// msmtp 1.8.23 lists for `msmtp --=x`, with HEAD's --set-to-header after
// --set-msgid-header, and then ours. glibc's ambiguity message depends on it.
func TestLongOptionOrder(t *testing.T) {
	t.Parallel()
	upstream := "'--version' '--help' '--configure' '--pretend' '--debug' '--serverinfo' '--rmqs' " +
		"'--file' '--account' '--host' '--port' '--timeout' '--connect-timeout' '--auto-from' " +
		"'--from' '--maildomain' '--auth' '--user' '--passwordeval' '--tls' '--tls-starttls' " +
		"'--tls-trust-file' '--tls-crl-file' '--tls-fingerprint' '--tls-key-file' '--tls-cert-file' " +
		"'--tls-certcheck' '--tls-force-sslv3' '--tls-min-dh-prime-bits' '--tls-priorities' " +
		"'--tls-host-override' '--dsn-notify' '--dsn-return' '--protocol' '--domain' '--logfile' " +
		"'--logfile-time-format' '--syslog' '--aliases' '--proxy-host' '--proxy-port' " +
		"'--add-missing-from-header' '--add-missing-date-header' '--set-from-header' " +
		"'--set-date-header' '--set-msgid-header' '--set-to-header' '--remove-bcc-headers' " +
		"'--undisclosed-recipients' '--source-ip' '--socket' '--keepbcc' '--read-recipients' " +
		"'--read-envelope-from'"
	// Our own long options come after upstream's.
	ours := " '--oauth2-login' '--redirect' '--queue' '--queue-dir' '--queue-only' '--flush' '--force' " +
		"'--queue-list' '--queue-drop' '--queue-purge'"
	r := parse([]string{"msmtp", "--=x"}, nil, "")
	want := "msmtp: option '--=x' is ambiguous; possibilities: " + upstream + ours
	if r.err == nil || r.err.Error() != want {
		t.Errorf("got  %v\nwant %s", r.err, want)
	}
}

// TestUpstreamShortOptions checks that the short options of upstream's optstring
// "Pd::SC:a:f:N:R:X:tA:B:b:F:Gh:iL:mnO:o:v" keep their argument kinds.
func TestUpstreamShortOptions(t *testing.T) {
	t.Parallel()
	const optstring = "Pd::SC:a:f:N:R:X:tA:B:b:F:Gh:iL:mnO:o:v"
	want := map[byte]getopt.ArgKind{}
	for i := 0; i < len(optstring); i++ {
		c, kind := optstring[i], getopt.NoArgument
		if strings.HasPrefix(optstring[i+1:], "::") {
			kind, i = getopt.OptionalArgument, i+2
		} else if strings.HasPrefix(optstring[i+1:], ":") {
			kind, i = getopt.RequiredArgument, i+1
		}
		want[c] = kind
	}
	got := map[byte]getopt.ArgKind{}
	for _, o := range options() {
		if _, ok := want[o.short]; ok {
			got[o.short] = o.arg
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// TestSettingOptions pins the list of options given to the SettingSink: the config
// package's command-line overrides must know each of them (a test there, or in run_test.go
// once main is wired, compares the two lists).
func TestSettingOptions(t *testing.T) {
	t.Parallel()
	const (
		no  = getopt.NoArgument
		req = getopt.RequiredArgument
		opt = getopt.OptionalArgument
	)
	want := []SettingOption{
		{"host", req}, {"port", req}, {"timeout", req}, {"auto-from", opt}, {"from", req},
		{"maildomain", req}, {"auth", opt}, {"user", req}, {"passwordeval", req},
		{"tls", opt}, {"tls-starttls", opt}, {"tls-trust-file", req}, {"tls-crl-file", req},
		{"tls-fingerprint", req}, {"tls-key-file", req}, {"tls-cert-file", req},
		{"tls-certcheck", opt}, {"tls-force-sslv3", opt}, {"tls-min-dh-prime-bits", req},
		{"tls-priorities", req}, {"tls-host-override", req}, {"dsn-notify", req},
		{"dsn-return", req}, {"protocol", req}, {"domain", req}, {"logfile", req},
		{"logfile-time-format", req}, {"syslog", opt}, {"aliases", req}, {"proxy-host", req},
		{"proxy-port", req}, {"add-missing-from-header", opt}, {"add-missing-date-header", opt},
		{"set-from-header", opt}, {"set-date-header", opt}, {"set-msgid-header", opt},
		{"set-to-header", opt}, {"remove-bcc-headers", opt}, {"undisclosed-recipients", opt},
		{"source-ip", req}, {"socket", req}, {"keepbcc", opt}, {"queue", opt}, {"queue-dir", req},
		{"from-full-name", req},
	}
	if diff := cmp.Diff(want, SettingOptions()); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	// No setting option is an option without an argument: every one needs a value or
	// means "on" without one.
	for _, o := range SettingOptions() {
		if o.Arg == no {
			t.Errorf("%s: setting without an argument", o.Name)
		}
	}
}

// TestEverySettingReachesTheSink gives every setting option once, in each spelling, and
// checks what the sink receives.
func TestEverySettingReachesTheSink(t *testing.T) {
	t.Parallel()
	for _, o := range options() {
		if o.setting == "" {
			continue
		}
		var forms [][]string
		if o.long != "" {
			switch o.arg {
			case getopt.RequiredArgument:
				forms = append(forms, []string{"--" + o.long + "=v"}, []string{"--" + o.long, "v"})
			case getopt.OptionalArgument:
				forms = append(forms, []string{"--" + o.long + "=v"}, []string{"--" + o.long})
			}
		}
		if o.short != 0 {
			forms = append(forms, []string{"-" + string([]byte{o.short}) + "v"}, []string{"-" + string([]byte{o.short}), "v"})
		}
		for _, f := range forms {
			r := parse(append([]string{"msmtp"}, f...), nil, "")
			want := []string{o.setting + "=v"}
			if len(f) == 1 && f[0] == "--"+o.long {
				want = []string{o.setting} // optional argument not given
			}
			if r.err != nil || !cmp.Equal(r.calls, want) {
				t.Errorf("%q: calls %q, err %v; want %q", f, r.calls, r.err, want)
			}
		}
	}
}

func TestParseArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		argv string   // shell words
		env  []string // "NAME=value"
		bad  []string // sink failures, "name=value"
		goos string
		want string // render() lines joined by "\n"
	}{
		// C-01, C-02, C-03, C-04: --version, --help, -d0.1.
		{name: "C-01 version", argv: "msmtp --version",
			want: "program: msmtp\nmode: none\nflags: version"},
		{name: "C-02 help", argv: "msmtp --help",
			want: "program: msmtp\nmode: none\nflags: help"},
		{name: "C-03 -d0.1", argv: "msmtp -d0.1",
			want: "program: msmtp\nmode: sendmail\nflags: version debug"},
		{name: "C-03 --debug=0.1", argv: "msmtp --debug=0.1",
			want: "program: msmtp\nmode: sendmail\nflags: version debug"},
		{name: "-d with another argument is only debug", argv: "msmtp -d0.2 a@b",
			want: "program: msmtp\nmode: sendmail\nflags: debug\nrecipients: \"a@b\""},
		{name: "-d0.1 needs the argument attached", argv: "msmtp -d 0.1",
			want: "program: msmtp\nmode: sendmail\nflags: debug\nrecipients: \"0.1\""},
		{name: "-v is -d", argv: "msmtp -v a@b",
			want: "program: msmtp\nmode: sendmail\nflags: debug\nrecipients: \"a@b\""},
		{name: "-v takes no argument", argv: "msmtp -v0.1",
			want: "error: msmtp: invalid option -- '0'"},
		{name: "C-04 version and help", argv: "msmtp --version --help",
			want: "program: msmtp\nmode: none\nflags: version help"},
		// C-05: no arguments at all is sendmail mode without recipients; run reports
		// "no recipients found" before reading any configuration.
		{name: "C-05 no arguments", argv: "msmtp",
			want: "program: msmtp\nmode: sendmail"},
		// C-06 diverges on purpose: -bs, -bp and -bi are modes here (peers.md §4 rows 7-10, 36).
		{name: "C-06 -bs", argv: "msmtp -bs", want: "program: msmtp\nmode: smtp"},
		{name: "C-06 -bp", argv: "msmtp -bp", want: "program: msmtp\nmode: queue-list"},
		{name: "C-06 -bi", argv: "msmtp -bi", want: "program: msmtp\nmode: newaliases"},
		{name: "-b s separate", argv: "msmtp -b s", want: "program: msmtp\nmode: smtp"},
		{name: "-bmx", argv: "msmtp -bmx", want: "error: msmtp: unsupported operation mode bmx"},
		{name: "-bd", argv: "msmtp -bd", want: "error: msmtp: unsupported operation mode bd"},
		{name: "-bv", argv: "msmtp -bv a@b", want: "error: msmtp: unsupported operation mode bv"},
		{name: "-bt", argv: "msmtp -bt", want: "error: msmtp: unsupported operation mode bt"},
		{name: "-bD", argv: "msmtp -bD", want: "error: msmtp: unsupported operation mode bD"},
		{name: "-bh", argv: "msmtp -bh", want: "error: msmtp: unsupported operation mode bh"},
		{name: "-bH", argv: "msmtp -bH", want: "error: msmtp: unsupported operation mode bH"},
		{name: "-bP", argv: "msmtp -bP", want: "error: msmtp: unsupported operation mode bP"},
		{name: "-b empty", argv: "msmtp -b ''", want: "error: msmtp: unsupported operation mode b"},
		{name: "-b missing", argv: "./msmtp -b", want: "error: ./msmtp: option requires an argument -- 'b'"},
		{name: "-bm cancels -bs", argv: "msmtp -bs -bm a", want: "program: msmtp\nmode: sendmail\nrecipients: \"a\""},
		{name: "-bm keeps serverinfo, as upstream", argv: "msmtp -S -bm", want: "program: msmtp\nmode: serverinfo"},
		{name: "last -b wins", argv: "msmtp -bp -bs", want: "program: msmtp\nmode: smtp"},
		// C-07: the ignored sendmail options, with -oi and -i now recorded.
		{name: "C-07", argv: "msmtp -P -oi -oem -odi -bm -b m -G -h 5 -L tag -m -n -O a=b -A c -B 8BITMIME -i a@b",
			want: "program: msmtp\nmode: sendmail\nflags: pretend ignore-dots\nbody-type: 8BITMIME\nrecipients: \"a@b\""},
		{name: "-o consumes its argument", argv: "msmtp -o i a@b",
			want: "program: msmtp\nmode: sendmail\nflags: ignore-dots\nrecipients: \"a@b\""},
		{name: "-oem is not ignore-dots", argv: "msmtp -oem a@b",
			want: "program: msmtp\nmode: sendmail\nrecipients: \"a@b\""},
		{name: "-oiFalse", argv: "msmtp -i -oiFalse",
			want: "program: msmtp\nmode: sendmail"},
		{name: "-oPt is -o Pt", argv: "msmtp -oPt",
			want: "program: msmtp\nmode: sendmail"},
		{name: "-O IgnoreDots", argv: "msmtp -O IgnoreDots",
			want: "program: msmtp\nmode: sendmail\nflags: ignore-dots"},
		{name: "-O ignoredots=true", argv: "msmtp -Oignoredots=true",
			want: "program: msmtp\nmode: sendmail\nflags: ignore-dots"},
		{name: "-O IgnoreDots=false", argv: "msmtp -i -O IgnoreDots=false",
			want: "program: msmtp\nmode: sendmail"},
		{name: "other ignored sendmail options", argv: "msmtp -D log -e m -M xv -p smtp -Q -Qr -U a",
			want: "program: msmtp\nmode: sendmail\nrecipients: \"a\""},
		// C-08, C-09, C-10: getopt's messages with argv[0] verbatim.
		{name: "C-08", argv: "msmtp -o", want: "error: msmtp: option requires an argument -- 'o'"},
		{name: "C-08 argv0 verbatim", argv: "/usr/sbin/sendmail -o",
			want: "error: /usr/sbin/sendmail: option requires an argument -- 'o'"},
		{name: "C-09 -x", argv: "./sendmail -x a@b", want: "error: ./sendmail: invalid option -- 'x'"},
		{name: "C-09 --bogus", argv: "msmtp --bogus a@b", want: "error: msmtp: unrecognized option '--bogus'"},
		{name: "C-09 --help=x", argv: "msmtp --help=x", want: "error: msmtp: option '--help' doesn't allow an argument"},
		{name: "C-10", argv: "msmtp --tls-c a@b",
			want: "error: msmtp: option '--tls-c' is ambiguous; possibilities: '--tls-crl-file' '--tls-cert-file' '--tls-certcheck'"},
		{name: "missing long argument", argv: "msmtp --from", want: "error: msmtp: option '--from' requires an argument"},
		{name: "abbreviations", argv: "msmtp --pre --acc=x --read-r a",
			want: "program: msmtp\nmode: sendmail\nflags: pretend read-recipients\naccount: \"x\"\nrecipients: \"a\""},
		{name: "--tls is exact", argv: "msmtp --tls", want: "setting: tls\nprogram: msmtp\nmode: sendmail"},
		// C-11..C-14: conflicts, in either order.
		{name: "C-11 host then account", argv: "msmtp --host=h -a x a@b",
			want: "setting: host=h\nerror: msmtp: cannot use both --host and --account"},
		{name: "C-11 account then host", argv: "msmtp -a x --host=h a@b",
			want: "error: msmtp: cannot use both --host and --account"},
		{name: "C-11 empty host counts", argv: "msmtp --host= -a x",
			want: "setting: host=\nerror: msmtp: cannot use both --host and --account"},
		{name: "C-11 empty account counts", argv: "msmtp -a '' --host=h",
			want: "error: msmtp: cannot use both --host and --account"},
		{name: "C-12 from then read-envelope-from", argv: "msmtp -f a@b --read-envelope-from x@y",
			want: "setting: from=a@b\nerror: msmtp: cannot use both --from and --read-envelope-from"},
		{name: "C-12 read-envelope-from then from", argv: "msmtp --read-envelope-from -f a@b x@y",
			want: "error: msmtp: cannot use both --from and --read-envelope-from"},
		{name: "C-12 empty from counts", argv: "msmtp -f '' --read-envelope-from",
			want: "setting: from=\nerror: msmtp: cannot use both --from and --read-envelope-from"},
		{name: "C-12 -r conflicts too", argv: "msmtp --read-envelope-from -r a@b",
			want: "error: msmtp: cannot use both --from and --read-envelope-from"},
		{name: "C-13 S then rmqs", argv: "msmtp -S --rmqs=x", want: "error: msmtp: cannot use both --serverinfo and --rmqs"},
		{name: "C-13 rmqs then S", argv: "msmtp --rmqs=x -S", want: "error: msmtp: cannot use both --serverinfo and --rmqs"},
		{name: "help forgets serverinfo", argv: "msmtp -S --help --rmqs=x",
			want: "program: msmtp\nmode: rmqs\nflags: help\nrmqs: \"x\""},
		{name: "version keeps rmqs", argv: "msmtp --rmqs=x --version -S",
			want: "error: msmtp: cannot use both --serverinfo and --rmqs"},
		{name: "conflict messages use the program name", argv: "/usr/lib/sendmail -S --rmqs=x",
			want: "error: sendmail: cannot use both --serverinfo and --rmqs"},
		// C-14: operands are collected; CheckOperands (TestCheckOperands) reports them.
		{name: "C-14 serverinfo with operand", argv: "msmtp -S a@b",
			want: "program: msmtp\nmode: serverinfo\nrecipients: \"a@b\""},
		// C-17: the sink's errors, as upstream prints them, stop the parse.
		{name: "C-17 auth", argv: "msmtp --auth=PLAIN a@b", bad: []string{"auth=PLAIN"},
			want: "setting: auth=PLAIN\nerror: msmtp: invalid argument PLAIN for --auth"},
		{name: "C-17 tls", argv: "msmtp --tls=yes", bad: []string{"tls=yes"},
			want: "setting: tls=yes\nerror: msmtp: invalid argument yes for --tls"},
		{name: "C-17 protocol", argv: "msmtp --protocol=SMTP", bad: []string{"protocol=SMTP"},
			want: "setting: protocol=SMTP\nerror: msmtp: invalid argument SMTP for --protocol"},
		{name: "C-17 -N uses the long name", argv: "msmtp -N bogus", bad: []string{"dsn-notify=bogus"},
			want: "setting: dsn-notify=bogus\nerror: msmtp: invalid argument bogus for --dsn-notify"},
		{name: "C-17 -R", argv: "msmtp -R HDRS", bad: []string{"dsn-return=HDRS"},
			want: "setting: dsn-return=HDRS\nerror: msmtp: invalid argument HDRS for --dsn-return"},
		{name: "C-17 syslog", argv: "msmtp --syslog=mail", bad: []string{"syslog=mail"},
			want: "setting: syslog=mail\nerror: msmtp: invalid argument mail for --syslog"},
		{name: "sink error before a later getopt error", argv: "msmtp --port=bad -x", bad: []string{"port=bad"},
			want: "setting: port=bad\nerror: msmtp: invalid argument bad for --port"},
		{name: "getopt error before a later sink error", argv: "msmtp -x --port=bad", bad: []string{"port=bad"},
			want: "error: msmtp: invalid option -- 'x'"},
		{name: "connect-timeout is timeout", argv: "msmtp --connect-timeout=0", bad: []string{"timeout=0"},
			want: "setting: timeout=0\nerror: msmtp: invalid argument 0 for --timeout"},
		{name: "sink error uses the program name", argv: "/usr/sbin/sendmail -N x", bad: []string{"dsn-notify=x"},
			want: "setting: dsn-notify=x\nerror: sendmail: invalid argument x for --dsn-notify"},
		{name: "settings in order, last one wins in the sink", argv: "msmtp --port 25 --tls --tls=off -X log --port=26",
			want: "setting: port=25\nsetting: tls\nsetting: tls=off\nsetting: logfile=log\nsetting: port=26\nprogram: msmtp\nmode: sendmail"},
		{name: "-F both forms", argv: "msmtp -FJoe -F 'Joe Q. Public'",
			want: "setting: from-full-name=Joe\nsetting: from-full-name=Joe Q. Public\nprogram: msmtp\nmode: sendmail"},
		// C-19..C-23, parse side.
		{name: "C-19", argv: "msmtp --tls-certcheck off x@y.org",
			want: "setting: tls-certcheck\nprogram: msmtp\nmode: sendmail\nrecipients: \"off\" \"x@y.org\""},
		{name: "C-20", argv: "msmtp a@b.org -f x@y.org c@d.org",
			want: "setting: from=x@y.org\nprogram: msmtp\nmode: sendmail\nfrom: \"x@y.org\" (-f)\nrecipients: \"a@b.org\" \"c@d.org\""},
		{name: "C-21 POSIXLY_CORRECT", argv: "msmtp a@b.org -f x@y.org", env: []string{"POSIXLY_CORRECT=1"},
			want: "program: msmtp\nmode: sendmail\nrecipients: \"a@b.org\" \"-f\" \"x@y.org\""},
		{name: "C-21 --", argv: "msmtp -- a@b.org -f x@y.org",
			want: "program: msmtp\nmode: sendmail\nrecipients: \"a@b.org\" \"-f\" \"x@y.org\""},
		{name: "C-22 <>", argv: "msmtp -f '<>' a@b.org",
			want: "setting: from=\nprogram: msmtp\nmode: sendmail\nfrom: \"\" (-f)\nrecipients: \"a@b.org\""},
		{name: "C-22 empty", argv: "msmtp -f '' a@b.org",
			want: "setting: from=\nprogram: msmtp\nmode: sendmail\nfrom: \"\" (-f)\nrecipients: \"a@b.org\""},
		{name: "C-23 brackets kept", argv: "msmtp -f '<a@b.org>' x@y.org -d",
			want: "setting: from=<a@b.org>\nprogram: msmtp\nmode: sendmail\nflags: debug\nfrom: \"<a@b.org>\" (-f)\nrecipients: \"x@y.org\""},
		{name: "--from spelling", argv: "msmtp --fr=a@b",
			want: "setting: from=a@b\nprogram: msmtp\nmode: sendmail\nfrom: \"a@b\" (--from)"},
		{name: "-r is -f", argv: "msmtp -r a@b x",
			want: "setting: from=a@b\nprogram: msmtp\nmode: sendmail\nfrom: \"a@b\" (-r)\nrecipients: \"x\""},
		{name: "last from wins", argv: "msmtp -f a@b -ra@c",
			want: "setting: from=a@b\nsetting: from=a@c\nprogram: msmtp\nmode: sendmail\nfrom: \"a@c\" (-r)"},
		// C-73: pretend with --rmqs.
		{name: "C-73", argv: "msmtp -P --rmqs=@dom.example",
			want: "program: msmtp\nmode: rmqs\nflags: pretend\nrmqs: \"@dom.example\""},
		// C-75 (sendmail --help and -bp) diverges on purpose for -bp and mailq.
		{name: "C-75 sendmail --help", argv: "/usr/sbin/sendmail --help",
			want: "program: sendmail\nmode: none\nflags: help"},
		{name: "C-75 sendmail -bp", argv: "sendmail -bp", want: "program: sendmail\nmode: queue-list"},
		{name: "C-75 mailq", argv: "/usr/bin/mailq", want: "program: mailq\nmode: queue-list"},
		// C-77: HEAD's --set-to-header.
		{name: "C-77", argv: "msmtp --set-to-header --set-to-header=undisclosed_recipients",
			want: "setting: set-to-header\nsetting: set-to-header=undisclosed_recipients\nprogram: msmtp\nmode: sendmail"},
		// Modes and their interplay.
		{name: "configure", argv: "msmtp --configure=joe@example.org",
			want: "program: msmtp\nmode: none\nconfigure: \"joe@example.org\""},
		{name: "configure after -S forgets it", argv: "msmtp -S --configure=x",
			want: "program: msmtp\nmode: none\nconfigure: \"x\""},
		{name: "configure before -S keeps both", argv: "msmtp --configure=x -S a@b",
			want: "program: msmtp\nmode: serverinfo\nconfigure: \"x\"\nrecipients: \"a@b\""},
		{name: "-C and -a", argv: "msmtp -C ~/rc -a work",
			want: "program: msmtp\nmode: sendmail\naccount: \"work\"\nfile: \"~/rc\""},
		{name: "-V", argv: "msmtp -V env-1 -Venv-2",
			want: "program: msmtp\nmode: sendmail\nenvelope-id: \"env-2\""},
		// Queue runs.
		{name: "-q", argv: "sendmail -q", want: "program: sendmail\nmode: queue-run\nqueue-run: args=[\"\"]"},
		{name: "-q30m", argv: "sendmail -q30m", want: "program: sendmail\nmode: queue-run\nqueue-run: args=[\"30m\"] interval=30m0s"},
		{name: "-q1h30m", argv: "sendmail -q1h30m", want: "program: sendmail\nmode: queue-run\nqueue-run: args=[\"1h30m\"] interval=1h30m0s"},
		{name: "-q15 is minutes", argv: "sendmail -q15", want: "program: sendmail\nmode: queue-run\nqueue-run: args=[\"15\"] interval=15m0s"},
		{name: "-q2d1w", argv: "sendmail -q2d1w5s", want: "program: sendmail\nmode: queue-run\nqueue-run: args=[\"2d1w5s\"] interval=216h0m5s"},
		{name: "-q filters", argv: "sendmail -qRexample.org -q!Sbounce -qIabc -qQ",
			want: "program: sendmail\nmode: queue-run\nqueue-run: args=[\"Rexample.org\" \"!Sbounce\" \"Iabc\" \"Q\"] filter=R:\"example.org\" filter=!S:\"bounce\" filter=I:\"abc\" filter=Q:\"\""},
		{name: "-qp -qf -qG", argv: "sendmail -qp5m -qf -qGslow",
			want: "program: sendmail\nmode: queue-run\nqueue-run: args=[\"p5m\" \"f\" \"Gslow\"] interval=5m0s persistent foreground group=slow"},
		{name: "-qp alone", argv: "sendmail -qp", want: "program: sendmail\nmode: queue-run\nqueue-run: args=[\"p\"] persistent"},
		{name: "-q with separate word is a recipient", argv: "sendmail -q 30m",
			want: "program: sendmail\nmode: queue-run\nqueue-run: args=[\"\"]\nrecipients: \"30m\""},
		{name: "mailq with a filter lists", argv: "mailq -qRjoe",
			want: "program: mailq\nmode: queue-list\nqueue-run: args=[\"Rjoe\"] filter=R:\"joe\""},
		{name: "-bp after -q lists", argv: "sendmail -qRjoe -bp",
			want: "program: sendmail\nmode: queue-list\nqueue-run: args=[\"Rjoe\"] filter=R:\"joe\""},
		{name: "-q bad unit", argv: "sendmail -q5x", want: "error: sendmail: invalid argument 5x for -q"},
		{name: "-q bad letter", argv: "sendmail -qx", want: "error: sendmail: invalid argument x for -q"},
		{name: "-q lone !", argv: "sendmail -q!", want: "error: sendmail: invalid argument ! for -q"},
		{name: "-q !f", argv: "sendmail -q!f", want: "error: sendmail: invalid argument !f for -q"},
		{name: "-qfx", argv: "sendmail -qfx", want: "error: sendmail: invalid argument fx for -q"},
		{name: "-q huge", argv: "sendmail -q99999999999999", want: "error: sendmail: invalid argument 99999999999999 for -q"},
		{name: "-q overflow by sum", argv: "sendmail -q5000w5000w5000w", want: "error: sendmail: invalid argument 5000w5000w5000w for -q"},
		{name: "-q unit without number", argv: "sendmail -qm", want: "error: sendmail: invalid argument m for -q"},
		// argv[0].
		{name: "newaliases", argv: "/usr/bin/newaliases", want: "program: newaliases\nmode: newaliases"},
		{name: "-I", argv: "sendmail -I", want: "program: sendmail\nmode: newaliases"},
		{name: "msmtpq", argv: "/usr/bin/msmtpq -t", want: "program: msmtpq\nmode: sendmail\nflags: read-recipients queue-only"},
		// The queue's own options.
		{name: "--queue is a setting", argv: "msmtp --queue --queue=off --queue-dir=/q a@b",
			want: "setting: queue\nsetting: queue=off\nsetting: queue-dir=/q\nprogram: msmtp\nmode: sendmail\nrecipients: \"a@b\""},
		{name: "--queue-only", argv: "msmtp --queue-only -t", want: "program: msmtp\nmode: sendmail\nflags: read-recipients queue-only"},
		{name: "--flush --force", argv: "msmtp --flush --force", want: "program: msmtp\nmode: queue-run\nflags: force\nqueue-run: args=[\"\"]"},
		{name: "-q --force", argv: "sendmail --force -qRjoe", want: "program: sendmail\nmode: queue-run\nflags: force\nqueue-run: args=[\"Rjoe\"] filter=R:\"joe\""},
		{name: "--force alone", argv: "msmtp --force a@b", want: "error: msmtp: --force requires -q or --flush"},
		{name: "--queue-list", argv: "msmtp --queue-list", want: "program: msmtp\nmode: queue-list"},
		{name: "--queue-list with a filter", argv: "msmtp -qSjoe --queue-list", want: "program: msmtp\nmode: queue-list\nqueue-run: args=[\"Sjoe\"] filter=S:\"joe\""},
		{name: "--queue-drop", argv: "msmtp --queue-drop=M1 --queue-drop M2", want: "program: msmtp\nmode: queue-drop\nqueue-ids: [\"M1\" \"M2\"]"},
		{name: "--queue-purge", argv: "msmtp --queue-purge", want: "program: msmtp\nmode: queue-purge"},
		{name: "-bm after --queue-purge", argv: "msmtp --queue-purge -bm a@b", want: "program: msmtp\nmode: sendmail\nrecipients: \"a@b\""},
		// msmtpq's management front end.
		{name: "msmtp-queue", argv: "msmtp-queue", want: "program: msmtp-queue\nmode: queue-list"},
		{name: "msmtp-queue -r", argv: "/usr/bin/msmtp-queue -r", want: "program: msmtp-queue\nmode: queue-run\nflags: force\nqueue-run: args=[\"\"]"},
		{name: "msmtp-queue -R", argv: "msmtp-queue -R M1 M2", want: "program: msmtp-queue\nmode: queue-run\nflags: force\nqueue-run: args=[\"\"]\nqueue-ids: [\"M1\" \"M2\"]"},
		{name: "msmtp-queue -R without IDs", argv: "msmtp-queue -R", want: "error: msmtp-queue: -R: give the queue IDs of the messages (as mailq shows them)"},
		{name: "msmtp-queue -d", argv: "msmtp-queue -d", want: "program: msmtp-queue\nmode: queue-list"},
		{name: "msmtp-queue -p", argv: "msmtp-queue -p M3", want: "program: msmtp-queue\nmode: queue-drop\nqueue-ids: [\"M3\"]"},
		{name: "msmtp-queue -p without IDs", argv: "msmtp-queue -p", want: "error: msmtp-queue: -p: give the queue IDs of the messages (as mailq shows them)"},
		{name: "msmtp-queue -a", argv: "msmtp-queue -a", want: "program: msmtp-queue\nmode: queue-purge"},
		{name: "msmtp-queue -a with more", argv: "msmtp-queue -a x", want: "error: msmtp-queue: too many arguments"},
		{name: "msmtp-queue -h", argv: "msmtp-queue -h", want: "program: msmtp-queue\nmode: queue-help"},
		{name: "msmtp-queue -x", argv: "msmtp-queue -x", want: "error: msmtp-queue: unknown queue management option -x (see msmtp-queue -h)"},
		{name: "msmtpq --q-mgmt -r", argv: "msmtpq --q-mgmt -r", want: "program: msmtpq\nmode: queue-run\nflags: force\nqueue-run: args=[\"\"]"},
		{name: "msmtpq --q-mgmt", argv: "msmtpq --q-mgmt", want: "program: msmtpq\nmode: queue-list"},
		{name: "--q-mgmt only for msmtpq", argv: "msmtp --q-mgmt -r", want: "error: msmtp: unrecognized option '--q-mgmt'"},
		{name: "mailq name is case-sensitive off Windows", argv: "/usr/bin/MAILQ", want: "program: MAILQ\nmode: sendmail"},
		{name: "windows path and .exe", argv: `'C:\Tools\MailQ.EXE'`, goos: "windows",
			want: "program: MailQ\nmode: queue-list"},
		{name: "windows forward slash", argv: "C:/tools/msmtp.exe -t", goos: "windows",
			want: "program: msmtp\nmode: sendmail\nflags: read-recipients"},
		{name: "backslash is not a separator elsewhere", argv: `'a\msmtp.exe' -t`,
			want: "program: a\\msmtp.exe\nmode: sendmail\nflags: read-recipients"},
		{name: "getopt errors keep argv0 verbatim on Windows", argv: `'C:\x\sendmail.exe' -x`, goos: "windows",
			want: "error: C:\\x\\sendmail.exe: invalid option -- 'x'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			argv, err := shellWords(tt.argv)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(parse(argv, tt.env, tt.goos, tt.bad...).render(), "\n")
			if got != tt.want {
				t.Errorf("%q:\ngot:\n%s\nwant:\n%s", argv, got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		argv   []string
		is     error
		prefix string
	}{
		{[]string{"./msmtp", "--host=h", "-a", "x"}, ErrHostAndAccount, "msmtp"},
		{[]string{"msmtp", "-f", "x", "--read-envelope-from"}, ErrFromAndReadEnvelopeFrom, "msmtp"},
		{[]string{"msmtp", "-S", "--rmqs=x"}, ErrServerInfoAndRMQS, "msmtp"},
		{[]string{"msmtp", "-bd"}, ErrUnsupportedMode, "msmtp"},
		{[]string{"msmtp", "-qz"}, ErrInvalidArgument, "msmtp"},
	}
	for _, tt := range tests {
		_, err := ParseArgs(tt.argv, ParseConfig{GOOS: "linux"})
		var ue *UsageError
		if !errors.As(err, &ue) || !errors.Is(err, tt.is) || ue.Prefix != tt.prefix {
			t.Errorf("%q: %#v, want a *UsageError for %v with prefix %q", tt.argv, err, tt.is, tt.prefix)
		}
	}
	// getopt's errors are wrapped too, with argv[0] verbatim.
	_, err := ParseArgs([]string{"./msmtp", "--bogus"}, ParseConfig{})
	var ue *UsageError
	var ge *getopt.Error
	if !errors.As(err, &ue) || !errors.As(err, &ge) || ge.Kind != getopt.UnknownLong || ue.Prefix != "./msmtp" {
		t.Errorf("--bogus: %#v", err)
	}
	// The sink's error is the cause.
	sinkErr := errors.New("invalid argument x for --port")
	_, err = ParseArgs([]string{"msmtp", "--port=x"}, ParseConfig{Settings: sinkFunc(func(string, *string) error { return sinkErr })})
	if !errors.Is(err, sinkErr) || err.Error() != "msmtp: invalid argument x for --port" {
		t.Errorf("sink error: %v", err)
	}
}

type sinkFunc func(string, *string) error

func (f sinkFunc) Set(o string, a *string) error { return f(o, a) }

func TestCheckOperands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"msmtp", "-S", "a@b"}, "msmtp: too many arguments"},
		{[]string{"msmtp", "--rmqs=h", "a@b"}, "msmtp: too many arguments"},
		{[]string{"sendmail", "--rmqs=h", "--", "a@b"}, "sendmail: too many arguments"},
		{[]string{"msmtp", "-S"}, ""},
		{[]string{"msmtp", "a@b"}, ""},
		{[]string{"msmtp", "-bs", "a@b"}, ""},
		{[]string{"msmtp", "-S", "--help", "a@b"}, ""}, // --help forgot -S
	}
	for _, tt := range tests {
		inv, err := ParseArgs(tt.argv, ParseConfig{})
		if err != nil {
			t.Fatal(err)
		}
		err = inv.CheckOperands()
		got := ""
		if err != nil {
			got = err.Error()
			if !errors.Is(err, ErrTooManyArguments) {
				t.Errorf("%q: %v is not ErrTooManyArguments", tt.argv, err)
			}
		}
		if got != tt.want {
			t.Errorf("%q: %q, want %q", tt.argv, got, tt.want)
		}
	}
}

func TestNilSinkAndEmptyArgv(t *testing.T) {
	t.Parallel()
	inv, err := ParseArgs([]string{"msmtp", "--port=x", "-Fy", "a"}, ParseConfig{})
	if err != nil || !cmp.Equal(inv.Recipients, []string{"a"}) {
		t.Errorf("nil sink: %+v %v", inv, err)
	}
	inv, err = ParseArgs(nil, ParseConfig{})
	if err != nil || inv.Program != "msmtp" || inv.Argv0 != "" || inv.Mode != ModeSendmail {
		t.Errorf("empty argv: %+v %v", inv, err)
	}
	inv, err = ParseArgs([]string{"/usr/bin/"}, ParseConfig{GOOS: "linux"})
	if err != nil || inv.Program != "msmtp" || inv.Argv0 != "/usr/bin/" {
		t.Errorf("argv0 without a base name: %+v %v", inv, err)
	}
}

func TestProgramName(t *testing.T) {
	t.Parallel()
	tests := []struct{ argv0, goos, want string }{
		{"msmtp", "linux", "msmtp"},
		{"/usr/sbin/sendmail", "linux", "sendmail"},
		{"./sendmail", "darwin", "sendmail"},
		{`C:\bin\msmtp.exe`, "linux", `C:\bin\msmtp.exe`},
		{`C:\bin\msmtp.exe`, "windows", "msmtp"},
		{`C:\bin/sendmail.Exe`, "windows", "sendmail"},
		{"msmtp.exe", "freebsd", "msmtp.exe"},
		{".exe", "windows", ".exe"},
		{"", "linux", ""},
	}
	for _, tt := range tests {
		if got := ProgramName(tt.argv0, tt.goos); got != tt.want {
			t.Errorf("ProgramName(%q, %q) = %q, want %q", tt.argv0, tt.goos, got, tt.want)
		}
	}
}

func TestModeString(t *testing.T) {
	t.Parallel()
	for m, want := range map[Mode]string{ModeSendmail: "sendmail", ModeQueueRun: "queue-run", ModeNewAliases: "newaliases",
		ModeQueueDrop: "queue-drop", ModeQueuePurge: "queue-purge", ModeQueueHelp: "queue-help", 42: "Mode(42)", -1: "Mode(-1)"} {
		if got := m.String(); got != want {
			t.Errorf("%d: %q, want %q", int(m), got, want)
		}
	}
}

// shellWords splits a command line as /bin/sh would for the cases in the corpus: blanks
// separate words, '...' is literal, "..." allows \" \\ \$ \` escapes, and a backslash
// outside quotes escapes the next character.
func shellWords(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func TestShellWords(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		`a b  c`:                 {"a", "b", "c"},
		`-f'sender' -- 'a b'`:    {"-fsender", "--", "a b"},
		`"x \"y\" \n" ''`:        {`x "y" \n`, ""},
		`a\ b 'C:\x'`:            {"a b", `C:\x`},
		`-F "Joe Q. Public" x@y`: {"-F", "Joe Q. Public", "x@y"},
	}
	for in, want := range tests {
		got, err := shellWords(in)
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`'x`, `"x`} {
		if _, err := shellWords(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// callerCase is one argv of the caller corpus with its expected rendering.
type callerCase struct {
	file, line string
	argv       []string
	env        []string
	goos       string
	want       []string
}

// readCallers reads testdata/callers/*.txt. A file holds comments ("#"), directives for
// the next case ("@env NAME=VALUE", "@goos GOOS"), cases ("$ " plus the argv as the shell
// would split it) each followed by their expected render() lines, and "no-argv: ..." for
// callers that run no program at all.
func readCallers(t *testing.T) (cases []callerCase, files map[string]bool) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "callers", "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no caller corpus: %v", err)
	}
	files = map[string]bool{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		var cur *callerCase
		var env []string
		goos := ""
		hasContent := false
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
			l := sc.Text()
			switch {
			case l == "" || strings.HasPrefix(l, "#"):
				cur = nil
			case strings.HasPrefix(l, "no-argv: "):
				hasContent = true
				cur = nil
			case strings.HasPrefix(l, "@env "):
				env = append(env, strings.TrimPrefix(l, "@env "))
			case strings.HasPrefix(l, "@goos "):
				goos = strings.TrimPrefix(l, "@goos ")
			case strings.HasPrefix(l, "$ "):
				argv, err := shellWords(strings.TrimPrefix(l, "$ "))
				if err != nil {
					t.Fatalf("%s:%d: %v", p, n, err)
				}
				cases = append(cases, callerCase{file: p, line: fmt.Sprint(n), argv: argv, env: env, goos: goos})
				cur = &cases[len(cases)-1]
				env, goos = nil, ""
				hasContent = true
			case cur != nil:
				cur.want = append(cur.want, l)
			default:
				t.Fatalf("%s:%d: expectation outside a case: %q", p, n, l)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		if !hasContent {
			t.Errorf("%s: neither a case nor a no-argv line", p)
		}
		files[filepath.Base(p)] = true
	}
	return cases, files
}

// TestCallers runs every argv of peers.md §4 (rows 1-36) through the parser.
func TestCallers(t *testing.T) {
	t.Parallel()
	cases, files := readCallers(t)
	// Every row of the table has its file, named "NN-...".
	for row := 1; row <= 36; row++ {
		found := false
		for f := range files {
			if strings.HasPrefix(f, fmt.Sprintf("%02d-", row)) {
				found = true
			}
		}
		if !found {
			t.Errorf("no corpus file for peers.md §4 row %d", row)
		}
	}
	for _, c := range cases {
		got := parse(c.argv, c.env, c.goos).render()
		if diff := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s:%s: %q (-want +got)\n%s", c.file, c.line, c.argv, diff)
		}
	}
}

// TestHelpListsEveryOption checks that --help mentions every option of the table.
func TestHelpListsEveryOption(t *testing.T) {
	t.Parallel()
	help := HelpText("msmtp")
	for _, o := range options() {
		if o.long != "" && !regexp.MustCompile(`--`+regexp.QuoteMeta(o.long)+`\b`).MatchString(help) {
			t.Errorf("--help does not mention --%s", o.long)
		}
		// A short option may be shown with its argument attached ("-bs", "-oi").
		if o.short != 0 && !regexp.MustCompile(`(?m)(^|[ ,(])-`+regexp.QuoteMeta(string([]byte{o.short}))).MatchString(help) {
			t.Errorf("--help does not mention -%c", o.short)
		}
	}
}

func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"-t\x00-i",
		"-oi\x00-fsender@example.org\x00-t",
		"-FCronDaemon\x00-i\x00-B8BITMIME\x00-oem\x00a,\x00b",
		"--host=h\x00-a\x00x",
		"-S\x00--rmqs=x",
		"-q!Rexample.org\x00-q30m\x00-bp",
		"--tls-c\x00--=x",
		"-d0.1\x00--configure=a@b\x00--help",
		"--\x00-f\x00x",
	} {
		f.Add("sendmail", seed, false)
		f.Add("msmtp", seed, true)
	}
	f.Fuzz(func(t *testing.T, argv0, joined string, posix bool) {
		argv := append([]string{argv0}, strings.Split(joined, "\x00")...)
		var env []string
		if posix {
			env = []string{"POSIXLY_CORRECT="}
		}
		r1 := parse(argv, env, "linux")
		r2 := parse(argv, env, "linux")
		if !reflect.DeepEqual(r1, r2) {
			t.Fatalf("not deterministic for %q", argv)
		}
		if r1.err != nil {
			var ue *UsageError
			if !errors.As(r1.err, &ue) {
				t.Fatalf("%q: error %#v is not a *UsageError", argv, r1.err)
			}
			return
		}
		if r1.inv.Program == "" {
			t.Fatalf("%q: empty program name", argv)
		}
		// Re-joining the options in a canonical spelling (short options stay short, with
		// a separate required argument; long options written out in full with "=") and
		// the operands after "--" parses to the same invocation and settings.
		p, _ := parser(lookup(env))
		s := p.Scan(argv)
		again := []string{argv0}
		for s.Next() {
			res := s.Result()
			o := res.Option
			switch {
			case strings.HasPrefix(res.Spelling, "--") && res.HasArg:
				again = append(again, "--"+o.Long+"="+res.Arg)
			case strings.HasPrefix(res.Spelling, "--"):
				again = append(again, "--"+o.Long)
			case o.Arg == getopt.RequiredArgument:
				again = append(again, res.Spelling, res.Arg)
			default:
				again = append(again, res.Spelling+res.Arg)
			}
		}
		if s.Err() != nil {
			t.Fatalf("%q: getopt fails (%v) but ParseArgs did not", argv, s.Err())
		}
		again = append(append(again, "--"), s.Operands()...)
		r3 := parse(again, nil, "linux")
		if r3.err != nil {
			t.Fatalf("rejoined %q: %v", again, r3.err)
		}
		if diff := cmp.Diff(r1.render(), r3.render()); diff != "" {
			t.Fatalf("%q and rejoined %q differ (-orig +rejoined)\n%s", argv, again, diff)
		}
	})
}

// TestQueueIntervalBounds checks the sendmail time parser at its edges.
func TestQueueIntervalBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"1s", time.Second, true},
		{"5200w", 5200 * 7 * 24 * time.Hour, true},
		{"5300w", 0, false},
		{"999999999999", 0, false},
		{"1234567890123", 0, false},
		{"", 0, true},
		{"h", 0, false},
		{"1h2", time.Hour + 2*time.Minute, true},
	}
	for _, tt := range tests {
		got, err := parseInterval(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseInterval(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
