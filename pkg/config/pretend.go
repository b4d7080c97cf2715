package config

import (
	"fmt"
	"io"
	"strings"
)

// PretendOptions say which parts of the --pretend output apply.
type PretendOptions struct {
	Mode Mode
	// ReadRecipients is -t: the last line then says "... from the command line and the mail".
	ReadRecipients bool
	// RMQS is the --rmqs argument, printed in rmqs mode.
	RMQS string
}

// WritePretend writes the configuration dump of --pretend and --debug (spec-cli-config.md
// §2.11, spec-mail-smtp.md §5.7, msmtp 1.8.33's layout): "using account ID from FILE" for
// an account from a file, then one "key = value" line per setting in table order, the
// sendmail-mode settings and the recipients line only in sendmail mode, and the RMQS
// argument in rmqs mode. Passwords print as "*".
func WritePretend(w io.Writer, a *Account, opts PretendOptions) error {
	var b strings.Builder
	if a.File != "" {
		fmt.Fprintf(&b, "using account %s from %s\n", a.Name, a.File)
	}
	for _, l := range pretendLines(a, opts.Mode) {
		fmt.Fprintf(&b, "%s = %s\n", l.label, l.value)
	}
	switch opts.Mode {
	case ModeSendmail:
		b.WriteString("reading recipients from the command line")
		if opts.ReadRecipients {
			b.WriteString(" and the mail")
		}
		b.WriteString("\n")
	case ModeRMQS:
		fmt.Fprintf(&b, "RMQS argument = %s\n", opts.RMQS)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type pretendLine struct {
	key          Key
	label, value string
}

// pretendLines are the "key = value" lines of the dump, driven by the table.
func pretendLines(a *Account, mode Mode) []pretendLine {
	var lines []pretendLine
	for _, d := range table {
		if d.pretend == "" || d.sendmail && mode != ModeSendmail || d.pretendIf != nil && !d.pretendIf(a) {
			continue
		}
		lines = append(lines, pretendLine{key: d.key, label: d.pretend, value: d.v.show(a)})
	}
	return lines
}
