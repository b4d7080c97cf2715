//go:build windows

package e2e

// Native Windows, end to end: PHP's two ways of sending mail on Windows, msmtpd.exe as a
// Windows service that delivers through msmtp.exe, and msmtp.exe trusting the Windows
// certificate store (tls_trust_file system). These tests run where the test binary is a
// Windows program: in CI under Wine (.ci/test-windows builds msmtp.exe and msmtpd.exe for
// them), and on Windows from an elevated prompt (they install a service and a root
// certificate for the local machine, and remove both at the end, also when they fail).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// TestWindowsServiceDeliversThroughMsmtp installs msmtpd.exe as a service whose --command is
// msmtp.exe, sends it a mail as PHP's built-in Windows SMTP client does (HELO, no AUTH, no
// TLS) and checks that msmtp.exe delivered it to the capture server; then stops and removes
// the service.
func TestWindowsServiceDeliversThroughMsmtp(t *testing.T) {
	msmtpd, msmtp := testutil.Binary(t, "msmtpd"), testutil.Binary(t, "msmtp")
	srv := startCapture(t, captureOptions{})
	dir := testutil.TempDir(t)
	msmtpLog := filepath.Join(dir, "msmtp.log")
	rc := msmtprc(t, dir, srv.Port(), "tls off", "auth off", "logfile "+msmtpLog)
	portFile, logFile := filepath.Join(dir, "port"), filepath.Join(dir, "msmtpd.log")
	name := windowsTestService(t)
	defer func() {
		if t.Failed() {
			t.Logf("msmtpd log:\n%s\nmsmtp log:\n%s", readIfExists(logFile), readIfExists(msmtpLog))
		}
	}()

	// msmtp.exe runs without cmd.exe in between: quoting by the C runtime's rules.
	command := `"` + msmtp + `" -C "` + rc + `" -f %F --`
	msmtpdService(t, msmtpd, "install", "--name="+name, "--port=0", "--port-file="+portFile,
		"--log="+logFile, "--command="+command)
	msmtpdService(t, msmtpd, "start", "--name="+name)
	port, err := os.ReadFile(portFile)
	if err != nil {
		t.Fatal(err)
	}
	// The conversation of PHP's mail() without sendmail_path (php.ini SMTP, smtp_port).
	replies := dialogue(t, mustAtoi(t, strings.TrimSpace(string(port))),
		"HELO WIN-PHP\r\n",
		"MAIL FROM:<www@example.com>\r\n",
		"RCPT TO:<to@example.org>\r\n",
		"RCPT TO:<bcc@example.org>\r\n",
		"DATA\r\n",
		"Date: Wed, 25 Nov 2026 18:24:20 +0000\r\nSubject: contact form\r\nTo: to@example.org\r\n\r\nline one\nline two\r\n..dot\n.\r\n",
		"QUIT\r\n",
	)
	if !strings.Contains(replies, "250 Ok, mail was piped\r\n") || !strings.Contains(replies, "221 ") {
		t.Errorf("PHP's dialogue:\n%s", replies)
	}
	msmtpdService(t, msmtpd, "stop", "--name="+name)
	msmtpdService(t, msmtpd, "uninstall", "--name="+name)

	tx := srv.only(t)
	if want := "MAIL FROM:<www@example.com>\nRCPT TO:<to@example.org>\nRCPT TO:<bcc@example.org>\n"; tx.Envelope() != want {
		t.Errorf("envelope\n%s\nwant\n%s", tx.Envelope(), want)
	}
	mail, err := normalizeMail(tx.Data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mail, "Received: from WIN-PHP (") {
		t.Errorf("the mail does not start with msmtpd's Received field:\n%s", mail)
	}
	checkFields(t, mail, []string{"Subject: contact form", "To: to@example.org", "Date: Wed, 25 Nov 2026 18:24:20 +0000"}, nil)
	if _, body, _ := strings.Cut(mail, "\n\n"); body != "line one\nline two\n.dot\n" {
		t.Errorf("body %q", body)
	}
}

