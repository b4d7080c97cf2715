package main

// msmtpd's settings come from four places, in increasing precedence: built-in defaults, the
// configuration file (--config, TOML), environment variables (MSMTPD_*), and the command
// line. One table, settingTable, describes every setting once: its TOML key, its environment
// variable, its option, how a value is checked, and its documentation. The option parser,
// the file reader, the environment reader, --help and the SETTINGS section of docs/msmtpd.1
// are all made from it (TestManPageSettings keeps the man page in step).

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/config"
)

// source says where a value came from. Later sources override earlier ones.
type source uint8

const (
	fromDefault source = iota
	fromFile
	fromEnv
	fromFlag
)

// kind says how a setting is written in each source.
type kind uint8

const (
	// kindString: one value; TOML string (or integer, for numbers).
	kindString kind = iota
	// kindBool: an option without argument; true/false (yes/no, on/off, 1/0) elsewhere.
	kindBool
	// kindList: the option may be repeated; TOML array of strings; in the environment a
	// list separated by commas or blanks. The list from the highest source replaces the
	// others (lists are never merged).
	kindList
	// kindUsers: TOML only, the [[user]] tables.
	kindUsers
)

// setting is one row of the table.
type setting struct {
	// key is the TOML key and the setting's name in messages and the docs.
	key string
	// flag is the long option without "--", "" when the setting has none; short is its
	// one-letter form, 0 when none.
	flag  string
	short byte
	// env is the environment variable, "" when none.
	env string
	// arg names the value in --help and the docs ("ip", "number").
	arg  string
	kind kind
	// optionalArg: the option's argument is optional (--queue[=DIR]).
	optionalArg bool
	// orBool: the configuration file may also give true or false (queue = true).
	orBool bool
	// secret settings may also be read from a file: KEY_file in TOML, ENV_FILE in the
	// environment (Docker secrets).
	secret bool
	// hidden settings are left out of --help (they are for tests and scripts).
	hidden bool
	// def is the default as a value parse accepts; "" when there is none or it is
	// computed (then defDoc says what it is).
	def    string
	defDoc string
	// help is the one-line description for --help; doc the longer one for the man page.
	help, doc string
	// parse checks one value and converts it. Nil: any non-empty string.
	parse func(string) (any, error)
}

// Settings that form exclusive groups: each group has alternatives, and the alternative set
// by the highest source wins as a whole; the other alternatives' values, from any source,
// are ignored. Within the winning alternative values are merged by precedence as usual. Two
// alternatives set in the same source are an error. So `--port=2525` on the command line
// replaces a configuration file's `listen` list, while `--port` and a file's `interface`
// still combine.
func exclusiveGroups() [][][]string {
	return [][][]string{
		{{"listen"}, {"interface", "port"}},
		{{"command"}, {"account", "msmtprc"}},
		{{"auth"}, {"auth_user", "auth_password", "auth_passwordeval"}, {"user"}},
	}
}

// defaultCommandTimeout: RFC 5321 §4.5.3.2.6 gives a client 10 minutes to wait for the
// reply to the end of the data; a command that takes longer has lost its client anyway.
const defaultCommandTimeout = "10m"

