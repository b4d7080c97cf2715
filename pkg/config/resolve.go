package config

import (
	"fmt"
	"io"
	"strings"
)

// Mode is msmtp's operation mode, which decides which settings matter.
type Mode uint8

// The modes that use an account.
const (
	ModeSendmail    Mode = iota // send a mail (the default)
	ModeServerInfo              // --serverinfo
	ModeRMQS                    // --rmqs
	ModeOAuth2Login             // --oauth2-login (our extension)
)

// Request is everything Resolve needs to produce the account for one msmtp run.
type Request struct {
	Mode Mode
	// Pretend is --pretend: a missing envelope-from is not an error then.
	Pretend bool
	// Account is -a / --account.
	Account OptString
	// File is -C / --file, used verbatim (no '~' expansion).
	File OptString
	// Overrides are the command-line settings, including -f and --read-envelope-from's
	// address. May be nil.
	Overrides *Overrides
	// FromHeader is the address in the mail's From header (or the Resent-From that precedes
	// it), for %F in from; unset when the mail has none. Sendmail mode only.
	FromHeader OptString
	// Env is the outside world.
	Env Env
	// Info receives the informational lines upstream prints under --pretend and --debug
	// ("loaded user configuration file ..."). Nil discards them.
	Info io.Writer
}

// Resolve runs steps 8 to 13 of msmtp's processing (spec-cli-config.md §1.5): it loads the
// configuration files (unless --host was given), chooses the account (§3), applies the
// command-line settings, runs passwordeval when authentication needs it, fills in computed
// defaults, expands the %-patterns of domain and from (§3.5), applies auto_from, and
// validates the result (§2.10).
//
// It returns the account or an *Error: KindIO for unreadable files and eval lines without
// output; KindUsage for %F without a From header (ErrNoEnvelopeFrom); KindConfig for
// everything else, with sentinels ErrAccountNotFound, ErrInvalidAccount,
// ErrInsecurePermissions, ErrUnknownCommand, ErrInvalidArgument, ErrSyntax, ErrEval.
// Informational lines are written to req.Info as processing reaches them.
func Resolve(req Request) (*Account, error) {
	r := &resolver{req: req, env: &req.Env, info: req.Info}
	if r.info == nil {
		r.info = io.Discard
	}
	a, err := r.choose()
	if err != nil {
		return nil, err
	}
	if err := r.passwordEval(a); err != nil {
		return nil, err
	}
	computeDefaults(a)
	r.oauth2Defaults(a)
	if err := r.substitute(a); err != nil {
		return nil, err
	}
	if req.Mode == ModeSendmail && a.AutoFrom {
		from := r.userName()
		if a.MailDomain.Set && a.MailDomain.Value != "" {
			from += "@" + a.MailDomain.Value
		}
		a.From = Some(from)
		a.setOrigin(KeyFrom, Origin{Kind: OriginComputed})
	}
	if err := Validate(a, ValidateOptions{Mode: req.Mode, Pretend: req.Pretend}); err != nil {
		return nil, err
	}
	return a, nil
}

type resolver struct {
	req  Request
	env  *Env
	info io.Writer
}

// choose selects the account (§3.1) and applies the command-line settings to it.
func (r *resolver) choose() (*Account, error) {
	ov := r.req.Overrides
	home := r.env.home()
	if ov.HostGiven() {
		fmt.Fprintln(r.info, "using account specified on command line")
		a := Defaults()
		ov.apply(a, home)
		return a, nil
	}
	fs, err := loadFiles(r.env, r.req.File, r.info)
	if err != nil {
		return nil, err
	}

	var a *Account
	id := r.req.Account.Value
	from := ov.envelopeFrom()
	if !r.req.Account.Set && from.Set {
		for _, c := range fs.accounts {
			if c.From.Set && matchFrom(c.From.Value, from.Value) {
				a = c
				fmt.Fprintf(r.info, "account chosen by envelope from address %s: %s\n", from.Value, c.Name)
				break
			}
		}
	}
	envFallback := false
	if a == nil && !r.req.Account.Set {
		id = "default"
		fmt.Fprintln(r.info, "falling back to default account")
		envFallback = true
	}
	if a == nil {
		a = fs.find(id)
	}
	if a == nil {
		if envFallback {
			if a := r.fromEnvironment(from.Set); a != nil {
				ov.apply(a, home)
				return a, nil
			}
		}
		return nil, fs.notFound(id)
	}
	a = a.Clone()
	ov.apply(a, home)
	return a, nil
}

// fromEnvironment is the last resort when there is no default account (§3.3): SMTPSERVER
// names the host and EMAIL the envelope-from, for an account otherwise made of built-in
// defaults. It applies only if SMTPSERVER is set (even empty) and, in sendmail mode, there
// is a from address to use.
func (r *resolver) fromEnvironment(haveFrom bool) *Account {
	server, ok := r.env.getenv("SMTPSERVER")
	if !ok {
		return nil
	}
	email, emailOK := r.env.getenv("EMAIL")
	sendmail := r.req.Mode == ModeSendmail
	if sendmail && !haveFrom && !emailOK {
		return nil
	}
	a := Defaults()
	if sendmail && !haveFrom {
		a.From = Some(email)
		a.setOrigin(KeyFrom, Origin{Kind: OriginEnvironment})
	}
	a.Host = Some(server)
	a.setOrigin(KeyHost, Origin{Kind: OriginEnvironment})
	fmt.Fprintln(r.info, "using environment variables EMAIL and SMTPSERVER")
	return a
}