// TestWindowsSendmailPath runs msmtp.exe -t -i as PHP's mail() does with sendmail_path set:
// through cmd.exe (`cmd.exe /s /c "COMMAND"`), with the mail written to its standard input
// in binary mode, whether the script's lines end in CRLF or LF.
func TestWindowsSendmailPath(t *testing.T) {
	t.Parallel()
	msmtp := testutil.Binary(t, "msmtp")
	for _, tc := range []struct {
		name, eol string
	}{
		{"CRLF", "\r\n"},
		{"LF", "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startCapture(t, captureOptions{})
			home := testutil.TempDir(t)
			writeUserConfig(t, home, srv.Port(), "from daemon@host.example")
			// 8-bit text and a Ctrl-Z byte, which ends a file read in text mode.
			body := []string{"Grüße aus Köln", "ctrl-z \x1a in the middle", ".", "last line"}
			mail := strings.Join(append([]string{
				"To: user@example.org, other@example.org",
				"Subject: PHP mail() on Windows",
				"From: Web <web@example.com>",
				"",
			}, body...), tc.eol) + tc.eol
			php := fmt.Sprintf(`cmd.exe /s /c ""%s" -t -i"`, msmtp)
			res := runCommandLine(t, php, mail, msmtpEnv(home))
			if res.Code != 0 || res.Stderr != "" {
				t.Fatalf("%s:\n%s", php, res)
			}
			tx := srv.only(t)
			if want := "MAIL FROM:<daemon@host.example>\nRCPT TO:<user@example.org>\nRCPT TO:<other@example.org>\n"; tx.Envelope() != want {
				t.Errorf("envelope\n%s\nwant\n%s", tx.Envelope(), want)
			}
			got, err := normalizeMail(tx.Data, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if _, b, _ := strings.Cut(got, "\n\n"); b != strings.Join(body, "\n")+"\n" {
				t.Errorf("body %q, want %q", b, strings.Join(body, "\n")+"\n")
			}
		})
	}
}

// TestWindowsTrustFileSystem checks that `tls_trust_file system` trusts what the Windows
// certificate store trusts: msmtp.exe refuses a server whose CA is not in the store, and
// accepts it once the CA is in the local machine's ROOT store. The CA is added by a separate
// process (this test binary run as rootStoreHelper), because Windows' and Wine's chain engines
// cache the roots a process has seen (wine.md §4g).
func TestWindowsTrustFileSystem(t *testing.T) {
	requireAdmin(t)
	msmtp := testutil.Binary(t, "msmtp")
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	ca := smtptest.NewCA(t, smtptest.CertOptions{CommonName: "msmtp-go test CA " + hex.EncodeToString(suffix)})
	srv := startCapture(t, captureOptions{TLS: ca.ServerConfig(t)})
	dir := testutil.TempDir(t)
	// The certificate's name, not the address: Wine's check of the name (its SSL chain policy,
	// which Go's verifier calls with RootCAs nil) knows no IP addresses.
	rc := msmtprc(t, dir, srv.Port(), "tls on", "tls_starttls on", "tls_trust_file system",
		"tls_host_override localhost", "auth off", "from a@example.com")
	send := func() result {
		return execute(t, run{Path: msmtp, Args: []string{"-C", rc, "b@example.org"}, Stdin: "Subject: trust\n\nbody\n"})
	}

	res := send()
	if res.Code != 69 || !strings.Contains(res.Stderr, "The certificate issuer is unknown") {
		t.Fatalf("a CA that is not in the store: want exit 69 and an unknown issuer\n%s", res)
	}

	caFile := testutil.WriteFile(t, dir, "ca.der", string(ca.Leaf.Raw), 0o644)
	rootStore(t, "add", caFile)
	t.Cleanup(func() { rootStore(t, "remove", caFile) })
	// Wine's crypt32 does not always see a root added by another process at once (seen in
	// CI once in many runs): give it a few tries before deciding.
	for try := 0; try < 10; try++ {
		if res = send(); res.Code == 0 {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if res.Code != 0 || res.Stderr != "" {
		if testutil.IsWine() && strings.Contains(res.Stderr, "issuer is unknown") {
			t.Skipf("Wine's chain engine did not pick up the new root in 3 s:\n%s", res)
		}
		t.Fatalf("with the CA in the ROOT store:\n%s", res)
	}
	if tx := srv.Delivered(); len(tx) != 1 || !tx[0].TLS {
		t.Errorf("want one mail delivered over TLS, got %d", len(tx))
	}
}

// rootStoreHelperEnv makes this test binary add a certificate to the local machine's ROOT
// store, or remove it, instead of running the tests: MSMTP_E2E_ROOT_STORE=add:FILE or
// remove:FILE, FILE holding the certificate in DER.
const rootStoreHelperEnv = "MSMTP_E2E_ROOT_STORE"

// init runs before TestMain (which lives in e2e_test.go, for every system).
func init() {
	if v := os.Getenv(rootStoreHelperEnv); v != "" {
		op, file, _ := strings.Cut(v, ":")
		if err := changeRootStore(op, file); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", rootStoreHelperEnv, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// rootStore runs the test binary as the helper that adds or removes the certificate in file.
func rootStore(t *testing.T, op, file string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), rootStoreHelperEnv+"="+op+":"+file)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", op, file, err, out)
	}
}

// changeRootStore adds the DER certificate in file to the local machine's ROOT store, or
// removes it. (The current user's ROOT store would ask the user to confirm on Windows.)
func changeRootStore(op, file string) error {
	der, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	cert, err := windows.CertCreateCertificateContext(windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING, &der[0], uint32(len(der)))
	if err != nil {
		return err
	}
	defer windows.CertFreeCertificateContext(cert)
	root, err := syscall.UTF16PtrFromString("ROOT")
	if err != nil {
		return err
	}
	store, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0,
		windows.CERT_SYSTEM_STORE_LOCAL_MACHINE, uintptr(unsafe.Pointer(root)))
	if err != nil {
		return fmt.Errorf("opening the ROOT store: %w", err)
	}
	defer windows.CertCloseStore(store, 0)
	switch op {
	case "add":
		return windows.CertAddCertificateContextToStore(store, cert, windows.CERT_STORE_ADD_REPLACE_EXISTING, nil)
	case "remove":
		found, err := windows.CertFindCertificateInStore(store, windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING,
			0, windows.CERT_FIND_EXISTING, unsafe.Pointer(cert), nil)
		if err != nil {
			return fmt.Errorf("finding the certificate in the ROOT store: %w", err)
		}
		// CertDeleteCertificateFromStore frees found.
		return windows.CertDeleteCertificateFromStore(found)
	}
	return fmt.Errorf("unknown operation %q", op)
}

