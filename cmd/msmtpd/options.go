package main

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/msmtp-go/msmtp/pkg/getopt"
	"github.com/msmtp-go/msmtp/pkg/queue"
)

// invocation is what the command line asks for, before the other sources are read.
type invocation struct {
	// program is argv[0] as typed: upstream prefixes every message with it.
	program       string
	version, help bool
	// config is --config; configGiven tells --config= from no --config.
	config      string
	configGiven bool
	// flags are the settings given as options, checked.
	flags values
}

// Options that are not settings: they say what to do rather than how.
const (
	optVersion = "version"
	optHelp    = "help"
	optConfig  = "config"
)

// usageError is a command-line or configuration problem: msmtpd cannot start (exit 3).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// optionTable is the getopt table: the settings that have an option, plus --version,
// --help and --config.
func optionTable(table []setting) []getopt.Option {
	opts := []getopt.Option{
		{Name: optVersion, Long: "version"},
		{Name: optHelp, Long: "help"},
	}
	for _, s := range table {
		if s.flag == "" {
			continue
		}
		arg := getopt.RequiredArgument
		switch {
		case s.kind == kindBool:
			arg = getopt.NoArgument
		case s.optionalArg:
			arg = getopt.OptionalArgument
		}
		opts = append(opts, getopt.Option{Name: s.key, Short: s.short, Long: s.flag, Arg: arg})
	}
	return append(opts, getopt.Option{Name: optConfig, Long: "config", Arg: getopt.RequiredArgument})
}

// parseArgs reads the command line in upstream msmtpd's order: option syntax and empty
// values while scanning, then (unless --version or --help ends the run) operands, then the
// values themselves.
func parseArgs(args []string, table []setting, lookupEnv func(string) (string, bool)) (*invocation, error) {
	p := &getopt.Parser{Options: optionTable(table), LookupEnv: lookupEnv}
	sc := p.Scan(args)
	inv := &invocation{program: "msmtpd", flags: values{}}
	if len(args) > 0 {
		inv.program = args[0]
	}
	type given struct {
		s   setting
		res getopt.Result
	}
	var settings []given
	for sc.Next() {
		r := sc.Result()
		if r.Option.Arg == getopt.RequiredArgument && r.Arg == "" {
			return nil, usagef("option '%s' requires non-empty argument", r.Spelling)
		}
		switch r.Name {
		case optVersion:
			inv.version = true
		case optHelp:
			inv.help = true
		case optConfig:
			inv.config, inv.configGiven = r.Arg, true
		default:
			s, _ := lookupSetting(table, r.Name)
			settings = append(settings, given{s, r})
		}
	}
	if err := sc.Err(); err != nil {
		var ge *getopt.Error
		if errors.As(err, &ge) {
			// getopt's message already names the program.
			return nil, &usageError{msg: ge.Message()}
		}
		return nil, err
	}
	if inv.version || inv.help {
		return inv, nil
	}
	if len(sc.Operands()) > 0 {
		return nil, usagef("too many arguments")
	}
	for _, g := range settings {
		raw := g.res.Arg
		if g.s.kind == kindBool {
			raw = "true"
		}
		if err := inv.flags.add(g.s, fromFlag, g.res.Spelling, raw); err != nil {
			if g.s.key == "interface" {
				return nil, usagef("invalid interface")
			}
			return nil, usagef("invalid argument %s for %s", raw, g.res.Spelling)
		}
	}
	return inv, nil
}

// readEnv adds the settings given as MSMTPD_* environment variables. An empty variable counts
// as unset (compose files often leave them empty). A secret setting may instead name a file
// in ENV_FILE, whose content (without its final line end) is the value.
func readEnv(vs values, table []setting, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) error {
	for _, s := range table {
		if s.env == "" {
			continue
		}
		raw, ok := lookupEnv(s.env)
		ok = ok && raw != ""
		origin := s.env
		if s.secret {
			if name, fok := lookupEnv(s.env + "_FILE"); fok && name != "" {
				if ok {
					return usagef("cannot use both %s and %s_FILE", s.env, s.env)
				}
				content, err := readFile(name)
				if err != nil {
					return usagef("%s_FILE: %s", s.env, strerror(err))
				}
				raw, ok, origin = trimFinalNewline(string(content)), true, s.env+"_FILE"
			}
		}
		if !ok {
			continue
		}
		items := []string{raw}
		if s.kind == kindList {
			items = strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
		}
		for _, item := range items {
			if err := vs.add(s, fromEnv, origin, item); err != nil {
				return usagef("%s: %v", origin, err)
			}
		}
	}
	return nil
}

