package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/pkg/queue"
	"github.com/msmtp-go/msmtp/pkg/secret"
)

// fakeSystem is a system without keyring or terminal, with the given environment and files.
func fakeSystem(env map[string]string, files map[string]string) *system {
	return &system{
		lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		readFile: func(name string) ([]byte, error) {
			if c, ok := files[name]; ok {
				return []byte(c), nil
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		},
		executable: func() (string, error) { return "/opt/msmtp/bin/msmtpd", nil },
		pid:        4711,
		now:        fixedNow,
		terminal:   func() (secret.Terminal, error) { return nil, errors.New("no terminal in tests") },
		runner:     &secret.Runner{},
	}
}

// TestStartupErrors checks upstream's messages and exit status 3 for everything that keeps
// msmtpd from starting, and the order in which upstream reports them.
func TestStartupErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args string // split at blanks; argv[0] is "msmtpd" unless given
		want string
	}{
		{"--port=", "msmtpd: option '--port' requires non-empty argument"},
		{"--port", "msmtpd: option '--port' requires an argument"},
		{"--log=", "msmtpd: option '--log' requires non-empty argument"},
		{"--auth=", "msmtpd: option '--auth' requires non-empty argument"},
		{"--command=", "msmtpd: option '--command' requires non-empty argument"},
		{"--interface=", "msmtpd: option '--interface' requires non-empty argument"},
		{"x", "msmtpd: too many arguments"},
		{"--bogus", "msmtpd: unrecognized option '--bogus'"},
		{"-x", "msmtpd: invalid option -- 'x'"},
		{"--inetd=x", "msmtpd: option '--inetd' doesn't allow an argument"},
		{"--in", "msmtpd: option '--in' is ambiguous; possibilities: '--inetd' '--interface'"},
		{"--interface=localhost", "msmtpd: invalid interface"},
		{"--interface=fe80::1%lo", "msmtpd: invalid interface"},
		{"--interface=1.2.3.4.5", "msmtpd: invalid interface"},
		// Upstream's order: operands before values, empty values while scanning.
		{"--interface=localhost foo", "msmtpd: too many arguments"},
		{"--interface=localhost --port=", "msmtpd: option '--port' requires non-empty argument"},
		{"--help --bogus", "msmtpd: unrecognized option '--bogus'"},
		{"/usr/sbin/msmtpd x", "/usr/sbin/msmtpd: too many arguments"},
		// Our options.
		{"--port=99999", "msmtpd: invalid argument 99999 for --port"},
		{"--port=2x", "msmtpd: invalid argument 2x for --port"},
		{"--port=-1", "msmtpd: invalid argument -1 for --port"},
		{"--timeout=5x", "msmtpd: invalid argument 5x for --timeout"},
		{"--max-message-size=10Q", "msmtpd: invalid argument 10Q for --max-message-size"},
		{"--allow-network=10.0.0.0/33", "msmtpd: invalid argument 10.0.0.0/33 for --allow-network"},
		{"--listen=localhost:25", "msmtpd: invalid argument localhost:25 for --listen"},
		{"--tls=always", "msmtpd: invalid argument always for --tls"},
		{"--hostname=a;b", "msmtpd: invalid argument a;b for --hostname"},
		{"-C", "msmtpd: option requires an argument -- 'C'"},
		{"--queue-expire=5w", "msmtpd: invalid argument 5w for --queue-expire"},
		{"--queue-retry-min=0", "msmtpd: invalid argument 0 for --queue-retry-min"},
		{"--tls=starttls", "msmtpd: TLS (starttls on 127.0.0.1:0) needs a certificate: tls_cert_file and tls_key_file, or tls_self_signed"},
		{"--listen=127.0.0.1:465/implicit", "msmtpd: TLS (implicit on 127.0.0.1:465) needs a certificate: tls_cert_file and tls_key_file, or tls_self_signed"},
		{"--tls-cert-file=c.pem", "msmtpd: tls_cert_file and tls_key_file must be given together"},
		{"--listen=127.0.0.1:1 --port=2", "msmtpd: cannot use both --listen and --port"},
		{"--command=x --account=y", "msmtpd: cannot use both --command and --account"},
		{"--auth=u", "msmtpd: cannot get password for (localhost, smtp, u)"},
		{"--auth=,echo", "msmtpd: invalid argument ,echo for --auth"},
		{"--config=/nonexistent.toml", "msmtpd: /nonexistent.toml: No such file or directory"},
		{"--tls-cert-file=/nonexistent/c.pem --tls-key-file=/nonexistent/k.pem", "msmtpd: cannot load TLS certificate: /nonexistent/c.pem: "},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests,
			struct{ args, want string }{"--auth=u,false", "msmtpd: cannot get password: cannot read output of 'false'"},
			struct{ args, want string }{"--queue=/dev/null/q", "msmtpd: cannot open the queue: queue: "},
			// Windows command lines have no unterminated quotes: a quote just runs to the end.
			struct{ args, want string }{"--command='unterminated", "msmtpd: invalid command 'unterminated: unterminated quote"})
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			t.Parallel()
			args := strings.Fields(tt.args)
			if !strings.HasPrefix(args[0], "/") {
				args = append([]string{"msmtpd"}, args...)
			}
			// Should a case wrongly get as far as listening, it listens on a free port and
			// stops soon.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			code := runWith(ctx, args, strings.NewReader(""), &stdout, &stderr, fakeSystem(map[string]string{"MSMTPD_PORT": "0"}, nil))
			// A want ending in ": " is a prefix: the system's error text follows.
			match := stderr.String() == tt.want+"\n" || strings.HasSuffix(tt.want, ": ") && strings.HasPrefix(stderr.String(), tt.want)
			if code != exitCannotStart || !match || stdout.Len() != 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 3 and %q", code, stdout.String(), stderr.String(), tt.want)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]string{
		"--help":           "Usage: msmtpd [option...]\n",
		"--version":        "msmtpd version ",
		"--version --help": "msmtpd version ",
		"--help --version": "msmtpd version ",
		"--help x":         "Usage: msmtpd [option...]\n",
	} {
		var stdout, stderr bytes.Buffer
		code := runWith(context.Background(), append([]string{"msmtpd"}, strings.Fields(args)...), nil, &stdout, &stderr, fakeSystem(nil, nil))
		if code != 0 || !strings.HasPrefix(stdout.String(), want) || stderr.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
	// Every option is in the help, but the hidden ones.
	help := helpText(settingTable())
	for _, s := range settingTable() {
		if s.flag != "" && strings.Contains(help, s.flagSpelling()) == s.hidden {
			t.Errorf("%s: in the help: %v", s.flagSpelling(), !s.hidden)
		}
	}
	for _, line := range strings.Split(help, "\n") {
		if len(line) > helpWidth {
			t.Errorf("help line longer than %d: %q", helpWidth, line)
		}
	}
}