// windowsTestService returns a service name of its own for the test and removes the service
// of that name when the test ends, whatever msmtpd.exe did.
func windowsTestService(t *testing.T) string {
	t.Helper()
	requireAdmin(t)
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "msmtpd-e2e-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		// The Event Log source that service install registered.
		if err := eventlog.Remove(name); err != nil && !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
			t.Errorf("cannot remove the Event Log source %s: %v", name, err)
		}
		m, err := mgr.Connect()
		if err != nil {
			t.Errorf("cannot connect to the SCM to remove service %s: %v", name, err)
			return
		}
		defer m.Disconnect()
		s, err := m.OpenService(name)
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return
		}
		if err != nil {
			t.Errorf("cannot open service %s to remove it: %v", name, err)
			return
		}
		defer s.Close()
		if st, err := s.Control(svc.Stop); err == nil && st.State != svc.Stopped {
			for deadline := time.Now().Add(runTimeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if st, err := s.Query(); err != nil || st.State == svc.Stopped {
					break
				}
			}
		}
		if err := s.Delete(); err != nil {
			t.Errorf("cannot remove service %s: %v", name, err)
		}
	})
	return name
}

// requireAdmin skips the test without the rights to install services and root certificates
// (on Windows outside an elevated prompt; under Wine the tests always have them).
func requireAdmin(t *testing.T) {
	t.Helper()
	m, err := mgr.Connect()
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		t.Skip("needs an elevated prompt (Run as administrator)")
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Disconnect()
}

// msmtpdService runs `msmtpd.exe service ARGS...`, which must succeed.
func msmtpdService(t *testing.T, msmtpd string, args ...string) {
	t.Helper()
	res := execute(t, run{Path: msmtpd, Args: append([]string{"service"}, args...), Env: os.Environ()})
	if res.Code != 0 {
		t.Fatalf("msmtpd service %q:\n%s", args, res)
	}
}

// runCommandLine runs a Windows command line as it is, without Go's quoting of arguments (as
// PHP's popen hands its line to CreateProcess).
func runCommandLine(t *testing.T, line, stdin string, env []string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	comspec := os.Getenv("ComSpec")
	if comspec == "" {
		comspec = `C:\windows\system32\cmd.exe`
	}
	cmd := exec.CommandContext(ctx, comspec)
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: line}
	cmd.Env = append(env, "ComSpec="+comspec)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s did not end within %v\n%s", line, runTimeout, res)
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", line, err)
	}
	return res
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
