package e2e

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

var update = flag.Bool("update", false, "rewrite the expected files in testdata/script from what the scripts got")

// TestScripts runs the scripts in testdata/script. Each runs our msmtp binary (on PATH as
// "msmtp") in its own work directory, with HOME, XDG_CONFIG_HOME (and on Windows APPDATA and
// ProgramData) inside it, so that no real configuration is read. Besides testscript's own
// commands, the scripts have:
//
//	smtpserver [-dsn] [-smtputf8] [-starttls]
//	    start the capture server (capture_test.go) on 127.0.0.1 and set $PORT to its port.
//	    -starttls offers STARTTLS with a certificate for 127.0.0.1 and localhost from a test CA,
//	    written to $WORK/ca.pem. The server stops when the script ends.
//	smtpreply STAGE REPLY...
//	    answer REPLY ("550 5.1.1 no such user") at STAGE: greeting, mail, rcpt,
//	    rcpt=ADDRESS (that recipient only), data (the DATA command) or dot (end of data).
//	envelope [N]
//	    print transaction N's (default 1) MAIL and RCPT lines as sent; a rejected command is
//	    followed by " -> REPLY". Fails if the client broke the protocol.
//	mail [-without FIELD]... [N]
//	    print transaction N's mail, normalised (normalizeMail): CRLF checked and shown as LF,
//	    the generated Date as "Date: <now>", the generated Message-ID as
//	    "Message-ID: <ID@domain>"; -without leaves out the header fields called FIELD.
//	    Fails unless the mail was delivered.
//	mails COUNT
//	    check that COUNT mails were delivered.
//	tls N
//	    check that transaction N ran over TLS (! tls N: that it did not).
//	exits CODE PROGRAM [ARGS...]
//	    run PROGRAM as exec does and check that its exit status is CODE.
//	refusedport NAME
//	    set $NAME to a port on 127.0.0.1 that nothing listens on (one that was just free).
//	chomp FILE
//	    remove the final newline of FILE (txtar cannot hold a file without one).
//	concat OUT FILE...
//	    write the FILEs one after the other into OUT.
//	install NAME
//	    make msmtp available as $WORK/bin/NAME (a symbolic link; a copy NAME.exe on Windows);
//	    $WORK/bin comes first on PATH, so "exec NAME" runs msmtp with argv[0] NAME.
//
// and the condition [sysmsmtprc], true when the system has a system-wide msmtprc.
func TestScripts(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t, "msmtp")
	ca := smtptest.NewCA(t, smtptest.CertOptions{})
	serverTLS := ca.ServerConfig(t)
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		WorkdirRoot:         testutil.TempDir(t),
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			return setupScript(env, bin)
		},
		Condition: func(cond string) (bool, error) {
			if cond == "sysmsmtprc" {
				// On Windows the system file is under %ProgramData%, which the scripts
				// set to a directory of their own.
				_, err := os.Stat("/etc/msmtprc")
				return runtime.GOOS != "windows" && err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"smtpserver": func(ts *testscript.TestScript, neg bool, args []string) {
				cmdSMTPServer(ts, neg, args, serverTLS, ca.CertPEM)
			},
			"smtpreply":   cmdSMTPReply,
			"envelope":    cmdEnvelope,
			"mail":        cmdMail,
			"mails":       cmdMails,
			"tls":         cmdTLS,
			"refusedport": cmdRefusedPort,
			"exits":       cmdExits,
			"chomp":       cmdChomp,
			"concat":      cmdConcat,
			"install": func(ts *testscript.TestScript, neg bool, args []string) {
				cmdInstall(ts, neg, args, bin)
			},
		},
	})
}

// scriptState is what the commands of one script share.
type scriptState struct {
	server *captureServer
}

type stateKey struct{}