// settingTable returns the table. The order is the order of --help and the docs.
func settingTable() []setting {
	return []setting{
		{key: "inetd", flag: "inetd", env: "MSMTPD_INETD", kind: kindBool, def: "false",
			help: "serve one SMTP session on standard input and output",
			doc:  "Serve a single SMTP session on standard input and output (for inetd, xinetd or a systemd socket unit with Accept=yes) instead of listening. The exit status is 0 when the session ended normally, 1 otherwise."},
		{key: "interface", flag: "interface", env: "MSMTPD_INTERFACE", arg: "ip", def: "127.0.0.1", parse: parseInterface,
			help: "listen on this IPv4 or IPv6 address",
			doc:  "The address to listen on: a numeric IPv4 or IPv6 address (0.0.0.0 or :: for all). Host names are not accepted."},
		{key: "port", flag: "port", env: "MSMTPD_PORT", arg: "number", def: "25", parse: parsePort,
			help: "listen on this port; 0 picks a free one",
			doc:  "The port to listen on, 0 to 65535. 0 lets the system pick a free port, which is logged (`listening on ADDRESS`)."},
		{key: "tls", flag: "tls", env: "MSMTPD_TLS", arg: "none|starttls|implicit", parse: parseTLSMode,
			defDoc: "starttls when a certificate is configured, else none",
			help:   "TLS on the listener(s) that do not name a mode",
			doc:    "TLS for the listener given by interface and port, and for every listen entry that names no mode: none; starttls (offer STARTTLS, RFC 3207); implicit (TLS from the first byte, RFC 8314, usually port 465). starttls and implicit need tls_cert_file and tls_key_file, or tls_self_signed."},
		{key: "listen", flag: "listen", env: "MSMTPD_LISTEN", arg: "ip:port[/mode]", kind: kindList, parse: parseListen,
			help: "listen here instead of interface and port (repeatable)",
			doc:  "Listeners, each a numeric address and port with an optional TLS mode: `127.0.0.1:25`, `[::1]:587/starttls`, `0.0.0.0:465/implicit`. When given, interface and port are not used. In the environment, separate entries by commas or blanks."},
		{key: "hostname", flag: "hostname", env: "MSMTPD_HOSTNAME", arg: "name", def: "localhost", parse: parseHostname,
			help: "the name in the greeting, EHLO reply and Received header",
			doc:  "The server's name in its greeting, its EHLO and HELO replies and the Received header it adds."},
		{key: "log", flag: "log", env: "MSMTPD_LOG", arg: "none|syslog|stderr|FILE", def: "none",
			help: "log nothing, or to syslog, standard error or a file",
			doc:  "Where to log: none; syslog (facility mail, ident msmtpd; on Windows the Event Log, source msmtpd or the service's name); stderr (for containers); or the name of a file, opened for each line in append mode (so that log rotation works). Lines look like upstream msmtpd's: `2026-11-25 18:24:20 msmtpd[4711] info: MESSAGE key=value ...`. A file that cannot be opened is replaced by syslog, as upstream does."},
		{key: "command", flag: "command", env: "MSMTPD_COMMAND", arg: "cmd",
			defDoc: "`msmtp -f %F --`, msmtp being the program next to msmtpd",
			help:   "pipe each mail to this command",
			doc:    "Pipe each mail to this command. The first %F is replaced by the envelope sender (MAILER-DAEMON for the null sender <>); each recipient is added as one more argument. See COMMAND."},
		{key: "command_timeout", flag: "command-timeout", env: "MSMTPD_COMMAND_TIMEOUT", arg: "duration", def: defaultCommandTimeout, parse: parseDuration,
			help: "kill a pipe command that runs longer; 0: never",
			doc:  "How long a pipe command may run before it is killed and the client gets 451. 0 disables the limit. Durations are seconds (`600`) or Go durations (`10m`, `1h30m`)."},
		{key: "account", flag: "account", env: "MSMTPD_ACCOUNT", arg: "name",
			help: "deliver in-process with this msmtprc account",
			doc:  "Deliver each mail in-process with this account of the msmtprc file, as `msmtp -a NAME -f SENDER -- RECIPIENTS` would, without running a command."},
		{key: "msmtprc", flag: "file", short: 'C', env: "MSMTPD_MSMTPRC", arg: "file",
			help: "msmtprc file for in-process delivery",
			doc:  "The msmtprc file for in-process delivery (msmtp's -C). Given without account, the account is chosen from the envelope sender as msmtp chooses it."},
		{key: "auth", flag: "auth", env: "MSMTPD_AUTH", arg: "user[,passwordeval]", parse: parseAuth,
			help: "require authentication as user; the password comes from passwordeval, else the keyring, else a prompt",
			doc:  "Require AUTH (PLAIN or LOGIN) as this user. The password is the first line printed by passwordeval, run once at start-up; without it, it comes from the keyring (host localhost, service smtp) or, failing that, from a prompt on the terminal."},
		{key: "auth_user", env: "MSMTPD_AUTH_USER", arg: "user", parse: parseUserName,
			help: "require authentication as this user",
			doc:  "Require AUTH as this user, with auth_password, auth_passwordeval, or else the keyring and a prompt as for auth."},
		{key: "auth_password", env: "MSMTPD_AUTH_PASSWORD", arg: "password", secret: true,
			help: "the password of auth_user: a bcrypt hash or plain text",
			doc:  "The password of auth_user: a bcrypt hash (`$2a$`, `$2b$`, `$2y$`, as made by `htpasswd -nB`) or plain text."},
		{key: "auth_passwordeval", env: "MSMTPD_AUTH_PASSWORDEVAL", arg: "cmd",
			help: "command that prints the password of auth_user",
			doc:  "A command whose first output line is the password of auth_user, run once at start-up."},
		{key: "user", kind: kindUsers,
			help: "users who may authenticate ([[user]] tables)",
			doc:  "Configuration file only: one [[user]] table per user, with name and one of password (a bcrypt hash or plain text), password_file or passwordeval."},
		{key: "allow_insecure_auth", flag: "allow-insecure-auth", env: "MSMTPD_ALLOW_INSECURE_AUTH", kind: kindBool, def: "false",
			help: "offer AUTH without TLS to non-loopback clients",
			doc:  "Offer AUTH on connections that are neither encrypted nor from a loopback address. Without it, such clients are told to use STARTTLS first, so that passwords never cross a network in clear text."},
		{key: "allow_network", flag: "allow-network", env: "MSMTPD_ALLOW_NETWORK", arg: "cidr", kind: kindList, parse: parseNetwork,
			defDoc: "every client",
			help:   "accept clients only from this network (repeatable)",
			doc:    "Accept connections only from these networks (`192.168.1.0/24`, `fd00::/8`, or a single address). Others get `554 5.7.1 Access denied` as greeting and are disconnected."},
		{key: "tls_cert_file", flag: "tls-cert-file", env: "MSMTPD_TLS_CERT_FILE", arg: "file",
			help: "certificate (PEM, with its chain) for STARTTLS and implicit TLS",
			doc:  "The server certificate in PEM, followed by its intermediate certificates."},
		{key: "tls_key_file", flag: "tls-key-file", env: "MSMTPD_TLS_KEY_FILE", arg: "file",
			help: "private key (PEM) of tls_cert_file",
			doc:  "The private key of tls_cert_file, in PEM."},
		{key: "tls_self_signed", flag: "tls-self-signed", env: "MSMTPD_TLS_SELF_SIGNED", kind: kindBool, def: "false",
			help: "use a self-signed certificate made at start-up",
			doc:  "Make a self-signed certificate at start-up (for localhost, the loopback addresses and hostname) and use it when no certificate files are given: for local clients that insist on TLS but do not verify it, such as Alertmanager with smtp_require_tls."},
		{key: "max_message_size", flag: "max-message-size", env: "MSMTPD_MAX_MESSAGE_SIZE", arg: "bytes", def: "0", parse: parseSize,
			help: "largest mail accepted (k, M, G suffixes); 0: no limit",
			doc:  "The largest mail accepted, in bytes, with an optional k, M or G suffix (powers of 1024); advertised with SIZE. 0 means no limit."},
		{key: "max_recipients", flag: "max-recipients", env: "MSMTPD_MAX_RECIPIENTS", arg: "number", def: "1000", parse: parseCount,
			help: "most recipients per mail; 0: no limit",
			doc:  "The most recipients of one mail; further RCPT commands get 452. 0 means no limit."},
		{key: "max_sessions", flag: "max-sessions", env: "MSMTPD_MAX_SESSIONS", arg: "number", def: "100", parse: parseCount,
			help: "most concurrent sessions per listener; 0: no limit",
			doc:  "The most concurrent sessions on each listener; a client beyond it gets `421 4.3.2 Too many connections, try again later`. 0 means no limit."},
		{key: "timeout", flag: "timeout", env: "MSMTPD_TIMEOUT", arg: "duration", def: "5m", parse: parseDuration,
			help: "disconnect a client silent for this long; 0: never",
			doc:  "How long a client may stay silent, waiting for a command or inside the data, before it gets 421 and is disconnected. 0 disables the timeout."},
		{key: "shutdown_timeout", flag: "shutdown-timeout", env: "MSMTPD_SHUTDOWN_TIMEOUT", arg: "duration", def: "30s", parse: parseDuration,
			help: "on SIGTERM, wait this long for sessions in progress",
			doc:  "On SIGTERM or SIGINT msmtpd stops listening and lets mail transactions in progress finish for at most this long; then it disconnects the rest (their clients get no 250, so no mail is lost) and exits 0."},
		{key: "spool_dir", flag: "spool-dir", env: "MSMTPD_SPOOL_DIR", arg: "dir",
			defDoc: "the system's temporary directory",
			help:   "where mails larger than 1 MiB are kept until the client has sent all",
			doc:    "Where a mail is kept while the client sends it, when it is larger than 1 MiB (smaller ones stay in memory): a pipe command starts only once the whole mail has arrived, so a client that disconnects in the middle never gets a truncated mail delivered. Files are private (mode 0600) and removed at once."},
		{key: "queue", flag: "queue", env: "MSMTPD_QUEUE", arg: "dir", optionalArg: true, orBool: true, parse: parseQueue,
			help: "store each mail durably, answer 250, deliver in the background",
			doc: "Store each mail durably in the queue before answering 250 to its final dot, and deliver it in the background with back-off, through command or in-process as without the queue (see QUEUE). " +
				"A directory, or true (the default directory, or queue_dir) or false. A mail that cannot be stored gets 451."},
		{key: "queue_dir", flag: "queue-dir", env: "MSMTPD_QUEUE_DIR", arg: "dir",
			defDoc: "`/var/spool/msmtp` for root, `~/.msmtp.queue` for other users; on Windows `%ProgramData%\\msmtp\\queue`",
			help:   "the queue directory, when queue names none",
			doc:    "The queue directory when queue is true. It is created with mode 0700 when missing, and may be shared with `msmtp -q` and other msmtpd processes."},
		{key: "queue_retry_min", flag: "queue-retry-min", env: "MSMTPD_QUEUE_RETRY_MIN", arg: "duration", def: "1m", parse: parseQueueDuration,
			help: "wait this long after the first failed attempt; the wait doubles after each",
			doc:  "How long a queued mail waits after its first failed attempt; the wait doubles after each further failure, up to queue_retry_max. Durations are seconds (`90`) or numbers with the units s, m, h and d (`30m`, `1h30m`, `5d`)."},
		{key: "queue_retry_max", flag: "queue-retry-max", env: "MSMTPD_QUEUE_RETRY_MAX", arg: "duration", def: "4h", parse: parseQueueDuration,
			help: "the longest wait between two attempts",
			doc:  "The longest wait between two attempts to deliver a queued mail."},
		{key: "queue_expire", flag: "queue-expire", env: "MSMTPD_QUEUE_EXPIRE", arg: "duration", def: "5d", parse: parseQueueDuration,
			help: "return a mail to its sender when it could not be delivered for this long",
			doc:  "How long a mail may stay in the queue: the first failure after this time is final, and the mail is returned to its sender with a delivery status notification (a mail from the null sender goes to the failed/ directory instead)."},
		{key: "port_file", flag: "port-file", env: "MSMTPD_PORT_FILE", arg: "file", hidden: true,
			help: "write the listening ports to this file",
			doc:  "Once every listener is bound, write their port numbers, one per line in the order of the listeners, to this file (atomically). For scripts and tests that use port 0."},
	}
}

