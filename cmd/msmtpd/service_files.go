package main

// Where msmtpd's files are. On Windows the system's configuration lives in
// %ProgramData%\msmtp: msmtp's msmtprc (pkg/config), msmtpd.toml, which msmtpd reads when
// neither --config nor MSMTPD_CONFIG names another file, and, by convention, the log. Other
// systems have no default msmtpd.toml: service files pass --config.

import (
	"os"
	"runtime"
	"strings"

	"github.com/msmtp-go/msmtp/internal/syslogsock"
)

// systemConfigFile is the msmtpd.toml read by default on goos, "" where there is none.
func systemConfigFile(goos string, lookupEnv func(string) (string, bool)) string {
	if goos != "windows" {
		return ""
	}
	pd, ok := lookupEnv("ProgramData")
	if !ok || pd == "" {
		pd = `C:\ProgramData`
	}
	return strings.TrimRight(pd, `\`) + `\msmtp\msmtpd.toml`
}

// withSystemConfig returns lookupEnv with MSMTPD_CONFIG defaulting to file (the system's
// msmtpd.toml) when that exists. So the file ranks below --config and a set MSMTPD_CONFIG.
func withSystemConfig(lookupEnv func(string) (string, bool), file string) func(string) (string, bool) {
	if file == "" {
		return lookupEnv
	}
	return func(key string) (string, bool) {
		v, ok := lookupEnv(key)
		if key == "MSMTPD_CONFIG" && v == "" {
			if _, err := os.Stat(file); err == nil {
				return file, true
			}
		}
		return v, ok
	}
}

// pathsText is the part of --version that names the files in use: the configuration file
// and the log.
func pathsText(inv *invocation, table []setting, sys *system) string {
	config := "none (use --config=FILE or MSMTPD_CONFIG=FILE)"
	if def := systemConfigFile(runtime.GOOS, sys.lookupEnv); def != "" {
		config = def + " (absent; read when it exists)"
	}
	if inv.configGiven {
		config = inv.config
	} else if name, ok := sys.lookupEnv("MSMTPD_CONFIG"); ok && name != "" {
		config = name
	}
	log := "unknown: "
	if o, err := loadOptions(inv, table, sys.lookupEnv, sys.readFile); err != nil {
		log += sanitize(err.Error())
	} else {
		log = describeLog(o.log)
	}
	return "Configuration file: " + config + "\nLog: " + log + "\n"
}

// describeLog names the place of a log setting for people.
func describeLog(target string) string {
	switch target {
	case "", "none":
		return "none"
	case "stderr":
		return "standard error"
	case "syslog":
		if syslogsock.Supported {
			return "syslog"
		}
		return "the Event Log"
	}
	return target
}

// withPaths puts paths into the version text before its first blank line (the copyright).
func withPaths(version, paths string) string {
	head, tail, ok := strings.Cut(version, "\n\n")
	if !ok {
		return version + paths
	}
	return head + "\n" + paths + "\n" + tail
}
