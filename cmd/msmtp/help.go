package main

// The --help and --version texts (spec-cli-config.md §1.8 and §1.10). The wording is ours;
// the structure follows upstream's, because people know where to look: usage lines per
// mode, then the option groups, then the list of accepted-but-ignored sendmail options.

import (
	"sort"
	"strings"
)

// bugReportURL is where the help text sends bug reports.
const bugReportURL = "https://github.com/msmtp-go/msmtp/issues"

// helpColumn is where option descriptions start, as in upstream's help: two blanks, the
// option text padded to 29 characters (one blank if it is longer).
const helpColumn = 31

// helpEntry is one option line of the help; a description may span lines ("\n").
type helpEntry struct {
	option, desc string
}

type helpGroup struct {
	title   string
	entries []helpEntry
}

// helpGroups is the option part of the help, in upstream's groups.
func helpGroups() []helpGroup {
	return []helpGroup{
		{"General options:", []helpEntry{
			{"--version", "show the version, what is built in, and the configuration file names"},
			{"--help", "show this help"},
			{"-P, --pretend", "show the configuration that would be used and stop"},
			{"-d, -v, --debug", "show the configuration and the SMTP session"},
		}},
		{"Changing the mode of operation:", []helpEntry{
			{"--configure=mailaddress", "print an account for the address (DNS SRV)"},
			{"-S, --serverinfo", "show what the server offers"},
			{"--rmqs=host|@domain|#queue", "ask the server to deliver held mail (ETRN)"},
			{"-bm", "sendmail mode (the default)"},
			{"-bs", "speak SMTP on standard input and output"},
			{"-bp, --queue-list", "list the queued mail (as mailq does)"},
			{"-q[time|filter], --flush", "deliver the queued mail that is due once, or every time (-q30m, -q1h); the filters -qIstr, -qRstr, -qSstr (-q!Rstr to negate) select the items whose queue id, recipient or sender contains str"},
			{"--force", "with -q: deliver every selected mail now, whatever its back-off"},
			{"--queue-drop=id", "remove this mail from the queue (may be repeated)"},
			{"--queue-purge", "remove every mail from the queue"},
			{"-bi, -I", "do nothing (there is no alias database)"},
			{"--oauth2-login", "authorize msmtp at the account's OAuth2 provider (device code) and store the tokens"},
			{"--redirect", "with --oauth2-login: authorize in a browser on this computer instead"},
		}},
		{"Configuration options:", []helpEntry{
			{"-C, --file=filename", "use this user configuration file"},
			{"-a, --account=id", "use this account instead of the one named \"default\"; command-line options override its settings"},
			{"--host=hostname", "use this server with command-line settings only; read no configuration file"},
			{"--port=number", "server port"},
			{"--source-ip=[IP]", "local address to connect from; empty: any"},
			{"--proxy-host=[IP|hostname]", "connect through this SOCKS proxy; empty: none"},
			{"--proxy-port=[number]", "SOCKS proxy port; empty: 1080"},
			{"--socket=[socketname]", "connect to this local socket instead of a host"},
			{"--timeout=(off|seconds)", "network timeout (old name: --connect-timeout)"},
			{"--protocol=(smtp|lmtp)", "the protocol to speak"},
			{"--domain=string", "the argument of EHLO or LHLO"},
			{"--auth[=(on|off|method)]", "authenticate, choosing the method automatically or using the one given"},
			{"--user=[username]", "user name for authentication; empty: none"},
			{"--passwordeval=[eval]", "command that prints the password; empty: none"},
			{"--tls[=(on|off)]", "use TLS"},
			{"--tls-starttls[=(on|off)]", "start TLS with STARTTLS; off: TLS from the start"},
			{"--tls-trust-file=[file]", "trusted CA certificates, or system; empty: none"},
			{"--tls-crl-file=[file]", "certificate revocation list; empty: none"},
			{"--tls-fingerprint=[f]", "trust only the server certificate with this SHA256, SHA1 or MD5 fingerprint; empty: none"},
			{"--tls-certcheck[=(on|off)]", "verify the server certificate"},
			{"--tls-key-file=[file]", "client certificate key; empty: none"},
			{"--tls-cert-file=[file]", "client certificate; empty: none"},
			{"--tls-priorities=[prios]", "TLS priority string; empty: defaults"},
			{"--tls-host-override=[host]", "verify the certificate against this host name"},
			{"--tls-min-dh-prime-bits=[b]", "smallest Diffie-Hellman prime to accept"},
		}},
		{"Options specific to sendmail mode:", []helpEntry{
			{"-f, --from=address", "envelope-from address; <> is the null sender"},
			{"-r address", "the same as -f (its old name)"},
			{"-F name", "full name for a From header that msmtp adds"},
			{"--read-envelope-from", "take the envelope-from address from the mail"},
			{"-t, --read-recipients", "also send to the To, Cc and Bcc addresses"},
			{"-i, -oi", "a line with a lone dot does not end the mail (also -O IgnoreDots)"},
			{"-N, --dsn-notify=(off|cond)", "delivery status notifications: never, or a list of failure, delay, success; off: the server's default"},
			{"-R, --dsn-return=(off|ret)", "what a notification returns: hdrs or full"},
			{"-V envid", "envelope identifier for notifications"},
			{"-X, --logfile=[file]", "log one line per mail to this file (-: standard output); empty: no log file"},
			{"--logfile-time-format=[fmt]", "strftime() format of the log file's time stamp"},
			{"--syslog[=(on|off|facility)]", "log to syslog; on: LOG_USER"},
			{"--aliases=[file]", "replace local recipients using this aliases file"},
			{"--set-from-header[=(auto|on|off)]", "add a From header: when missing, always or never"},
			{"--set-date-header[=(auto|off)]", "add a Date header when missing, or never"},
			{"--set-msgid-header[=(auto|off)]", "add a Message-ID header when missing, or never"},
			{"--set-to-header[=(on|off|undisclosed_recipients)]", "replace To/Cc/Bcc with a To header listing the recipients, or with To: undisclosed-recipients:;"},
			{"--remove-bcc-headers[=(on|off)]", "remove Bcc headers"},
			{"--undisclosed-recipients[=(on|off)]", "the same as --set-to-header=undisclosed_recipients"},
			{"--auto-from[=(on|off)]", "obsolete: envelope-from user@maildomain"},
			{"--maildomain=[domain]", "obsolete: the domain for --auto-from"},
			{"--add-missing-from-header[=(on|off)]", "old name of --set-from-header=(auto|off)"},
			{"--add-missing-date-header[=(on|off)]", "old name of --set-date-header=(auto|off)"},
			{"--keepbcc[=(on|off)]", "old opposite of --remove-bcc-headers"},
			{"--tls-force-sslv3[=(on|off)]", "accepted for old scripts; does nothing"},
			{"--", "end of options"},
		}},
		{"Queue options:", []helpEntry{
			{"--queue[=(on|off)]", "keep a mail that cannot be sent now in the queue for -q, and exit 0 (see queue_exit_code)"},
			{"--queue-only", "queue the mail without trying to send it (also when run as msmtpq)"},
			{"--queue-dir=dir", "the queue directory; default ~/.msmtp.queue, /var/spool/msmtp for root"},
		}},
	}
}

