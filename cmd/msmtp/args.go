package main

// The command line of msmtp and of its sendmail personality: upstream's option table
// (spec-cli-config.md §1.2–§1.5, §1.7), plus the sendmail(8) and Postfix sendmail(1) options
// that real callers pass (peers.md §4), parsed with pkg/getopt.

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/getopt"
)

// Mode is what an msmtp run does.
type Mode int

// The modes. Upstream has the first four; the others are our sendmail-compatibility
// additions.
const (
	// ModeSendmail reads a mail on standard input and sends it (the default).
	ModeSendmail Mode = iota
	// ModeNone means --version, --help or --configure switched sendmail mode off and no
	// other mode was chosen: the run does only what those options ask for.
	ModeNone
	// ModeServerInfo is --serverinfo / -S.
	ModeServerInfo
	// ModeRMQS is --rmqs=ARG: send ETRN ARG.
	ModeRMQS
	// ModeSMTP is sendmail's -bs: an SMTP dialogue on standard input and output.
	ModeSMTP
	// ModeQueueList is sendmail's -bp, or running as "mailq": list the queue.
	ModeQueueList
	// ModeQueueRun is sendmail's -q[...]: deliver the queued mail ([Invocation.QueueRun]).
	ModeQueueRun
	// ModeNewAliases is sendmail's -bi or -I, or running as "newaliases": there is no alias
	// database to rebuild, so this does nothing and exits 0.
	ModeNewAliases
	// ModeOAuth2Login is --oauth2-login (our extension): authorize msmtp for the account's
	// OAuth2 provider and store the tokens (docs/oauth2.md).
	ModeOAuth2Login
	// ModeQueueDrop is --queue-drop=ID (our extension): remove messages from the queue
	// ([Invocation.QueueIDs]).
	ModeQueueDrop
	// ModeQueuePurge is --queue-purge (our extension): remove every queued message.
	ModeQueuePurge
	// ModeQueueHelp is msmtp-queue's -h: show how the msmtpq management options map onto
	// ours.
	ModeQueueHelp
)

