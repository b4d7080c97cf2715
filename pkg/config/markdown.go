package config

import (
	"fmt"
	"io"
	"strings"
)

//go:generate go run ./gendoc -o ../../docs/msmtprc.md

// groupTitles name the sections of the reference, in order.
var groupTitles = []struct {
	g     group
	title string
	intro string
}{
	{groupStructure, "File structure", ""},
	{groupConnection, "Connection", ""},
	{groupAuth, "Authentication", ""},
	{groupOAuth2, "OAuth2 (extension)", "msmtp gets and refreshes the access tokens of XOAUTH2 and OAUTHBEARER itself " +
		"(see [oauth2.md](oauth2.md) for Gmail, Microsoft 365 and msmtpd). These commands are not in msmtp; " +
		"they have no command-line options, and `--pretend` shows them only for an account with `oauth2_provider` set."},
	{groupTLS, "TLS", ""},
	{groupSendmail, "Sendmail mode", "These settings matter only when sending a mail (not for `--serverinfo` or `--rmqs`)."},
	{groupQueue, "Queue (extension)", "A durable queue for mail that cannot be sent now (see [queue.md](queue.md)). " +
		"These commands are not in msmtp; `--pretend` shows them only for an account with `queue` on."},
	{groupDeprecated, "Deprecated commands", "Still accepted so that old files keep working. Each sets the setting named in its description."},
}

// shortOptions are the one-letter forms of options, for the reference only: the
// command-line parser has its own table in cmd/msmtp.
var shortOptions = map[string]string{
	"from": "f", "from-full-name": "F", "dsn-notify": "N", "dsn-return": "R", "logfile": "X",
}

// WriteMarkdown writes the msmtprc reference, docs/msmtprc.md, from the directive table.
// The output is deterministic; a test compares it with the committed file.
func WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`# msmtprc reference

<!-- Generated from pkg/config/table.go by "go generate ./pkg/config". Do not edit. -->

msmtp reads the system file (` + "`/etc/msmtprc`" + `; on Windows ` + "`%ProgramData%\\msmtp\\msmtprc`" + `) and then the
user file (` + "`-C FILE`" + `, else ` + "`~/.msmtprc`" + `, else ` + "`$XDG_CONFIG_HOME/msmtp/config`" + ` or
` + "`~/.config/msmtp/config`" + `; on Windows ` + "`%APPDATA%\\msmtp\\msmtprc`" + `). A user account replaces a system account of
the same name.

Syntax, as in msmtp:

- One command per line: the command, blanks, the argument. Commands are case-sensitive.
- Blank lines and lines whose first non-blank character is ` + "`#`" + ` are ignored. There are no trailing
  comments: ` + "`host h # x`" + ` sets the host to ` + "`h # x`" + `.
- Leading and trailing blanks of the argument are removed; then one pair of double quotes enclosing
  the whole argument is removed (` + "`\"  x  \"`" + ` keeps its blanks). There are no escapes.
- A line may have at most 499 characters.
- ` + "`~`" + ` at the start of a file name is replaced by the home directory (only for commands that take a
  file name, as noted below).
- On/off commands take exactly ` + "`on`" + ` or ` + "`off`" + `; an empty argument means on.
- Numbers are decimal, ` + "`0x`" + ` hexadecimal or ` + "`0`" + ` octal.

Every setting can be given in ` + "`defaults`" + `, in an account, or inherited from a parent account; the
ones with a command-line option can be overridden there (` + "`--port=587`" + `).

Directives marked *msmtp X and later* are newer than the msmtp 1.8.23 that Debian 12 ships;
directives marked *extension* are this implementation's and not in msmtp.

`)
	b.WriteString("| command | argument | default | command line |\n| --- | --- | --- | --- |\n")
	for _, d := range table {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", d.name, anchor(d.name), cell(code(d.syntax)), cell(d.def), cell(optionUsage(&d)))
	}
	for _, gt := range groupTitles {
		fmt.Fprintf(&b, "\n## %s\n", gt.title)
		if gt.intro != "" {
			fmt.Fprintf(&b, "\n%s\n", gt.intro)
		}
		for _, d := range table {
			if d.group == gt.g {
				writeDirective(&b, &d)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDirective(b *strings.Builder, d *directive) {
	fmt.Fprintf(b, "\n### %s\n\n", d.name)
	fmt.Fprintf(b, "`%s`\n\n", strings.TrimSpace(d.name+" "+d.syntax))
	fmt.Fprintf(b, "%s\n\n", d.doc)
	if len(d.synonyms) > 0 {
		fmt.Fprintf(b, "- Also written: %s\n", codeList(d.synonyms))
	}
	if d.def != "" {
		fmt.Fprintf(b, "- Default: %s\n", d.def)
	}
	if d.empty != "" {
		fmt.Fprintf(b, "- Empty argument: %s\n", d.empty)
	}
	if u := optionUsage(d); u != "" {
		fmt.Fprintf(b, "- Command line: %s", u)
		if d.optionNote != "" {
			fmt.Fprintf(b, ". %s", d.optionNote)
		}
		b.WriteString("\n")
	}
	if d.pretend != "" {
		fmt.Fprintf(b, "- `--pretend` shows: `%s = ...`\n", d.pretend)
	}
	if d.deprecated != "" {
		fmt.Fprintf(b, "- Deprecated: %s.\n", d.deprecated)
	}
	switch {
	case d.extension:
		b.WriteString("- Origin: extension (not in msmtp)\n")
	case d.since != "":
		fmt.Fprintf(b, "- Origin: msmtp %s and later\n", d.since)
	default:
		b.WriteString("- Origin: msmtp\n")
	}
}

// optionUsage shows how the command line sets a directive: "`--tls[=on|off]`".
func optionUsage(d *directive) string {
	if d.option == "" {
		return ""
	}
	arg := d.syntax
	if arg == "" {
		arg = "VALUE"
	}
	var forms []string
	if s, ok := shortOptions[d.option]; ok {
		forms = append(forms, "`-"+s+" "+arg+"`")
	}
	if d.option != "from-full-name" {
		for _, o := range append([]string{d.option}, d.optionSynonyms...) {
			switch d.optionArg {
			case OptionArgOptional:
				forms = append(forms, "`--"+o+"[="+arg+"]`")
			case OptionArgRequired:
				forms = append(forms, "`--"+o+"="+arg+"`")
			default:
				forms = append(forms, "`--"+o+"`")
			}
		}
	}
	return strings.Join(forms, ", ")
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// cell escapes the pipes of a table cell (GitHub Markdown wants that also in code spans).
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func codeList(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, ", ")
}

// anchor is the GitHub heading anchor of a command name.
func anchor(name string) string { return strings.ToLower(name) }