// ignoredOptions lists the options that are accepted and ignored, from the option table,
// sorted as upstream sorts them ("-B" before "-bm", "-O" before "-o").
func ignoredOptions() []string {
	list := []string{"-bm"}
	for _, o := range options() {
		switch o.act {
		case actIgnore, actBodyType, actSendmailOption, actSendmailLongOpt:
			list = append(list, "-"+string([]byte{o.short}))
		}
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := strings.ToLower(list[i]), strings.ToLower(list[j])
		if a != b {
			return a < b
		}
		return list[i] < list[j] // upper case first
	})
	return list
}

// HelpText returns the --help output. program is the name msmtp was invoked as (the base
// name of argv[0]); it appears in the usage lines, so "sendmail --help" shows
// "sendmail [option...] [--] recipient...".
func HelpText(program string) string {
	var b strings.Builder
	usage := func(lines ...string) {
		for _, l := range lines {
			b.WriteString("  " + strings.ReplaceAll(l, "PRG", program) + "\n")
		}
	}
	b.WriteString("Usage:\n\n")
	b.WriteString("Sendmail mode (default):\n")
	usage("PRG [option...] [--] recipient...",
		"PRG [option...] -t [--] [recipient...]",
		"Read a mail on standard input and submit it to an SMTP or LMTP server.")
	b.WriteString("Configuration mode:\n")
	usage("PRG --configure=mailaddress",
		"Find the submission server of the address and print an account for it.")
	b.WriteString("Server information mode:\n")
	usage("PRG [option...] --serverinfo",
		"Connect to the server and show its greeting, TLS and capabilities.")
	b.WriteString("Remote Message Queue Starting mode:\n")
	usage("PRG [option...] --rmqs=host|@domain|#queue",
		"Ask the server to deliver the mail it holds for a host, domain or queue.")
	b.WriteString("Sendmail compatibility modes:\n")
	usage("PRG [option...] -bs",
		"Speak SMTP on standard input and output; submit each mail received.",
		"PRG -bp, mailq",
		"List the queued mail.",
		"PRG [option...] -q[argument] [--force]",
		"Deliver the queued mail.",
		"PRG [option...] --queue-drop=id..., PRG [option...] --queue-purge",
		"Remove queued mail.",
		"PRG -bi, PRG -I, newaliases",
		"Do nothing and succeed.")
	b.WriteString("Queue management in the way of msmtpq's msmtp-queue:\n")
	usage("msmtp-queue -r|-d|-a|-h, msmtp-queue -R|-p id...",
		"Send all (-r), list (-d, the default), remove all (-a); send (-R) or remove",
		"(-p) the mail with these ids. msmtpq --q-mgmt takes the same options.")
	b.WriteString("OAuth2 login mode:\n")
	usage("PRG [option...] [-a account] --oauth2-login [--redirect]",
		"Authorize msmtp at the account's OAuth2 provider; see oauth2_provider.")
	b.WriteString("\n")
	for _, g := range helpGroups() {
		b.WriteString(g.title + "\n")
		for _, e := range g.entries {
			writeHelpEntry(&b, e)
		}
	}
	const ignored = "Accepted but ignored: "
	writeWrapped(&b, ignored, strings.Repeat(" ", len(ignored)), strings.Join(ignoredOptions(), ", "))
	b.WriteString("\nReport bugs at <" + bugReportURL + ">.\n")
	return b.String()
}