// lookupSetting finds a row by key.
func lookupSetting(table []setting, key string) (setting, bool) {
	for _, s := range table {
		if s.key == key {
			return s, true
		}
	}
	return setting{}, false
}

// flagSpelling is how the docs and messages name the setting's option.
func (s setting) flagSpelling() string {
	if s.flag == "" {
		return ""
	}
	return "--" + s.flag
}

// value is one value of a setting, with where it came from.
type value struct {
	src source
	// origin names the place for messages: "--port", "MSMTPD_PORT", "msmtpd.toml".
	origin string
	raw    string
	v      any // what parse made of raw
}

// values collects the settings of all sources: key → values in the order given.
type values map[string][]value

// add records a value after checking it with the setting's parse function.
func (vs values) add(s setting, src source, origin, raw string) error {
	var v any = raw
	switch {
	case s.kind == kindBool:
		b, err := parseBool(raw)
		if err != nil {
			return err
		}
		v = b
	case s.parse != nil:
		var err error
		if v, err = s.parse(raw); err != nil {
			return err
		}
	case s.kind == kindString && raw == "" && !s.optionalArg:
		return errors.New("empty value")
	}
	vs[s.key] = append(vs[s.key], value{src: src, origin: origin, raw: raw, v: v})
	return nil
}

// topSource is the highest source that set key, and whether any did.
func (vs values) topSource(key string) (source, bool) {
	var top source
	found := false
	for _, v := range vs[key] {
		if !found || v.src > top {
			top, found = v.src, true
		}
	}
	return top, found
}

