package config

import (
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Account is one resolved msmtp account: every setting the delivery library and the
// --pretend output need, with typed values. The zero value is not useful; start from
// Defaults().
//
// Strings that upstream distinguishes as "unset" versus "empty" are OptString (host, from,
// from_full_name, maildomain); for every other string setting "" means unset, because
// upstream's empty argument unsets it.
type Account struct {
	// Name is the account's name ("default" for the implicit account of old files);
	// empty for an account made from command-line settings or from EMAIL/SMTPSERVER.
	Name string
	// File is the configuration file the account came from; empty when it did not come
	// from a file (see Name).
	File string

	Host      OptString // SMTP server; Set with an empty Value only from --host=
	Port      int       // 0 = not set (a default is computed after selection)
	SourceIP  string
	ProxyHost string
	ProxyPort int // 0 = not set (1080 once a proxy host is set)
	Socket    string
	Timeout   time.Duration // 0 = off; whole seconds
	Protocol  Protocol
	Domain    string // EHLO/LHLO argument; may be empty

	Auth         AuthMethod
	User         string
	Password     Secret
	PasswordEval string
	NTLMDomain   string

	// OAuth2 (our extension): with OAuth2Provider set, msmtp gets the access token that
	// XOAUTH2 and OAUTHBEARER send from its own token store, refreshing it as needed, and
	// password, passwordeval, the keyring and netrc are not consulted. See docs/oauth2.md.
	OAuth2Provider         string // "" (off), OAuth2Google, OAuth2Microsoft or OAuth2Custom
	OAuth2ClientID         string
	OAuth2ClientSecret     Secret
	OAuth2ClientSecretEval string
	OAuth2Tenant           string // Microsoft's tenant; "" means common
	OAuth2AuthEndpoint     string // overrides the provider's; "" = the provider's
	OAuth2TokenEndpoint    string
	OAuth2DeviceEndpoint   string
	OAuth2Scopes           string // space-separated; "" = the provider's
	// OAuth2TokenStore is "file:PATH" or "keyring". Resolve fills in the default (a file
	// beside the user configuration file) for an account with OAuth2Provider set.
	OAuth2TokenStore string

	TLS               bool
	TLSStartTLS       bool
	TLSTrustFile      string // a file name, TrustSystem, or "" (not set)
	TLSCRLFile        string
	TLSFingerprints   []Fingerprint // any one of them matching is enough
	TLSKeyFile        string
	TLSCertFile       string
	TLSCertCheck      bool
	TLSMinDHPrimeBits int // 0 = not set
	TLSPriorities     string
	TLSHostOverride   string

	// Sendmail mode.
	AutoFrom          bool
	MailDomain        OptString
	From              OptString // Set with an empty Value: the null sender
	FromFullName      OptString
	AllowFromOverride bool
	SetFromHeader     Tristate
	SetDateHeader     Tristate // never TristateOn
	SetMsgIDHeader    Tristate // never TristateOn
	SetToHeader       ToHeader
	RemoveBccHeaders  bool
	DSNNotify         string // "" (not set), "NEVER", or a list such as "SUCCESS,FAILURE"
	DSNReturn         DSNReturn
	Logfile           string // "-" means standard output
	LogfileTimeFormat string // strftime format; "" = upstream's default
	Syslog            string // facility such as "LOG_USER"; "" = no syslog
	Aliases           string

	// The queue (our extension, docs/queue.md): with Queue on, a mail that cannot be sent
	// for a temporary reason is kept and sent later by `msmtp -q`.
	Queue         bool
	QueueDir      string        // "" = the default directory (the caller knows it)
	QueueExitCode int           // 0 or 75: the exit status after queueing a mail
	QueueRetryMin time.Duration // 0 = the queue's default
	QueueRetryMax time.Duration // 0 = the queue's default
	QueueExpire   time.Duration // 0 = the queue's default

	origins map[Key]Origin
}

// OptString is a string setting that may be unset, for the settings where upstream treats an
// empty value differently from no value (an empty from is the null sender).
type OptString struct {
	Value string
	Set   bool
}

// Some returns a set OptString.
func Some(s string) OptString { return OptString{Value: s, Set: true} }

// String returns the value, or "(not set)" as --pretend prints it.
func (o OptString) String() string {
	if !o.Set {
		return notSet
	}
	return o.Value
}

const notSet = "(not set)"

// Secret is a password. It prints as "*" (or "(not set)") so that it cannot leak through
// --pretend, logs or %v; Reveal gives the value to the code that authenticates.
type Secret struct {
	value string
	set   bool
}

// NewSecret returns a set password (possibly empty: an empty passwordeval line is an empty
// password, not a missing one).
func NewSecret(s string) Secret { return Secret{value: s, set: true} }

// Reveal returns the password and whether one is set.
func (s Secret) Reveal() (string, bool) { return s.value, s.set }

// IsSet reports whether a password is set.
func (s Secret) IsSet() bool { return s.set }

// String returns "*" or "(not set)", never the password.
func (s Secret) String() string {
	if s.set {
		return "*"
	}
	return notSet
}

// GoString keeps %#v from printing the password.
func (s Secret) GoString() string { return "config.Secret(" + s.String() + ")" }

// Protocol is the protocol spoken to the server.
type Protocol uint8

// The protocols of the protocol command.
const (
	SMTP Protocol = iota
	LMTP
)

// String returns the protocol as msmtprc and --pretend write it.
func (p Protocol) String() string {
	if p == LMTP {
		return "lmtp"
	}
	return "smtp"
}

// AuthMethod is the auth setting: AuthNone, AuthAuto or a SASL mechanism name in upper
// case as msmtp stores it ("PLAIN", "SCRAM-SHA-256-PLUS", ...).
type AuthMethod string

// The auth values that are not mechanism names.
const (
	AuthNone AuthMethod = ""     // auth off
	AuthAuto AuthMethod = "auto" // auth on: choose the best mechanism the server offers
)

// authMethods are the mechanisms the auth command accepts (HEAD's list), lower case as they
// must be written.
var authMethods = []string{
	"plain", "scram-sha-1", "scram-sha-1-plus", "scram-sha-256", "scram-sha-256-plus",
	"gssapi", "external", "login", "ntlm", "oauthbearer", "cram-md5", "digest-md5", "xoauth2",
}

// String returns the value as --pretend prints it: "none", "choose" or the mechanism.
func (m AuthMethod) String() string {
	switch m {
	case AuthNone:
		return "none"
	case AuthAuto:
		return "choose"
	}
	return string(m)
}

// The values of oauth2_provider.
const (
	OAuth2Google    = "google"
	OAuth2Microsoft = "microsoft"
	OAuth2Custom    = "custom"
)

// OAuth2TokenStoreKeyring is the oauth2_token_store value that keeps tokens in the system
// keyring; the other form is "file:PATH".
const OAuth2TokenStoreKeyring = "keyring"

// Tristate is the value of set_from_header, set_date_header and set_msgid_header.
type Tristate uint8

// The Tristate values. The zero value is auto, upstream's default.
const (
	TristateAuto Tristate = iota
	TristateOn
	TristateOff
)

// String returns the value as msmtprc and --pretend write it.
func (t Tristate) String() string {
	switch t {
	case TristateOn:
		return "on"
	case TristateOff:
		return "off"
	}
	return "auto"
}

// ToHeader is the set_to_header setting: whether to add a To header when the mail has none.
type ToHeader uint8

// The ToHeader values.
const (
	ToHeaderOff                   ToHeader = iota // add nothing
	ToHeaderOn                                    // add the recipients
	ToHeaderUndisclosedRecipients                 // add "To: undisclosed-recipients:;"
)

// String returns the value as msmtprc and --pretend write it.
func (t ToHeader) String() string {
	switch t {
	case ToHeaderOn:
		return "on"
	case ToHeaderUndisclosedRecipients:
		return "undisclosed_recipients"
	}
	return "off"
}

// DSNReturn is the dsn_return setting (RFC 3461 RET).
type DSNReturn string

// The DSNReturn values.
const (
	DSNReturnNone    DSNReturn = ""
	DSNReturnHeaders DSNReturn = "HDRS"
	DSNReturnFull    DSNReturn = "FULL"
)

// TrustSystem is the tls_trust_file value that means the system's trusted CAs.
const TrustSystem = "system"

// Fingerprint is a pinned certificate digest: 32 bytes (SHA-256), 20 (SHA-1) or 16 (MD5).
type Fingerprint []byte

// String formats the digest as upstream prints it: upper-case hex pairs joined by colons.
func (f Fingerprint) String() string {
	var b strings.Builder
	for i, c := range []byte(f) {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

// Key names one account setting: the unit that "explicitly set" bookkeeping, inheritance
// and command-line overrides work on (upstream's mask bits). Its value is the setting's
// msmtprc command name.
type Key string

// The keys, in --pretend order.
const (
	KeyHost              Key = "host"
	KeyPort              Key = "port"
	KeySourceIP          Key = "source_ip"
	KeyProxyHost         Key = "proxy_host"
	KeyProxyPort         Key = "proxy_port"
	KeySocket            Key = "socket"
	KeyTimeout           Key = "timeout"
	KeyProtocol          Key = "protocol"
	KeyDomain            Key = "domain"
	KeyAuth              Key = "auth"
	KeyUser              Key = "user"
	KeyPassword          Key = "password"
	KeyPasswordEval      Key = "passwordeval"
	KeyNTLMDomain        Key = "ntlmdomain"
	KeyTLS               Key = "tls"
	KeyTLSStartTLS       Key = "tls_starttls"
	KeyTLSTrustFile      Key = "tls_trust_file"
	KeyTLSCRLFile        Key = "tls_crl_file"
	KeyTLSFingerprint    Key = "tls_fingerprint"
	KeyTLSKeyFile        Key = "tls_key_file"
	KeyTLSCertFile       Key = "tls_cert_file"
	KeyTLSCertCheck      Key = "tls_certcheck"
	KeyTLSMinDHPrimeBits Key = "tls_min_dh_prime_bits"
	KeyTLSPriorities     Key = "tls_priorities"
	KeyTLSHostOverride   Key = "tls_host_override"
	KeyAutoFrom          Key = "auto_from"
	KeyMailDomain        Key = "maildomain"
	KeyFrom              Key = "from"
	KeyFromFullName      Key = "from_full_name"
	KeyAllowFromOverride Key = "allow_from_override"
	KeySetFromHeader     Key = "set_from_header"
	KeySetDateHeader     Key = "set_date_header"
	KeySetMsgIDHeader    Key = "set_msgid_header"
	KeySetToHeader       Key = "set_to_header"
	KeyRemoveBccHeaders  Key = "remove_bcc_headers"
	KeyDSNNotify         Key = "dsn_notify"
	KeyDSNReturn         Key = "dsn_return"
	KeyLogfile           Key = "logfile"
	KeyLogfileTimeFormat Key = "logfile_time_format"
	KeySyslog            Key = "syslog"
	KeyAliases           Key = "aliases"
)

// The keys of the OAuth2 extension. --pretend prints them after ntlmdomain, and only for an
// account with oauth2_provider set, so upstream's layout is unchanged for every other one.
const (
	KeyOAuth2Provider         Key = "oauth2_provider"
	KeyOAuth2ClientID         Key = "oauth2_client_id"
	KeyOAuth2ClientSecret     Key = "oauth2_client_secret"
	KeyOAuth2ClientSecretEval Key = "oauth2_client_secret_eval"
	KeyOAuth2Tenant           Key = "oauth2_tenant"
	KeyOAuth2AuthEndpoint     Key = "oauth2_auth_endpoint"
	KeyOAuth2TokenEndpoint    Key = "oauth2_token_endpoint"
	KeyOAuth2DeviceEndpoint   Key = "oauth2_device_endpoint"
	KeyOAuth2Scopes           Key = "oauth2_scopes"
	KeyOAuth2TokenStore       Key = "oauth2_token_store"
)

// The keys of the queue extension. --pretend prints them after aliases, and only for an
// account with queue on.
const (
	KeyQueue         Key = "queue"
	KeyQueueDir      Key = "queue_dir"
	KeyQueueExitCode Key = "queue_exit_code"
	KeyQueueRetryMin Key = "queue_retry_min"
	KeyQueueRetryMax Key = "queue_retry_max"
	KeyQueueExpire   Key = "queue_expire"
)

// OriginKind says what kind of place a setting's value came from.
type OriginKind uint8

// The origins of a value.
const (
	OriginBuiltIn     OriginKind = iota // upstream's built-in default: nothing set it
	OriginDefaults                      // a "defaults" section (does not count as explicitly set)
	OriginFile                          // the account's own command, or a parent's (explicit)
	OriginCommandLine                   // a command-line option
	OriginMail                          // the envelope-from read from the mail (--read-envelope-from)
	OriginEnvironment                   // EMAIL / SMTPSERVER
	OriginComputed                      // filled in after selection (port, tls_trust_file, proxy port)
)

// Origin is where a setting's value came from. File and Line are set for OriginDefaults and
// OriginFile; for an inherited value they name the line in the parent that set it.
type Origin struct {
	Kind OriginKind
	File string
	Line int
}

// Explicit reports whether the value counts as explicitly set in upstream's sense: set by
// the account itself, a parent, the command line or the environment, but not by a defaults
// section or a built-in or computed default. Only explicit values are inherited.
func (o Origin) Explicit() bool {
	switch o.Kind {
	case OriginFile, OriginCommandLine, OriginMail, OriginEnvironment:
		return true
	}
	return false
}

// String describes the origin for people: "FILE:LINE", "defaults FILE:LINE",
// "command line", "mail", "environment", "computed" or "built-in".
func (o Origin) String() string {
	pos := o.File + ":" + strconv.Itoa(o.Line)
	switch o.Kind {
	case OriginDefaults:
		return "defaults " + pos
	case OriginFile:
		return pos
	case OriginCommandLine:
		return "command line"
	case OriginMail:
		return "mail"
	case OriginEnvironment:
		return "environment"
	case OriginComputed:
		return "computed"
	}
	return "built-in"
}

// Origin returns where the value of k came from.
func (a *Account) Origin(k Key) Origin { return a.origins[k] }

// Explicit reports whether k was explicitly set (see Origin.Explicit).
func (a *Account) Explicit(k Key) bool { return a.origins[k].Explicit() }

func (a *Account) setOrigin(k Key, o Origin) {
	if a.origins == nil {
		a.origins = make(map[Key]Origin)
	}
	a.origins[k] = o
}

// Defaults returns an account with upstream's built-in defaults (spec-cli-config.md §2.5).
// Values computed from other settings (port, tls_trust_file, proxy port) are filled in only
// after selection, by Resolve.
func Defaults() *Account {
	return &Account{
		Protocol:          SMTP,
		Domain:            "localhost",
		TLSStartTLS:       true,
		TLSCertCheck:      true,
		AllowFromOverride: true,
		SetFromHeader:     TristateAuto,
		SetDateHeader:     TristateAuto,
		SetMsgIDHeader:    TristateAuto,
		SetToHeader:       ToHeaderOff,
		RemoveBccHeaders:  true,
	}
}

// Clone returns a deep copy.
func (a *Account) Clone() *Account {
	c := *a
	c.TLSFingerprints = slices.Clone(a.TLSFingerprints)
	c.origins = maps.Clone(a.origins)
	return &c
}
