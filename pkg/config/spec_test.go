package config

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

// specCase is one checkable behaviour of spec-cli-config.md §8 (or a variation of it):
// msmtp-style arguments, an optional user file /home/tester/rc (passed with -C), and what
// msmtp would print: lines that must appear on standard output in this order, or the exact
// error text and its kind.
type specCase struct {
	id      string
	rc      string
	setup   func(f *fakeEnv)
	args    []string
	want    []string
	notWant []string
	err     string
	kind    Kind
}

const rcName = "/home/tester/rc"

func runSpecCases(t *testing.T, cases []specCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			f := newFakeEnv()
			args := tc.args
			if tc.rc != "" {
				f.add(rcName, tc.rc)
				args = append([]string{"-C", rcName}, args...)
			}
			if tc.setup != nil {
				tc.setup(f)
			}
			req, err := request(t, args...)
			out := ""
			if err == nil {
				req.Env = f.env()
				out, err = output(req, printOptsOf(args))
			}
			switch {
			case tc.err != "" && err == nil:
				t.Fatalf("no error, want %q; output:\n%s", tc.err, out)
			case tc.err != "":
				if err.Error() != tc.err {
					t.Errorf("error %q, want %q", err, tc.err)
				}
				if k := kindOf(t, err); k != tc.kind {
					t.Errorf("kind %v, want %v", k, tc.kind)
				}
			case err != nil:
				t.Fatalf("error %q; output so far:\n%s", err, out)
			}
			lines := strings.Split(out, "\n")
			next := 0
			for _, w := range tc.want {
				found := false
				for next < len(lines) {
					next++
					if lines[next-1] == w {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("output lacks %q (in order); output:\n%s", w, out)
					break
				}
			}
			for _, nw := range tc.notWant {
				for _, l := range lines {
					if l == nw {
						t.Errorf("output has %q; output:\n%s", nw, out)
					}
				}
			}
		})
	}
}

