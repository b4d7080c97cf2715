package config

import (
	"io"
	"io/fs"
	"net"
	"os"
	"os/user"
	"runtime"
	"strings"
)

// Env is everything Resolve needs from outside the process: environment variables, files,
// identity, name lookups and command runners. Tests fill it with fakes; OSEnv returns the
// real thing (without runners: the caller supplies those). A nil function behaves as if the
// thing it asks for does not exist.
type Env struct {
	// OS decides where configuration files live and whether the permission check applies:
	// "windows" or anything else (runtime.GOOS).
	OS string
	// LookupEnv is os.LookupEnv.
	LookupEnv func(key string) (string, bool)
	// Open opens a file for reading.
	Open func(name string) (io.ReadCloser, error)
	// Stat returns a file's mode and owner, following symbolic links.
	Stat func(name string) (FileInfo, error)
	// Euid is the effective user ID; 0 (root) and -1 (Windows) skip the permission check.
	Euid int
	// SysConfDir holds the system configuration file and mailname: "/etc" on Unix.
	// On Windows the system file is in %ProgramData% instead.
	SysConfDir string
	// HomeDir is the home directory from the password database, used when HOME is unset.
	HomeDir func() string
	// LoginName is the login name when USER and LOGNAME are unset (getlogin, then the
	// password database), for %U and auto_from.
	LoginName func() string
	// Hostname is gethostname, for %H when HOSTNAME is unset.
	Hostname func() (string, error)
	// CanonicalName is the canonical name of a host (getaddrinfo with AI_CANONNAME), for %C.
	CanonicalName func(host string) (string, error)
	// Eval runs the commands of eval lines in configuration files.
	Eval Runner
	// PasswordEval runs passwordeval commands.
	PasswordEval Runner
}

// FileInfo is what the permission check needs to know about a file.
type FileInfo struct {
	Mode fs.FileMode
	UID  int // owner; -1 if the system has no such notion
}

// OSEnv returns an Env backed by the operating system. Eval and PasswordEval are nil: set
// them to the project's command runner.
func OSEnv() Env {
	return Env{
		OS:        runtime.GOOS,
		LookupEnv: os.LookupEnv,
		Open:      func(name string) (io.ReadCloser, error) { return os.Open(name) },
		Stat:      osStat,
		Euid:      os.Geteuid(),
		SysConfDir: func() string {
			if runtime.GOOS == "windows" {
				return ""
			}
			return "/etc"
		}(),
		HomeDir: func() string {
			if u, err := user.Current(); err == nil {
				return u.HomeDir
			}
			return ""
		},
		LoginName: func() string {
			if u, err := user.Current(); err == nil {
				return u.Username
			}
			return ""
		},
		Hostname: os.Hostname,
		CanonicalName: func(host string) (string, error) {
			cname, err := net.LookupCNAME(host)
			return strings.TrimSuffix(cname, "."), err
		},
	}
}

func (e *Env) getenv(key string) (string, bool) {
	if e.LookupEnv == nil {
		return "", false
	}
	return e.LookupEnv(key)
}

func (e *Env) open(name string) (io.ReadCloser, error) {
	if e.Open == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return e.Open(name)
}

func (e *Env) stat(name string) (FileInfo, error) {
	if e.Stat == nil {
		return FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return e.Stat(name)
}

func (e *Env) windows() bool { return e.OS == "windows" }

// home is the home directory as upstream finds it: $HOME, else the password database,
// else empty. On Windows %USERPROFILE% stands in for the password database.
func (e *Env) home() string {
	if h, ok := e.getenv("HOME"); ok {
		return h
	}
	if e.windows() {
		if h, ok := e.getenv("USERPROFILE"); ok {
			return h
		}
	}
	if e.HomeDir != nil {
		return e.HomeDir()
	}
	return ""
}

// join joins path elements with the separator of e.OS, so that Windows locations can be
// tested on any system.
func (e *Env) join(elem ...string) string {
	sep := "/"
	if e.windows() {
		sep = `\`
	}
	var b strings.Builder
	for i, s := range elem {
		if i > 0 && !strings.HasSuffix(b.String(), sep) {
			b.WriteString(sep)
		}
		b.WriteString(s)
	}
	return b.String()
}

// SystemFile returns the system configuration file: SYSCONFDIR/msmtprc, or
// %ProgramData%\msmtp\msmtprc on Windows.
func SystemFile(env Env) string {
	if env.windows() {
		pd, ok := env.getenv("ProgramData")
		if !ok {
			pd = `C:\ProgramData`
		}
		return env.join(pd, "msmtp", "msmtprc")
	}
	return env.join(env.SysConfDir, "msmtprc")
}

// UserFile returns the user configuration file used when -C is not given
// (spec-cli-config.md §2.1): ~/.msmtprc if it exists, else $XDG_CONFIG_HOME/msmtp/config
// (or ~/.config/msmtp/config when XDG_CONFIG_HOME is unset) if that exists, else
// ~/.msmtprc. On Windows it is %APPDATA%\msmtp\msmtprc, falling back to the Unix rules when
// APPDATA is unset.
func UserFile(env Env) string {
	if env.windows() {
		if ad, ok := env.getenv("APPDATA"); ok && ad != "" {
			return env.join(ad, "msmtp", "msmtprc")
		}
	}
	home := env.home()
	first := env.join(home, ".msmtprc")
	if _, err := env.stat(first); err == nil {
		return first
	}
	xdg := env.join(home, ".config")
	if x, ok := env.getenv("XDG_CONFIG_HOME"); ok {
		xdg = x
	}
	if second := env.join(xdg, "msmtp", "config"); statOK(env, second) {
		return second
	}
	return first
}

func statOK(env Env, name string) bool {
	_, err := env.stat(name)
	return err == nil
}
