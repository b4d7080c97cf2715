package config

import (
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The directive table is the single source of truth about msmtprc commands. It drives the
// parser (parse.go), command-line overrides (overrides.go), the --pretend output
// (pretend.go) and the generated reference docs/msmtprc.md (markdown.go). Adding a
// directive means adding a field to Account, a Key, and one row here.
//
// Rows that print in --pretend come in --pretend order (spec-cli-config.md §2.11).

// OptionArg says whether a command-line option takes an argument, as getopt_long's
// has_arg: none, required (attached with '=' or in the next word) or optional (attached
// only).
type OptionArg uint8

// The argument kinds of options.
const (
	OptionArgNone OptionArg = iota
	OptionArgRequired
	OptionArgOptional
)

// String returns "none", "required" or "optional".
func (o OptionArg) String() string {
	switch o {
	case OptionArgRequired:
		return "required"
	case OptionArgOptional:
		return "optional"
	}
	return "none"
}

type group uint8

const (
	groupStructure group = iota
	groupConnection
	groupAuth
	groupOAuth2
	groupTLS
	groupSendmail
	groupQueue
	groupDeprecated
)

type directive struct {
	name     string   // the msmtprc command
	synonyms []string // other command names with the same meaning
	key      Key      // the setting it changes; "" for account, defaults, eval, tls_force_sslv3
	group    group

	// Documentation.
	syntax     string // the argument as the reference shows it
	def        string // the built-in default
	empty      string // what an empty argument does
	doc        string
	since      string // the upstream version that added it, when newer than Debian's 1.8.23
	deprecated string // why, or what to use instead; "" if current
	extension  bool   // ours, not upstream's

	// Command line.
	option         string   // the long option without dashes; "" if there is none
	optionSynonyms []string // more long options with the same meaning
	optionArg      OptionArg
	optionNote     string // how the command-line value differs from the file's

	// --pretend.
	pretend   string                // the label; "" if the row prints nothing
	sendmail  bool                  // printed only in sendmail mode
	pretendIf func(a *Account) bool // printed only when this says so; nil: always

	noArg  bool // takes no argument (tls_nocertcheck)
	ignore bool // accepted and ignored; sets nothing (tls_force_sslv3)

	v value
}

// table lists every msmtprc command.
var table = []directive{
	{
		name: "defaults", group: groupStructure, noArg: true,
		doc: "The following commands change the defaults that later `account` lines start from. " +
			"May appear any number of times; the changes add up and affect only accounts defined after them. " +
			"Values that come from `defaults` do not count as explicitly set: they are not inherited with `account NAME : PARENT`.",
	},
	{
		name: "account", group: groupStructure, syntax: "NAME [: PARENT[, PARENT...]]",
		empty: "error `missing account name`", option: "", // -a is a request field, not a setting
		doc: "Starts a new account, a copy of the current defaults. After `:` a comma-separated list of accounts " +
			"defined earlier in the same file: the settings explicitly set in each of them (by their own commands or their parents) " +
			"are copied, in list order, later ones winning. Names are case-sensitive and must not contain `:` or `,`. " +
			"A command before the first `account` or `defaults` line creates an account named `default`.",
	},
	{
		name: "eval", group: groupStructure, syntax: "COMMAND", empty: "error",
		doc: "Runs COMMAND with `/bin/sh -c` when the file is read and parses the first line of its output as if it stood " +
			"in place of this line. No output is an error; the exit status is ignored. The output cannot contain another `eval`. " +
			"The command inherits standard input: append `< /dev/null` in sendmail mode.",
	},

	// Connection.
	{
		name: "host", key: KeyHost, group: groupConnection, syntax: "HOSTNAME", def: "not set", empty: "error",
		doc:    "The SMTP or LMTP server.",
		option: "host", optionArg: OptionArgRequired,
		optionNote: "`--host` also means: read no configuration file, build the account from command-line settings only. " +
			"`--host=` gives an empty host name.",
		pretend: "host",
		v: value{
			set: func(a *Account, in input) error {
				if in.arg == "" && !in.cli {
					return errNeedsArg
				}
				a.Host = Some(in.arg)
				return nil
			},
			show: func(a *Account) string { return a.Host.String() },
			copy: field[OptString](func(a *Account) *OptString { return &a.Host }).copier(),
		},
	},
	{
		name: "port", key: KeyPort, group: groupConnection, syntax: "NUMBER",
		def:   "25, or 465 with `tls on` and `tls_starttls off`; none for LMTP",
		empty: "error", doc: "The server port, 1 to 65535. Numbers are read like C's `strtol` with base 0 (`0x19` and `031` are 25).",
		option: "port", optionArg: OptionArgRequired, pretend: "port",
		v: number(func(a *Account) *int { return &a.Port }, 1, 65535, emptyNeedsArg),
	},
	{
		name: "source_ip", key: KeySourceIP, group: groupConnection, syntax: "IP", def: "not set", empty: "unset",
		doc:    "Bind the outgoing connection to this local address.",
		option: "source-ip", optionArg: OptionArgRequired, pretend: "source ip",
		v: text(func(a *Account) *string { return &a.SourceIP }, false),
	},
	{
		name: "proxy_host", key: KeyProxyHost, group: groupConnection, syntax: "HOSTNAME", def: "not set", empty: "unset",
		doc:    "Connect through this SOCKS5 proxy. Host names are resolved by the proxy.",
		option: "proxy-host", optionArg: OptionArgRequired, pretend: "proxy host",
		v: text(func(a *Account) *string { return &a.ProxyHost }, false),
	},
	{
		name: "proxy_port", key: KeyProxyPort, group: groupConnection, syntax: "NUMBER", def: "1080 when a proxy host is set",
		empty: "unset (the default applies)", doc: "The SOCKS5 proxy's port, 1 to 65535.",
		option: "proxy-port", optionArg: OptionArgRequired, pretend: "proxy port",
		v: number(func(a *Account) *int { return &a.ProxyPort }, 1, 65535, emptyValue),
	},
	{
		name: "socket", key: KeySocket, group: groupConnection, syntax: "PATH", def: "not set", empty: "unset",
		doc:    "Connect to this local (unix-domain) socket instead of a host. `~` is not expanded.",
		option: "socket", optionArg: OptionArgRequired, pretend: "socket",
		v: text(func(a *Account) *string { return &a.Socket }, false),
	},
	{
		name: "timeout", synonyms: []string{"connect_timeout"}, key: KeyTimeout, group: groupConnection,
		syntax: "off|SECONDS", def: "off", empty: "error",
		doc:    "Network timeout in seconds (at least 1), or `off`.",
		option: "timeout", optionSynonyms: []string{"connect-timeout"}, optionArg: OptionArgRequired, pretend: "timeout",
		v: timeout(),
	},
	{
		name: "protocol", key: KeyProtocol, group: groupConnection, syntax: "smtp|lmtp", def: "smtp", empty: "error",
		doc:    "The protocol to speak. LMTP has no default port.",
		option: "protocol", optionArg: OptionArgRequired, pretend: "protocol",
		v: withShow(choice(func(a *Account) *Protocol { return &a.Protocol }, emptyNeedsArg, SMTP,
			word[Protocol]{"smtp", SMTP}, word[Protocol]{"lmtp", LMTP}),
			func(a *Account) string { return a.Protocol.String() }),
	},
	{
		name: "domain", key: KeyDomain, group: groupConnection, syntax: "STRING", def: "localhost", empty: "empty string",
		doc: "The argument of EHLO or LHLO. `%H` is replaced by the host name, `%C` by its canonical name, " +
			"`%M` by the first line of /etc/mailname.",
		option: "domain", optionArg: OptionArgRequired, pretend: "domain",
		v: value{
			set:  func(a *Account, in input) error { a.Domain = in.arg; return nil },
			show: func(a *Account) string { return a.Domain },
			copy: field[string](func(a *Account) *string { return &a.Domain }).copier(),
		},
	},

	// Authentication.
	{
		name: "auth", key: KeyAuth, group: groupAuth, syntax: "on|off|METHOD", def: "off", empty: "on",
		doc: "`on` chooses the best method the server offers; METHOD is one of `plain`, `scram-sha-1`, `scram-sha-1-plus`, " +
			"`scram-sha-256`, `scram-sha-256-plus`, `gssapi`, `external`, `login`, `ntlm`, `oauthbearer`, `cram-md5`, " +
			"`digest-md5`, `xoauth2` (lower case).",
		option: "auth", optionArg: OptionArgOptional, pretend: "auth",
		v: auth(),
	},
	{
		name: "user", key: KeyUser, group: groupAuth, syntax: "NAME", def: "not set", empty: "unset",
		doc:    "The user name for authentication.",
		option: "user", optionArg: OptionArgRequired, pretend: "user",
		v: text(func(a *Account) *string { return &a.User }, false),
	},
	{
		name: "password", key: KeyPassword, group: groupAuth, syntax: "SECRET", def: "not set", empty: "unset",
		doc: "The password. A user configuration file that contains this command (even with an empty argument) must be " +
			"owned by you and readable by nobody else. Prefer `passwordeval`, the keyring or `.netrc`.",
		pretend: "password",
		v: value{
			set: func(a *Account, in input) error {
				if in.arg == "" {
					a.Password = Secret{}
				} else {
					a.Password = NewSecret(in.arg)
				}
				return nil
			},
			show: func(a *Account) string { return a.Password.String() },
			copy: field[Secret](func(a *Account) *Secret { return &a.Password }).copier(),
		},
	},
	{
		name: "passwordeval", key: KeyPasswordEval, group: groupAuth, syntax: "COMMAND", def: "not set", empty: "unset",
		doc: "Run COMMAND with `/bin/sh -c` and use the first line of its output as the password, " +
			"when authentication is on and no password is set.",
		option: "passwordeval", optionArg: OptionArgRequired, pretend: "passwordeval",
		v: text(func(a *Account) *string { return &a.PasswordEval }, false),
	},
	{
		name: "ntlmdomain", key: KeyNTLMDomain, group: groupAuth, syntax: "DOMAIN", def: "not set", empty: "unset",
		doc: "The domain for NTLM authentication.", pretend: "ntlmdomain",
		v: text(func(a *Account) *string { return &a.NTLMDomain }, false),
	},

	// OAuth2: our extension (docs/oauth2.md). None of these rows has a command-line option, and
	// --pretend prints them only for an account that uses OAuth2, so that upstream's options
	// and --pretend layout stay as they are.
	{
		name: "oauth2_provider", key: KeyOAuth2Provider, group: groupOAuth2, syntax: "google|microsoft|custom",
		def: "not set", empty: "unset", extension: true,
		doc: "Let msmtp get and refresh the OAuth2 access token that `auth xoauth2` and `auth oauthbearer` send, " +
			"instead of taking it as a password: `google` (Gmail) and `microsoft` (Microsoft 365, Outlook.com) " +
			"know their endpoints and scopes, `custom` takes them from `oauth2_token_endpoint` and the other " +
			"`oauth2_*` commands. Needs `auth xoauth2` or `auth oauthbearer`, `user` and `oauth2_client_id`; " +
			"run `msmtp --oauth2-login -a ACCOUNT` once to authorize. Then `password`, `passwordeval`, the " +
			"keyring and netrc are not used for this account.",
		pretend: "oauth2_provider", pretendIf: usesOAuth2,
		v: withShow(choice(func(a *Account) *string { return &a.OAuth2Provider }, emptyValue, "",
			word[string]{OAuth2Google, OAuth2Google}, word[string]{OAuth2Microsoft, OAuth2Microsoft},
			word[string]{OAuth2Custom, OAuth2Custom}),
			func(a *Account) string { return orNotSet(a.OAuth2Provider) }),
	},
	{
		name: "oauth2_client_id", key: KeyOAuth2ClientID, group: groupOAuth2, syntax: "ID", def: "not set",
		empty: "unset", extension: true,
		doc:     "The client ID of the application you registered with the provider (see [oauth2.md](oauth2.md)).",
		pretend: "oauth2_client_id", pretendIf: usesOAuth2,
		v: text(func(a *Account) *string { return &a.OAuth2ClientID }, false),
	},
	{
		name: "oauth2_client_secret", key: KeyOAuth2ClientSecret, group: groupOAuth2, syntax: "SECRET",
		def: "not set", empty: "unset", extension: true,
		doc: "The client secret of the registered application, if it has one (Google's desktop applications do; " +
			"Microsoft's public clients do not). Prefer `oauth2_client_secret_eval`.",
		pretend: "oauth2_client_secret", pretendIf: usesOAuth2,
		v: value{
			set: func(a *Account, in input) error {
				if in.arg == "" {
					a.OAuth2ClientSecret = Secret{}
				} else {
					a.OAuth2ClientSecret = NewSecret(in.arg)
				}
				return nil
			},
			show: func(a *Account) string { return a.OAuth2ClientSecret.String() },
			copy: field[Secret](func(a *Account) *Secret { return &a.OAuth2ClientSecret }).copier(),
		},
	},
	{
		name: "oauth2_client_secret_eval", key: KeyOAuth2ClientSecretEval, group: groupOAuth2, syntax: "COMMAND",
		def: "not set", empty: "unset", extension: true,
		doc: "Run COMMAND like `passwordeval` and use the first line of its output as the client secret, " +
			"when `oauth2_client_secret` is not set. It runs only when msmtp talks to the token endpoint.",
		pretend: "oauth2_client_secret_eval", pretendIf: usesOAuth2,
		v: text(func(a *Account) *string { return &a.OAuth2ClientSecretEval }, false),
	},
	{
		name: "oauth2_tenant", key: KeyOAuth2Tenant, group: groupOAuth2, syntax: "TENANT", def: "`common`",
		empty: "unset", extension: true,
		doc: "For `oauth2_provider microsoft`: the directory (tenant) ID or domain of your organisation, " +
			"`organizations`, `consumers` (Outlook.com accounts) or `common`. Letters, digits, `.` and `-` only.",
		pretend: "oauth2_tenant", pretendIf: usesOAuth2,
		v: validatedText(func(a *Account) *string { return &a.OAuth2Tenant }, validTenant),
	},
	{
		name: "oauth2_auth_endpoint", key: KeyOAuth2AuthEndpoint, group: groupOAuth2, syntax: "URL",
		def: "the provider's", empty: "unset", extension: true,
		doc: "The authorization endpoint, which the browser opens for `msmtp --oauth2-login --redirect`. " +
			"An `https` URL (`http` only for a loopback address).",
		pretend: "oauth2_auth_endpoint", pretendIf: usesOAuth2,
		v: validatedText(func(a *Account) *string { return &a.OAuth2AuthEndpoint }, validEndpoint),
	},
	{
		name: "oauth2_token_endpoint", key: KeyOAuth2TokenEndpoint, group: groupOAuth2, syntax: "URL",
		def: "the provider's", empty: "unset", extension: true,
		doc:     "The token endpoint. Required for `oauth2_provider custom`. An `https` URL (`http` only for a loopback address).",
		pretend: "oauth2_token_endpoint", pretendIf: usesOAuth2,
		v: validatedText(func(a *Account) *string { return &a.OAuth2TokenEndpoint }, validEndpoint),
	},
	{
		name: "oauth2_device_endpoint", key: KeyOAuth2DeviceEndpoint, group: groupOAuth2, syntax: "URL",
		def: "the provider's", empty: "unset", extension: true,
		doc: "The device authorization endpoint (RFC 8628) that `msmtp --oauth2-login` uses. " +
			"An `https` URL (`http` only for a loopback address).",
		pretend: "oauth2_device_endpoint", pretendIf: usesOAuth2,
		v: validatedText(func(a *Account) *string { return &a.OAuth2DeviceEndpoint }, validEndpoint),
	},
	{
		name: "oauth2_scopes", key: KeyOAuth2Scopes, group: groupOAuth2, syntax: "SCOPE[ SCOPE...]",
		def: "the provider's", empty: "unset", extension: true,
		doc: "The scopes to ask for, separated by blanks. Google's is `https://mail.google.com/`; Microsoft's are " +
			"`https://outlook.office.com/SMTP.Send offline_access`.",
		pretend: "oauth2_scopes", pretendIf: usesOAuth2,
		v: text(func(a *Account) *string { return &a.OAuth2Scopes }, false),
	},
	{
		name: "oauth2_token_store", key: KeyOAuth2TokenStore, group: groupOAuth2, syntax: "file:PATH|keyring",
		def:   "`file:` and the user configuration file's name followed by `.oauth2-ACCOUNT.json` (`~/.msmtprc.oauth2-gmail.json`)",
		empty: "unset (the default applies)", extension: true,
		doc: "Where the tokens are kept. `file:PATH` is a JSON file that msmtp writes with mode 0600, replacing it " +
			"atomically, and locks through `PATH.lock` so that concurrent msmtp processes refresh a token once " +
			"(`~` is expanded). `keyring` uses the system keyring where msmtp can write it (Windows Credential " +
			"Manager), under the name `msmtp:smtp/USER@oauth2:ACCOUNT`. In ACCOUNT of the default name, every " +
			"character other than a letter, digit, `.`, `_`, `-`, `+` or `@` becomes `_`.",
		pretend: "oauth2_token_store", pretendIf: usesOAuth2,
		v: tokenStore(),
	},

	// TLS.
	{
		name: "tls", key: KeyTLS, group: groupTLS, syntax: "on|off", def: "off", empty: "on",
		doc:    "Use TLS: with STARTTLS, or from the start when `tls_starttls` is off.",
		option: "tls", optionArg: OptionArgOptional, optionNote: "`--tls` means on; `--tls=` is invalid.", pretend: "tls",
		v: withShow(onOff(func(a *Account) *bool { return &a.TLS }), func(a *Account) string { return showOnOff(a.TLS) }),
	},
	{
		name: "tls_starttls", key: KeyTLSStartTLS, group: groupTLS, syntax: "on|off", def: "on", empty: "on",
		doc:    "With `tls on`: on = plain connection upgraded with STARTTLS (port 25 or 587); off = TLS from the start (port 465).",
		option: "tls-starttls", optionArg: OptionArgOptional, pretend: "tls_starttls",
		v: withShow(onOff(func(a *Account) *bool { return &a.TLSStartTLS }), func(a *Account) string { return showOnOff(a.TLSStartTLS) }),
	},
	{
		name: "tls_trust_file", key: KeyTLSTrustFile, group: groupTLS, syntax: "FILE|system",
		def:   "`system`, unless explicitly set to empty in the account, a parent or on the command line",
		empty: "unset", doc: "CA certificates (PEM) to verify the server with; `system` means the system's trusted CAs. `~` is expanded.",
		option: "tls-trust-file", optionArg: OptionArgRequired, pretend: "tls_trust_file",
		v: text(func(a *Account) *string { return &a.TLSTrustFile }, true),
	},
	{
		name: "tls_crl_file", key: KeyTLSCRLFile, group: groupTLS, syntax: "FILE", def: "not set", empty: "unset",
		doc:    "Certificate revocation lists (PEM). Needs `tls_trust_file`. `~` is expanded.",
		option: "tls-crl-file", optionArg: OptionArgRequired, pretend: "tls_crl_file",
		v: text(func(a *Account) *string { return &a.TLSCRLFile }, true),
	},
	{
		name: "tls_fingerprint", key: KeyTLSFingerprint, group: groupTLS, syntax: "FINGERPRINT[,FINGERPRINT...]",
		def: "not set", empty: "unset",
		doc: "Trust the server's certificate only if its SHA-256 (or legacy SHA-1 or MD5) fingerprint matches: " +
			"hex pairs separated by `:` or blanks. Our extension: several fingerprints separated by commas, " +
			"any of which may match, so a pin can be rotated without a gap. Replaces CA verification.",
		option: "tls-fingerprint", optionArg: OptionArgRequired, pretend: "tls_fingerprint",
		v: fingerprints(),
	},
	{
		name: "tls_key_file", key: KeyTLSKeyFile, group: groupTLS, syntax: "FILE", def: "not set", empty: "unset",
		doc:    "The private key of a client certificate (PEM). Needs `tls_cert_file`. `~` is expanded.",
		option: "tls-key-file", optionArg: OptionArgRequired, pretend: "tls_key_file",
		v: text(func(a *Account) *string { return &a.TLSKeyFile }, true),
	},
	{
		name: "tls_cert_file", key: KeyTLSCertFile, group: groupTLS, syntax: "FILE", def: "not set", empty: "unset",
		doc:    "A client certificate (PEM). Needs `tls_key_file`. `~` is expanded.",
		option: "tls-cert-file", optionArg: OptionArgRequired, pretend: "tls_cert_file",
		v: text(func(a *Account) *string { return &a.TLSCertFile }, true),
	},
	{
		name: "tls_certcheck", key: KeyTLSCertCheck, group: groupTLS, syntax: "on|off", def: "on", empty: "on",
		doc:    "Verify the server's certificate. Turning this off makes TLS useless against an active attacker.",
		option: "tls-certcheck", optionArg: OptionArgOptional, pretend: "tls_certcheck",
		v: withShow(onOff(func(a *Account) *bool { return &a.TLSCertCheck }), func(a *Account) string { return showOnOff(a.TLSCertCheck) }),
	},
	{
		name: "tls_min_dh_prime_bits", key: KeyTLSMinDHPrimeBits, group: groupTLS, syntax: "BITS", def: "not set", empty: "unset",
		doc:    "The minimum size of a Diffie-Hellman prime the server may use (GnuTLS option; at least 1). Accepted and ignored: Go's TLS has no finite-field Diffie-Hellman key exchange, only elliptic curves.",
		option: "tls-min-dh-prime-bits", optionArg: OptionArgRequired, pretend: "tls_min_dh_prime_bits",
		v: withShow(number(func(a *Account) *int { return &a.TLSMinDHPrimeBits }, 1, math.MaxInt32, emptyValue),
			func(a *Account) string { return orNotSet(itoaNonZero(a.TLSMinDHPrimeBits)) }),
	},
	{
		name: "tls_priorities", key: KeyTLSPriorities, group: groupTLS, syntax: "PRIORITIES", def: "not set", empty: "unset",
		doc:    "A GnuTLS priority string restricting protocol versions and ciphers. Go's TLS honours what it can express: the base keywords NORMAL, PFS, SECURE, SECURE128, PERFORMANCE and SYSTEM keep Go's defaults (TLS 1.2 and 1.3, modern AEAD suites), SECURE192 and SECURE256 keep only 256-bit TLS 1.2 suites, NONE starts from nothing; `+VERS-TLS1.0` … `+VERS-TLS1.3`, `-VERS-…`, `-VERS-ALL` and `-VERS-TLS-ALL` set the version range; `+`/`-AES-128-GCM`, `AES-256-GCM`, `CHACHA20-POLY1305`, `AES-128-CBC`, `AES-256-CBC` and `CIPHER-ALL` shape the TLS 1.2 suites (Go does not let TLS 1.3 suites be chosen); `%` flags and key-exchange, MAC, signature and group items are accepted and left to Go. Anything that needs SSL 3.0, RC4, 3DES, NULL, Camellia, GOST or DHE is refused with an error, since Go cannot do it.",
		option: "tls-priorities", optionArg: OptionArgRequired, pretend: "tls_priorities",
		v: text(func(a *Account) *string { return &a.TLSPriorities }, false),
	},
	{
		name: "tls_host_override", key: KeyTLSHostOverride, group: groupTLS, syntax: "HOSTNAME", def: "not set", empty: "unset",
		doc:    "Verify the certificate for this name instead of `host` (for example when `host` is an IP address).",
		option: "tls-host-override", optionArg: OptionArgRequired, pretend: "tls_host_override",
		v: text(func(a *Account) *string { return &a.TLSHostOverride }, false),
	},

	// Sendmail mode.
	{
		name: "auto_from", key: KeyAutoFrom, group: groupSendmail, syntax: "on|off", def: "off", empty: "on",
		deprecated: "use `from` with `%U` and `%M`",
		doc:        "Obsolete. Replace the envelope-from (even one given with `-f`) by USER@`maildomain`, or USER without a `maildomain`.",
		option:     "auto-from", optionArg: OptionArgOptional, pretend: "auto_from", sendmail: true,
		v: withShow(onOff(func(a *Account) *bool { return &a.AutoFrom }), func(a *Account) string { return showOnOff(a.AutoFrom) }),
	},
	{
		name: "maildomain", key: KeyMailDomain, group: groupSendmail, syntax: "DOMAIN", def: "not set", empty: "empty string",
		deprecated: "use `from` with `%M`",
		doc:        "Obsolete. The domain for `auto_from`.",
		option:     "maildomain", optionArg: OptionArgRequired, optionNote: "`--maildomain=` unsets it.",
		pretend: "maildomain", sendmail: true,
		v: value{
			set: func(a *Account, in input) error {
				if in.cli && in.arg == "" {
					a.MailDomain = OptString{}
				} else {
					a.MailDomain = Some(in.arg)
				}
				return nil
			},
			show: func(a *Account) string { return a.MailDomain.String() },
			copy: field[OptString](func(a *Account) *OptString { return &a.MailDomain }).copier(),
		},
	},
	{
		name: "from", key: KeyFrom, group: groupSendmail, syntax: "ADDRESS|PATTERN", def: "not set", empty: "empty (the null sender)",
		doc: "The envelope-from address. `-f ADDRESS` chooses the first account whose `from` matches: plain values compare " +
			"case-insensitively, values with `*`, `?` or `[` are shell patterns (case-sensitive, `*` matches `@` and `/`), " +
			"and `user+tag@domain` also matches `user@domain`. Then `%U` is replaced by the user name, `%H` by the host name, " +
			"`%C` by its canonical name, `%M` by the first line of /etc/mailname and `%F` by the address in the mail's From header.",
		option: "from", optionArg: OptionArgRequired, optionNote: "`-f '<>'` and `-f ''` give the null sender.",
		pretend: "from", sendmail: true,
		v: value{
			set: func(a *Account, in input) error {
				if in.cli && in.arg == "<>" {
					a.From = Some("")
				} else {
					a.From = Some(in.arg)
				}
				return nil
			},
			show: func(a *Account) string { return a.From.String() },
			copy: field[OptString](func(a *Account) *OptString { return &a.From }).copier(),
		},
	},
	{
		name: "from_full_name", key: KeyFromFullName, group: groupSendmail, syntax: "NAME", def: "not set", empty: "empty string",
		since:  "1.8.24",
		doc:    "The display name in a From header that msmtp adds.",
		option: "from-full-name", optionArg: OptionArgRequired, optionNote: "Set with `-F NAME`; there is no long option.",
		pretend: "from_full_name", sendmail: true,
		v: optText(func(a *Account) *OptString { return &a.FromFullName }),
	},
	{
		name: "allow_from_override", key: KeyAllowFromOverride, group: groupSendmail, syntax: "on|off", def: "on",
		empty: "error (unlike every other on/off command)",
		doc: "Whether `-f` or `--read-envelope-from` may replace this account's `from`. When off, they still choose the account. " +
			"Inherited like every other setting (msmtp 1.8.24 and later).",
		pretend: "allow_from_override", sendmail: true,
		v: withShow(choice(func(a *Account) *bool { return &a.AllowFromOverride }, emptyInvalid, false,
			word[bool]{"on", true}, word[bool]{"off", false}),
			func(a *Account) string { return showOnOff(a.AllowFromOverride) }),
	},
	{
		name: "set_from_header", key: KeySetFromHeader, group: groupSendmail, syntax: "auto|on|off", def: "auto", empty: "auto",
		doc:    "Add a From header: `auto` only when the mail has none, `on` always (replacing the mail's), `off` never.",
		option: "set-from-header", optionArg: OptionArgOptional, pretend: "set_from_header", sendmail: true,
		v: tristate(func(a *Account) *Tristate { return &a.SetFromHeader }, true),
	},
	{
		name: "set_date_header", key: KeySetDateHeader, group: groupSendmail, syntax: "auto|off", def: "auto", empty: "auto",
		doc:    "Add a Date header when the mail has none (`auto`), or never (`off`).",
		option: "set-date-header", optionArg: OptionArgOptional, pretend: "set_date_header", sendmail: true,
		v: tristate(func(a *Account) *Tristate { return &a.SetDateHeader }, false),
	},
	{
		name: "set_msgid_header", key: KeySetMsgIDHeader, group: groupSendmail, syntax: "auto|off", def: "auto", empty: "auto",
		doc:    "Add a Message-ID header when the mail has none (`auto`), or never (`off`).",
		option: "set-msgid-header", optionArg: OptionArgOptional, pretend: "set_msgid_header", sendmail: true,
		v: tristate(func(a *Account) *Tristate { return &a.SetMsgIDHeader }, false),
	},
	{
		name: "set_to_header", key: KeySetToHeader, group: groupSendmail, syntax: "on|off|undisclosed_recipients",
		def: "off", empty: "on", since: "1.8.29",
		doc: "When the mail has no To header, add one: `on` with the recipients, `undisclosed_recipients` with " +
			"`undisclosed-recipients:;`, `off` not at all.",
		option: "set-to-header", optionArg: OptionArgOptional, pretend: "set_to_header", sendmail: true,
		v: withShow(choice(func(a *Account) *ToHeader { return &a.SetToHeader }, emptyValue, ToHeaderOn,
			word[ToHeader]{"on", ToHeaderOn}, word[ToHeader]{"off", ToHeaderOff},
			word[ToHeader]{"undisclosed_recipients", ToHeaderUndisclosedRecipients}),
			func(a *Account) string { return a.SetToHeader.String() }),
	},
	{
		name: "remove_bcc_headers", key: KeyRemoveBccHeaders, group: groupSendmail, syntax: "on|off", def: "on", empty: "on",
		doc:    "Remove Bcc headers from the mail before sending it.",
		option: "remove-bcc-headers", optionArg: OptionArgOptional, pretend: "remove_bcc_headers", sendmail: true,
		v: withShow(onOff(func(a *Account) *bool { return &a.RemoveBccHeaders }), func(a *Account) string { return showOnOff(a.RemoveBccHeaders) }),
	},
	{
		name: "dsn_notify", key: KeyDSNNotify, group: groupSendmail, syntax: "off|never|CONDITIONS", def: "not set", empty: "error",
		doc: "Ask for delivery status notifications (RFC 3461 NOTIFY): `never`, or a comma-separated list of " +
			"`failure`, `delay`, `success`; `off` leaves it to the server.",
		option: "dsn-notify", optionArg: OptionArgRequired, pretend: "dsn_notify", sendmail: true,
		v: dsnNotify(),
	},
	{
		name: "dsn_return", key: KeyDSNReturn, group: groupSendmail, syntax: "off|headers|full", def: "not set", empty: "error",
		doc:    "How much of the mail a delivery status notification returns (RFC 3461 RET); `off` leaves it to the server.",
		option: "dsn-return", optionArg: OptionArgRequired, optionNote: "`-R` also accepts `hdrs`.",
		pretend: "dsn_return", sendmail: true,
		v: dsnReturn(),
	},
	{
		name: "logfile", key: KeyLogfile, group: groupSendmail, syntax: "FILE", def: "not set", empty: "unset",
		doc:    "Append a line per mail to FILE; `-` is standard output. `~` is expanded.",
		option: "logfile", optionArg: OptionArgRequired, pretend: "logfile", sendmail: true,
		v: text(func(a *Account) *string { return &a.Logfile }, true),
	},
	{
		name: "logfile_time_format", key: KeyLogfileTimeFormat, group: groupSendmail, syntax: "FORMAT",
		def: "`%b %d %H:%M:%S`", empty: "unset",
		doc:    "The strftime format of the log file's time stamp; `none` leaves the time stamp out (msmtp 1.8.28 and later).",
		option: "logfile-time-format", optionArg: OptionArgRequired, pretend: "logfile_time_format", sendmail: true,
		v: text(func(a *Account) *string { return &a.LogfileTimeFormat }, false),
	},
	{
		name: "syslog", key: KeySyslog, group: groupSendmail, syntax: "on|off|FACILITY", def: "off", empty: "on",
		doc:    "Log a line per mail to syslog; `on` uses `LOG_USER`, FACILITY is one of `LOG_USER`, `LOG_MAIL`, `LOG_LOCAL0` to `LOG_LOCAL7`.",
		option: "syslog", optionArg: OptionArgOptional, pretend: "syslog", sendmail: true,
		v: syslog(),
	},
	{
		name: "aliases", key: KeyAliases, group: groupSendmail, syntax: "FILE", def: "not set", empty: "unset",
		doc:    "Replace local recipients (without `@`) by the addresses FILE lists for them. `~` is expanded.",
		option: "aliases", optionArg: OptionArgRequired, pretend: "aliases", sendmail: true,
		v: text(func(a *Account) *string { return &a.Aliases }, true),
	},

	// The queue: our extension (docs/queue.md). --pretend prints these rows only for an account
	// with queue on, so that upstream's layout stays as it is.
	{
		name: "queue", key: KeyQueue, group: groupQueue, syntax: "on|off", def: "off", empty: "on", extension: true,
		doc: "Keep a mail that cannot be sent for a temporary reason in the queue instead of failing: the server " +
			"cannot be reached, or refuses for now (the exit statuses 68, 69, 71 and 75, which msmtpd answers with 451). " +
			"msmtp stores the mail before its first attempt, says on standard error that the mail was queued, and exits " +
			"0 (see `queue_exit_code`); `msmtp -q` sends it later. A permanent failure still fails as without a queue. " +
			"See [queue.md](queue.md).",
		option: "queue", optionArg: OptionArgOptional, optionNote: "`--queue` means on; `--queue-only` queues without trying to send.",
		pretend: "queue", sendmail: true, pretendIf: usesQueue,
		v: withShow(onOff(func(a *Account) *bool { return &a.Queue }), func(a *Account) string { return showOnOff(a.Queue) }),
	},
	{
		name: "queue_dir", key: KeyQueueDir, group: groupQueue, syntax: "DIRECTORY",
		def:   "`~/.msmtp.queue`; `/var/spool/msmtp` when run as root; on Windows `%LOCALAPPDATA%\\msmtp\\queue`",
		empty: "unset (the default applies)", extension: true,
		doc: "The queue directory, created with mode 0700 when missing. `msmtp -q`, `mailq`, `--queue-drop` and " +
			"`--queue-purge` work on the directory of the account `-a` names, else of the account `default`. `~` is expanded.",
		option: "queue-dir", optionArg: OptionArgRequired,
		pretend: "queue_dir", sendmail: true, pretendIf: usesQueue,
		v: text(func(a *Account) *string { return &a.QueueDir }, true),
	},
	{
		name: "queue_exit_code", key: KeyQueueExitCode, group: groupQueue, syntax: "0|75", def: "0", empty: "error",
		extension: true,
		doc: "The exit status after a failed attempt left the mail in the queue: 0 (the mail is safe, as msmtpq " +
			"does) or 75 (`EX_TEMPFAIL`, for callers that want to know).",
		pretend: "queue_exit_code", sendmail: true, pretendIf: usesQueue,
		v: withShow(choice(func(a *Account) *int { return &a.QueueExitCode }, emptyNeedsArg, 0,
			word[int]{"0", 0}, word[int]{"75", 75}),
			func(a *Account) string { return strconv.Itoa(a.QueueExitCode) }),
	},
	{
		name: "queue_retry_min", key: KeyQueueRetryMin, group: groupQueue, syntax: "DURATION", def: "`1m`",
		empty: "unset (the default applies)", extension: true,
		doc: "How long a queued mail waits after its first failed attempt; the wait doubles after each further " +
			"failure, up to `queue_retry_max`. " + durationDoc,
		pretend: "queue_retry_min", sendmail: true, pretendIf: usesQueue,
		v: duration(func(a *Account) *time.Duration { return &a.QueueRetryMin }),
	},
	{
		name: "queue_retry_max", key: KeyQueueRetryMax, group: groupQueue, syntax: "DURATION", def: "`4h`",
		empty: "unset (the default applies)", extension: true,
		doc:     "The longest wait between two attempts. " + durationDoc,
		pretend: "queue_retry_max", sendmail: true, pretendIf: usesQueue,
		v: duration(func(a *Account) *time.Duration { return &a.QueueRetryMax }),
	},
	{
		name: "queue_expire", key: KeyQueueExpire, group: groupQueue, syntax: "DURATION", def: "`5d`",
		empty: "unset (the default applies)", extension: true,
		doc: "How long a mail may stay in the queue: the first failure after this time is final, and the mail is " +
			"returned to its sender. " + durationDoc,
		pretend: "queue_expire", sendmail: true, pretendIf: usesQueue,
		v: duration(func(a *Account) *time.Duration { return &a.QueueExpire }),
	},

	// Deprecated forms. They set the field of the command that replaces them.
	{
		name: "add_missing_from_header", key: KeySetFromHeader, group: groupDeprecated, syntax: "on|off", empty: "on",
		deprecated: "use `set_from_header`", doc: "`on` is `set_from_header auto`, `off` is `set_from_header off`.",
		option: "add-missing-from-header", optionArg: OptionArgOptional,
		v: onOffMapped(func(a *Account) *Tristate { return &a.SetFromHeader }, TristateAuto, TristateOff),
	},
	{
		name: "add_missing_date_header", key: KeySetDateHeader, group: groupDeprecated, syntax: "on|off", empty: "on",
		deprecated: "use `set_date_header`", doc: "`on` is `set_date_header auto`, `off` is `set_date_header off`.",
		option: "add-missing-date-header", optionArg: OptionArgOptional,
		v: onOffMapped(func(a *Account) *Tristate { return &a.SetDateHeader }, TristateAuto, TristateOff),
	},
	{
		name: "keepbcc", key: KeyRemoveBccHeaders, group: groupDeprecated, syntax: "on|off", empty: "on",
		deprecated: "use `remove_bcc_headers`", doc: "`on` is `remove_bcc_headers off`, and the other way round.",
		option: "keepbcc", optionArg: OptionArgOptional,
		v: onOffMapped(func(a *Account) *bool { return &a.RemoveBccHeaders }, false, true),
	},
	{
		name: "undisclosed_recipients", key: KeySetToHeader, group: groupDeprecated, syntax: "on|off", empty: "on",
		deprecated: "use `set_to_header`", doc: "`on` is `set_to_header undisclosed_recipients`, `off` is `set_to_header off`.",
		option: "undisclosed-recipients", optionArg: OptionArgOptional,
		v: onOffMapped(func(a *Account) *ToHeader { return &a.SetToHeader }, ToHeaderUndisclosedRecipients, ToHeaderOff),
	},
	{
		name: "tls_nocertcheck", key: KeyTLSCertCheck, group: groupDeprecated, noArg: true,
		deprecated: "use `tls_certcheck off`", doc: "Same as `tls_certcheck off`.",
		v: value{set: func(a *Account, _ input) error { a.TLSCertCheck = false; return nil }},
	},
	{
		name: "tls_nostarttls", key: KeyTLSStartTLS, group: groupDeprecated, noArg: true,
		deprecated: "use `tls_starttls off`", doc: "Same as `tls_starttls off`.",
		v: value{set: func(a *Account, _ input) error { a.TLSStartTLS = false; return nil }},
	},
	{
		name: "tls_force_sslv3", group: groupDeprecated, syntax: "ANYTHING", ignore: true,
		deprecated: "SSLv3 is long gone; the command does nothing", doc: "Accepted and ignored, whatever the argument.",
		option: "tls-force-sslv3", optionArg: OptionArgOptional,
		v: value{set: func(*Account, input) error { return nil }},
	},
}

// withShow adds a --pretend formatter to a value.
func withShow(v value, show func(a *Account) string) value {
	v.show = show
	return v
}

// tristate is set_from_header (auto, on, off) or, without on, set_date_header and
// set_msgid_header. An empty argument means auto.
func tristate(f field[Tristate], withOn bool) value {
	words := []word[Tristate]{{"auto", TristateAuto}, {"off", TristateOff}}
	if withOn {
		words = append(words, word[Tristate]{"on", TristateOn})
	}
	return withShow(choice(f, emptyValue, TristateAuto, words...), func(a *Account) string { return f(a).String() })
}

func itoaNonZero(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// tableIndex finds rows by command name, option name and key.
type tableIndex struct {
	byName   map[string]*directive
	byOption map[string]*directive
	byKey    map[Key]*directive // the row that defines a key's copy and --pretend line
}

// index is computed once; the table never changes after initialisation.
var index = sync.OnceValue(func() *tableIndex {
	ix := &tableIndex{
		byName:   make(map[string]*directive),
		byOption: make(map[string]*directive),
		byKey:    make(map[Key]*directive),
	}
	for i := range table {
		d := &table[i]
		for _, n := range append([]string{d.name}, d.synonyms...) {
			ix.byName[n] = d
		}
		if d.option != "" {
			for _, o := range append([]string{d.option}, d.optionSynonyms...) {
				ix.byOption[o] = d
			}
		}
		if _, dup := ix.byKey[d.key]; d.key != "" && d.v.copy != nil && !dup {
			ix.byKey[d.key] = d
		}
	}
	return ix
})

// keys returns every key in --pretend order.
func keys() []Key {
	var ks []Key
	for _, d := range table {
		if d.key != "" && d.pretend != "" && !slices.Contains(ks, d.key) {
			ks = append(ks, d.key)
		}
	}
	return ks
}
