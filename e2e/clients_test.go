package e2e

import (
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// Real programs that run sendmail, with our msmtp as their sendmail, delivering to a capture
// server. Each test checks the envelope and the header fields the program and msmtp are
// responsible for. The programs exist only on Unix-like systems; each test skips when its
// program is missing (.ci/install-peers installs them all).

// clientSetup starts a capture server and writes the user's msmtprc for it into a fresh
// home directory, which it returns with the server.
func clientSetup(t *testing.T, lines ...string) (*captureServer, string) {
	t.Helper()
	srv := startCapture(t, captureOptions{})
	home := filepath.Join(testutil.TempDir(t), "home")
	writeUserConfig(t, home, srv.Port(), append([]string{"from www-data@host.example"}, lines...)...)
	return srv, home
}

// deliveredMail checks that exactly one mail arrived with the envelope want, and returns it
// normalised.
var sizeParam = regexp.MustCompile(` SIZE=(\d+)`)

func deliveredMail(t *testing.T, srv *captureServer, want string) string {
	t.Helper()
	tx := srv.only(t)
	env := tx.Envelope()
	// A caller that hands msmtp a file as standard input (bsd-mailx does) gets the size
	// declared with SIZE=; it must be about the size of the data that followed.
	if m := sizeParam.FindStringSubmatch(env); m != nil {
		n, _ := strconv.Atoi(m[1])
		if d := len(tx.Data); n < d*9/10 || n > d*11/10 {
			t.Errorf("SIZE=%d declared for %d bytes of data", n, d)
		}
		env = strings.Replace(env, m[0], "", 1)
	}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
	mail, err := normalizeMail(tx.Data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("delivered mail:\n%s", mail)
		}
	})
	return mail
}

// TestPHPMail runs PHP's mail() with sendmail_path set to msmtp, as php.ini does on Unix
// ("-t -i"), with and without mail()'s fifth argument. PHP writes the header with CRLF
// and the body with LF.
func TestPHPMail(t *testing.T) {
	t.Parallel()
	php := lookPeer(t, "php")
	bin := testutil.Binary(t, "msmtp")
	const script = `$ok = mail("user@example.org, other@example.org", "PHP test", "line 1\n.\nline 3",
	"From: Web Site <web@example.com>\r\nCc: cc@example.org\r\nBcc: hidden@example.org",
	getenv("FIFTH"));
exit($ok ? 0 : 1);`
	for _, tc := range []struct {
		name, fifth, from string
	}{
		{"without -f", "", "www-data@host.example"},
		{"with -f", "-fbounce@example.com", "bounce@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, home := clientSetup(t)
			env := append(msmtpEnv(home), "FIFTH="+tc.fifth)
			res := execute(t, run{Path: php, Env: env, Args: []string{
				"-n", "-d", "sendmail_path=" + bin + " -t -i", "-r", script,
			}})
			if res.Code != 0 || res.Stderr != "" {
				t.Fatalf("php: %s", res)
			}
			mail := deliveredMail(t, srv, "MAIL FROM:<"+tc.from+">\n"+
				"RCPT TO:<user@example.org>\nRCPT TO:<other@example.org>\n"+
				"RCPT TO:<cc@example.org>\nRCPT TO:<hidden@example.org>\n")
			checkFields(t, mail, []string{
				"To: user@example.org, other@example.org",
				"Subject: PHP test",
				"From: Web Site <web@example.com>",
				"Cc: cc@example.org",
				"Date: <now>",
			}, []string{"Bcc"})
			if _, body, _ := strings.Cut(mail, "\n\n"); body != "line 1\n.\nline 3\n" {
				t.Errorf("body %q", body)
			}
		})
	}
}

// TestGitSendEmail sends a patch made by git format-patch with git send-email and
// --smtp-server=msmtp, which runs "msmtp [--smtp-server-option...] -f FROM -i RECIPIENTS".
func TestGitSendEmail(t *testing.T) {
	t.Parallel()
	git := lookPeer(t, "git")
	bin := testutil.Binary(t, "msmtp")
	srv, home := clientSetup(t, "account git : default", "from dev@example.com")
	env := append(msmtpEnv(home), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Dev Eloper", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=Dev Eloper", "GIT_COMMITTER_EMAIL=dev@example.com",
		"GIT_AUTHOR_DATE=2030-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2030-01-01T00:00:00Z")
	repo := testutil.TempDir(t)
	gitRun := func(args ...string) result {
		t.Helper()
		res := execute(t, run{Path: git, Args: args, Env: env, Dir: repo})
		if res.Code != 0 {
			t.Fatalf("git %q: %s", args, res)
		}
		return res
	}
	// git send-email is a Perl script; Debian's git-email recommends the modules it needs.
	if res := execute(t, run{Path: git, Args: []string{"send-email", "--dump-aliases"}, Env: env, Dir: repo}); res.Code != 0 {
		t.Skipf("git send-email does not run here (Debian: git-email and libmailtools-perl):\n%s", res)
	}
	gitRun("init", "-q")
	testutil.WriteFile(t, repo, "f", "a\n", 0o644)
	gitRun("add", "f")
	gitRun("commit", "-q", "-m", "first")
	testutil.WriteFile(t, repo, "f", "a\nb\n", 0o644)
	gitRun("commit", "-q", "-a", "-m", "Fix the thing", "-m", "Body line.\n.leading dot line\n.")
	patch := strings.TrimSpace(gitRun("format-patch", "-1", "-o", "patches").Stdout)
	res := gitRun("send-email", "--smtp-server="+bin,
		"--smtp-server-option=-a", "--smtp-server-option=git",
		"--envelope-sender=dev@example.com", "--from=Dev Eloper <dev@example.com>",
		"--to=list@example.org", "--cc=Rev <rev@example.org>", "--bcc=hidden@example.org",
		"--suppress-cc=all", "--confirm=never", "--no-validate", patch)
	if !strings.Contains(res.Stdout, "Result: OK") {
		t.Errorf("git send-email did not report success:\n%s", res)
	}
	mail := deliveredMail(t, srv, "MAIL FROM:<dev@example.com>\n"+
		"RCPT TO:<list@example.org>\nRCPT TO:<rev@example.org>\nRCPT TO:<hidden@example.org>\n")
	checkFields(t, mail, []string{
		"From: Dev Eloper <dev@example.com>",
		"To: list@example.org",
		"Cc: Rev <rev@example.org>",
		"Subject: [PATCH] Fix the thing",
	}, []string{"Bcc"})
	// git's own Message-Id and Date are kept: msmtp adds none.
	if ids := header(mail, "Message-ID"); len(ids) != 1 || !strings.HasSuffix(ids[0], "-1-dev@example.com>") {
		t.Errorf("Message-ID fields %q, want git's only", ids)
	}
	if dates := header(mail, "Date"); len(dates) != 1 {
		t.Errorf("Date fields %q, want git's only", dates)
	}
	if _, body, _ := strings.Cut(mail, "\n\n"); !strings.HasPrefix(body, "Body line.\n.leading dot line\n.\n---\n") || !strings.Contains(body, "\n+b\n") {
		t.Errorf("body:\n%s", body)
	}
}

