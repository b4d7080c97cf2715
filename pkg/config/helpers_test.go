package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fakeFile is a file of the fake file system. A nil *fakeFile in the map is a directory.
type fakeFile struct {
	data string
	mode fs.FileMode
	uid  int
}

// fakeEnv is a deterministic outside world: HOME=/home/tester, USER=tester,
// HOSTNAME=myhost.example, a file system held in a map, a fake shell for eval and
// passwordeval, and no system configuration file unless the test adds one.
type fakeEnv struct {
	vars  map[string]string
	files map[string]*fakeFile
	euid  int
	// statErr, if set, is what Stat returns for every file (open still works).
	statErr error
	ran     []string // commands the runners were asked to run
}

func newFakeEnv() *fakeEnv {
	return &fakeEnv{
		vars: map[string]string{
			"HOME":     "/home/tester",
			"USER":     "tester",
			"HOSTNAME": "myhost.example",
		},
		files: map[string]*fakeFile{},
		euid:  1000,
	}
}

// add puts a file owned by the test user with mode 0600 into the file system.
func (f *fakeEnv) add(name, data string) *fakeFile {
	ff := &fakeFile{data: data, mode: 0o600, uid: 1000}
	f.files[name] = ff
	return ff
}

type isDirReader struct{}

func (isDirReader) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Err: syscall.EISDIR}
}

func (f *fakeEnv) env() Env {
	return Env{
		OS: "linux",
		LookupEnv: func(k string) (string, bool) {
			v, ok := f.vars[k]
			return v, ok
		},
		Open: func(name string) (io.ReadCloser, error) {
			ff, ok := f.files[name]
			switch {
			case !ok:
				return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
			case ff == nil:
				return io.NopCloser(isDirReader{}), nil
			}
			return io.NopCloser(strings.NewReader(ff.data)), nil
		},
		Stat: func(name string) (FileInfo, error) {
			if f.statErr != nil {
				return FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: f.statErr}
			}
			ff, ok := f.files[name]
			switch {
			case !ok:
				return FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: syscall.ENOENT}
			case ff == nil:
				return FileInfo{Mode: fs.ModeDir | 0o755}, nil
			}
			return FileInfo{Mode: ff.mode, UID: ff.uid}, nil
		},
		Euid:       f.euid,
		SysConfDir: "/etc",
		LoginName:  func() string { return "fromlogin" },
		Hostname:   func() (string, error) { return "gethostname.example", nil },
		CanonicalName: func(h string) (string, error) {
			if h == "myhost.example" {
				return "canon.example", nil
			}
			return "", errors.New("no such host")
		},
		Eval:         f.run,
		PasswordEval: f.run,
	}
}

// run is a tiny shell: "echo ARGS" prints ARGS and a newline, "printf 'TEXT'" prints TEXT
// with \n and \r escapes, "true", "false" and "exit N" print nothing, and "fail" cannot be
// started.
func (f *fakeEnv) run(cmd string) (string, error) {
	f.ran = append(f.ran, cmd)
	switch {
	case strings.HasPrefix(cmd, "echo "):
		return strings.TrimPrefix(cmd, "echo ") + "\n", nil
	case strings.HasPrefix(cmd, "printf '") && strings.HasSuffix(cmd, "'"):
		s := strings.TrimSuffix(strings.TrimPrefix(cmd, "printf '"), "'")
		s = strings.NewReplacer(`\n`, "\n", `\r`, "\r").Replace(s)
		if s == "" {
			return "", io.EOF
		}
		return s, nil
	case cmd == "true" || cmd == "false" || strings.HasPrefix(cmd, "exit "):
		return "", io.EOF
	case cmd == "long-host":
		return "host " + strings.Repeat("y", 600) + "\n", nil
	case cmd == "fail":
		return "", syscall.ENOENT
	}
	return "output of " + cmd + "\n", nil
}

// request builds a Request from msmtp-style arguments, for table tests. It understands
// -P, -d, -t (ignored here), -S, --rmqs=X, -a X, -C X, -f X, -F X, -N X, -R X, -X X,
// --read-envelope-from=ADDR (the address the mail would give), --from-header=ADDR (the
// mail's From for %F) and every --option[=value] of Options().
func request(t *testing.T, args ...string) (Request, error) {
	t.Helper()
	req := Request{Overrides: &Overrides{}}
	set := func(opt string, arg *string) error { return req.Overrides.Set(opt, arg) }
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			i++
			if i >= len(args) {
				t.Fatalf("missing argument after %s", a)
			}
			return args[i]
		}
		var err error
		switch {
		case a == "-P":
			req.Pretend = true
		case a == "-d", a == "-t":
		case a == "-S":
			req.Mode = ModeServerInfo
		case strings.HasPrefix(a, "--rmqs="):
			req.Mode = ModeRMQS
		case a == "-a":
			req.Account = Some(next())
		case a == "-C":
			req.File = Some(next())
		case a == "-f", a == "-F", a == "-N", a == "-R", a == "-X":
			opt := map[string]string{"-f": "from", "-F": "from-full-name", "-N": "dsn-notify", "-R": "dsn-return", "-X": "logfile"}[a]
			v := next()
			err = set(opt, &v)
		case strings.HasPrefix(a, "--read-envelope-from="):
			req.Overrides.SetEnvelopeFromMail(strings.TrimPrefix(a, "--read-envelope-from="))
		case strings.HasPrefix(a, "--from-header="):
			req.FromHeader = Some(strings.TrimPrefix(a, "--from-header="))
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			if hasVal {
				err = set(name, &val)
			} else {
				err = set(name, nil)
			}
		default:
			t.Fatalf("request: unknown argument %q", a)
		}
		if err != nil {
			return req, err
		}
	}
	return req, nil
}

// printOpts say what msmtp prints besides errors: the --rmqs argument, and whether -P or -d
// was given (otherwise nothing goes to standard output).
type printOpts struct {
	rmqs  string
	quiet bool
}

// printOptsOf finds the printOpts in msmtp-style arguments.
func printOptsOf(args []string) printOpts {
	o := printOpts{quiet: true}
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--rmqs="); ok {
			o.rmqs = v
		}
		if a == "-P" || a == "-d" {
			o.quiet = false
		}
	}
	return o
}

// output runs Resolve and, on success, WritePretend (as msmtp -P does), and returns what
// msmtp would print on standard output and the error it would print on standard error.
func output(req Request, o printOpts) (string, error) {
	var out bytes.Buffer
	if !o.quiet {
		req.Info = &out
	}
	a, err := Resolve(req)
	if err != nil || o.quiet {
		return out.String(), err
	}
	if err := WritePretend(&out, a, PretendOptions{Mode: req.Mode, RMQS: o.rmqs}); err != nil {
		return out.String(), err
	}
	return out.String(), nil
}

// kindOf returns the Kind of an *Error, failing the test for any other error.
func kindOf(t *testing.T, err error) Kind {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *config.Error", err, err)
	}
	return ce.Kind
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s mismatch:\n%s", name, lineDiff(string(want), got))
	}
}

// lineDiff shows the lines that differ, marked - (want) and + (got).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %q\n+ %q\n", i+1, wl, gl)
		}
	}
	return b.String()
}