// helpWidth is the widest line the help may have, so that it fits an 80-column terminal.
const helpWidth = 79

func writeHelpEntry(b *strings.Builder, e helpEntry) {
	line := "  " + e.option
	if len(line) < helpColumn {
		line += strings.Repeat(" ", helpColumn-len(line))
	} else {
		line += " "
	}
	writeWrapped(b, line, strings.Repeat(" ", helpColumn), e.desc)
}

// writeWrapped writes text after first, breaking it at blanks so that no line is wider
// than helpWidth; continuation lines start with indent. A word too long for a line is
// written on a line of its own.
func writeWrapped(b *strings.Builder, first, indent, text string) {
	line := first
	empty := true // nothing but the prefix on the line yet
	for _, w := range strings.Fields(text) {
		if !empty && len(line)+1+len(w) > helpWidth {
			b.WriteString(line + "\n")
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	b.WriteString(line + "\n")
}

// authMethods lists the SASL mechanisms built in, in HEAD's order of preference
// (spec-cli-config.md §1.10).
const authMethods = "scram-sha-256-plus scram-sha-1-plus scram-sha-256 scram-sha-1 plain " +
	"external oauthbearer cram-md5 login xoauth2"

// VersionInfo holds what the --version text reports; main fills it in from the build and
// from the configuration-file discovery.
type VersionInfo struct {
	// Version is the program version.
	Version string
	// GOOS and GOARCH name the platform (runtime.GOOS, runtime.GOARCH); GOOS also decides
	// which keyring is reported.
	GOOS, GOARCH string
	// GoVersion is the Go release that built the program (runtime.Version()).
	GoVersion string
	// IDN reports whether internationalized domain names are converted (IDNA 2008).
	IDN bool
	// SystemConfigFile and UserConfigFile are the configuration file names in use; the
	// user file name is the resolved one (for example /home/joe/.msmtprc).
	SystemConfigFile, UserConfigFile string
}

// keyringName names the system keyring that pkg/secret uses on goos.
func keyringName(goos string) string {
	switch goos {
	case "windows":
		return "Windows Credential Manager"
	case "darwin":
		return "macOS Keychain"
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly", "solaris", "illumos":
		return "Secret Service (D-Bus)"
	}
	return "none"
}

// VersionText returns the --version output. Its first line keeps upstream's form
// "msmtp version X", which scripts (msmtpq among them) look for.
func VersionText(v VersionInfo) string {
	idn := "disabled"
	if v.IDN {
		idn = "enabled"
	}
	var b strings.Builder
	b.WriteString("msmtp version " + v.Version + "\n")
	b.WriteString("Platform: " + v.GOOS + "/" + v.GOARCH + ", built with " + v.GoVersion + "\n")
	b.WriteString("TLS/SSL library: Go crypto/tls\n")
	b.WriteString("Authentication library: built-in\n")
	b.WriteString("Supported authentication methods:\n")
	b.WriteString(authMethods + "\n")
	b.WriteString("IDN support: " + idn + "\n")
	b.WriteString("NLS: disabled (messages are in English)\n")
	b.WriteString("Keyring support: " + keyringName(v.GOOS) + "\n")
	b.WriteString("System configuration file name: " + v.SystemConfigFile + "\n")
	b.WriteString("User configuration file name: " + v.UserConfigFile + "\n")
	b.WriteString("\n")
	b.WriteString("Copyright (C) 2026 The msmtp-go authors.\n")
	b.WriteString("This is free software under the MIT License: you may use, change and\n")
	b.WriteString("pass it on. There is NO WARRANTY, to the extent permitted by law.\n")
	return b.String()
}