// load resolves options from a command line, an environment and files, as run does.
func load(t *testing.T, args string, env map[string]string, files map[string]string) (*options, error) {
	t.Helper()
	sys := fakeSystem(env, files)
	table := settingTable()
	inv, err := parseArgs(append([]string{"msmtpd"}, strings.Fields(args)...), table, sys.lookupEnv)
	if err != nil {
		return nil, err
	}
	return loadOptions(inv, table, sys.lookupEnv, sys.readFile)
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	o, err := load(t, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &options{
		listeners:       []listenSpec{{addr: netip.MustParseAddrPort("127.0.0.1:25"), mode: tlsNone}},
		hostname:        "localhost",
		log:             "none",
		commandTimeout:  10 * time.Minute,
		maxRecipients:   1000,
		maxSessions:     100,
		timeout:         5 * time.Minute,
		shutdownTimeout: 30 * time.Second,
		backoff:         queue.Backoff{Initial: queue.DefaultInitialDelay, Max: queue.DefaultMaxDelay, Expiry: queue.DefaultExpiry},
	}
	if diff := cmp.Diff(want, o, cmp.AllowUnexported(options{}, listenSpec{}), cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// TestQueueOptions checks the ways to turn the queue on and say where it is.
func TestQueueOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args  string
		env   map[string]string
		file  string
		queue bool
		dir   string
	}{
		{args: "", queue: false},
		{args: "--queue", queue: true},
		{args: "--queue=/q", queue: true, dir: "/q"},
		{args: "--queue --queue-dir=/d", queue: true, dir: "/d"},
		{args: "--queue=/q --queue-dir=/d", queue: true, dir: "/q"},
		{args: "--queue-dir=/d", queue: false},
		{env: map[string]string{"MSMTPD_QUEUE": "1", "MSMTPD_QUEUE_DIR": "/e"}, queue: true, dir: "/e"},
		{env: map[string]string{"MSMTPD_QUEUE": "/e"}, queue: true, dir: "/e"},
		{env: map[string]string{"MSMTPD_QUEUE": "off"}, queue: false},
		{file: "queue = true\nqueue_dir = \"/f\"\n", queue: true, dir: "/f"},
		{file: "queue = \"/f\"\n", queue: true, dir: "/f"},
		{file: "queue = false\n", queue: false},
		{args: "--queue", file: "queue = false\n", queue: true},
		{args: "", env: map[string]string{"MSMTPD_QUEUE": "no"}, file: "queue = true\n", queue: false},
	} {
		args := tc.args
		var files map[string]string
		if tc.file != "" {
			args += " --config=/etc/msmtpd.toml"
			files = map[string]string{"/etc/msmtpd.toml": tc.file}
		}
		o, err := load(t, args, tc.env, files)
		if err != nil {
			t.Errorf("%q %v %q: %v", tc.args, tc.env, tc.file, err)
			continue
		}
		if o.queue != tc.queue || o.queueDir != tc.dir {
			t.Errorf("%q %v %q: queue %v in %q, want %v in %q", tc.args, tc.env, tc.file, o.queue, o.queueDir, tc.queue, tc.dir)
		}
	}
	o, err := load(t, "--queue --queue-retry-min=30 --queue-retry-max=2h --queue-expire=1d12h", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (queue.Backoff{Initial: 30 * time.Second, Max: 2 * time.Hour, Expiry: 36 * time.Hour}); o.backoff != want {
		t.Errorf("back-off %+v, want %+v", o.backoff, want)
	}
	if _, err := load(t, "--config=/etc/msmtpd.toml", nil, map[string]string{"/etc/msmtpd.toml": "queue_dir = true\n"}); err == nil ||
		!strings.Contains(err.Error(), "expected a string, not true or false") {
		t.Errorf("queue_dir = true: %v", err)
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	const conf = "/etc/msmtpd.toml"
	type want struct {
		listeners string // "addr/mode ..."
		err       string
		check     func(*options) string
	}
	tests := []struct {
		name  string
		args  string
		env   map[string]string
		file  string
		files map[string]string
		want  want
	}{
		{name: "file", file: "port = 2525", want: want{listeners: "127.0.0.1:2525/none"}},
		{name: "env over file", file: "port = 2525", env: map[string]string{"MSMTPD_PORT": "2600"}, want: want{listeners: "127.0.0.1:2600/none"}},
		{name: "flag over env", args: "--port=2700", file: "port = 2525", env: map[string]string{"MSMTPD_PORT": "2600"}, want: want{listeners: "127.0.0.1:2700/none"}},
		{name: "empty env is unset", file: "port = 2525", env: map[string]string{"MSMTPD_PORT": ""}, want: want{listeners: "127.0.0.1:2525/none"}},
		{name: "interface and port merge", args: "--port=2700", file: `interface = "0.0.0.0"`, want: want{listeners: "0.0.0.0:2700/none"}},
		{name: "port replaces listen", args: "--port=2700", file: `listen = ["[::1]:25", "127.0.0.1:26"]`, want: want{listeners: "127.0.0.1:2700/none"}},
		{name: "listen replaces interface", env: map[string]string{"MSMTPD_LISTEN": "127.0.0.1:2525, [::1]:4650/implicit"}, file: "port = 1\ntls_self_signed = true",
			want: want{listeners: "127.0.0.1:2525/starttls [::1]:4650/implicit"}},
		{name: "tls sets the default mode", args: "--tls=none --listen=127.0.0.1:1 --listen=127.0.0.1:2/implicit --tls-self-signed", want: want{listeners: "127.0.0.1:1/none 127.0.0.1:2/implicit"}},
		{name: "listen and port in one file", file: "listen = [\"127.0.0.1:1\"]\nport = 2", want: want{err: conf + ": cannot use both listen and port"}},
		{name: "listen and port in the environment", env: map[string]string{"MSMTPD_LISTEN": "127.0.0.1:1", "MSMTPD_PORT": "2"}, want: want{err: "cannot use both MSMTPD_LISTEN and MSMTPD_PORT"}},
		{name: "lower conflicts do not matter", args: "--port=3", file: "listen = [\"127.0.0.1:1\"]\nport = 2", want: want{listeners: "127.0.0.1:3/none"}},
		{name: "account replaces command", args: "--account=work", file: `command = "msmtp -f %F --"`, want: want{listeners: "127.0.0.1:25/none",
			check: func(o *options) string {
				if !o.inProcess || o.account != "work" || o.command != "" {
					return "not in-process with account work"
				}
				return ""
			}}},
		{name: "command and msmtprc in one file", file: "command = \"x\"\nmsmtprc = \"/etc/msmtprc\"", want: want{err: conf + ": cannot use both command and msmtprc"}},
		{name: "lists are replaced, not merged", file: `allow_network = ["10.0.0.0/8", "192.168.1.7"]`, env: map[string]string{"MSMTPD_ALLOW_NETWORK": "fd00::/8 127.0.0.0/8"},
			want: want{listeners: "127.0.0.1:25/none", check: func(o *options) string {
				if got := prefixes(o.allowNetworks); got != "fd00::/8 127.0.0.0/8" {
					return "allow_network " + got
				}
				return ""
			}}},
		{name: "list from the file", file: `allow_network = ["10.1.2.3/8", "192.168.1.7"]`,
			want: want{listeners: "127.0.0.1:25/none", check: func(o *options) string {
				if got := prefixes(o.allowNetworks); got != "10.0.0.0/8 192.168.1.7/32" {
					return "allow_network " + got
				}
				return ""
			}}},
		{name: "env user replaces file users", file: "[[user]]\nname = \"joe\"\npassword = \"x\"", env: map[string]string{"MSMTPD_AUTH_USER": "ann", "MSMTPD_AUTH_PASSWORD_FILE": "/run/secrets/pw"},
			files: map[string]string{"/run/secrets/pw": "s3cret\n"},
			want: want{listeners: "127.0.0.1:25/none", check: func(o *options) string {
				if len(o.users) != 1 || o.users[0].name != "ann" || o.users[0].password != "s3cret" || !o.users[0].hasPassword {
					return "users " + users(o)
				}
				return ""
			}}},
		{name: "--auth replaces env user", args: "--auth=bob,cat_pw", env: map[string]string{"MSMTPD_AUTH_USER": "ann", "MSMTPD_AUTH_PASSWORD": "pw"},
			want: want{listeners: "127.0.0.1:25/none", check: func(o *options) string {
				if len(o.users) != 1 || o.users[0].name != "bob" || o.users[0].passwordEval != "cat_pw" || !o.users[0].literal {
					return "users " + users(o)
				}
				return ""
			}}},
		{name: "file users", file: "[[user]]\nname = \"joe\"\npassword = \"x\"\n[[user]]\nname = \"ann\"\npasswordeval = \"pass ann\"\n[[user]]\nname = \"kim\"\npassword_file = \"/pw\"",
			files: map[string]string{"/pw": "kimpw\r\n"},
			want: want{listeners: "127.0.0.1:25/none", check: func(o *options) string {
				if got := users(o); got != "joe:x: ann::pass ann kim:kimpw:" {
					return "users " + got
				}
				return ""
			}}},
		{name: "duplicate user", file: "[[user]]\nname = \"joe\"\n[[user]]\nname = \"joe\"", want: want{err: "user joe is defined twice"}},
		{name: "user with two passwords", file: "[[user]]\nname = \"joe\"\npassword = \"a\"\npasswordeval = \"b\"", want: want{err: conf + ": user #1: give only one of password, password_file and passwordeval"}},
		{name: "user key unknown", file: "[[user]]\nname = \"joe\"\npass = \"a\"", want: want{err: conf + ": user #1: unknown key pass (name, password, password_file, passwordeval)"}},
		{name: "password without user", env: map[string]string{"MSMTPD_AUTH_PASSWORD": "x"}, want: want{err: "auth_password and auth_passwordeval need auth_user"}},
		{name: "secret and its file", env: map[string]string{"MSMTPD_AUTH_PASSWORD": "x", "MSMTPD_AUTH_PASSWORD_FILE": "/x"}, want: want{err: "cannot use both MSMTPD_AUTH_PASSWORD and MSMTPD_AUTH_PASSWORD_FILE"}},
		{name: "secret file missing", env: map[string]string{"MSMTPD_AUTH_PASSWORD_FILE": "/missing"}, want: want{err: "MSMTPD_AUTH_PASSWORD_FILE: /missing: No such file or directory"}},
		{name: "secret file in TOML", file: "auth_user = \"u\"\nauth_password_file = \"/pw\"", files: map[string]string{"/pw": "tomlpw\n"},
			want: want{listeners: "127.0.0.1:25/none", check: func(o *options) string {
				if got := users(o); got != "u:tomlpw:" {
					return "users " + got
				}
				return ""
			}}},
		{name: "secret and file in TOML", file: "auth_password = \"a\"\nauth_password_file = \"/pw\"", want: want{err: conf + ": cannot use both auth_password and auth_password_file"}},
		{name: "not a secret", file: `hostname_file = "/x"`, want: want{err: conf + ": unknown setting hostname_file"}},
		{name: "unknown key", file: "bogus = 1", want: want{err: conf + ": unknown setting bogus"}},
		{name: "syntax error", file: "port = 25\nport = = 2", want: want{err: conf + ":2: "}},
		{name: "bad value in file", file: `port = "x"`, want: want{err: conf + ": port: invalid port x (0 to 65535)"}},
		{name: "bad type in file", file: `port = 1.5`, want: want{err: conf + ": port: expected a string or a number"}},
		{name: "list where none is allowed", file: `port = [1, 2]`, want: want{err: conf + ": port: a list is not allowed here"}},
		{name: "bool where a string is needed", file: `hostname = true`, want: want{err: conf + ": hostname: expected a string, not true or false"}},
		{name: "bad value in env", env: map[string]string{"MSMTPD_TIMEOUT": "soon"}, want: want{err: "MSMTPD_TIMEOUT: invalid duration soon (seconds, or a number with a unit such as 90s, 5m, 1h)"}},
		{name: "bad bool in env", env: map[string]string{"MSMTPD_INETD": "maybe"}, want: want{err: "MSMTPD_INETD: invalid boolean maybe (true or false)"}},
		{name: "values in every form", file: "max_message_size = \"25M\"\ntimeout = 60\nshutdown_timeout = \"1m30s\"\nmax_recipients = 0\ninetd = true\nlisten = \"127.0.0.1:1\"",
			env: map[string]string{"MSMTPD_MAX_SESSIONS": "7", "MSMTPD_ALLOW_INSECURE_AUTH": "yes"},
			want: want{listeners: "127.0.0.1:1/none", check: func(o *options) string {
				if o.maxMessageSize != 25<<20 || o.timeout != time.Minute || o.shutdownTimeout != 90*time.Second ||
					o.maxRecipients != 0 || o.maxSessions != 7 || !o.inetd || !o.allowInsecureAuth {
					return "values not taken"
				}
				return ""
			}}},
		{name: "MSMTPD_CONFIG names the file", env: map[string]string{"MSMTPD_CONFIG": "/other.toml"}, files: map[string]string{"/other.toml": "port = 1"},
			want: want{listeners: "127.0.0.1:1/none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args
			files := map[string]string{}
			for k, v := range tt.files {
				files[k] = v
			}
			if tt.file != "" {
				files[conf] = tt.file
				args += " --config=" + conf
			}
			o, err := load(t, args, tt.env, files)
			if tt.want.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.want.err) {
					t.Fatalf("error %v, want %q", err, tt.want.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := listeners(o); got != tt.want.listeners {
				t.Errorf("listeners %q, want %q", got, tt.want.listeners)
			}
			if tt.want.check != nil {
				if msg := tt.want.check(o); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

func listeners(o *options) string {
	var s []string
	for _, l := range o.listeners {
		s = append(s, l.addr.String()+"/"+l.mode.String())
	}
	return strings.Join(s, " ")
}

func prefixes(ps []netip.Prefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, " ")
}

func users(o *options) string {
	var s []string
	for _, u := range o.users {
		s = append(s, u.name+":"+u.password+":"+u.passwordEval)
	}
	return strings.Join(s, " ")
}