// TestCommandLineValues covers C-15 to C-18: command-line values through Overrides.Set.
func TestCommandLineValues(t *testing.T) {
	t.Parallel()
	host := []string{"--host=h", "-P", "-f", "a@b"}
	with := func(extra ...string) []string { return append(append([]string{}, host...), extra...) }
	runSpecCases(t, []specCase{
		{id: "C-15 hex", args: with("--port=0x19"), want: []string{"port = 25"}},
		{id: "C-15 octal", args: with("--port=031"), want: []string{"port = 25"}},
		{id: "C-15 leading blank", args: with("--port= 25"), want: []string{"port = 25"}},
		{id: "C-15 leading newline", args: with("--port=\n26"), want: []string{"port = 26"}},
		{id: "C-15 plus", args: with("--port=+26"), want: []string{"port = 26"}},
		{id: "C-15 max", args: with("--port=65535"), want: []string{"port = 65535"}},
		{id: "C-15 timeout max", args: with("--timeout=2147483647"), want: []string{"timeout = 2147483647 seconds"}},
		{id: "C-15 timeout 1", args: with("--timeout=1"), want: []string{"timeout = 1 second"}},
		{id: "C-15 connect-timeout", args: with("--connect-timeout=30"), want: []string{"timeout = 30 seconds"}},
		{id: "C-15 timeout off", args: with("--timeout=5", "--timeout=off"), want: []string{"timeout = off"}},
		{id: "C-16 25x", args: with("--port=25x"), err: "invalid argument 25x for --port", kind: KindUsage},
		{id: "C-16 0", args: with("--port=0"), err: "invalid argument 0 for --port", kind: KindUsage},
		{id: "C-16 65536", args: with("--port=65536"), err: "invalid argument 65536 for --port", kind: KindUsage},
		{id: "C-16 trailing blank", args: with("--port=25 "), err: "invalid argument 25  for --port", kind: KindUsage},
		{id: "C-16 empty port", args: with("--port="), err: "invalid argument  for --port", kind: KindUsage},
		{id: "C-16 -0", args: with("--port=-0"), err: "invalid argument -0 for --port", kind: KindUsage},
		{id: "C-16 0x", args: with("--port=0x"), err: "invalid argument 0x for --port", kind: KindUsage},
		{id: "C-16 08", args: with("--timeout=08"), err: "invalid argument 08 for --timeout", kind: KindUsage},
		{id: "C-16 timeout 0", args: with("--timeout=0"), err: "invalid argument 0 for --timeout", kind: KindUsage},
		{id: "C-16 timeout INT_MAX+1", args: with("--timeout=2147483648"), err: "invalid argument 2147483648 for --timeout", kind: KindUsage},
		{id: "C-16 timeout ERANGE", args: with("--timeout=99999999999999999999"), err: "invalid argument 99999999999999999999 for --timeout", kind: KindUsage},
		{id: "C-16 timeout OFF", args: with("--timeout=OFF"), err: "invalid argument OFF for --timeout", kind: KindUsage},
		{id: "C-16 connect-timeout reports timeout", args: with("--connect-timeout=x"), err: "invalid argument x for --timeout", kind: KindUsage},
		{id: "C-16 proxy-port 0", args: with("--proxy-port=0"), err: "invalid argument 0 for --proxy-port", kind: KindUsage},
		{id: "C-16 dh bits 0", args: with("--tls-min-dh-prime-bits=0"), err: "invalid argument 0 for --tls-min-dh-prime-bits", kind: KindUsage},
		{id: "C-17 auth PLAIN", args: with("--auth=PLAIN"), err: "invalid argument PLAIN for --auth", kind: KindUsage},
		{id: "C-17 tls yes", args: with("--tls=yes"), err: "invalid argument yes for --tls", kind: KindUsage},
		{id: "C-17 tls empty", args: with("--tls="), err: "invalid argument  for --tls", kind: KindUsage},
		{id: "C-17 protocol SMTP", args: with("--protocol=SMTP"), err: "invalid argument SMTP for --protocol", kind: KindUsage},
		{id: "C-17 -N bogus", args: with("-N", "bogus"), err: "invalid argument bogus for --dsn-notify", kind: KindUsage},
		{id: "C-17 -N never,success", args: with("-N", "never,success"), err: "invalid argument never,success for --dsn-notify", kind: KindUsage},
		{id: "C-17 -N repeat", args: with("-N", "success,success"), err: "invalid argument success,success for --dsn-notify", kind: KindUsage},
		{id: "C-17 -N blank", args: with("-N", "success, failure"), err: "invalid argument success, failure for --dsn-notify", kind: KindUsage},
		{id: "C-17 -N upper", args: with("-N", "FAILURE"), err: "invalid argument FAILURE for --dsn-notify", kind: KindUsage},
		{id: "C-17 -R HDRS", args: with("-R", "HDRS"), err: "invalid argument HDRS for --dsn-return", kind: KindUsage},
		{id: "C-17 syslog mail", args: with("--syslog=mail"), err: "invalid argument mail for --syslog", kind: KindUsage},
		{id: "C-17 syslog empty", args: with("--syslog="), err: "invalid argument  for --syslog", kind: KindUsage},
		{id: "C-17 set-date-header on", args: with("--set-date-header=on"), err: "invalid argument on for --set-date-header", kind: KindUsage},
		{id: "C-17 set-msgid-header on", args: with("--set-msgid-header=on"), err: "invalid argument on for --set-msgid-header", kind: KindUsage},
		{id: "C-17 keepbcc empty", args: with("--keepbcc="), err: "invalid argument  for --keepbcc", kind: KindUsage},
		{id: "C-17 undisclosed x", args: with("--undisclosed-recipients=x"), err: "invalid argument x for --undisclosed-recipients", kind: KindUsage},
		{id: "C-17 fingerprint dash", args: with("--tls-fingerprint=AA-BB-CC-DD-EE-FF-00-11-22-33-44-55-66-77-88-99"), err: "invalid argument AA-BB-CC-DD-EE-FF-00-11-22-33-44-55-66-77-88-99 for --tls-fingerprint", kind: KindUsage},
		{id: "C-17 fingerprint trailing colon", args: with("--tls-fingerprint=aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:"), err: "invalid argument aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99: for --tls-fingerprint", kind: KindUsage},
		{id: "C-18 -R hdrs", args: with("-R", "hdrs"), want: []string{"dsn_return = HDRS"}},
		{id: "C-18 -R headers", args: with("-R", "headers"), want: []string{"dsn_return = HDRS"}},
		{id: "C-18 -R full then off", args: with("-R", "full", "-R", "off"), want: []string{"dsn_return = (not set)"}},
		{id: "C-18 -N list", args: with("-N", "success,failure"), want: []string{"dsn_notify = SUCCESS,FAILURE"}},
		{id: "C-18 -N never", args: with("-N", "never"), want: []string{"dsn_notify = NEVER"}},
		{id: "C-18 syslog", args: with("--syslog"), want: []string{"syslog = LOG_USER"}},
		{id: "C-18 syslog facility", args: with("--syslog=LOG_LOCAL3"), want: []string{"syslog = LOG_LOCAL3"}},
		{id: "C-18 auth none", args: with("--auth"), want: []string{"auth = choose"}},
		{id: "C-18 auth empty", args: with("--auth="), want: []string{"auth = choose"}},
		{id: "C-18 auth method", args: with("--auth=scram-sha-256-plus"), want: []string{"auth = SCRAM-SHA-256-PLUS"}},
		{id: "C-18 tls", args: with("--tls", "--tls-certcheck=off"), want: []string{"port = 25", "tls = on", "tls_certcheck = off"}},
		{id: "C-18 implicit tls port", args: with("--tls", "--tls-starttls=off"), want: []string{"port = 465"}},
		{id: "C-18 fingerprint", args: with("--tls-fingerprint=aa bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd"),
			want: []string{"tls_fingerprint = AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD"}},
		{id: "C-18 fingerprint empty", args: with("--tls-fingerprint=aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99", "--tls-fingerprint="),
			want: []string{"tls_fingerprint = (not set)"}},
		{id: "C-18 tls-force-sslv3 ignored", args: with("--tls-force-sslv3=anything"), want: []string{"tls = off"}},
		{id: "C-18 proxy-port empty", args: with("--proxy-host=p", "--proxy-port=9", "--proxy-port="), want: []string{"proxy host = p", "proxy port = 1080"}},
		{id: "C-18 dh bits empty", args: with("--tls-min-dh-prime-bits=512", "--tls-min-dh-prime-bits="), want: []string{"tls_min_dh_prime_bits = (not set)"}},
		{id: "C-18 maildomain empty unsets", args: with("--maildomain="), want: []string{"maildomain = (not set)"}},
		{id: "C-18 domain empty", args: with("--domain="), want: []string{"domain = "}},
		{id: "C-18 keepbcc", args: with("--keepbcc"), want: []string{"remove_bcc_headers = off"}},
		{id: "C-18 add-missing-from-header off", args: with("--add-missing-from-header=off"), want: []string{"set_from_header = off"}},
		{id: "C-18 add-missing-date-header", args: with("--add-missing-date-header=off", "--add-missing-date-header"), want: []string{"set_date_header = auto"}},
		{id: "C-18 undisclosed-recipients", args: with("--undisclosed-recipients"), want: []string{"set_to_header = undisclosed_recipients"}},
		{id: "C-18 undisclosed-recipients off", args: with("--set-to-header", "--undisclosed-recipients=off"), want: []string{"set_to_header = off"}},
		{id: "C-18 set-to-header", args: with("--set-to-header"), want: []string{"set_to_header = on"}},
		{id: "C-18 from <>", args: with("-f", "<>"), want: []string{"from = "}},
		{id: "C-18 from <a@b>", args: with("-f", "<a@b>"), want: []string{"from = <a@b>"}},
		{id: "C-18 -F", args: with("-F", "Joe Q. Public"), want: []string{"from_full_name = Joe Q. Public"}},
		{id: "C-18 host empty", args: []string{"--host=", "-P"}, want: []string{"using account specified on command line", "host = "}},
	})
}