// trimFinalNewline removes one final LF or CRLF, which secret files usually end with.
func trimFinalNewline(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// readConfigFile adds the settings of a TOML configuration file (docs/msmtpd.toml is the
// commented sample). Unknown keys are errors: a misspelt setting must not be silently
// ignored.
func readConfigFile(vs values, table []setting, name string, data []byte, readFile func(string) ([]byte, error)) error {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return usagef("%s:%d: %s", name, perr.Position.Line, perr.Message)
		}
		return usagef("%s: %v", name, err)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		s, ok := lookupSetting(table, key)
		viaFile := false
		if !ok {
			base, isFile := strings.CutSuffix(key, "_file")
			if s, ok = lookupSetting(table, base); !ok || !isFile || !s.secret {
				return usagef("%s: unknown setting %s", name, key)
			}
			if _, both := doc[base]; both {
				return usagef("%s: cannot use both %s and %s", name, base, key)
			}
			viaFile = true
		}
		if err := addTOMLValue(vs, s, name, key, doc[key], viaFile, readFile); err != nil {
			return err
		}
	}
	return nil
}

func addTOMLValue(vs values, s setting, file, key string, v any, viaFile bool, readFile func(string) ([]byte, error)) error {
	bad := func(format string, args ...any) error {
		return usagef("%s: %s: %s", file, key, fmt.Sprintf(format, args...))
	}
	if s.kind == kindUsers {
		return addTOMLUsers(vs, s, file, v, readFile)
	}
	var items []any
	switch v := v.(type) {
	case []any:
		if s.kind != kindList {
			return bad("a list is not allowed here")
		}
		items = v
	default:
		items = []any{v}
	}
	for _, item := range items {
		var raw string
		switch item := item.(type) {
		case string:
			raw = item
		case int64:
			raw = fmt.Sprint(item)
		case bool:
			if s.kind != kindBool && !s.orBool {
				return bad("expected a string, not true or false")
			}
			raw = fmt.Sprint(item)
		default:
			return bad("expected a string or a number")
		}
		if viaFile {
			content, err := readFile(raw)
			if err != nil {
				return bad("%s", strerror(err))
			}
			raw = trimFinalNewline(string(content))
		}
		if err := vs.add(s, fromFile, file, raw); err != nil {
			return bad("%v", err)
		}
	}
	return nil
}

// userSpec is one user who may authenticate, and where the password comes from.
type userSpec struct {
	name string
	// password is a stored password (bcrypt hash or plain text) when hasPassword.
	password    string
	hasPassword bool
	// passwordEval is a command that prints the password when hasEval.
	passwordEval string
	hasEval      bool
	// literal: the password is compared as plain text even if it looks like a bcrypt hash
	// (upstream's --auth compares literally).
	literal bool
}