// resolve applies the precedence rules and returns, for each key that has a value, the
// values that count: for lists all values of the highest source, for the rest the last
// value of the highest source.
func (vs values) resolve(table []setting) (values, error) {
	ignored := map[string]bool{}
	for _, group := range exclusiveGroups() {
		// The highest source that set anything in the group decides.
		top, found := source(0), false
		for _, alt := range group {
			for _, key := range alt {
				if src, ok := vs.topSource(key); ok && (!found || src > top) {
					top, found = src, true
				}
			}
		}
		if !found {
			continue
		}
		winner, winnerKey := -1, ""
		for i, alt := range group {
			for _, key := range alt {
				if src, ok := vs.topSource(key); !ok || src != top {
					continue
				}
				if winner >= 0 && winner != i {
					return nil, &conflictError{a: vs.top(key), b: vs.top(winnerKey), aKey: key, bKey: winnerKey}
				}
				winner, winnerKey = i, key
			}
		}
		for i, alt := range group {
			if i != winner {
				for _, key := range alt {
					ignored[key] = true
				}
			}
		}
	}
	out := values{}
	for _, s := range table {
		if ignored[s.key] {
			continue
		}
		top, ok := vs.topSource(s.key)
		if !ok {
			continue
		}
		var kept []value
		for _, v := range vs[s.key] {
			if v.src == top {
				kept = append(kept, v)
			}
		}
		if s.kind != kindList && s.kind != kindUsers {
			kept = kept[len(kept)-1:]
		}
		out[s.key] = kept
	}
	return out, nil
}