func setupScript(env *testscript.Env, bin string) error {
	home := filepath.Join(env.WorkDir, "home")
	binDir := filepath.Join(env.WorkDir, "bin")
	for _, d := range []string{home, binDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for _, kv := range msmtpEnv(home) {
		k, v, _ := strings.Cut(kv, "=")
		if k == "PATH" {
			v = binDir + string(os.PathListSeparator) + filepath.Dir(bin) + string(os.PathListSeparator) + v
		}
		env.Setenv(k, v)
	}
	st := &scriptState{}
	env.Values[stateKey{}] = st
	env.Defer(func() {
		if st.server != nil {
			st.server.Close()
		}
	})
	return nil
}

func state(ts *testscript.TestScript) *scriptState {
	return ts.Value(stateKey{}).(*scriptState)
}

// server returns the script's capture server, failing the script when it has none.
func server(ts *testscript.TestScript) *captureServer {
	s := state(ts).server
	if s == nil {
		ts.Fatalf("no smtpserver started")
	}
	return s
}

func noNeg(ts *testscript.TestScript, neg bool, name string) {
	if neg {
		ts.Fatalf("unsupported: ! %s", name)
	}
}

func cmdSMTPServer(ts *testscript.TestScript, neg bool, args []string, serverTLS *tls.Config, caPEM []byte) {
	noNeg(ts, neg, "smtpserver")
	st := state(ts)
	if st.server != nil {
		ts.Fatalf("smtpserver: already started")
	}
	var opts captureOptions
	for _, a := range args {
		switch a {
		case "-dsn":
			opts.DSN = true
		case "-smtputf8":
			opts.SMTPUTF8 = true
		case "-starttls":
			opts.TLS = serverTLS
			ts.Check(os.WriteFile(ts.MkAbs("ca.pem"), caPEM, 0o644))
		default:
			ts.Fatalf("usage: smtpserver [-dsn] [-smtputf8] [-starttls]")
		}
	}
	s, err := newCaptureServer(opts)
	ts.Check(err)
	st.server = s
	ts.Setenv("PORT", strconv.Itoa(s.Port()))
}

func cmdSMTPReply(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "smtpreply")
	if len(args) < 2 {
		ts.Fatalf("usage: smtpreply STAGE REPLY...")
	}
	r, err := parseReplyRule(args[0], strings.Join(args[1:], " "))
	ts.Check(err)
	server(ts).setReply(r)
}

// transactionArg returns transaction N of the optional argument (default 1).
func transactionArg(ts *testscript.TestScript, name string, args []string) *transaction {
	s := server(ts)
	if p := s.Problems(); len(p) > 0 {
		ts.Fatalf("the client broke the protocol:\n%s", strings.Join(p, "\n"))
	}
	n := 1
	switch len(args) {
	case 0:
	case 1:
		var err error
		if n, err = strconv.Atoi(args[0]); err != nil || n < 1 {
			ts.Fatalf("usage: %s [N], N counting from 1", name)
		}
	default:
		ts.Fatalf("usage: %s [N]", name)
	}
	txs := s.Transactions()
	if n > len(txs) {
		ts.Fatalf("%s %d: the server saw %d transaction(s)", name, n, len(txs))
	}
	return txs[n-1]
}

func cmdEnvelope(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "envelope")
	fmt.Fprint(ts.Stdout(), transactionArg(ts, "envelope", args).Envelope())
}

func cmdMail(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "mail")
	var without []string
	for len(args) >= 2 && args[0] == "-without" {
		without, args = append(without, args[1]), args[2:]
	}
	tx := transactionArg(ts, "mail", args)
	if !tx.Delivered {
		ts.Fatalf("the mail was not delivered (data reply %q)", tx.DataReply)
	}
	text, err := normalizeMail(tx.Data, time.Now())
	ts.Check(err)
	for _, f := range without {
		text = withoutField(text, f)
	}
	fmt.Fprint(ts.Stdout(), text)
}

func cmdMails(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "mails")
	want, err := strconv.Atoi(strings.Join(args, " "))
	if err != nil {
		ts.Fatalf("usage: mails COUNT")
	}
	if got := len(server(ts).Delivered()); got != want {
		ts.Fatalf("%d mail(s) delivered, want %d", got, want)
	}
}

func cmdTLS(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: tls N")
	}
	if got := transactionArg(ts, "tls", args).TLS; got == neg {
		ts.Fatalf("transaction %s: TLS %v", args[0], got)
	}
}

func cmdInstall(ts *testscript.TestScript, neg bool, args []string, bin string) {
	noNeg(ts, neg, "install")
	if len(args) != 1 || strings.ContainsAny(args[0], `/\`) {
		ts.Fatalf("usage: install NAME")
	}
	_, err := install(bin, filepath.Join(ts.Getenv("WORK"), "bin", args[0]))
	ts.Check(err)
}

func cmdRefusedPort(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "refusedport")
	if len(args) != 1 {
		ts.Fatalf("usage: refusedport NAME")
	}
	port, err := freePort()
	ts.Check(err)
	ts.Setenv(args[0], strconv.Itoa(port))
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "exits")
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	got := 0
	var ee *exec.ExitError
	if err := ts.Exec(args[1], args[2:]...); errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

func cmdChomp(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "chomp")
	if len(args) != 1 {
		ts.Fatalf("usage: chomp FILE")
	}
	data := ts.ReadFile(args[0])
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.TrimSuffix(data, "\n")), 0o644))
}

func cmdConcat(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "concat")
	if len(args) < 2 {
		ts.Fatalf("usage: concat OUT FILE...")
	}
	var b strings.Builder
	for _, f := range args[1:] {
		b.WriteString(ts.ReadFile(f))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
}