// TestFileSyntax covers C-29 to C-37 and C-76, C-77: lexing, values, accounts, eval.
func TestFileSyntax(t *testing.T) {
	t.Parallel()
	long := func(n int, end string) string { return "account default\nhost " + strings.Repeat("x", n-5) + end }
	runSpecCases(t, []specCase{
		{id: "C-29 no trailing comments", rc: "host one.example # not a comment\n", args: []string{"-P"}, want: []string{"host = one.example # not a comment"}},
		{id: "C-30 quotes", rc: "host h\ntls_trust_file \"  /x y  \"\ndomain \"a\"b\"\nuser \"\npasswordeval \"\"\nsocket \"a@b\"x\n", args: []string{"-P"},
			want: []string{"domain = a\"b", "user = \"", "passwordeval = (not set)", "tls_trust_file =   /x y  "}},
		{id: "C-30 socket quote kept", rc: "socket \"a@b\"x\n", args: []string{"-P"}, want: []string{"socket = \"a@b\"x"}},
		{id: "C-30 tabs and CRLF", rc: "account\tx\r\n\thost\t\th \t\r\n", args: []string{"-P", "-a", "x"}, want: []string{"host = h"}},
		{id: "C-30 CR without LF kept", rc: "account x\nhost h\r", args: []string{"-P", "-a", "x"}, want: []string{"host = h\r"}},
		{id: "C-31 499 bytes", rc: long(499, "\n"), args: []string{"-P"}, want: []string{"host = " + strings.Repeat("x", 494)}},
		{id: "C-31 499 bytes at EOF", rc: long(499, ""), args: []string{"-P"}, want: []string{"host = " + strings.Repeat("x", 494)}},
		{id: "C-31 500 bytes", rc: long(500, "\n"), err: rcName + ": line longer than 500 characters", kind: KindConfig},
		{id: "C-31 500 bytes at EOF", rc: long(500, ""), err: rcName + ": line longer than 500 characters", kind: KindConfig},
		{id: "C-31 CR counts", rc: long(499, "\r\n"), err: rcName + ": line longer than 500 characters", kind: KindConfig},
		{id: "C-31 498 bytes and CR", rc: long(498, "\r\n"), args: []string{"-P"}, want: []string{"host = " + strings.Repeat("x", 493)}},
		{id: "C-31 long comment", rc: "#" + strings.Repeat("c", 600) + "\n", err: rcName + ": line longer than 500 characters", kind: KindConfig},
		{id: "C-31 earlier error first", rc: "bogus\n#" + strings.Repeat("c", 600) + "\n", err: rcName + ": line 1: unknown command bogus", kind: KindConfig},
		{id: "C-32 Host", rc: "Host h\n", err: rcName + ": line 1: unknown command Host", kind: KindConfig},
		{id: "C-32 tls ON", rc: "\n# comment\ntls ON\n", err: rcName + ": line 3: invalid argument ON for command tls", kind: KindConfig},
		{id: "C-32 allow_from_override empty", rc: "allow_from_override\n", err: rcName + ": line 1: invalid argument  for command allow_from_override", kind: KindConfig},
		{id: "C-32 control characters", rc: "account a\nHo\x02st x\n", err: rcName + ": line 2: unknown command Ho?st", kind: KindConfig},
		{id: "C-32 on/off exact", rc: "tls yes\n", err: rcName + ": line 1: invalid argument yes for command tls", kind: KindConfig},
		{id: "C-32 port needs argument", rc: "port\n", err: rcName + ": line 1: command port needs an argument", kind: KindConfig},
		{id: "C-32 port empty quotes", rc: "port \"\"\n", err: rcName + ": line 1: command port needs an argument", kind: KindConfig},
		{id: "C-32 host needs argument", rc: "host \"\"\n", err: rcName + ": line 1: command host needs an argument", kind: KindConfig},
		{id: "C-32 timeout synonym", rc: "connect_timeout x\n", err: rcName + ": line 1: invalid argument x for command connect_timeout", kind: KindConfig},
		{id: "C-32 connect_timeout needs argument", rc: "connect_timeout\n", err: rcName + ": line 1: command connect_timeout needs an argument", kind: KindConfig},
		{id: "C-32 dsn_return hdrs", rc: "dsn_return hdrs\n", err: rcName + ": line 1: invalid argument hdrs for command dsn_return", kind: KindConfig},
		{id: "C-32 dsn_notify empty", rc: "dsn_notify\n", err: rcName + ": line 1: command dsn_notify needs an argument", kind: KindConfig},
		{id: "C-32 protocol empty", rc: "protocol\n", err: rcName + ": line 1: command protocol needs an argument", kind: KindConfig},
		{id: "C-32 auth upper", rc: "auth PLAIN\n", err: rcName + ": line 1: invalid argument PLAIN for command auth", kind: KindConfig},
		{id: "C-32 undisclosed auto", rc: "undisclosed_recipients auto\n", err: rcName + ": line 1: invalid argument auto for command undisclosed_recipients", kind: KindConfig},
		{id: "C-32 nocertcheck argument", rc: "tls_nocertcheck x\n", err: rcName + ": line 1: command tls_nocertcheck does not take an argument", kind: KindConfig},
		{id: "C-32 nostarttls argument", rc: "tls_nostarttls on\n", err: rcName + ": line 1: command tls_nostarttls does not take an argument", kind: KindConfig},
		{id: "C-32 defaults argument", rc: "defaults x\n", err: rcName + ": line 1: command defaults does not take an argument", kind: KindConfig},
		{id: "C-32 defaults empty quotes", rc: "defaults \"\"\naccount a\nhost h\n", args: []string{"-P", "-a", "a"}, want: []string{"host = h"}},
		{id: "C-32 force_sslv3 ignored", rc: "host h\ntls_force_sslv3 whatever\ntls_force_sslv3\n", args: []string{"-P"}, want: []string{"host = h"}},
		{id: "C-32 empty values", rc: "host h\nfrom\nmaildomain\ndomain\nauth\nsyslog\nset_from_header\ntls\ntls_certcheck off\ntls_certcheck\nproxy_port\nset_to_header\nundisclosed_recipients\n", args: []string{"-P"},
			want: []string{"domain = ", "auth = choose", "tls = on", "tls_certcheck = on", "maildomain = ", "from = ", "set_from_header = auto", "set_to_header = undisclosed_recipients", "syslog = LOG_USER"}},
		{id: "C-33", rc: "host h\naccount default\n", err: rcName + ": line 2: account default was already defined", kind: KindConfig},
		{id: "C-34 a:b", rc: "account a:b\n", err: rcName + ": line 1: account b not (yet) defined", kind: KindConfig},
		{id: "C-34 a,b", rc: "account a,b\n", err: rcName + ": line 1: an account name must not contain colons or commas", kind: KindConfig},
		{id: "C-34 empty", rc: "account\n", err: rcName + ": line 1: missing account name", kind: KindConfig},
		{id: "C-34 trailing comma", rc: "account a : b,\n", err: rcName + ": line 1: account b not (yet) defined", kind: KindConfig},
		{id: "C-34 trailing comma, parent defined", rc: "account b\naccount a : b,\n", err: rcName + ": line 2: missing account name", kind: KindConfig},
		{id: "C-34 quoted", rc: "account \"a:b\"\n", err: rcName + ": line 1: account b not (yet) defined", kind: KindConfig},
		{id: "C-34 parents before name", rc: "account a,x : zz\n", err: rcName + ": line 1: account zz not (yet) defined", kind: KindConfig},
		{id: "C-34 empty name with parent", rc: "account b\naccount \"\" : b\n", err: rcName + ": line 2: missing account name", kind: KindConfig},
		{id: "C-34 parent quotes then blanks", rc: "account b\naccount a : \" b \"\n", err: rcName + ": line 2: account  b  not (yet) defined", kind: KindConfig},
		{id: "C-34 duplicate", rc: "account a\naccount a\n", err: rcName + ": line 2: account a was already defined", kind: KindConfig},
		{id: "C-34 blank name kept", rc: "account \" \"\nhost h\n", args: []string{"-P", "-a", " "}, want: []string{"using account   from " + rcName}},
		{id: "C-34 name with trailing blank", rc: "account b\nhost h\naccount \"x \" : b\n", args: []string{"-P", "-a", "x "}, want: []string{"using account x  from " + rcName, "host = h"}},
		{id: "C-34 case-sensitive", rc: "account A\nhost h\n", args: []string{"-P", "-a", "a"}, err: "account a not found in " + rcName, kind: KindConfig},
		{id: "C-35 a", rc: inheritanceExample, args: []string{"-P", "-a", "a"}, want: []string{"host = ha", "port = 1000", "tls_starttls = on", "from = a@x"}},
		{id: "C-35 b", rc: inheritanceExample, args: []string{"-P", "-a", "b"}, want: []string{"host = ha", "port = 2000", "tls_starttls = off", "from = a@x"}},
		{id: "C-35 d", rc: inheritanceExample, args: []string{"-P", "-a", "d"}, want: []string{"host = ha", "port = 2000", "tls_certcheck = off", "from = a@x"}},
		{id: "C-35 e", rc: inheritanceExample, args: []string{"-P", "-a", "e"}, want: []string{"host = hc", "port = 3000", "tls_certcheck = off", "from = c@x"}},
		{id: "C-36 empty in defaults", rc: "defaults\ntls_trust_file\naccount a\nhost h\n", args: []string{"-P", "-a", "a"}, want: []string{"tls_trust_file = system"}},
		{id: "C-36 empty in account", rc: "account a\nhost h\ntls_trust_file\n", args: []string{"-P", "-a", "a"}, want: []string{"tls_trust_file = (not set)"}},
		{id: "C-36 empty in parent", rc: "account p\ntls_trust_file\naccount a : p\nhost h\n", args: []string{"-P", "-a", "a"}, want: []string{"tls_trust_file = (not set)"}},
		{id: "C-36 file in defaults", rc: "defaults\ntls_trust_file /x.pem\naccount a\nhost h\n", args: []string{"-P", "-a", "a"}, want: []string{"tls_trust_file = /x.pem"}},
		{id: "C-36 emptied on command line", rc: "defaults\ntls_trust_file /x.pem\naccount a\nhost h\n", args: []string{"-P", "-a", "a", "--tls-trust-file="}, want: []string{"tls_trust_file = (not set)"}},
		{id: "C-37 eval false", rc: "account a\nhost h\neval false\n", err: rcName + ": cannot read output of 'false'", kind: KindIO},
		{id: "C-37 eval cannot start", rc: "eval fail\n", err: rcName + ": cannot evaluate 'fail': No such file or directory", kind: KindIO},
		{id: "C-37 eval echo foo bar", rc: "account a\nhost h\neval echo foo bar\n", err: rcName + ": line 3: unknown command foo", kind: KindConfig},
		{id: "C-37 nested eval", rc: "account a\nhost h\neval echo eval echo host x\n", err: rcName + ": line 3: unknown command eval", kind: KindConfig},
		{id: "C-37 eval first line", rc: "account a\nhost h\neval printf 'port 26\\r\\nport 99\\n'\n", args: []string{"-P", "-a", "a"}, want: []string{"port = 26"}},
		{id: "C-37 eval empty line", rc: "account a\nhost h\neval printf '\\n'\n", args: []string{"-P", "-a", "a"}, want: []string{"host = h"}},
		{id: "C-37 eval account", rc: "eval echo account e\nhost h\n", args: []string{"-P", "-a", "e"}, want: []string{"using account e from " + rcName}},
		{id: "C-37 eval long output", rc: "account a\neval long-host\n", args: []string{"-P", "-a", "a"}, want: []string{"host = " + strings.Repeat("y", 600)}},
		{id: "C-37 eval needs argument", rc: "eval\n", err: rcName + ": line 1: command eval needs an argument", kind: KindConfig},
		{id: "C-76 tilde", rc: "host h\nlogfile ~bob/log\naliases ~\nsocket ~/sock\ntls_key_file ~/k\ntls_cert_file ~/c\n", args: []string{"-P", "-X", "~/l2"},
			want: []string{"socket = ~/sock", "tls_key_file = /home/tester/k", "tls_cert_file = /home/tester/c", "logfile = /home/tester/l2", "aliases = /home/tester"}},
		{id: "C-76 tilde in file", rc: "host h\nlogfile ~bob/log\n", args: []string{"-P"}, want: []string{"logfile = /home/testerbob/log"}},
		{id: "C-77 HEAD commands", rc: "host h\nset_to_header on\nfrom_full_name \"Joe Doe\"\nset_msgid_header off\n", args: []string{"-P"},
			want: []string{"from_full_name = Joe Doe", "set_msgid_header = off", "set_to_header = on"}},
	})
}