// top returns the last value of the highest source of key.
func (vs values) top(key string) value {
	src, _ := vs.topSource(key)
	var last value
	for _, v := range vs[key] {
		if v.src == src {
			last = v
		}
	}
	return last
}

// conflictError: two alternatives of an exclusive group in the same source.
type conflictError struct {
	a, b       value
	aKey, bKey string
}

func (e *conflictError) Error() string {
	msg := fmt.Sprintf("cannot use both %s and %s", describeKey(e.bKey, e.b.src), describeKey(e.aKey, e.a.src))
	if e.a.src == fromFile {
		return e.a.origin + ": " + msg
	}
	return msg
}

// describeKey names a setting the way its source spells it.
func describeKey(key string, src source) string {
	s, _ := lookupSetting(settingTable(), key)
	switch src {
	case fromFlag:
		return s.flagSpelling()
	case fromEnv:
		return s.env
	}
	return key
}

// The value parsers. Their errors say what is wrong in words that fit after the name of the
// setting.

func parseInterface(s string) (any, error) {
	ip, err := netip.ParseAddr(s)
	// Upstream accepts what inet_pton accepts: no zones, no host names.
	if err != nil || ip.Zone() != "" {
		return nil, errors.New("invalid interface")
	}
	return ip, nil
}

func parsePort(s string) (any, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 || strings.HasPrefix(s, "+") {
		return nil, fmt.Errorf("invalid port %s (0 to 65535)", s)
	}
	return uint16(n), nil
}

// tlsMode is a listener's TLS.
type tlsMode uint8

const (
	tlsNone tlsMode = iota + 1
	tlsStartTLS
	tlsImplicit
)

func (m tlsMode) String() string {
	switch m {
	case tlsNone:
		return "none"
	case tlsStartTLS:
		return "starttls"
	case tlsImplicit:
		return "implicit"
	}
	return "default"
}

