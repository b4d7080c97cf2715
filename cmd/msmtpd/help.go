package main

// The --help and --version texts. The wording is ours; the structure follows upstream's
// (usage line, then one line per option), and the option lines are made from settingTable.

import (
	"runtime"
	"strings"
)

// helpColumn is where option descriptions start; helpWidth is the width they wrap at.
const (
	helpColumn = 32
	helpWidth  = 79
)

// wrap breaks text into lines of at most width bytes at blanks, indenting every line but the
// first.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(text) {
		if i > 0 && n+1+len(w) > width {
			b.WriteString("\n" + indent)
			n = 0
		} else if i > 0 {
			b.WriteString(" ")
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// helpText is the --help output.
func helpText(table []setting) string {
	var b strings.Builder
	b.WriteString("Usage: msmtpd [option...]\n")
	b.WriteString("A small SMTP server that passes each mail it receives on to msmtp.\n")
	b.WriteString("Options:\n")
	line := func(opt, help string) {
		b.WriteString("  " + opt)
		if pad := helpColumn - 2 - len(opt); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		} else {
			b.WriteString("\n" + strings.Repeat(" ", helpColumn))
		}
		b.WriteString(wrap(help, helpWidth-helpColumn, strings.Repeat(" ", helpColumn)) + "\n")
	}
	line("--version", "print the version")
	line("--help", "print this help")
	line("--config=file", "read settings from this TOML file")
	for _, s := range table {
		if s.flag == "" || s.hidden {
			continue
		}
		line(optionSynopsis(s), s.help)
	}
	b.WriteString("Every setting can also be given in the configuration file and as an\n")
	b.WriteString("environment variable MSMTPD_*; the command line wins over the environment,\n")
	b.WriteString("which wins over the file. See msmtpd(1).\n")
	b.WriteString("Report bugs to <" + bugReportURL + ">.\n")
	return b.String()
}

// optionSynopsis is how --help and the man page show an option: "--port=number",
// "-C, --file=file", "--queue[=dir]", "--inetd".
func optionSynopsis(s setting) string {
	opt := s.flagSpelling()
	switch {
	case s.kind == kindBool:
	case s.optionalArg:
		opt += "[=" + s.arg + "]"
	default:
		opt += "=" + s.arg
	}
	if s.short != 0 {
		opt = "-" + string(s.short) + ", " + opt
	}
	return opt
}

// bugReportURL is where the help text sends bug reports.
const bugReportURL = "https://github.com/msmtp-go/msmtp/issues"

// versionText is the --version output.
func versionText() string {
	var b strings.Builder
	b.WriteString("msmtpd version " + version + "\n")
	b.WriteString("Platform: " + runtime.GOOS + "/" + runtime.GOARCH + ", built with " + runtime.Version() + "\n")
	b.WriteString("TLS/SSL library: Go crypto/tls\n")
	b.WriteString("Authentication methods offered: PLAIN LOGIN\n")
	b.WriteString("\n")
	b.WriteString("Copyright (C) 2026 The msmtp-go authors.\n")
	b.WriteString("This is free software under the MIT License: you may use, change and\n")
	b.WriteString("pass it on. There is NO WARRANTY, to the extent permitted by law.\n")
	return b.String()
}