const inheritanceExample = `defaults
port 1000
account a
host ha
from a@x
defaults
port 2000
tls_starttls off
account b : a
account c
host hc
from c@x
tls_certcheck off
account d : c , a
account e : a, c
port 3000
`

// TestFiles covers C-38 to C-47 and C-69 to C-73: file discovery, permissions,
// precedence, selection, validation.
func TestFiles(t *testing.T) {
	t.Parallel()
	mode := func(m uint32) func(*fakeEnv) {
		return func(f *fakeEnv) { f.files[rcName].mode = fs.FileMode(m) }
	}
	secretRC := "account default\nhost h\npassword x\n"
	perm := rcName + ": contains secrets and therefore must have no more than user read/write permissions"
	runSpecCases(t, []specCase{
		{id: "C-38 0644", rc: secretRC, setup: mode(0o644), args: []string{"-P"}, err: perm, kind: KindConfig},
		{id: "C-38 0640", rc: secretRC, setup: mode(0o640), args: []string{"-P"}, err: perm, kind: KindConfig},
		{id: "C-38 0604", rc: secretRC, setup: mode(0o604), args: []string{"-P"}, err: perm, kind: KindConfig},
		{id: "C-38 0700", rc: secretRC, setup: mode(0o700), args: []string{"-P"}, err: perm, kind: KindConfig},
		{id: "C-38 0600", rc: secretRC, setup: mode(0o600), args: []string{"-P"}, want: []string{"password = *"}},
		{id: "C-38 0400", rc: secretRC, setup: mode(0o400), args: []string{"-P"}, want: []string{"password = *"}},
		{id: "C-38 root", rc: secretRC, setup: func(f *fakeEnv) { f.files[rcName].mode = 0o644; f.euid = 0 }, args: []string{"-P"}, want: []string{"password = *"}},
		{id: "C-38 windows", rc: secretRC, setup: func(f *fakeEnv) { f.files[rcName].mode = 0o644; f.euid = -1 }, args: []string{"-P"}, want: []string{"password = *"}},
		{id: "C-38 no loaded line on failure", rc: secretRC, setup: mode(0o644), args: []string{"-P"}, err: perm, kind: KindConfig,
			notWant: []string{"loaded user configuration file " + rcName}},
		{id: "C-39 owner", rc: secretRC, setup: func(f *fakeEnv) { f.files[rcName].uid = 0; f.files[rcName].mode = 0o644 }, args: []string{"-P"},
			err: rcName + ": contains secrets and therefore must be owned by you", kind: KindConfig},
		{id: "C-40 empty password", rc: "account default\nhost h\npassword\n", setup: mode(0o644), args: []string{"-P"}, err: perm, kind: KindConfig},
		{id: "C-40 password in defaults", rc: "defaults\npassword x\naccount default\nhost h\n", setup: mode(0o644), args: []string{"-P"}, err: perm, kind: KindConfig},
		{id: "C-40 password from eval", rc: "account default\nhost h\neval echo password x\n", setup: mode(0o644), args: []string{"-P"}, want: []string{"password = *"}},
		{id: "C-40 passwordeval only", rc: "account default\nhost h\npasswordeval echo x\n", setup: mode(0o644), args: []string{"-P"}, want: []string{"passwordeval = echo x"}},
		{id: "C-40 system file not checked", setup: func(f *fakeEnv) { f.add("/etc/msmtprc", secretRC).mode = 0o644 }, args: []string{"-P"}, want: []string{"password = *"}},
		{id: "C-40 stat failure", rc: secretRC, setup: func(f *fakeEnv) { f.statErr = syscall.EACCES }, args: []string{"-P"},
			err: rcName + ": Permission denied", kind: KindIO},
		{id: "C-41 missing -C", args: []string{"-C", "/nonexistent", "-P"}, err: "/nonexistent: No such file or directory", kind: KindIO},
		{id: "C-41 empty -C", args: []string{"-C", "", "-P"}, err: ": No such file or directory", kind: KindIO},
		{id: "C-41 directory", setup: func(f *fakeEnv) { f.files["/home/tester/dir"] = nil }, args: []string{"-C", "/home/tester/dir", "-P"},
			err: "/home/tester/dir: input error", kind: KindIO},
		{id: "C-41 relative -C kept", setup: func(f *fakeEnv) { f.add("rel/rc", "host h\n") }, args: []string{"-C", "rel/rc", "-P"},
			want: []string{"loaded user configuration file rel/rc", "using account default from rel/rc"}},
		{id: "C-41 -C ~ not expanded", setup: func(f *fakeEnv) { f.add(rcName, "host h\n") }, args: []string{"-C", "~/rc", "-P"},
			err: "~/rc: No such file or directory", kind: KindIO},
		{id: "C-41 --host skips files", setup: func(f *fakeEnv) { f.add("/home/tester/.msmtprc", "bogus\n") }, args: []string{"--host=h", "-C", "/nonexistent", "-P"},
			want: []string{"using account specified on command line", "host = h"}},
		{id: "C-42 default user file missing", args: []string{"-P"},
			want: []string{"ignoring system configuration file /etc/msmtprc: No such file or directory", "ignoring user configuration file /home/tester/.msmtprc: No such file or directory"},
			err:  "account default not found: no configuration file available", kind: KindConfig},
		{id: "C-42 XDG", setup: func(f *fakeEnv) {
			f.vars["XDG_CONFIG_HOME"] = "/xdg"
			f.add("/xdg/msmtp/config", "host xdg\n")
			f.add("/home/tester/.config/msmtp/config", "host dotconfig\n")
		}, args: []string{"-P"}, want: []string{"loaded user configuration file /xdg/msmtp/config", "host = xdg"}},
		{id: "C-42 XDG empty dir ignores .config", setup: func(f *fakeEnv) {
			f.vars["XDG_CONFIG_HOME"] = "/xdg"
			f.add("/home/tester/.config/msmtp/config", "host dotconfig\n")
		}, args: []string{"-P"}, want: []string{"ignoring user configuration file /home/tester/.msmtprc: No such file or directory"},
			err: "account default not found: no configuration file available", kind: KindConfig},
		{id: "C-42 .config without XDG", setup: func(f *fakeEnv) { f.add("/home/tester/.config/msmtp/config", "host dotconfig\n") },
			args: []string{"-P"}, want: []string{"loaded user configuration file /home/tester/.config/msmtp/config", "host = dotconfig"}},
		{id: "C-42 .msmtprc wins", setup: func(f *fakeEnv) {
			f.add("/home/tester/.msmtprc", "host rc\n")
			f.add("/home/tester/.config/msmtp/config", "host dotconfig\n")
		}, args: []string{"-P"}, want: []string{"loaded user configuration file /home/tester/.msmtprc", "host = rc"}},
		{id: "C-42 no HOME", setup: func(f *fakeEnv) { delete(f.vars, "HOME"); f.add("/.msmtprc", "host slash\n") },
			args: []string{"-P"}, want: []string{"loaded user configuration file /.msmtprc", "host = slash"}},
		{id: "C-43 system first", setup: func(f *fakeEnv) {
			f.add("/etc/msmtprc", "account sys1\nhost s\nfrom shared@x.org\n")
			f.add("/home/tester/.msmtprc", "account user1\nhost u\nfrom shared@x.org\n")
		}, args: []string{"-P", "-f", "shared@x.org"}, want: []string{
			"loaded system configuration file /etc/msmtprc", "loaded user configuration file /home/tester/.msmtprc",
			"account chosen by envelope from address shared@x.org: sys1", "using account sys1 from /etc/msmtprc", "host = s"}},
		{id: "C-43 user replaces system", setup: func(f *fakeEnv) {
			f.add("/etc/msmtprc", "account same\nhost s\nfrom shared@x.org\naccount other\nhost o\nfrom shared@x.org\n")
			f.add("/home/tester/.msmtprc", "account same\nhost u\nfrom shared@x.org\n")
		}, args: []string{"-P", "-f", "shared@x.org"}, want: []string{"account chosen by envelope from address shared@x.org: other"}},
		{id: "C-43 user replaces completely", setup: func(f *fakeEnv) {
			f.add("/etc/msmtprc", "account same\nhost s\nport 99\n")
			f.add("/home/tester/.msmtprc", "account same\nhost u\n")
		}, args: []string{"-P", "-a", "same"}, want: []string{"using account same from /home/tester/.msmtprc", "host = u", "port = 25"}},
		{id: "C-43 system parse error", setup: func(f *fakeEnv) { f.add("/etc/msmtprc", "host h\nbogus\n") }, args: []string{"-P"},
			err: "/etc/msmtprc: line 2: unknown command bogus", kind: KindConfig},
		{id: "C-45 environment", args: []string{"-P"}, setup: func(f *fakeEnv) {
			f.vars["SMTPSERVER"] = "127.0.0.1"
			f.vars["EMAIL"] = "env@example.com"
		}, want: []string{"falling back to default account", "using environment variables EMAIL and SMTPSERVER", "host = 127.0.0.1", "from = env@example.com"},
			notWant: []string{"using account specified on command line"}},
		{id: "C-45 without EMAIL and -f", args: []string{"-P"}, setup: func(f *fakeEnv) { f.vars["SMTPSERVER"] = "127.0.0.1" },
			err: "account default not found: no configuration file available", kind: KindConfig},
		{id: "C-45 with -f", args: []string{"-P", "-f", "me@x.org"}, setup: func(f *fakeEnv) { f.vars["SMTPSERVER"] = "s" },
			want: []string{"using environment variables EMAIL and SMTPSERVER", "host = s", "from = me@x.org"}},
		{id: "C-45 EMAIL empty", args: []string{"-P"}, setup: func(f *fakeEnv) { f.vars["SMTPSERVER"] = "s"; f.vars["EMAIL"] = "" },
			want: []string{"host = s", "from = "}},
		{id: "C-45 -a default", args: []string{"-P", "-a", "default"}, setup: func(f *fakeEnv) {
			f.vars["SMTPSERVER"] = "127.0.0.1"
			f.vars["EMAIL"] = "env@example.com"
		}, err: "account default not found: no configuration file available", kind: KindConfig},
		{id: "C-45 serverinfo", args: []string{"-P", "-S"}, setup: func(f *fakeEnv) { f.vars["SMTPSERVER"] = "" },
			want:    []string{"using environment variables EMAIL and SMTPSERVER", "host = ", "tls_host_override = (not set)"},
			notWant: []string{"from = (not set)", "reading recipients from the command line"}},
		{id: "C-45 default account exists", rc: "host cfg\n", args: []string{"-P"}, setup: func(f *fakeEnv) {
			f.vars["SMTPSERVER"] = "127.0.0.1"
			f.vars["EMAIL"] = "env@example.com"
		}, want: []string{"host = cfg"}, notWant: []string{"using environment variables EMAIL and SMTPSERVER"}},
		{id: "C-45 matched account wins", rc: "account m\nhost cfg\nfrom me@x.org\n", args: []string{"-P", "-f", "me@x.org"}, setup: func(f *fakeEnv) {
			f.vars["SMTPSERVER"] = "127.0.0.1"
		}, want: []string{"account chosen by envelope from address me@x.org: m", "host = cfg"}},
		{id: "C-46 no configuration", args: []string{"-P"}, err: "account default not found: no configuration file available", kind: KindConfig},
		{id: "C-46 -a", args: []string{"-P", "-a", "x"}, err: "account x not found: no configuration file available", kind: KindConfig},
		{id: "C-47 both files", setup: func(f *fakeEnv) {
			f.add("/etc/msmtprc", "account s\nhost s\n")
			f.add("/home/tester/.msmtprc", "account u\nhost u\n")
		}, args: []string{"-P"}, err: "account default not found in /etc/msmtprc and /home/tester/.msmtprc", kind: KindConfig},
		{id: "C-47 system only", setup: func(f *fakeEnv) { f.add("/etc/msmtprc", "account s\nhost s\n") }, args: []string{"-P", "-a", "u"},
			err: "account u not found in /etc/msmtprc", kind: KindConfig},
		{id: "C-69 lmtp without port", rc: "host h\nprotocol lmtp\n", args: []string{"-P"}, err: "account default from " + rcName + ": port not set", kind: KindConfig},
		{id: "C-69 lmtp command line", args: []string{"--host=h", "--protocol=lmtp", "-P"}, err: "port not set", kind: KindConfig},
		{id: "C-69 lmtp with port", rc: "host h\nprotocol lmtp\nport 24\n", args: []string{"-P"}, want: []string{"port = 24", "protocol = lmtp"}},
		{id: "C-69 fixed: lmtp on a socket needs no port", rc: "socket /run/lmtp\nprotocol lmtp\n", args: []string{"-P"}, want: []string{"port = 0", "socket = /run/lmtp"}},
		{id: "C-70", args: []string{"--host=h", "-f", "a@b", "--tls", "--tls-trust-file="},
			err: "tls requires either tls_trust_file (highly recommended) or tls_fingerprint or a disabled tls_certcheck", kind: KindConfig},
		{id: "C-70 fingerprint is enough", args: []string{"--host=h", "-f", "a@b", "--tls", "--tls-trust-file=", "--tls-fingerprint=00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"}},
		{id: "C-71", args: []string{"--host=h"}, err: "envelope-from address is missing", kind: KindConfig},
		{id: "C-71 pretend", args: []string{"--host=h", "-P"}, want: []string{"from = (not set)"}},
		{id: "C-71 null sender is set", args: []string{"--host=h", "-f", ""}},
		{id: "C-71 serverinfo needs no from", args: []string{"--host=h", "-S"}},
		{id: "C-72", rc: "from a@b\n", args: []string{"-P"}, err: "account default from " + rcName + ": host not set", kind: KindConfig},
		{id: "C-72 socket is enough", rc: "socket /s\n", args: []string{"-P"}, want: []string{"host = (not set)", "port = 25", "socket = /s"}},
		{id: "check tls host", rc: "socket /s\ntls\ntls_trust_file /ca\n", args: []string{"-P"}, err: "account default from " + rcName + ": host not set", kind: KindConfig},
		{id: "check tls host override", rc: "socket /s\ntls\ntls_host_override h\n", args: []string{"-P"}, want: []string{"tls_host_override = h"}},
		{id: "check key without cert", rc: "host h\ntls_key_file /k\n", args: []string{"-P"}, err: "account default from " + rcName + ": tls_key_file requires tls_cert_file", kind: KindConfig},
		{id: "check cert without key", rc: "host h\ntls_cert_file /c\n", args: []string{"-P"}, err: "account default from " + rcName + ": tls_cert_file requires tls_key_file", kind: KindConfig},
		{id: "check crl without trust", rc: "host h\ntls_trust_file\ntls_crl_file /crl\n", args: []string{"-P"}, err: "account default from " + rcName + ": tls_crl_file requires tls_trust_file", kind: KindConfig},
		{id: "check order host before port", rc: "protocol lmtp\n", args: []string{"-P"}, err: "account default from " + rcName + ": host not set", kind: KindConfig},
		{id: "C-73 rmqs", args: []string{"--host=h", "-P", "--rmqs=@dom.example"}, want: []string{"tls_host_override = (not set)", "RMQS argument = @dom.example"},
			notWant: []string{"reading recipients from the command line"}},
		{id: "pretend info lines", rc: "host h\nfrom x@y\n", args: []string{"-P"}, want: []string{
			"ignoring system configuration file /etc/msmtprc: No such file or directory",
			"loaded user configuration file " + rcName, "falling back to default account", "using account default from " + rcName,
			"host = h", "reading recipients from the command line"}},
	})
}