func addTOMLUsers(vs values, s setting, file string, v any, readFile func(string) ([]byte, error)) error {
	tables, ok := v.([]map[string]any)
	if !ok {
		return usagef("%s: user: expected [[user]] tables", file)
	}
	for i, t := range tables {
		bad := func(format string, args ...any) error {
			return usagef("%s: user #%d: %s", file, i+1, fmt.Sprintf(format, args...))
		}
		var u userSpec
		str := func(k string) (string, bool, error) {
			x, ok := t[k]
			if !ok {
				return "", false, nil
			}
			s, isStr := x.(string)
			if !isStr {
				return "", false, bad("%s must be a string", k)
			}
			return s, true, nil
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !slices.Contains([]string{"name", "password", "password_file", "passwordeval"}, k) {
				return bad("unknown key %s (name, password, password_file, passwordeval)", k)
			}
		}
		name, _, err := str("name")
		if err != nil {
			return err
		}
		if _, err := parseUserName(name); err != nil {
			return bad("name: %v", err)
		}
		u.name = name
		pw, hasPW, err := str("password")
		if err != nil {
			return err
		}
		pwFile, hasPWFile, err := str("password_file")
		if err != nil {
			return err
		}
		eval, hasEval, err := str("passwordeval")
		if err != nil {
			return err
		}
		n := 0
		for _, b := range []bool{hasPW, hasPWFile, hasEval} {
			if b {
				n++
			}
		}
		if n > 1 {
			return bad("give only one of password, password_file and passwordeval")
		}
		if hasPWFile {
			content, err := readFile(pwFile)
			if err != nil {
				return bad("password_file: %s", strerror(err))
			}
			pw, hasPW = trimFinalNewline(string(content)), true
		}
		u.password, u.hasPassword = pw, hasPW
		u.passwordEval, u.hasEval = eval, hasEval
		vs[s.key] = append(vs[s.key], value{src: fromFile, origin: file, v: u})
	}
	return nil
}

// addDefaults adds the built-in defaults of the table.
func addDefaults(vs values, table []setting) {
	for _, s := range table {
		if s.def != "" {
			if err := vs.add(s, fromDefault, "default", s.def); err != nil {
				panic("msmtpd: bad default for " + s.key + ": " + err.Error())
			}
		}
	}
}

// options are the settings, resolved and checked: what the rest of msmtpd works with.
type options struct {
	inetd     bool
	listeners []listenSpec // every mode resolved (never 0)
	hostname  string
	log       string

	// Delivery: a pipe command, or in-process with an msmtprc account.
	inProcess      bool
	command        string // "" means the default command
	commandTimeout time.Duration
	account        string
	accountGiven   bool
	msmtprc        string
	msmtprcGiven   bool

	users             []userSpec
	allowInsecureAuth bool
	allowNetworks     []netip.Prefix

	tlsCertFile, tlsKeyFile string
	tlsSelfSigned           bool

	maxMessageSize  int64
	maxRecipients   int
	maxSessions     int
	timeout         time.Duration
	shutdownTimeout time.Duration
	spoolDir        string
	portFile        string

	// The queue: on or off; its directory ("" = the default); the retry policy.
	queue    bool
	queueDir string
	backoff  queue.Backoff
	// queueFS replaces the queue's file system in tests (a full disk).
	queueFS queue.FS
}

// get returns the value of a single-valued setting.
func get[T any](r values, key string) (T, bool) {
	vals := r[key]
	if len(vals) == 0 {
		var zero T
		return zero, false
	}
	return vals[len(vals)-1].v.(T), true
}

// getAll returns the values of a list setting.
func getAll[T any](r values, key string) []T {
	var out []T
	for _, v := range r[key] {
		out = append(out, v.v.(T))
	}
	return out
}