// String names the mode ("sendmail", "serverinfo", "queue-run", ...).
func (m Mode) String() string {
	switch m {
	case ModeSendmail:
		return "sendmail"
	case ModeNone:
		return "none"
	case ModeServerInfo:
		return "serverinfo"
	case ModeRMQS:
		return "rmqs"
	case ModeSMTP:
		return "smtp"
	case ModeQueueList:
		return "queue-list"
	case ModeQueueRun:
		return "queue-run"
	case ModeNewAliases:
		return "newaliases"
	case ModeOAuth2Login:
		return "oauth2-login"
	case ModeQueueDrop:
		return "queue-drop"
	case ModeQueuePurge:
		return "queue-purge"
	case ModeQueueHelp:
		return "queue-help"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// StringArg is the value of a string option that may be absent.
type StringArg struct {
	Value string
	Given bool
}

// QueueField is what a queue-run filter (-qI, -qR, -qS, -qQ) matches against.
type QueueField byte

// The sendmail(8) queue-run filter fields.
const (
	QueueID         QueueField = 'I' // the queue identifier
	QueueRecipient  QueueField = 'R' // a recipient address
	QueueSender     QueueField = 'S' // the envelope sender
	QueueQuarantine QueueField = 'Q' // the quarantine reason
)

// QueueFilter limits a queue run (or a queue listing) to the items whose Field contains
// Substring, or with Negate to the items whose Field does not.
type QueueFilter struct {
	Field     QueueField
	Negate    bool
	Substring string
}

// QueueRun is what the -q options asked for. Several -q options combine, as in sendmail:
// filters accumulate and the last interval wins.
type QueueRun struct {
	// Args are the -q arguments as given, in order ("" for a bare -q).
	Args []string
	// Interval is the time between queue runs ("-q30m"); 0 means one run.
	Interval time.Duration
	// Persistent is -qp: keep running the queue.
	Persistent bool
	// Foreground is -qf: run in the foreground.
	Foreground bool
	// Group is the queue group of -qGNAME.
	Group string
	// Filters are the -q[!]I/R/S/Q filters, in order.
	Filters []QueueFilter
}

// Invocation is the parsed command line: everything except the account settings, which
// go to the [SettingSink] as they are parsed.
type Invocation struct {
	// Argv0 is argv[0] verbatim; getopt's diagnostics are prefixed with it.
	Argv0 string
	// Program is the base name of argv[0] (without ".exe" on Windows): the prefix of
	// msmtp's own messages and the name in the --help usage lines.
	Program string

	// Mode is what the run does.
	Mode Mode
	// Version is --version, or -d0.1 / --debug=0.1 (sendmail's way to ask for it).
	Version bool
	// Help is --help.
	Help bool
	// Configure is --configure=ADDRESS. It is run even when Help or Version is set.
	Configure StringArg
	// RMQS is the argument of --rmqs (meaningful in ModeRMQS).
	RMQS string

	// Pretend is --pretend / -P: print the configuration, do nothing.
	Pretend bool
	// Debug is --debug / -d / -v: print the configuration and the session.
	Debug bool

	// ReadRecipients is --read-recipients / -t.
	ReadRecipients bool
	// ReadEnvelopeFrom is --read-envelope-from.
	ReadEnvelopeFrom bool
	// From is the envelope sender of --from / -f / -r (also passed to the SettingSink as
	// "from"). "<>" has already been turned into the empty address.
	From StringArg
	// FromOption is the option that gave From, as spelled: "-f", "-r" or "--from".
	FromOption string
	// Account is --account / -a.
	Account StringArg
	// File is --file / -C, verbatim (no "~" expansion, as upstream).
	File StringArg
	// HostGiven is set by --host (its value goes to the SettingSink as "host"): use
	// command-line settings only and read no configuration file.
	HostGiven bool

	// IgnoreDots is sendmail's -i, -oi or -O IgnoreDots: a line with a lone "." does not
	// end the mail. Without it, sendmail callers expect such a line to end the input.
	IgnoreDots bool
	// EnvelopeID is -V ENVID, the DSN envelope identifier (RFC 3461 ENVID).
	EnvelopeID StringArg
	// BodyType is the argument of -B (7BIT, 8BITMIME, BINARYMIME); upstream ignores it.
	BodyType string
	// QueueRun holds the -q options.
	QueueRun QueueRun
	// QueueOnly is --queue-only, or running as "msmtpq": the mail is stored in the queue
	// without an attempt to send it; `msmtp -q` sends it.
	QueueOnly bool
	// QueueForce is --force: a queue run tries every message now, whatever its back-off.
	QueueForce bool
	// QueueIDs are the messages of --queue-drop, or those msmtp-queue -R sends.
	QueueIDs []string
	// OAuth2Redirect is --redirect: --oauth2-login authorizes in a browser with a loopback
	// redirect instead of the device code flow.
	OAuth2Redirect bool

	// Recipients are the operands, in order, unparsed: one argument may hold several
	// addresses ("a@x, b@y"); the message package's address-list parser splits them.
	Recipients []string
}

// SettingSink receives the account and sendmail settings of the command line (the
// options listed by [SettingOptions]), one at a time and in command-line order, so that
// the first invalid one is the one reported.
type SettingSink interface {
	// Set applies one option. option is the name listed by SettingOptions: the long
	// option name without dashes ("port", "dsn-notify"), "timeout" for --connect-timeout,
	// "from" for -f and -r, and "from-full-name" for -F. arg is nil when the option was
	// given without an argument (only possible for optional-argument options). An error's
	// text is the whole message, for example "invalid argument bogus for --dsn-notify";
	// it is printed as "PROGRAM: TEXT" with exit status 64.
	Set(option string, arg *string) error
}

// SettingOption is one command-line option that sets an account or sendmail setting.
type SettingOption struct {
	// Name is the name passed to SettingSink.Set.
	Name string
	// Arg says whether the option takes an argument.
	Arg getopt.ArgKind
}

// ParseConfig holds what ParseArgs needs besides argv.
type ParseConfig struct {
	// LookupEnv reads the environment (os.LookupEnv in production); only POSIXLY_CORRECT
	// is consulted. nil means an empty environment.
	LookupEnv func(key string) (string, bool)
	// Settings receives the account settings as they are parsed. nil discards them.
	Settings SettingSink
	// GOOS decides how argv[0] is reduced to a program name (on "windows" both slashes
	// separate directories and ".exe" is dropped). "" means runtime.GOOS.
	GOOS string
}

// Errors for errors.Is. Each reaches the caller wrapped in a *UsageError whose text is
// the one upstream prints.
var (
	ErrHostAndAccount          = errors.New("cannot use both --host and --account")
	ErrFromAndReadEnvelopeFrom = errors.New("cannot use both --from and --read-envelope-from")
	ErrServerInfoAndRMQS       = errors.New("cannot use both --serverinfo and --rmqs")
	ErrTooManyArguments        = errors.New("too many arguments")
	// ErrUnsupportedMode is a -b operation mode that is not implemented.
	ErrUnsupportedMode = errors.New("unsupported operation mode")
	// ErrInvalidArgument is an argument of one of our sendmail options (-q) that does not
	// parse.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrRedirectWithoutLogin is --redirect without --oauth2-login.
	ErrRedirectWithoutLogin = errors.New("--redirect requires --oauth2-login")
	// ErrForceWithoutQueueRun is --force without -q or --flush.
	ErrForceWithoutQueueRun = errors.New("--force requires -q or --flush")
	// ErrQueueManagement is an msmtpq --q-mgmt (msmtp-queue) option we do not have.
	ErrQueueManagement = errors.New("unknown queue management option")
	// ErrQueueIDsMissing is msmtp-queue -R or -p without message IDs: we never ask for
	// them interactively.
	ErrQueueIDsMissing = errors.New("give the queue IDs of the messages (as mailq shows them)")
)

// UsageError is a command-line error: exit status 64 (EX_USAGE), message on stderr.
type UsageError struct {
	// Prefix is what the message is prefixed with: argv[0] verbatim for getopt's own
	// errors, the program name for msmtp's.
	Prefix string
	// Text is the message without the prefix.
	Text string
	// Err is the cause: a *getopt.Error, one of the Err* values above, or the
	// SettingSink's error.
	Err error
}

// Error returns the line to print, "PREFIX: TEXT".
func (e *UsageError) Error() string { return e.Prefix + ": " + e.Text }

// Unwrap returns the cause.
func (e *UsageError) Unwrap() error { return e.Err }

// action says what an option does.
type action uint8

const (
	actSetting          action = iota // passed to the SettingSink
	actIgnore                         // accepted and ignored (argument consumed)
	actVersion                        // --version
	actHelp                           // --help
	actConfigure                      // --configure
	actPretend                        // -P
	actDebug                          // -d, -v
	actServerInfo                     // -S
	actRMQS                           // --rmqs
	actFile                           // -C
	actAccount                        // -a
	actHost                           // --host (also a setting)
	actFrom                           // -f, -r (also a setting)
	actReadRecipients                 // -t
	actReadEnvelopeFrom               // --read-envelope-from
	actMode                           // -b
	actIgnoreDots                     // -i
	actSendmailOption                 // -o
	actSendmailLongOpt                // -O
	actBodyType                       // -B
	actEnvelopeID                     // -V
	actQueueRun                       // -q
	actNewAliases                     // -I
	actOAuth2Login                    // --oauth2-login
	actRedirect                       // --redirect
	actQueueOnly                      // --queue-only
	actFlush                          // --flush
	actForce                          // --force
	actQueueList                      // --queue-list
	actQueueDrop                      // --queue-drop
	actQueuePurge                     // --queue-purge
)

// optionSpec is one row of msmtp's option table.
type optionSpec struct {
	short   byte
	long    string
	arg     getopt.ArgKind
	act     action
	setting string // the SettingSink name, for actSetting, actHost and actFrom
}

// options returns msmtp's option table. The long options are in upstream's order (HEAD,
// 1.8.33), because glibc lists ambiguous candidates in table order
// (`--tls-c` → '--tls-crl-file' '--tls-cert-file' '--tls-certcheck'), followed by our
// own long options (--oauth2-login, --redirect, then the queue's); the short-only options
// follow, upstream's first, then our sendmail additions.
func options() []optionSpec {
	const (
		no  = getopt.NoArgument
		req = getopt.RequiredArgument
		opt = getopt.OptionalArgument
	)
	return []optionSpec{
		{long: "version", arg: no, act: actVersion},
		{long: "help", arg: no, act: actHelp},
		{long: "configure", arg: req, act: actConfigure},
		{short: 'P', long: "pretend", arg: no, act: actPretend},
		// sendmail's -d takes a debug spec; only -d0.1 means something (print the version).
		{short: 'd', long: "debug", arg: opt, act: actDebug},
		{short: 'S', long: "serverinfo", arg: no, act: actServerInfo},
		{long: "rmqs", arg: req, act: actRMQS},
		{short: 'C', long: "file", arg: req, act: actFile},
		{short: 'a', long: "account", arg: req, act: actAccount},
		{long: "host", arg: req, act: actHost, setting: "host"},
		{long: "port", arg: req, setting: "port"},
		{long: "timeout", arg: req, setting: "timeout"},
		// The name of versions <= 1.4.1; upstream reports its errors as --timeout.
		{long: "connect-timeout", arg: req, setting: "timeout"},
		{long: "auto-from", arg: opt, setting: "auto-from"},
		{short: 'f', long: "from", arg: req, act: actFrom, setting: "from"},
		{long: "maildomain", arg: req, setting: "maildomain"},
		{long: "auth", arg: opt, setting: "auth"},
		{long: "user", arg: req, setting: "user"},
		{long: "passwordeval", arg: req, setting: "passwordeval"},
		{long: "tls", arg: opt, setting: "tls"},
		{long: "tls-starttls", arg: opt, setting: "tls-starttls"},
		{long: "tls-trust-file", arg: req, setting: "tls-trust-file"},
		{long: "tls-crl-file", arg: req, setting: "tls-crl-file"},
		{long: "tls-fingerprint", arg: req, setting: "tls-fingerprint"},
		{long: "tls-key-file", arg: req, setting: "tls-key-file"},
		{long: "tls-cert-file", arg: req, setting: "tls-cert-file"},
		{long: "tls-certcheck", arg: opt, setting: "tls-certcheck"},
		{long: "tls-force-sslv3", arg: opt, setting: "tls-force-sslv3"},
		{long: "tls-min-dh-prime-bits", arg: req, setting: "tls-min-dh-prime-bits"},
		{long: "tls-priorities", arg: req, setting: "tls-priorities"},
		{long: "tls-host-override", arg: req, setting: "tls-host-override"},
		{short: 'N', long: "dsn-notify", arg: req, setting: "dsn-notify"},
		{short: 'R', long: "dsn-return", arg: req, setting: "dsn-return"},
		{long: "protocol", arg: req, setting: "protocol"},
		{long: "domain", arg: req, setting: "domain"},
		{short: 'X', long: "logfile", arg: req, setting: "logfile"},
		{long: "logfile-time-format", arg: req, setting: "logfile-time-format"},
		{long: "syslog", arg: opt, setting: "syslog"},
		{long: "aliases", arg: req, setting: "aliases"},
		{long: "proxy-host", arg: req, setting: "proxy-host"},
		{long: "proxy-port", arg: req, setting: "proxy-port"},
		{long: "add-missing-from-header", arg: opt, setting: "add-missing-from-header"},
		{long: "add-missing-date-header", arg: opt, setting: "add-missing-date-header"},
		{long: "set-from-header", arg: opt, setting: "set-from-header"},
		{long: "set-date-header", arg: opt, setting: "set-date-header"},
		{long: "set-msgid-header", arg: opt, setting: "set-msgid-header"},
		{long: "set-to-header", arg: opt, setting: "set-to-header"},
		{long: "remove-bcc-headers", arg: opt, setting: "remove-bcc-headers"},
		{long: "undisclosed-recipients", arg: opt, setting: "undisclosed-recipients"},
		{long: "source-ip", arg: req, setting: "source-ip"},
		{long: "socket", arg: req, setting: "socket"},
		{long: "keepbcc", arg: opt, setting: "keepbcc"},
		{short: 't', long: "read-recipients", arg: no, act: actReadRecipients},
		{long: "read-envelope-from", arg: no, act: actReadEnvelopeFrom},
		// Our long options, after upstream's so that its ambiguity messages keep their order.
		{long: "oauth2-login", arg: no, act: actOAuth2Login},
		{long: "redirect", arg: no, act: actRedirect},
		// The queue (docs/queue.md). --queue and --queue-dir are msmtprc settings.
		{long: "queue", arg: opt, setting: "queue"},
		{long: "queue-dir", arg: req, setting: "queue-dir"},
		{long: "queue-only", arg: no, act: actQueueOnly},
		{long: "flush", arg: no, act: actFlush},
		{long: "force", arg: no, act: actForce},
		{long: "queue-list", arg: no, act: actQueueList},
		{long: "queue-drop", arg: req, act: actQueueDrop},
		{long: "queue-purge", arg: no, act: actQueuePurge},

		// Upstream's short-only options (its optstring).
		{short: 'A', arg: req, act: actIgnore},   // sendmail: -Ac / -Am, which .cf file
		{short: 'B', arg: req, act: actBodyType}, // body type
		{short: 'b', arg: req, act: actMode},     // operation mode
		{short: 'F', arg: req, setting: "from-full-name"},
		{short: 'G', arg: no, act: actIgnore},     // gateway submission
		{short: 'h', arg: req, act: actIgnore},    // hop count
		{short: 'i', arg: no, act: actIgnoreDots}, // lone dots do not end the mail
		{short: 'L', arg: req, act: actIgnore},    // syslog tag
		{short: 'm', arg: no, act: actIgnore},     // "me too" (obsolete)
		{short: 'n', arg: no, act: actIgnore},     // no aliasing
		{short: 'O', arg: req, act: actSendmailLongOpt},
		{short: 'o', arg: req, act: actSendmailOption},
		{short: 'v', arg: no, act: actDebug},

		// Our sendmail(8) / Postfix sendmail(1) additions.
		{short: 'r', arg: req, act: actFrom, setting: "from"}, // old name of -f
		{short: 'V', arg: req, act: actEnvelopeID},
		{short: 'q', arg: opt, act: actQueueRun},
		{short: 'I', arg: no, act: actNewAliases},
		{short: 'D', arg: req, act: actIgnore}, // sendmail: debug output file
		{short: 'e', arg: req, act: actIgnore}, // old sendmail: error mode (-oeX)
		{short: 'M', arg: req, act: actIgnore}, // sendmail: set a macro
		{short: 'p', arg: req, act: actIgnore}, // sendmail: protocol and host
		{short: 'Q', arg: opt, act: actIgnore}, // sendmail: quarantine reason
		{short: 'U', arg: no, act: actIgnore},  // initial user submission
	}
}

// name is the getopt name of a row: the long name, or the option letter.
func (o optionSpec) name() string {
	if o.long != "" {
		return o.long
	}
	return string([]byte{o.short})
}

// parser builds the getopt table from options().
func parser(lookupEnv func(string) (string, bool)) (*getopt.Parser, map[string]optionSpec) {
	specs := options()
	p := &getopt.Parser{LookupEnv: lookupEnv}
	byName := make(map[string]optionSpec, len(specs))
	for _, o := range specs {
		n := o.name()
		if o.long == "connect-timeout" {
			n = "timeout" // one option under two names, as in upstream's table
		} else {
			byName[n] = o
		}
		p.Options = append(p.Options, getopt.Option{Name: n, Short: o.short, Long: o.long, Arg: o.arg})
	}
	return p, byName
}

// SettingOptions lists the options that are passed to the SettingSink, with their
// argument kinds, in table order and without duplicates (--connect-timeout is "timeout").
func SettingOptions() []SettingOption {
	var out []SettingOption
	seen := map[string]bool{}
	for _, o := range options() {
		if o.setting == "" || seen[o.setting] {
			continue
		}
		seen[o.setting] = true
		out = append(out, SettingOption{Name: o.setting, Arg: o.arg})
	}
	return out
}

// ParseArgs parses msmtp's command line. argv[0] is the name msmtp was run as: its base
// name is the program name, and "mailq", "newaliases" and "msmtpq" change the mode as
// they do for sendmail (see ProgramName); "msmtp-queue", and "msmtpq --q-mgmt", take
// upstream msmtpq's management options instead of msmtp's (parseQueueManagement).
//
// Options are processed in command-line order, and the first error stops parsing, as
// upstream does: getopt's own errors and msmtp's conflicts ("cannot use both --host and
// --account") alike. Every error is a *UsageError (exit status 64). The check for
// operands in server-information and RMQS modes is separate (CheckOperands), because
// upstream makes it only after --help, --version and --configure were handled.
func ParseArgs(argv []string, cfg ParseConfig) (*Invocation, error) {
	goos := cfg.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	inv := &Invocation{Program: "msmtp"}
	if len(argv) > 0 {
		inv.Argv0 = argv[0]
		if p := ProgramName(argv[0], goos); p != "" {
			inv.Program = p
		}
	} else {
		argv = []string{""}
	}
	switch commandName(inv.Program, goos) {
	case "mailq":
		inv.Mode = ModeQueueList
	case "newaliases":
		inv.Mode = ModeNewAliases
	case "msmtpq":
		if len(argv) > 1 && argv[1] == "--q-mgmt" {
			return inv, parseQueueManagement(inv, argv[2:])
		}
		inv.QueueOnly = true
	case "msmtp-queue":
		return inv, parseQueueManagement(inv, argv[1:])
	}

	p, byName := parser(cfg.LookupEnv)
	st := &parseState{inv: inv, sink: cfg.Settings}
	s := p.Scan(argv)
	for s.Next() {
		r := s.Result()
		if err := st.apply(byName[r.Name], r); err != nil {
			return nil, err
		}
	}
	if err := s.Err(); err != nil {
		var ge *getopt.Error
		errors.As(err, &ge)
		return nil, &UsageError{Prefix: inv.Argv0, Text: ge.Message(), Err: err}
	}
	inv.Recipients = s.Operands()
	if inv.OAuth2Redirect && inv.Mode != ModeOAuth2Login {
		return nil, inv.usage(ErrRedirectWithoutLogin)
	}
	if inv.QueueForce && inv.Mode != ModeQueueRun {
		return nil, inv.usage(ErrForceWithoutQueueRun)
	}
	return inv, nil
}

// parseQueueManagement reads the command line of msmtp-queue, or of msmtpq --q-mgmt, the
// management front end of upstream's msmtpq script (spec-mail-smtp.md §9.1), and maps it
// onto our queue modes. Upstream takes one option: -r sends everything (our -q --force),
// -d lists (mailq; also with no option), -a purges everything (--queue-purge; upstream
// asks y/N first, we do not), -h shows the usage. Upstream's -R and -p ask which messages
// to send or purge; we never prompt, so they take the queue IDs as further arguments
// instead (-R → -q --force for those messages, -p → --queue-drop).
func parseQueueManagement(inv *Invocation, args []string) error {
	op, ids := "-d", []string(nil)
	if len(args) > 0 {
		op, ids = args[0], args[1:]
	}
	wantIDs := false
	switch op {
	case "-r":
		inv.Mode, inv.QueueForce = ModeQueueRun, true
	case "-R":
		inv.Mode, inv.QueueForce, wantIDs = ModeQueueRun, true, true
	case "-d":
		inv.Mode = ModeQueueList
	case "-p":
		inv.Mode, wantIDs = ModeQueueDrop, true
	case "-a":
		inv.Mode = ModeQueuePurge
	case "-h":
		inv.Mode = ModeQueueHelp
	default:
		err := fmt.Errorf("%w %s", ErrQueueManagement, op)
		return &UsageError{Prefix: inv.Program, Text: err.Error() + " (see " + inv.Program + " -h)", Err: err}
	}
	switch {
	case wantIDs && len(ids) == 0:
		return &UsageError{Prefix: inv.Program, Text: op + ": " + ErrQueueIDsMissing.Error(), Err: ErrQueueIDsMissing}
	case !wantIDs && len(ids) > 0:
		return inv.usage(ErrTooManyArguments)
	}
	if len(ids) > 0 {
		inv.QueueIDs = ids
	}
	if inv.Mode == ModeQueueRun {
		inv.QueueRun.Args = []string{""}
	}
	return nil
}

// CheckOperands reports upstream's "too many arguments" (a *UsageError wrapping
// ErrTooManyArguments) for recipients given in server-information or RMQS mode (and in
// our --oauth2-login, --queue-drop and --queue-purge modes). Call it after --version, --help and --configure were handled,
// as upstream does.
func (inv *Invocation) CheckOperands() error {
	switch inv.Mode {
	case ModeServerInfo, ModeRMQS, ModeOAuth2Login, ModeQueueDrop, ModeQueuePurge:
	default:
		return nil
	}
	if len(inv.Recipients) > 0 {
		return inv.usage(ErrTooManyArguments)
	}
	return nil
}

func (inv *Invocation) usage(err error) *UsageError {
	return &UsageError{Prefix: inv.Program, Text: err.Error(), Err: err}
}

// ProgramName returns the base name of argv0 as upstream prints it in messages: the part
// after the last "/" (on Windows after the last "/" or "\", and without a trailing ".exe"
// in any case).
func ProgramName(argv0, goos string) string {
	seps := "/"
	if goos == "windows" {
		seps = `/\`
	}
	name := argv0[strings.LastIndexAny(argv0, seps)+1:]
	if goos == "windows" && len(name) > 4 && strings.EqualFold(name[len(name)-4:], ".exe") {
		name = name[:len(name)-4]
	}
	return name
}

// commandName is the program name compared with "mailq", "newaliases", "msmtpq" and
// "msmtp-queue":
// case-insensitively on Windows, whose file names are.
func commandName(program, goos string) string {
	if goos == "windows" {
		return strings.ToLower(program)
	}
	return program
}

// parseState carries a parse in progress.
type parseState struct {
	inv  *Invocation
	sink SettingSink
}

// apply handles one option, in command-line order.
func (st *parseState) apply(o optionSpec, r getopt.Result) error {
	inv := st.inv
	switch o.act {
	case actSetting:
		return st.set(o.setting, r)
	case actIgnore:
	case actVersion, actHelp, actConfigure:
		switch o.act {
		case actVersion:
			inv.Version = true
		case actHelp:
			inv.Help = true
		default:
			inv.Configure = StringArg{Value: r.Arg, Given: true}
		}
		// Upstream switches sendmail mode off and forgets an earlier --serverinfo (but
		// not --rmqs).
		if inv.Mode == ModeSendmail || inv.Mode == ModeServerInfo {
			inv.Mode = ModeNone
		}
	case actPretend:
		inv.Pretend = true
	case actDebug:
		inv.Debug = true
		// sendmail's "-d0.1" prints the version; upstream ignores any other argument.
		if r.HasArg && r.Arg == "0.1" {
			inv.Version = true
		}
	case actServerInfo:
		if inv.Mode == ModeRMQS {
			return inv.usage(ErrServerInfoAndRMQS)
		}
		inv.Mode = ModeServerInfo
	case actRMQS:
		if inv.Mode == ModeServerInfo {
			return inv.usage(ErrServerInfoAndRMQS)
		}
		inv.Mode = ModeRMQS
		inv.RMQS = r.Arg
	case actFile:
		inv.File = StringArg{Value: r.Arg, Given: true}
	case actAccount:
		if inv.HostGiven {
			return inv.usage(ErrHostAndAccount)
		}
		inv.Account = StringArg{Value: r.Arg, Given: true}
	case actHost:
		if inv.Account.Given {
			return inv.usage(ErrHostAndAccount)
		}
		inv.HostGiven = true
		return st.set(o.setting, r)
	case actFrom:
		if inv.ReadEnvelopeFrom {
			return inv.usage(ErrFromAndReadEnvelopeFrom)
		}
		// "<>" is the null sender (Debian bug 612679); every other value is used verbatim.
		from := r.Arg
		if from == "<>" {
			from = ""
		}
		inv.From = StringArg{Value: from, Given: true}
		inv.FromOption = r.Spelling
		return st.setValue(o.setting, &from)
	case actReadRecipients:
		inv.ReadRecipients = true
	case actReadEnvelopeFrom:
		if inv.From.Given {
			return inv.usage(ErrFromAndReadEnvelopeFrom)
		}
		inv.ReadEnvelopeFrom = true
	case actMode:
		return st.operationMode(r.Arg)
	case actIgnoreDots:
		inv.IgnoreDots = true
	case actSendmailOption:
		// Old-style sendmail option "-oXvalue": only "i" (IgnoreDots) matters.
		if v, ok := strings.CutPrefix(r.Arg, "i"); ok {
			inv.IgnoreDots = sendmailBool(v)
		}
	case actSendmailLongOpt:
		// "-O Name=value": sendmail's option names are case-insensitive.
		name, v, _ := strings.Cut(r.Arg, "=")
		if strings.EqualFold(strings.TrimSpace(name), "IgnoreDots") {
			inv.IgnoreDots = sendmailBool(strings.TrimSpace(v))
		}
	case actBodyType:
		inv.BodyType = r.Arg
	case actEnvelopeID:
		inv.EnvelopeID = StringArg{Value: r.Arg, Given: true}
	case actQueueRun:
		if err := parseQueueArg(&inv.QueueRun, r.Arg); err != nil {
			return inv.usage(fmt.Errorf("%w %s for -q", ErrInvalidArgument, r.Arg))
		}
		// "mailq -qRfoo" (and "-bp -qRfoo") lists only the matching items.
		if inv.Mode != ModeQueueList {
			inv.Mode = ModeQueueRun
		}
	case actNewAliases:
		inv.Mode = ModeNewAliases
	case actOAuth2Login:
		inv.Mode = ModeOAuth2Login
	case actRedirect:
		inv.OAuth2Redirect = true
	case actQueueOnly:
		inv.QueueOnly = true
	case actFlush:
		if err := parseQueueArg(&inv.QueueRun, ""); err != nil {
			return err
		}
		if inv.Mode != ModeQueueList {
			inv.Mode = ModeQueueRun
		}
	case actForce:
		inv.QueueForce = true
	case actQueueList:
		inv.Mode = ModeQueueList
	case actQueueDrop:
		inv.Mode = ModeQueueDrop
		inv.QueueIDs = append(inv.QueueIDs, r.Arg)
	case actQueuePurge:
		inv.Mode = ModeQueuePurge
	}
	return nil
}

// set passes an option to the sink with its argument (nil when none was given).
func (st *parseState) set(name string, r getopt.Result) error {
	if !r.HasArg {
		return st.setValue(name, nil)
	}
	arg := r.Arg
	return st.setValue(name, &arg)
}

func (st *parseState) setValue(name string, arg *string) error {
	if st.sink == nil {
		return nil
	}
	if err := st.sink.Set(name, arg); err != nil {
		return &UsageError{Prefix: st.inv.Program, Text: err.Error(), Err: err}
	}
	return nil
}

// operationMode handles -bX.
func (st *parseState) operationMode(arg string) error {
	inv := st.inv
	switch arg {
	case "m":
		// Upstream accepts and ignores -bm (so "-S -bm" stays in server-information mode);
		// we also let it cancel an earlier -bs, -bp, -bi or -q, as sendmail does.
		switch inv.Mode {
		case ModeSMTP, ModeQueueList, ModeQueueRun, ModeNewAliases, ModeQueueDrop, ModeQueuePurge:
			inv.Mode = ModeSendmail
		}
	case "s":
		inv.Mode = ModeSMTP
	case "p":
		inv.Mode = ModeQueueList
	case "i":
		inv.Mode = ModeNewAliases
	default:
		// -bd, -bD, -bh, -bH, -bP, -bt, -bv, -ba, -bC and anything else.
		err := fmt.Errorf("%w b%s", ErrUnsupportedMode, arg)
		return &UsageError{Prefix: inv.Program, Text: err.Error(), Err: err}
	}
	return nil
}

// sendmailBool reads a sendmail boolean option value: empty means true, and a value
// starting with f, F, n or N means false (sendmail's atobool).
func sendmailBool(v string) bool {
	if v == "" {
		return true
	}
	switch v[0] {
	case 'f', 'F', 'n', 'N':
		return false
	}
	return true
}

// parseQueueArg adds the argument of one -q option to q. The forms are sendmail(8)'s:
// "" (one run), an interval ("30m", "1h30m"), "p[interval]", "f", "GNAME", and the filters
// "[!]Isubstr", "[!]Rsubstr", "[!]Ssubstr", "[!]Qsubstr" (Postfix knows -qR and -qS).
func parseQueueArg(q *QueueRun, arg string) error {
	q.Args = append(q.Args, arg)
	if arg == "" {
		return nil
	}
	negate := false
	rest := arg
	if rest[0] == '!' {
		negate = true
		rest = rest[1:]
		if rest == "" {
			return ErrInvalidArgument
		}
	}
	switch c := rest[0]; {
	case c == 'I' || c == 'R' || c == 'S' || c == 'Q':
		q.Filters = append(q.Filters, QueueFilter{Field: QueueField(c), Negate: negate, Substring: rest[1:]})
		return nil
	case negate:
		return ErrInvalidArgument
	case c == 'f' && rest == "f":
		q.Foreground = true
		return nil
	case c == 'G':
		q.Group = rest[1:]
		return nil
	case c == 'p':
		q.Persistent = true
		rest = rest[1:]
		if rest == "" {
			return nil
		}
	}
	d, err := parseInterval(rest)
	if err != nil {
		return err
	}
	q.Interval = d
	return nil
}

// parseInterval reads sendmail's time format: one or more numbers, each with an optional
// unit s, m, h, d or w (minutes when omitted, as sendmail does for the queue interval).
func parseInterval(s string) (time.Duration, error) {
	units := map[byte]time.Duration{
		's': time.Second, 'm': time.Minute, 'h': time.Hour,
		'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour,
	}
	const limit = 100 * 365 * 24 * time.Hour // anything longer is a typo
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 12 {
			return 0, ErrInvalidArgument
		}
		n, _ := strconv.ParseInt(s[:i], 10, 64) // at most 12 digits: cannot fail
		unit := time.Minute
		s = s[i:]
		if s != "" {
			u, ok := units[s[0]]
			if !ok {
				return 0, ErrInvalidArgument
			}
			unit = u
			s = s[1:]
		}
		if time.Duration(n) > limit/unit {
			return 0, ErrInvalidArgument
		}
		total += time.Duration(n) * unit
		if total > limit {
			return 0, ErrInvalidArgument
		}
	}
	return total, nil
}
