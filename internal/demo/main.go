// Command demo shows the whole project at work on this machine, touching nothing outside a
// temporary directory:
//
//  1. it builds msmtp and msmtpd;
//  2. it starts a capture SMTP server (the "mail provider") on a free loopback port;
//  3. it starts msmtpd on another free port, with upstream's default pipe command
//     `msmtp -f %F --` pointed at the capture server;
//  4. it sends a mail with msmtp to msmtpd, the way PHP or cron would (`msmtp -t`);
//  5. it prints what the provider received: the envelope and the mail, with the Received
//     header msmtpd added and the headers msmtp generated.
//
// Run it with `go run ./internal/demo`.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/server"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "msmtp-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Fprintln(out, "== building msmtp and msmtpd")
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	msmtp, msmtpd := filepath.Join(dir, "msmtp"+exe), filepath.Join(dir, "msmtpd"+exe)
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(gomod)) == 0 {
		return fmt.Errorf("run the demo inside the repository (go env GOMOD: %v)", err)
	}
	root := filepath.Dir(string(bytes.TrimSpace(gomod)))
	for bin, pkg := range map[string]string{msmtp: "./cmd/msmtp", msmtpd: "./cmd/msmtpd"} {
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		build.Dir = root
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", pkg, err)
		}
	}

	provider, err := startProvider()
	if err != nil {
		return err
	}
	defer provider.close()
	fmt.Fprintf(out, "== the mail provider (a capture server) listens on %s\n", provider.addr)

	// msmtp, as msmtpd's pipe command, finds the provider through this configuration.
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(provider.addr)
	rc := filepath.Join(home, ".msmtprc")
	if err := os.WriteFile(rc, []byte("account provider\nhost "+host+"\nport "+port+"\nfrom demo@example.org\n\naccount default : provider\n"), 0o600); err != nil {
		return err
	}
	env := append(os.Environ(), "HOME="+home, "USERPROFILE="+home, "APPDATA="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))

	portFile := filepath.Join(dir, "msmtpd.port")
	command := fmt.Sprintf("%s -C %s -f %%F --", quote(msmtp), quote(rc))
	daemon := exec.CommandContext(ctx, msmtpd, "--interface=127.0.0.1", "--port=0", "--port-file="+portFile, "--log=stderr", "--command="+command)
	daemon.Env = env
	var daemonLog bytes.Buffer
	daemon.Stderr = &daemonLog
	if err := daemon.Start(); err != nil {
		return err
	}
	defer func() {
		_ = daemon.Process.Kill()
		_ = daemon.Wait()
	}()
	msmtpdPort, err := waitForFile(ctx, portFile)
	if err != nil {
		return fmt.Errorf("msmtpd did not start: %w\n%s", err, daemonLog.String())
	}
	fmt.Fprintf(out, "== msmtpd listens on 127.0.0.1:%s and pipes each mail to: %s\n", msmtpdPort, command)

	mail := "To: Alice <alice@example.net>\nCc: bob@example.net\nBcc: secret@example.net\nSubject: Hello from msmtp-go\n\nThis mail went msmtp -> msmtpd -> msmtp -> the provider.\n"
	fmt.Fprintf(out, "== sending with: msmtp --host=127.0.0.1 --port=%s -f demo@example.org -t\n", msmtpdPort)
	send := exec.CommandContext(ctx, msmtp, "--host=127.0.0.1", "--port="+msmtpdPort, "-f", "demo@example.org", "-t")
	send.Env = env
	send.Stdin = strings.NewReader(mail)
	send.Stdout, send.Stderr = out, out
	if err := send.Run(); err != nil {
		return fmt.Errorf("msmtp: %w\nmsmtpd's log:\n%s", err, daemonLog.String())
	}

	got, err := provider.wait(ctx)
	if err != nil {
		return fmt.Errorf("%w\nmsmtpd's log:\n%s", err, daemonLog.String())
	}
	fmt.Fprintf(out, "== the provider received (msmtp exited 0):\nMAIL FROM:<%s>\n", got.from)
	for _, r := range got.rcpts {
		fmt.Fprintf(out, "RCPT TO:<%s>\n", r)
	}
	fmt.Fprintf(out, "--- mail ---\n%s--- end ---\n", strings.ReplaceAll(got.data, "\r\n", "\n"))
	return nil
}

// waitForFile waits until msmtpd has written its port file.
func waitForFile(ctx context.Context, name string) (string, error) {
	for {
		if b, err := os.ReadFile(name); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// quote makes a path one word of msmtpd's command line.
func quote(s string) string {
	if !strings.ContainsAny(s, " \t'\"\\") {
		return s
	}
	if runtime.GOOS == "windows" {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// provider is the capture server: msmtpd's own engine with a backend that records the mail.
type provider struct {
	addr string
	srv  *server.Server
	got  chan captured
}

type captured struct {
	from  string
	rcpts []string
	data  string
}

func startProvider() (*provider, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &provider{addr: l.Addr().String(), got: make(chan captured, 1)}
	p.srv = &server.Server{Hostname: "provider.example", Software: "demo provider", Backend: server.BackendFunc(func(server.ConnInfo) (server.Session, error) {
		return &captureSession{p: p}, nil
	})}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

func (p *provider) wait(ctx context.Context) (captured, error) {
	select {
	case c := <-p.got:
		return c, nil
	case <-ctx.Done():
		return captured{}, errors.New("no mail reached the provider")
	}
}

func (p *provider) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
}

type captureSession struct {
	p *provider
	c captured
}

func (s *captureSession) Mail(from string, _ server.MailOptions) error {
	s.c = captured{from: from}
	return nil
}

func (s *captureSession) Rcpt(to string, _ server.RcptOptions) error {
	s.c.rcpts = append(s.c.rcpts, to)
	return nil
}

func (s *captureSession) Data(r io.Reader) error {
	var b strings.Builder
	if _, err := io.Copy(&b, bufio.NewReader(r)); err != nil {
		return err
	}
	s.c.data = b.String()
	select {
	case s.p.got <- s.c:
	default:
	}
	return nil
}

func (s *captureSession) Reset()        {}
func (s *captureSession) Logout() error { return nil }
