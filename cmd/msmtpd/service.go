package main

// msmtpd as a Windows service. `msmtpd service ACTION [--name=NAME] [OPTION...]` manages it
// through the Service Control Manager (service_windows.go):
//
//	install     register msmtpd with the options given, to start at boot and to be
//	            restarted after a failure, and register its Event Log source
//	uninstall   stop it if it runs, remove it and its Event Log source
//	start, stop start it, or stop it gracefully (mail in progress is finished)
//	status      say whether it runs (exit 0), is stopped (3) or is not installed (4)
//
// The service runs `msmtpd.exe --service=NAME OPTION...`. The explicit flag, rather than
// asking Windows whether the process is a service, is what Wine needs: there
// svc.IsWindowsService is false inside a real service (../shared/research/wine.md §4e).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// defaultServiceName is the service's name when --name is not given; it is also the Event
// Log source of --log=syslog on Windows outside the service.
const defaultServiceName = "msmtpd"

// serviceFlag starts msmtpd as the service: the first argument, `--service` or
// `--service=NAME`.
const serviceFlag = "--service"

func isServiceFlag(arg string) bool {
	return arg == serviceFlag || strings.HasPrefix(arg, serviceFlag+"=")
}

// errNoServices is the answer to `msmtpd service` on systems other than Windows.
var errNoServices = errors.New("the service commands work only on Windows; elsewhere let the " +
	"system's service manager run msmtpd in the foreground (docs/windows.md has a systemd unit)")

// serviceRequest is a parsed `msmtpd service ...` command line.
type serviceRequest struct {
	program string // argv[0], for messages
	action  string // install, uninstall, start, stop, status, help
	name    string
	// args are install's msmtpd options, as the service will run with them.
	args []string
}

const serviceUsage = `Usage: msmtpd service install [--name=NAME] [option...]
       msmtpd service uninstall|start|stop|status [--name=NAME]
Runs msmtpd as a Windows service called NAME (default msmtpd).
  install     register msmtpd with the options given (see msmtpd --help), to start
              at boot and to be restarted after a failure
  uninstall   stop the service and remove it
  start       start the service
  stop        stop the service; mail in progress is finished first
  status      print the state; exit 0 running, 3 stopped, 4 not installed
Warnings and errors go to the Event Log (Application, source NAME). Installing,
uninstalling, starting and stopping need an elevated prompt. See docs/windows.md.
`

// serviceCommand runs `msmtpd service ...`.
func serviceCommand(ctx context.Context, args []string, stdout, stderr io.Writer, sys *system) int {
	program := args[0]
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s: service: %s\n", program, sanitize(err.Error()))
		return exitCannotStart
	}
	if !servicesSupported {
		return fail(errNoServices)
	}
	req, err := parseServiceArgs(args[2:])
	if err != nil {
		return fail(fmt.Errorf("%w (see msmtpd service --help)", err))
	}
	req.program = program
	if req.action == "help" {
		io.WriteString(stdout, serviceUsage)
		return exitOK
	}
	if req.action == "install" {
		if req.args, err = serviceArgs(req.args, settingTable(), sys); err != nil {
			return fail(err)
		}
	}
	return manageService(ctx, req, stdout, stderr)
}

// parseServiceArgs reads the words after `msmtpd service`.
func parseServiceArgs(args []string) (*serviceRequest, error) {
	if len(args) == 0 {
		return nil, errors.New("missing action: install, uninstall, start, stop or status")
	}
	req := &serviceRequest{action: args[0], name: defaultServiceName}
	switch req.action {
	case "install", "uninstall", "start", "stop", "status":
	case "help", "--help", "-h":
		req.action = "help"
		return req, nil
	default:
		return nil, fmt.Errorf("unknown action %q: want install, uninstall, start, stop or status", req.action)
	}
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--name":
			if i+1 == len(rest) {
				return nil, errors.New("option '--name' requires an argument")
			}
			i++
			req.name = rest[i]
		case strings.HasPrefix(a, "--name="):
			req.name = strings.TrimPrefix(a, "--name=")
		case req.action == "install":
			req.args = append(req.args, a)
		default:
			return nil, fmt.Errorf("%s takes no argument but --name: %q", req.action, a)
		}
	}
	if err := checkServiceName(req.name); err != nil {
		return nil, err
	}
	return req, nil
}

// checkServiceName applies the Service Control Manager's rules for names (at most 256
// characters, no slash or backslash) and ours: the name is also a registry key (the Event Log
// source) and a command-line word.
func checkServiceName(name string) error {
	switch {
	case name == "":
		return errors.New("empty service name")
	case len(name) > 256:
		return errors.New("service name longer than 256 characters")
	case strings.ContainsAny(name, `/\"`) || strings.ContainsFunc(name, isControl):
		return fmt.Errorf("service name %q contains a slash, a backslash, a quote or a control character", name)
	case strings.HasPrefix(name, "-"):
		return fmt.Errorf("service name %q starts with -", name)
	}
	return nil
}

// serviceArgs checks the msmtpd options of `service install` as the service will use them
// and returns them in their canonical form, `--option=value` in the order of the settings
// table, with relative file names made absolute: a service runs in the system directory,
// not where it was installed from.
func serviceArgs(args []string, table []setting, sys *system) ([]string, error) {
	inv, err := parseArgs(append([]string{"msmtpd"}, args...), table, sys.lookupEnv)
	if err != nil {
		return nil, err
	}
	if inv.version || inv.help {
		return nil, errors.New("--version and --help are not options of a service")
	}
	var out []string
	if inv.configGiven {
		name, err := filepath.Abs(inv.config)
		if err != nil {
			return nil, usagef("--config: %v", err)
		}
		out = append(out, "--config="+name)
	}
	for _, s := range table {
		for _, v := range inv.flags[s.key] {
			switch {
			case s.kind == kindBool:
				if v.v.(bool) {
					out = append(out, s.flagSpelling())
				}
			case s.optionalArg && v.raw == "":
				out = append(out, s.flagSpelling())
			case isPath(s, v.raw):
				name, err := filepath.Abs(v.raw)
				if err != nil {
					return nil, usagef("%s: %v", v.origin, err)
				}
				out = append(out, s.flagSpelling()+"="+name)
			default:
				out = append(out, s.flagSpelling()+"="+v.raw)
			}
		}
	}
	// Check the result the way the service will read it.
	inv, err = parseArgs(append([]string{"msmtpd"}, out...), table, sys.lookupEnv)
	if err != nil {
		return nil, err
	}
	opts, err := loadOptions(inv, table, sys.lookupEnv, sys.readFile)
	if err != nil {
		return nil, err
	}
	switch {
	case opts.inetd:
		return nil, errors.New("inetd: a service listens; it has no client on standard input")
	case opts.log == "stderr":
		return nil, errors.New("log: a service has no standard error; log to a file, or to syslog (the Event Log)")
	}
	return out, nil
}

// isPath reports whether raw, a value of s, is a file or directory name: log's keywords and
// the true and false that some settings take instead of a directory (queue) are not.
func isPath(s setting, raw string) bool {
	switch {
	case s.key == "log":
		return raw != "none" && raw != "syslog" && raw != "stderr"
	case s.orBool:
		if _, err := parseBool(raw); err == nil {
			return false
		}
	}
	return s.arg == "file" || s.arg == "dir"
}
