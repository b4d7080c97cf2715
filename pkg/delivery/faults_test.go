package delivery_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// TestFaults plays the fault matrix (spec-mail-smtp.md §2.9, §3, §4, §10), one transcript per
// row under testdata/faults, against delivery.Send: the fake server checks every byte the
// client sends, and the test checks the exit code, every line msmtp prints on stderr and the
// log line. The header of each file:
//
//	msmtprc: LINE         a line of account "test" (repeatable), after the base lines
//	                      `host 127.0.0.1`, `port $PORT`, `from a@example.com` (without
//	                      host and port when a line sets the socket)
//	server: none          no server: $PORT is a port nothing listens on
//	dialer: nxdomain      names resolve to NXDOMAIN (no dependency on the real resolver)
//	rcpt: ADDR            an envelope recipient (repeatable; default b@example.org)
//	mail: "LITERAL"       the mail as a Go string literal (default "Subject: test\n\nbody\n")
//	mail-bytes: N         instead, a mail of N bytes
//	exit: N               the exit code (delivery.ExitCode)
//	stderr: LINE          a line of delivery.Report's output (repeatable, in order) ...
//	stderr-re: REGEXP     ... or a line matching REGEXP, for texts the OS words
//	log: TEXT             the log line without its time (LogEntry.Text); log-re: REGEXP
//	skip-under-wine: WHY  what Wine lacks for this row
//
// Values may use $PORT (the server's port), $CA (a file with the server's CA), $DIR (the
// test's temporary directory). The data lines of a success show the generated header fields
// of the fixed clock and random source (helpers_test.go).
func TestFaults(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/faults/*.smtp")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fault transcripts: %v", err)
	}
	for _, file := range files {
		script, err := smtptest.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(filepath.Base(file), ".smtp"), func(t *testing.T) {
			t.Parallel()
			runFault(t, script)
		})
	}
}

func runFault(t *testing.T, s *smtptest.Script) {
	if why, ok := s.Get("skip-under-wine"); ok {
		testutil.SkipUnderWine(t, why)
	}
	dir := tempDir(t)
	vars := map[string]string{"$DIR": dir}
	var srv *smtptest.Server
	if v, _ := s.Get("server"); v == "none" {
		vars["$PORT"] = strconv.Itoa(closedPort(t))
	} else {
		srv = smtptest.NewServer(t, s, smtptest.ServerOptions{Timeout: 5 * time.Second})
		vars["$PORT"] = strconv.Itoa(srv.Port())
		if srv.CA != nil {
			vars["$CA"] = writeFile(t, dir, "ca.pem", srv.CA.CertPEM)
		}
	}
	expand := func(v string) string {
		for k, x := range vars {
			v = strings.ReplaceAll(v, k, x)
		}
		return v
	}
	lines := []string{"host 127.0.0.1", "port $PORT", "from a@example.com"}
	for _, l := range s.Values("msmtprc") {
		if strings.HasPrefix(l, "socket ") {
			lines = lines[2:] // a socket account has no host and needs no port
		}
	}
	lines = append(lines, s.Values("msmtprc")...)
	for i := range lines {
		lines[i] = expand(lines[i])
	}
	acct := mustAccount(t, lines...)

	opts := testOptions(nil)
	if v, _ := s.Get("dialer"); v == "nxdomain" {
		opts.Dialer = dnsDialer(3)
	}
	rcpts := s.Values("rcpt")
	if len(rcpts) == 0 {
		rcpts = []string{"b@example.org"}
	}
	mail := "Subject: test\n\nbody\n"
	if v, ok := s.Get("mail"); ok {
		var err error
		if mail, err = strconv.Unquote(v); err != nil {
			t.Fatalf("mail: %v", err)
		}
	}
	if v, ok := s.Get("mail-bytes"); ok {
		n, _ := strconv.Atoi(v)
		line := "0123456789abcdefghijklmnopqrstuvwxyz012345678901234567890123456789\n"
		mail = "Subject: big\n\n" + strings.Repeat(line, n/len(line)+1)
	}

	res, err := send(t, opts, acct, mail, rcpts...)
	if srv != nil {
		if werr := srv.Wait(); werr != nil {
			t.Errorf("wire: %v", werr)
		}
	}

	want, _ := s.Get("exit")
	if got := strconv.Itoa(int(delivery.ExitCode(err))); got != want {
		t.Errorf("exit code %s, want %s (error: %v)", got, want, err)
	}
	checkLines(t, "stderr", report(acct, res, err), s, expand)
	if res == nil || res.Log == nil {
		t.Fatal("no log entry")
	}
	got := res.Log.Text()
	if v, ok := s.Get("log"); ok && got != expand(v) {
		t.Errorf("log line\n got %s\nwant %s", got, expand(v))
	}
	if v, ok := s.Get("log-re"); ok && !regexp.MustCompile(`^(?:`+expand(v)+`)$`).MatchString(got) {
		t.Errorf("log line\n got %s\nwant %s", got, expand(v))
	}
}

// checkLines compares output, line by line, with the header fields KEY (exact) and KEY-re
// (regexp) of s, in file order.
func checkLines(t *testing.T, key, output string, s *smtptest.Script, expand func(string) string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(output, "\n"), "\n")
	if output == "" {
		got = nil
	}
	var want []string
	var diffs []string
	for _, f := range s.Header {
		if f.Key != key && f.Key != key+"-re" {
			continue
		}
		v := expand(f.Value)
		i := len(want)
		want = append(want, v)
		switch {
		case i >= len(got):
			diffs = append(diffs, fmt.Sprintf("line %d missing, want %q", i+1, v))
		case f.Key == key && got[i] != v,
			f.Key != key && !regexp.MustCompile(`^(?:`+v+`)$`).MatchString(got[i]):
			diffs = append(diffs, fmt.Sprintf("line %d\n got %q\nwant %q", i+1, got[i], v))
		}
	}
	if len(got) > len(want) {
		diffs = append(diffs, fmt.Sprintf("%d extra lines", len(got)-len(want)))
	}
	if len(diffs) > 0 {
		t.Errorf("%s:\n%s\n--- got ---\n%s--- want ---\n%s", key, strings.Join(diffs, "\n"), output, strings.Join(want, "\n"))
	}
}

// TestUnknownHostSystemResolver is the unknown-host row with the machine's own resolver
// instead of the fake one: whether the resolver says NXDOMAIN (68) or cannot be reached at
// all (a temporary failure, 75, as msmtp 1.8.33 has it for EAI_AGAIN), the lookup of a name
// under .invalid (RFC 6761 §6.4) fails, before anything is sent.
func TestUnknownHostSystemResolver(t *testing.T) {
	t.Parallel()
	acct := mustAccount(t, "host nonexistent.invalid", "port 25", "from a@example.com", "timeout 10")
	res, err := send(t, testOptions(nil), acct, "Subject: x\n\nbody\n", "b@example.org")
	code := delivery.ExitCode(err)
	if err == nil || !strings.HasPrefix(err.Error(), "cannot locate host nonexistent.invalid: ") || code != 68 && code != 75 {
		t.Fatalf("error %v (exit %d), want `cannot locate host nonexistent.invalid: ...` with 68 or 75", err, code)
	}
	if res.SMTP != nil {
		t.Errorf("a session result without a session: %+v", res.SMTP)
	}
}