// passwordEval runs passwordeval early, as upstream does (§4.3), when authentication is on
// and no password is set. Failure is a configuration error (78), unlike eval's 74. An
// account that uses OAuth2 (our extension) gets its token elsewhere and runs nothing.
func (r *resolver) passwordEval(a *Account) error {
	if a.Auth == AuthNone || a.Password.IsSet() || a.PasswordEval == "" || usesOAuth2(a) {
		return nil
	}
	pw, err := runFirstLine(r.env.PasswordEval, a.PasswordEval)
	if err != nil {
		err.Kind = KindConfig
		return err
	}
	a.Password = NewSecret(pw)
	a.setOrigin(KeyPassword, Origin{Kind: OriginComputed})
	return nil
}

// computeDefaults fills in the defaults that depend on other settings (§1.5 step 10).
func computeDefaults(a *Account) {
	computed := Origin{Kind: OriginComputed}
	if a.Port == 0 && a.Protocol == SMTP {
		a.Port = 25
		if a.TLS && !a.TLSStartTLS {
			a.Port = 465
		}
		a.setOrigin(KeyPort, computed)
	}
	// An empty tls_trust_file in the account, a parent or on the command line means "no
	// trust file"; one from a defaults section or from nowhere means the system's CAs.
	if a.TLSTrustFile == "" && !a.Explicit(KeyTLSTrustFile) {
		a.TLSTrustFile = TrustSystem
		a.setOrigin(KeyTLSTrustFile, computed)
	}
	if a.ProxyHost != "" && a.ProxyPort == 0 {
		a.ProxyPort = 1080
		a.setOrigin(KeyProxyPort, computed)
	}
}

// ValidateOptions are the parts of a request that validation depends on.
type ValidateOptions struct {
	Mode    Mode
	Pretend bool
}

// Validate runs upstream's checks on a chosen account (check_account, §2.10), in upstream's
// order, and returns the first failure as an *Error with ErrInvalidAccount:
// "account ID from FILE: MESSAGE", or just "MESSAGE" for an account that did not come from
// a file.
//
// One deliberate difference: a socket account needs no port, also with LMTP (upstream asks
// for a port it then does not use; spec-mail-smtp.md §11 item 19). An account that uses our
// OAuth2 extension gets its own checks after upstream's (oauth2_provider needs auth
// oauthbearer or xoauth2 and oauth2_client_id; custom needs oauth2_token_endpoint).
func Validate(a *Account, opts ValidateOptions) error {
	fail := func(msg string) error {
		e := &Error{Msg: msg, Kind: KindConfig, Err: ErrInvalidAccount}
		if a.File != "" {
			e.Account, e.File = sanitize(a.Name), a.File
		}
		return e
	}
	switch {
	case !a.Host.Set && a.Socket == "":
		return fail("host not set")
	case a.Port == 0 && a.Socket == "":
		return fail("port not set")
	case opts.Mode == ModeSendmail && !opts.Pretend && !a.From.Set:
		return fail("envelope-from address is missing")
	case a.TLS && !a.Host.Set && a.TLSHostOverride == "":
		return fail("host not set")
	case a.TLSKeyFile != "" && a.TLSCertFile == "":
		return fail("tls_key_file requires tls_cert_file")
	case a.TLSCertFile != "" && a.TLSKeyFile == "":
		return fail("tls_cert_file requires tls_key_file")
	case a.TLS && a.TLSTrustFile == "" && len(a.TLSFingerprints) == 0 && a.TLSCertCheck:
		return fail("tls requires either tls_trust_file (highly recommended) or tls_fingerprint or a disabled tls_certcheck")
	case a.TLSCRLFile != "" && a.TLSTrustFile == "":
		return fail("tls_crl_file requires tls_trust_file")
	}
	if msg := validateOAuth2(a); msg != "" {
		return fail(msg)
	}
	return nil
}

// matchFrom reports whether an envelope-from address chooses the account whose from value
// is accountFrom (§3.2, msmtp 1.8.25 and later): first the address itself is compared,
// then, for user+detail@domain and an account value without '+', the address without
// "+detail".
func matchFrom(accountFrom, addr string) bool {
	if compareFrom(accountFrom, addr) {
		return true
	}
	plus, at := strings.IndexByte(addr, '+'), strings.IndexByte(addr, '@')
	if plus < 0 || at < 0 || plus > at || strings.Contains(accountFrom, "+") {
		return false
	}
	return compareFrom(accountFrom, addr[:plus]+addr[at:])
}

// compareFrom compares a shell pattern (a value with '*', '?' or '[') case-sensitively, and
// anything else case-insensitively (ASCII only, as strcasecmp in the C locale).
func compareFrom(accountFrom, addr string) bool {
	if strings.ContainsAny(accountFrom, "*?[") {
		return fnmatch(accountFrom, addr)
	}
	return asciiEqualFold(accountFrom, addr)
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