// TestSelection covers C-44, C-48 to C-53 and C-56 to C-58: --from matching,
// substitutions, auto_from, allow_from_override, passwordeval.
func TestSelection(t *testing.T) {
	t.Parallel()
	accounts := "account plain\nhost p\nfrom user@example.com\naccount wild\nhost w\nfrom *@other.org\naccount default\nhost d\n"
	chosen := func(from, id string) specCase {
		return specCase{id: "C-44 " + from, rc: accounts, args: []string{"-P", "-f", from},
			want: []string{"account chosen by envelope from address " + from + ": " + id}}
	}
	fallback := func(from string) specCase {
		return specCase{id: "C-44 " + from, rc: accounts, args: []string{"-P", "-f", from},
			want: []string{"falling back to default account", "using account default from " + rcName}}
	}
	mailname := func(content string) func(*fakeEnv) {
		return func(f *fakeEnv) { f.add("/etc/mailname", content) }
	}
	runSpecCases(t, []specCase{
		chosen("USER@EXAMPLE.COM", "plain"),
		fallback("SOME@OTHER.ORG"),
		chosen("user+tag@example.com", "plain"),
		chosen("some+tag@other.org", "wild"), // HEAD: pattern on the address without +tag
		chosen("user+a+b@example.com", "plain"),
		chosen("user+@example.com", "plain"),
		chosen("x@other.org", "wild"),
		chosen("a/b+c@other.org", "wild"),
		fallback("+tag@example.com"),
		fallback("user+tag"),
		fallback("user@example.com.evil"),
		{id: "C-44 plus in account", rc: "account plus\nhost p\nfrom user+x@plus.org\naccount default\nhost d\n", args: []string{"-P", "-f", "user+x@plus.org"},
			want: []string{"account chosen by envelope from address user+x@plus.org: plus"}},
		{id: "C-44 other tag", rc: "account plus\nhost p\nfrom user+x@plus.org\naccount default\nhost d\n", args: []string{"-P", "-f", "user+y@plus.org"},
			want: []string{"falling back to default account"}},
		{id: "C-44 no tag", rc: "account plus\nhost p\nfrom user+x@plus.org\naccount default\nhost d\n", args: []string{"-P", "-f", "user@plus.org"},
			want: []string{"falling back to default account"}},
		{id: "C-44 first match wins", rc: "account one\nhost 1\nfrom *@x.org\naccount two\nhost 2\nfrom a@x.org\n", args: []string{"-P", "-f", "a@x.org"},
			want: []string{"account chosen by envelope from address a@x.org: one"}},
		{id: "C-44 -a beats -f", rc: accounts, args: []string{"-P", "-a", "wild", "-f", "user@example.com"},
			want: []string{"using account wild from " + rcName}, notWant: []string{"falling back to default account"}},
		{id: "C-44 read-envelope-from chooses", rc: accounts, args: []string{"-P", "--read-envelope-from=x@other.org"},
			want: []string{"account chosen by envelope from address x@other.org: wild", "from = x@other.org"}},
		{id: "C-44 account without from skipped", rc: "account nofrom\nhost n\naccount default\nhost d\n", args: []string{"-P", "-f", ""},
			want: []string{"falling back to default account"}},
		{id: "C-48", rc: "account a\nhost h\nfrom %U@%M\ndomain %H.%M\naccount b\nhost h\ndomain %U\n", args: []string{"-P", "-a", "a"},
			setup: func(f *fakeEnv) {
				f.vars["USER"] = "alice"
				f.vars["HOSTNAME"] = "myhost.local"
				f.add("/etc/mailname", "mail.example.net\n")
			},
			want: []string{"domain = myhost.local.mail.example.net", "from = alice@mail.example.net"}},
		{id: "C-48 %U not in domain", rc: "host h\ndomain %U\n", args: []string{"-P"}, want: []string{"domain = %U"}},
		{id: "C-48 %C", rc: "host h\ndomain %C\nfrom x@%C\n", args: []string{"-P"}, want: []string{"domain = canon.example", "from = x@canon.example"}},
		{id: "C-48 %C lookup fails", rc: "host h\ndomain %C\n", args: []string{"-P"}, setup: func(f *fakeEnv) { f.vars["HOSTNAME"] = "unknown.example" },
			want: []string{"domain = unknown.example"}},
		{id: "C-48 fallbacks", rc: "host h\nfrom %U@%H\n", args: []string{"-P"}, setup: func(f *fakeEnv) { delete(f.vars, "USER"); delete(f.vars, "HOSTNAME") },
			want: []string{"from = fromlogin@gethostname.example"}},
		{id: "C-48 LOGNAME", rc: "host h\nfrom %U\n", args: []string{"-P"}, setup: func(f *fakeEnv) { delete(f.vars, "USER"); f.vars["LOGNAME"] = "ln" },
			want: []string{"from = ln"}},
		{id: "C-48 every occurrence, no escape", rc: "host h\nfrom %%U-%U\n", args: []string{"-P"}, want: []string{"from = %tester-tester"}},
		{id: "C-48 sequential", rc: "host h\nfrom %M\n", args: []string{"-P"}, setup: mailname("%U.example\n"), want: []string{"from = tester.example"}},
		{id: "C-48 control characters", rc: "host h\nfrom %U\n", args: []string{"-P"}, setup: func(f *fakeEnv) { f.vars["USER"] = "a\x1bb" },
			want: []string{"from = a?b"}},
		{id: "C-48 from only in sendmail mode", rc: "host h\nfrom %M\n", args: []string{"-P", "-S"}, want: []string{"domain = localhost"}},
		{id: "C-49 missing", rc: "host h\nfrom %M\n", args: []string{"-P"}, err: "/etc/mailname: No such file or directory", kind: KindConfig},
		{id: "C-49 only LF", rc: "host h\nfrom %M\n", args: []string{"-P"}, setup: mailname("\n"), err: "/etc/mailname: Invalid argument", kind: KindConfig},
		{id: "C-49 two lines", rc: "host h\nfrom x@%M\n", args: []string{"-P"}, setup: mailname("first.example\nsecond\n"), want: []string{"from = x@first.example"}},
		{id: "C-49 no newline", rc: "host h\nfrom x@%M\n", args: []string{"-P"}, setup: mailname("nonl.example"), want: []string{"from = x@nonl.example"}},
		{id: "C-49 CRLF and blanks", rc: "host h\nfrom x@%M\n", args: []string{"-P"}, setup: mailname(" sp.example \r\n"), want: []string{"from = x@ sp.example "}},
		{id: "C-49 not read without %M", rc: "host h\nfrom x@y\n", args: []string{"-P"}, want: []string{"from = x@y"}},
		{id: "C-51", rc: "account a\nhost h\nfrom %U@x.org\naccount default\nhost d\n", args: []string{"-P", "-f", "%U@x.org"},
			want: []string{"account chosen by envelope from address %U@x.org: a", "from = tester@x.org"}},
		{id: "C-51 expanded value does not match", rc: "account a\nhost h\nfrom %U@x.org\naccount default\nhost d\n", args: []string{"-P", "-f", "tester@x.org"},
			want: []string{"falling back to default account", "from = tester@x.org"}},
		{id: "C-52", rc: "host h\nauto_from\nmaildomain md.example\n", args: []string{"-P", "-f", "given@x"}, want: []string{"auto_from = on", "maildomain = md.example", "from = tester@md.example"}},
		{id: "C-52 empty maildomain", rc: "host h\nauto_from on\nmaildomain\n", args: []string{"-P", "-f", "given@x"}, want: []string{"from = tester"}},
		{id: "C-52 no maildomain", rc: "host h\nauto_from on\n", args: []string{"-P"}, want: []string{"from = tester"}},
		{id: "C-53 HEAD inheritance", rc: "account a\nhost h\nfrom a@x\nallow_from_override off\naccount b : a\n", args: []string{"-P", "-a", "b", "-f", "o@y"},
			want: []string{"from = a@x", "allow_from_override = off"}},
		{id: "C-53 from defaults", rc: "defaults\nallow_from_override off\naccount c\nhost h\nfrom c@x\naccount d : c\n", args: []string{"-P", "-a", "d"},
			want: []string{"from = c@x", "allow_from_override = off"}},
		{id: "C-53 still chooses", rc: "account a\nhost h\nfrom a@x\nallow_from_override off\n", args: []string{"-P", "-f", "a@x"},
			want: []string{"account chosen by envelope from address a@x: a", "from = a@x"}},
		{id: "C-53 read-envelope-from blocked", rc: "account a\nhost h\nfrom *@x\nallow_from_override off\n", args: []string{"-P", "--read-envelope-from=me@x"},
			want: []string{"from = *@x"}},
		{id: "C-53 on", rc: "account a\nhost h\nfrom a@x\n", args: []string{"-P", "-a", "a", "-f", "o@y"}, want: []string{"from = o@y", "allow_from_override = on"}},
		{id: "%F", rc: "host h\nfrom %F\n", args: []string{"-P", "--from-header=joe@x.org"}, want: []string{"from = joe@x.org"}},
		{id: "%F fixed: no From header", rc: "host h\nfrom %F\n", args: []string{"-P"}, err: "no envelope from address found", kind: KindUsage},
		{id: "%F not in domain", rc: "host h\ndomain %F\n", args: []string{"-P"}, want: []string{"domain = %F"}},
		{id: "C-56 secret", rc: "host h\nauth on\nuser u\npasswordeval printf 'secret'\n", args: []string{"-P"}, want: []string{"password = *", "passwordeval = printf 'secret'"}},
		{id: "C-58 no output", rc: "host h\nauth plain\nuser u\npasswordeval true\n", args: []string{"-P"}, err: "cannot read output of 'true'", kind: KindConfig},
		{id: "C-58 command line", args: []string{"--host=h", "-P", "--auth=on", "--passwordeval=true"}, err: "cannot read output of 'true'", kind: KindConfig},
		{id: "C-58 cannot start", rc: "host h\nauth on\npasswordeval fail\n", args: []string{"-P"}, err: "cannot evaluate 'fail': No such file or directory", kind: KindConfig},
		{id: "C-58 auth off", rc: "host h\npasswordeval true\n", args: []string{"-P"}, want: []string{"password = (not set)"}},
		{id: "C-58 password set", rc: "host h\nauth on\npassword p\npasswordeval true\n", args: []string{"-P"}, want: []string{"password = *"}},
	})
}