func parseTLSMode(s string) (any, error) {
	for _, m := range []tlsMode{tlsNone, tlsStartTLS, tlsImplicit} {
		if strings.EqualFold(s, m.String()) {
			return m, nil
		}
	}
	return nil, fmt.Errorf("invalid TLS mode %s (none, starttls or implicit)", s)
}

// listenSpec is one listener: address, port and TLS mode (0 means the tls setting).
type listenSpec struct {
	addr netip.AddrPort
	mode tlsMode
}

func parseListen(s string) (any, error) {
	addr, modeText, hasMode := strings.Cut(s, "/")
	var l listenSpec
	if hasMode {
		m, err := parseTLSMode(modeText)
		if err != nil {
			return nil, err
		}
		l.mode = m.(tlsMode)
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || ap.Addr().Zone() != "" {
		return nil, fmt.Errorf("invalid listener %s (IP:PORT or [IPv6]:PORT, optionally /MODE)", s)
	}
	l.addr = ap
	return l, nil
}

func parseHostname(s string) (any, error) {
	if s == "" || len(s) > 255 {
		return nil, fmt.Errorf("invalid host name %s", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			// The name goes into replies and the Received header: nothing that could
			// change their syntax.
			return nil, fmt.Errorf("invalid host name %s (letters, digits, '.' and '-' only)", s)
		}
	}
	return s, nil
}

// parseDuration accepts seconds as a plain number, as msmtp's timeout does, or a Go
// duration.
func parseDuration(s string) (any, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return nil, fmt.Errorf("invalid duration %s (seconds, or a number with a unit such as 90s, 5m, 1h)", s)
	}
	return d, nil
}

func parseSize(s string) (any, error) {
	num, mult := s, int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			num, mult = s[:n-1], 1<<10
		case 'm', 'M':
			num, mult = s[:n-1], 1<<20
		case 'g', 'G':
			num, mult = s[:n-1], 1<<30
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(num, "+") || n > (1<<62)/mult {
		return nil, fmt.Errorf("invalid size %s (bytes, optionally with a k, M or G suffix)", s)
	}
	return n * mult, nil
}

func parseCount(s string) (any, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || strings.HasPrefix(s, "+") {
		return nil, fmt.Errorf("invalid number %s", s)
	}
	return n, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %s (true or false)", s)
}

func parseNetwork(s string) (any, error) {
	if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Zone() == "" {
		return p.Masked(), nil
	}
	if ip, err := netip.ParseAddr(s); err == nil && ip.Zone() == "" {
		return netip.PrefixFrom(ip, ip.BitLen()), nil
	}
	return nil, fmt.Errorf("invalid network %s (an address or address/bits)", s)
}

// queueSpec is the queue setting: off, on with the default directory, or on in dir.
type queueSpec struct {
	on  bool
	dir string
}

// parseQueue reads the queue setting: empty (--queue without a directory) or a boolean
// word, else the directory.
func parseQueue(s string) (any, error) {
	if s == "" {
		return queueSpec{on: true}, nil
	}
	if b, err := parseBool(s); err == nil {
		return queueSpec{on: b}, nil
	}
	return queueSpec{on: true, dir: s}, nil
}

// parseQueueDuration reads a queue duration as msmtprc's queue_retry_min does, so that
// both programs take the same values.
func parseQueueDuration(s string) (any, error) {
	d, err := config.ParseDuration(s)
	if err != nil {
		return nil, fmt.Errorf("invalid duration %s (seconds, or numbers with the units s, m, h and d such as 30m, 1h30m, 5d)", s)
	}
	return d, nil
}

// authSpec is --auth's value.
type authSpec struct {
	user, passwordEval string
	hasEval            bool
}

func parseAuth(s string) (any, error) {
	user, eval, hasEval := strings.Cut(s, ",")
	if _, err := parseUserName(user); err != nil {
		return nil, err
	}
	return authSpec{user: user, passwordEval: eval, hasEval: hasEval}, nil
}

func parseUserName(s string) (any, error) {
	if s == "" {
		return nil, errors.New("empty user name")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return nil, errors.New("control characters in the user name")
		}
	}
	return s, nil
}