// buildOptions turns resolved values into options and checks how they fit together.
func buildOptions(r values) (*options, error) {
	o := &options{}
	o.inetd, _ = get[bool](r, "inetd")
	o.hostname, _ = get[string](r, "hostname")
	o.log, _ = get[string](r, "log")
	o.command, _ = get[string](r, "command")
	o.commandTimeout, _ = get[time.Duration](r, "command_timeout")
	o.account, o.accountGiven = get[string](r, "account")
	o.msmtprc, o.msmtprcGiven = get[string](r, "msmtprc")
	o.inProcess = o.accountGiven || o.msmtprcGiven
	o.allowInsecureAuth, _ = get[bool](r, "allow_insecure_auth")
	o.allowNetworks = getAll[netip.Prefix](r, "allow_network")
	o.tlsCertFile, _ = get[string](r, "tls_cert_file")
	o.tlsKeyFile, _ = get[string](r, "tls_key_file")
	o.tlsSelfSigned, _ = get[bool](r, "tls_self_signed")
	o.maxMessageSize, _ = get[int64](r, "max_message_size")
	o.maxRecipients, _ = get[int](r, "max_recipients")
	o.maxSessions, _ = get[int](r, "max_sessions")
	o.timeout, _ = get[time.Duration](r, "timeout")
	o.shutdownTimeout, _ = get[time.Duration](r, "shutdown_timeout")
	o.spoolDir, _ = get[string](r, "spool_dir")
	o.portFile, _ = get[string](r, "port_file")

	if q, ok := get[queueSpec](r, "queue"); ok && q.on {
		o.queue = true
		o.queueDir = q.dir
		if o.queueDir == "" {
			o.queueDir, _ = get[string](r, "queue_dir")
		}
	}
	o.backoff.Initial, _ = get[time.Duration](r, "queue_retry_min")
	o.backoff.Max, _ = get[time.Duration](r, "queue_retry_max")
	o.backoff.Expiry, _ = get[time.Duration](r, "queue_expire")
	if (o.tlsCertFile == "") != (o.tlsKeyFile == "") {
		return nil, usagef("tls_cert_file and tls_key_file must be given together")
	}
	haveCert := o.tlsCertFile != "" || o.tlsSelfSigned
	defMode := tlsNone
	if haveCert {
		defMode = tlsStartTLS
	}
	if m, ok := get[tlsMode](r, "tls"); ok {
		defMode = m
	}
	if specs := getAll[listenSpec](r, "listen"); len(specs) > 0 {
		o.listeners = specs
	} else {
		ip, _ := get[netip.Addr](r, "interface")
		port, _ := get[uint16](r, "port")
		o.listeners = []listenSpec{{addr: netip.AddrPortFrom(ip, port)}}
	}
	for i := range o.listeners {
		if o.listeners[i].mode == 0 {
			o.listeners[i].mode = defMode
		}
		if o.listeners[i].mode != tlsNone && !haveCert {
			return nil, usagef("TLS (%s on %s) needs a certificate: tls_cert_file and tls_key_file, or tls_self_signed",
				o.listeners[i].mode, o.listeners[i].addr)
		}
	}

	users, err := buildUsers(r)
	if err != nil {
		return nil, err
	}
	o.users = users
	return o, nil
}

func buildUsers(r values) ([]userSpec, error) {
	var users []userSpec
	if a, ok := get[authSpec](r, "auth"); ok {
		users = append(users, userSpec{name: a.user, passwordEval: a.passwordEval, hasEval: a.hasEval, literal: true})
	}
	name, hasUser := get[string](r, "auth_user")
	pw, hasPW := get[string](r, "auth_password")
	eval, hasEval := get[string](r, "auth_passwordeval")
	switch {
	case (hasPW || hasEval) && !hasUser:
		return nil, usagef("auth_password and auth_passwordeval need auth_user")
	case hasPW && hasEval:
		return nil, usagef("cannot use both auth_password and auth_passwordeval")
	case hasUser:
		users = append(users, userSpec{name: name, password: pw, hasPassword: hasPW, passwordEval: eval, hasEval: hasEval})
	}
	users = append(users, getAll[userSpec](r, "user")...)
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u.name] {
			return nil, usagef("user %s is defined twice", u.name)
		}
		seen[u.name] = true
	}
	return users, nil
}

// loadOptions reads every source and resolves the options: defaults, then the configuration
// file, then the environment, then the command line.
func loadOptions(inv *invocation, table []setting, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (*options, error) {
	vs := values{}
	addDefaults(vs, table)
	configFile, hasConfig := inv.config, inv.configGiven
	if !hasConfig {
		if name, ok := lookupEnv("MSMTPD_CONFIG"); ok && name != "" {
			configFile, hasConfig = name, true
		}
	}
	if hasConfig {
		data, err := readFile(configFile)
		if err != nil {
			return nil, usagef("%s", strerror(err))
		}
		if err := readConfigFile(vs, table, configFile, data, readFile); err != nil {
			return nil, err
		}
	}
	if err := readEnv(vs, table, lookupEnv, readFile); err != nil {
		return nil, err
	}
	for k, v := range inv.flags {
		vs[k] = append(vs[k], v...)
	}
	r, err := vs.resolve(table)
	if err != nil {
		return nil, err
	}
	return buildOptions(r)
}