// TestSNail sends with s-nail, whose mta variable names the sendmail to run; it runs
// "sendmail -i [mta-arguments] -f FROM -- RECIPIENTS" (recipients may begin with "-"). s-nail
// gives the program the HOME of the password database, so the configuration is passed
// with -C through mta-arguments.
func TestSNail(t *testing.T) {
	t.Parallel()
	snail := lookPeer(t, "s-nail")
	bin := testutil.Binary(t, "msmtp")
	srv, home := clientSetup(t)
	env := append(msmtpEnv(home), "MAILRC="+os.DevNull)
	if u, err := user.Current(); err == nil {
		// s-nail warns when these differ from the real user.
		env = append(env, "USER="+u.Username, "LOGNAME="+u.Username)
	}
	res := execute(t, run{Path: snail, Env: env, Stdin: "hello snail\n.\nlast\n", Args: []string{
		"-n", "-S", "mta=" + bin, "-S", "mta-arguments=-C " + filepath.Join(home, ".msmtprc"),
		"-S", "sendwait", "-s", "snail subject",
		"-c", "cc@example.org", "-b", "bcc@example.org", "-r", "sender@example.com",
		"rcpt@example.org", "-other@example.org",
	}})
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("s-nail: %s", res)
	}
	mail := deliveredMail(t, srv, "MAIL FROM:<sender@example.com>\n"+
		"RCPT TO:<rcpt@example.org>\nRCPT TO:<-other@example.org>\n"+
		"RCPT TO:<cc@example.org>\nRCPT TO:<bcc@example.org>\n")
	checkFields(t, mail, []string{
		"From: sender@example.com",
		"To: rcpt@example.org, -other@example.org",
		"Cc: cc@example.org",
		"Subject: snail subject",
	}, []string{"Bcc"})
	if ids := header(mail, "Message-ID"); len(ids) != 1 || !strings.Contains(ids[0], "%sender@example.com>") {
		t.Errorf("Message-ID fields %q, want s-nail's only", ids)
	}
	if _, body, _ := strings.Cut(mail, "\n\n"); body != "hello snail\n.\nlast\n" {
		t.Errorf("body %q", body)
	}
}

// TestBSDMailx sends with Debian's bsd-mailx, pointed at msmtp by the sendmail variable
// of its MAILRC file (it otherwise runs /usr/sbin/sendmail); it runs "sendmail -i -t",
// with "-f FROM" added for -r.
func TestBSDMailx(t *testing.T) {
	t.Parallel()
	mailx := lookPeer(t, filepath.Join(peersDir(), "bsd-mailx", "usr", "bin", "bsd-mailx"))
	bin := testutil.Binary(t, "msmtp")
	for _, tc := range []struct {
		name, from string
		args       []string
		fields     []string
	}{
		{"plain", "www-data@host.example", nil, []string{"From: www-data@host.example"}},
		{"with -r", "from@example.com", []string{"-r", "from@example.com"}, []string{"From: from@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, home := clientSetup(t)
			mailrc := testutil.WriteFile(t, home, "mailrc", "set sendmail="+bin+"\n", 0o644)
			env := append(msmtpEnv(home), "MAILRC="+mailrc)
			args := append([]string{"-s", "mailx subject", "-c", "cc@example.org", "-b", "bcc@example.org"}, tc.args...)
			args = append(args, "rcpt@example.org")
			res := execute(t, run{Path: mailx, Env: env, Stdin: "hello mailx\n", Args: args})
			if res.Code != 0 || res.Stderr != "" {
				t.Fatalf("bsd-mailx: %s", res)
			}
			mail := deliveredMail(t, srv, "MAIL FROM:<"+tc.from+">\n"+
				"RCPT TO:<rcpt@example.org>\nRCPT TO:<cc@example.org>\nRCPT TO:<bcc@example.org>\n")
			checkFields(t, mail, append(tc.fields,
				"To: rcpt@example.org", "Cc: cc@example.org", "Subject: mailx subject",
				"Date: <now>", "Message-ID: <ID@"+strings.SplitN(tc.from, "@", 2)[1]+">",
			), []string{"Bcc"})
			if _, body, _ := strings.Cut(mail, "\n\n"); body != "hello mailx\n" {
				t.Errorf("body %q", body)
			}
		})
	}
}
