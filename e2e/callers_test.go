package e2e

import (
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// callerCase is one way real software runs sendmail (the rows of peers.md §4, whose argv
// cmd/msmtp/testdata/callers records for the parser), run here end to end: our msmtp
// installed under the caller's path, the caller's argv, the mail the caller writes, and
// the user's ~/.msmtprc (callers never pass -C), delivering to a capture server.
type callerCase struct {
	name string
	// path is what the caller runs, made to exist inside the test's directory (a symbolic
	// link to msmtp, a copy on Windows); argv[0] is that path.
	path string
	// args are the arguments after argv[0], as the caller's program receives them (after
	// the shell's splitting, for callers that go through popen).
	args []string
	// dsn makes the server advertise DSN.
	dsn bool
	// stdin is what the caller writes, with LF line ends; with smtp it is an SMTP
	// dialogue and is sent with CRLF.
	stdin string
	smtp  bool
	// envelope is the MAIL and RCPT lines the server must see.
	envelope string
	// fields are header fields the delivered mail must have, as "Name: value" (unfolded;
	// "Date: <now>" and "Message-ID: <ID@domain>" for generated ones, see normalizeMail).
	fields []string
	// absent are header fields it must not have.
	absent []string
	// body is the delivered body (after the blank line).
	body string
	// verbose callers ask for msmtp's debug output (-v) on standard output.
	verbose bool
}

// callerAliases maps the local user names the daemons mail to.
const callerAliases = `root: admin@example.org
alice: alice@example.org
www-data: webmaster@example.org
`

var callerCases = []callerCase{
	{
		name:  "php-mail",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-t", "-i"},
		stdin: "To: user@example.org\r\nSubject: PHP mail()\r\nFrom: Web <web@example.com>\r\nX-PHP-Originating-Script: 33:contact.php\r\n\r\nline 1\n.\nline 3\n",
		envelope: `MAIL FROM:<daemon@host.example>
RCPT TO:<user@example.org>
`,
		fields: []string{"From: Web <web@example.com>", "To: user@example.org", "Date: <now>", "Message-ID: <ID@host.example>"},
		body:   "line 1\n.\nline 3\n",
	},
	{
		name:  "php-mail-fifth-argument",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-t", "-i", "-fbounce@example.com"},
		stdin: "To: user@example.org\r\nSubject: PHP mail() with -f\r\nFrom: Web <web@example.com>\r\n\r\nbody\n",
		envelope: `MAIL FROM:<bounce@example.com>
RCPT TO:<user@example.org>
`,
		fields: []string{"From: Web <web@example.com>", "Message-ID: <ID@example.com>"},
		body:   "body\n",
	},
	{
		name: "phpmailer-issendmail",
		path: "/usr/sbin/sendmail",
		args: []string{"-oi", "-fsender@example.com", "-t"},
		stdin: `Date: Tue, 01 Jan 2030 00:00:00 +0000
To: Some One <to@example.org>
From: Shop <sender@example.com>
Cc: cc@example.org
Bcc: hidden@example.org
Subject: Your order
Message-ID: <abc123@shop.example.com>
X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)

.
Thank you.
`,
		envelope: `MAIL FROM:<sender@example.com>
RCPT TO:<to@example.org>
RCPT TO:<cc@example.org>
RCPT TO:<hidden@example.org>
`,
		fields: []string{"Date: Tue, 01 Jan 2030 00:00:00 +0000", "Message-ID: <abc123@shop.example.com>", "From: Shop <sender@example.com>", "Cc: cc@example.org"},
		absent: []string{"Bcc"},
		body:   ".\nThank you.\n",
	},
	{
		// Symfony Mailer with "sendmail -t": it drops -t when it knows the recipients, adds
		// -f'SENDER' and "-- 'RCPT'", and, because the command has no -i, dot-stuffs the
		// mail itself ("\n." becomes "\n..") for sendmail(8), which without -i treats a
		// leading ".." as an escaped "." (symfony/symfony#50875).
		name:  "symfony-t-without-i",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-fapp@example.com", "--", "user@example.org"},
		stdin: "From: App <app@example.com>\nTo: user@example.org\nSubject: link\nMessage-ID: <s1@app.example.com>\nDate: Tue, 01 Jan 2030 00:00:00 +0000\n\nhttps://www.example=\n..com/reset\n",
		envelope: `MAIL FROM:<app@example.com>
RCPT TO:<user@example.org>
`,
		fields: []string{"From: App <app@example.com>"},
		body:   "https://www.example=\n.com/reset\n",
	},
	{
		name:  "symfony-bs",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-bs"},
		smtp:  true,
		stdin: "EHLO [127.0.0.1]\nMAIL FROM:<app@example.com>\nRCPT TO:<user@example.org>\nRCPT TO:<hidden@example.org>\nDATA\nFrom: App <app@example.com>\nTo: user@example.org\nSubject: -bs\nMessage-ID: <s2@app.example.com>\nDate: Tue, 01 Jan 2030 00:00:00 +0000\n\n..dot\n.\nQUIT\n",
		envelope: `MAIL FROM:<app@example.com>
RCPT TO:<user@example.org>
RCPT TO:<hidden@example.org>
`,
		fields: []string{"From: App <app@example.com>", "Message-ID: <s2@app.example.com>"},
		body:   ".dot\n",
	},
	{
		name:  "laravel-bs-i",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-bs", "-i"},
		smtp:  true,
		stdin: "EHLO [127.0.0.1]\nMAIL FROM:<laravel@example.com>\nRCPT TO:<user@example.org>\nDATA\nFrom: Laravel <laravel@example.com>\nTo: user@example.org\nSubject: Welcome\n\nHi.\n.\nQUIT\n",
		envelope: `MAIL FROM:<laravel@example.com>
RCPT TO:<user@example.org>
`,
		fields: []string{"From: Laravel <laravel@example.com>", "Date: <now>", "Message-ID: <ID@example.com>"},
		body:   "Hi.\n",
	},
	{
		name: "git-send-email",
		path: "/usr/bin/msmtp",
		args: []string{"-f", "dev@example.com", "-i", "list@example.org", "rev@example.org"},
		stdin: `From: Dev Eloper <dev@example.com>
To: list@example.org
Cc: Rev <rev@example.org>
Subject: [PATCH] Fix the thing
Date: Tue, 01 Jan 2030 00:00:00 +0000
Message-ID: <20300101000000.1-1-dev@example.com>
X-Mailer: git-send-email 2.39.5

.leading dot
-- 
2.39.5
`,
		envelope: `MAIL FROM:<dev@example.com>
RCPT TO:<list@example.org>
RCPT TO:<rev@example.org>
`,
		fields: []string{"Message-ID: <20300101000000.1-1-dev@example.com>", "From: Dev Eloper <dev@example.com>"},
		body:   ".leading dot\n-- \n2.39.5\n",
	},
	{
		// mutt with DSN: recipients after "--" may start with "-", Bcc recipients are on
		// the command line too.
		name: "mutt-dsn",
		path: "/usr/sbin/sendmail",
		args: []string{"-oem", "-oi", "-B8BITMIME", "-f", "me@example.com", "-N", "failure,delay", "-R", "hdrs", "--", "to@example.org", "-dash@example.org", "bcc@example.org"},
		dsn:  true,
		stdin: `Date: Tue, 1 Jan 2030 00:00:00 +0000
From: Me <me@example.com>
To: to@example.org, -dash@example.org
Bcc: bcc@example.org
Subject: =?utf-8?Q?M=C3=BCll?=
Message-ID: <mutt.1@example.com>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Müll.
`,
		envelope: `MAIL FROM:<me@example.com> RET=HDRS
RCPT TO:<to@example.org> NOTIFY=FAILURE,DELAY
RCPT TO:<-dash@example.org> NOTIFY=FAILURE,DELAY
RCPT TO:<bcc@example.org> NOTIFY=FAILURE,DELAY
`,
		fields: []string{"From: Me <me@example.com>", "Subject: =?utf-8?Q?M=C3=BCll?="},
		absent: []string{"Bcc"},
		body:   "Müll.\n",
	},
	{
		// Debian cron: popen of "sendmail -FCronDaemon -i -B8BITMIME -oem $MAILTO"; the
		// shell splits MAILTO="root, alice" into "root," and "alice"; the aliases file
		// qualifies both.
		name: "debian-cron",
		path: "/usr/sbin/sendmail",
		args: []string{"-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root,", "alice"},
		stdin: `From: root (Cron Daemon)
To: root, alice
Subject: Cron <alice@host> /usr/local/bin/backup
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit
X-Cron-Env: <SHELL=/bin/sh>
X-Cron-Env: <MAILTO=root, alice>

.
backup done
`,
		envelope: `MAIL FROM:<daemon@host.example>
RCPT TO:<admin@example.org>
RCPT TO:<alice@example.org>
`,
		fields: []string{"From: root (Cron Daemon)", "To: root, alice", "X-Cron-Env: <MAILTO=root, alice>", "Date: <now>", "Message-ID: <ID@host.example>"},
		body:   ".\nbackup done\n",
	},
	{
		name: "cronie",
		path: "/usr/sbin/sendmail",
		args: []string{"-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "alice@example.org"},
		stdin: `From: "(Cron Daemon)" <alice@example.org>
To: alice
Subject: Cron <alice@host> date
Content-Type: text/plain; charset=UTF-8
Auto-Submitted: auto-generated
Precedence: bulk
X-Cron-Env: <LANG=C.UTF-8>

Tue Jan  1 00:00:00 UTC 2030
`,
		envelope: `MAIL FROM:<alice@example.org>
RCPT TO:<alice@example.org>
`,
		fields: []string{`From: "(Cron Daemon)" <alice@example.org>`, "To: alice", "Message-ID: <ID@example.org>"},
		body:   "Tue Jan  1 00:00:00 UTC 2030\n",
	},
	{
		name: "busybox-crond",
		path: "/usr/sbin/sendmail",
		args: []string{"-ti"},
		stdin: `To: root
Subject: cron output

..
`,
		envelope: `MAIL FROM:<daemon@host.example>
RCPT TO:<admin@example.org>
`,
		fields: []string{"From: daemon@host.example", "To: root"},
		body:   "..\n",
	},
	{
		// anacron passes no -i: a lone dot in a job's output ends the mail there.
		name: "anacron",
		path: "/usr/sbin/sendmail",
		args: []string{"-FAnacron", "-odi", "root"},
		stdin: `From: Anacron <root>
To: root
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"
Subject: Anacron job 'cron.daily' on host

run-parts: /etc/cron.daily/backup exited with return code 1
.
not sent
`,
		envelope: `MAIL FROM:<daemon@host.example>
RCPT TO:<admin@example.org>
`,
		fields: []string{"From: Anacron <root>", "Subject: Anacron job 'cron.daily' on host"},
		body:   "run-parts: /etc/cron.daily/backup exited with return code 1\n",
	},
	{
		name:  "at",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-i", "alice"},
		stdin: "Subject: Output from your job        7\nTo: alice\n\n.\nlast line\n",
		envelope: `MAIL FROM:<daemon@host.example>
RCPT TO:<alice@example.org>
`,
		fields: []string{"From: daemon@host.example", "Subject: Output from your job        7"},
		body:   ".\nlast line\n",
	},
	{
		name:  "systemd-cron",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-i", "-B", "8BITMIME", "root"},
		stdin: "From: root (systemd-cron)\nTo: root\nSubject: [host] result of cron-daily-1.service\nContent-Transfer-Encoding: 8bit\nContent-Type: text/plain; charset=utf-8\n\nok\n",
		envelope: `MAIL FROM:<daemon@host.example>
RCPT TO:<admin@example.org>
`,
		fields: []string{"From: root (systemd-cron)"},
		body:   "ok\n",
	},
	{
		name:  "sudo",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-t"},
		stdin: "To: root\nFrom: root\nAuto-Submitted: auto-generated\nSubject: *** SECURITY information for host ***\n\nhost : Jan  1 00:00:00 : mallory : user NOT in sudoers\n",
		envelope: `MAIL FROM:<daemon@host.example>
RCPT TO:<admin@example.org>
`,
		fields: []string{"From: root", "To: root"},
		body:   "host : Jan  1 00:00:00 : mallory : user NOT in sudoers\n",
	},
	{
		name:  "mdadm",
		path:  "/usr/lib/sendmail",
		args:  []string{"-t", "-fmdadm@example.com"},
		stdin: "From: mdadm monitoring <mdadm@example.com>\nTo: root\nSubject: Fail event on /dev/md0:host\n\nThis is an automatically generated mail message.\n",
		envelope: `MAIL FROM:<mdadm@example.com>
RCPT TO:<admin@example.org>
`,
		fields: []string{"From: mdadm monitoring <mdadm@example.com>"},
		body:   "This is an automatically generated mail message.\n",
	},
	{
		// fail2ban: popen of sendmail -f "<sender>" "<dest>", dest a list in one argument.
		name:  "fail2ban",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-f", "fail2ban@example.com", "a@example.org, b@example.org"},
		stdin: "Subject: [Fail2Ban] sshd: banned 192.0.2.1 from host\nDate: Tue, 01 Jan 2030 00:00:00 +0000\nFrom: Fail2Ban <fail2ban@example.com>\nTo: a@example.org, b@example.org\n\nHi,\n",
		envelope: `MAIL FROM:<fail2ban@example.com>
RCPT TO:<a@example.org>
RCPT TO:<b@example.org>
`,
		fields: []string{"From: Fail2Ban <fail2ban@example.com>", "Date: Tue, 01 Jan 2030 00:00:00 +0000", "Message-ID: <ID@example.com>"},
		body:   "Hi,\n",
	},
	{
		name:  "unattended-upgrades",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-oi", "-t"},
		stdin: "Subject: unattended-upgrades result for host: SUCCESS\nFrom: root\nTo: root\nContent-Type: text/plain; charset=\"utf-8\"\n\nUnattended upgrade result: All upgrades installed\n",
		envelope: `MAIL FROM:<daemon@host.example>
RCPT TO:<admin@example.org>
`,
		fields: []string{"From: root"},
		body:   "Unattended upgrade result: All upgrades installed\n",
	},
	{
		name:  "zfs-zed",
		path:  "/usr/sbin/sendmail",
		args:  []string{"root"},
		stdin: "Subject: ZFS scrub_finish event for tank on host\n\nscrub repaired 0B\n",
		envelope: `MAIL FROM:<daemon@host.example>
RCPT TO:<admin@example.org>
`,
		fields: []string{"From: daemon@host.example"},
		body:   "scrub repaired 0B\n",
	},
	{
		name:  "bsd-mailx",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-i", "-t", "-f", "from@example.com"},
		stdin: "From: from@example.com\nTo: other@example.net, rcpt@example.org\nSubject: the subj\nCc: cc@example.org\nBcc: bcc@example.org\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: 8bit\n\nhello body\n",
		envelope: `MAIL FROM:<from@example.com>
RCPT TO:<other@example.net>
RCPT TO:<rcpt@example.org>
RCPT TO:<cc@example.org>
RCPT TO:<bcc@example.org>
`,
		fields: []string{"From: from@example.com", "Cc: cc@example.org"},
		absent: []string{"Bcc"},
		body:   "hello body\n",
	},
	{
		// OpenBSD mail's other form, with -v: msmtp prints its session on stdout.
		name:    "bsd-mail-verbose",
		path:    "/usr/sbin/sendmail",
		args:    []string{"-i", "-v", "-m", "root"},
		stdin:   "To: root\nSubject: verbose\n\nbody\n",
		verbose: true,
		envelope: `MAIL FROM:<daemon@host.example>
RCPT TO:<admin@example.org>
`,
		fields: []string{"To: root"},
		body:   "body\n",
	},
	{
		name:  "s-nail",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-i", "-f", "sender@example.com", "--", "rcpt@example.org", "-other@example.org"},
		stdin: "Date: Tue, 01 Jan 2030 00:00:00 +0000\nFrom: sender@example.com\nTo: rcpt@example.org, -other@example.org\nSubject: snail\nMessage-ID: <20300101000000.x%sender@example.com>\nUser-Agent: s-nail v14.9.24\n\nhello snail\n",
		envelope: `MAIL FROM:<sender@example.com>
RCPT TO:<rcpt@example.org>
RCPT TO:<-other@example.org>
`,
		fields: []string{"Message-ID: <20300101000000.x%sender@example.com>"},
		body:   "hello snail\n",
	},
	{
		name:  "heirloom-mailx",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-i", "-r", "from@example.com", "rcpt@example.org"},
		stdin: "To: rcpt@example.org\nSubject: heirloom\n\nbody\n",
		envelope: `MAIL FROM:<from@example.com>
RCPT TO:<rcpt@example.org>
`,
		fields: []string{"From: from@example.com", "Message-ID: <ID@example.com>"},
		body:   "body\n",
	},
	{
		name:  "gnu-mailutils",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-oi", "-f", "alice@example.org", "-t"},
		stdin: "To: root\nSubject: mailutils\n\nbody\n",
		envelope: `MAIL FROM:<alice@example.org>
RCPT TO:<admin@example.org>
`,
		fields: []string{"From: alice@example.org"},
		body:   "body\n",
	},
	{
		// Dovecot's vacation reply: the null sender, and no From header is made up.
		name:  "dovecot-null-sender",
		path:  "/usr/sbin/sendmail",
		args:  []string{"-i", "-f", "<>", "--", "rcpt@example.org"},
		stdin: "Subject: Automatic reply: hello\nAuto-Submitted: auto-replied (vacation)\nTo: rcpt@example.org\n\nI am away.\n",
		envelope: `MAIL FROM:<>
RCPT TO:<rcpt@example.org>
`,
		fields: []string{"Auto-Submitted: auto-replied (vacation)", "Date: <now>"},
		absent: []string{"From"},
		body:   "I am away.\n",
	},
}

// TestCallers runs every callerCase.
func TestCallers(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t, "msmtp")
	for _, tc := range callerCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startCapture(t, captureOptions{DSN: tc.dsn})
			dir := testutil.TempDir(t)
			home := filepath.Join(dir, "home")
			writeUserConfig(t, home, srv.Port(),
				"from daemon@host.example",
				"aliases "+testutil.WriteFile(t, dir, "aliases", callerAliases, 0o644))
			path := installAs(t, bin, filepath.Join(dir, "root", filepath.FromSlash(tc.path)))
			stdin := tc.stdin
			if tc.smtp {
				stdin = strings.ReplaceAll(stdin, "\n", "\r\n")
			}
			res := execute(t, run{Path: path, Args: tc.args, Stdin: stdin, Env: msmtpEnv(home)})
			if res.Code != 0 || res.Stderr != "" || (res.Stdout != "" && !tc.verbose && !tc.smtp) {
				t.Fatalf("%s %q:\n%s", tc.path, tc.args, res)
			}
			if tc.smtp && regexp.MustCompile(`(?m)^[45]`).MatchString(res.Stdout) {
				t.Errorf("the SMTP dialogue had errors:\n%s", res.Stdout)
			}
			tx := srv.only(t)
			if diff := cmp.Diff(tc.envelope, tx.Envelope()); diff != "" {
				t.Errorf("envelope (-want +got):\n%s", diff)
			}
			mail, err := normalizeMail(tx.Data, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			checkFields(t, mail, tc.fields, tc.absent)
			if _, body, _ := strings.Cut(mail, "\n\n"); body != tc.body {
				t.Errorf("body (-want +got):\n%s", cmp.Diff(tc.body, body))
			}
			if t.Failed() {
				t.Logf("delivered mail:\n%s", mail)
			}
		})
	}
}

// checkFields checks that the normalised mail has each "Name: value" of fields and none of
// the fields named in absent.
func checkFields(t *testing.T, mail string, fields, absent []string) {
	t.Helper()
	for _, f := range fields {
		name, value, _ := strings.Cut(f, ": ")
		got := header(mail, name)
		found := false
		for _, v := range got {
			found = found || v == value
		}
		if !found {
			t.Errorf("no header field %q; %s fields: %q", f, name, got)
		}
	}
	for _, name := range absent {
		if got := header(mail, name); len(got) > 0 {
			t.Errorf("header field %s is there, want none: %q", name, got)
		}
	}
}

// writeUserConfig writes the user's msmtprc where msmtp looks for it without -C
// (~/.msmtprc; %APPDATA%\msmtp\msmtprc on Windows) for an account "default" that sends to
// 127.0.0.1:port in clear text, with the given extra lines.
func writeUserConfig(t testing.TB, home string, port int, lines ...string) {
	t.Helper()
	name := ".msmtprc"
	if runtime.GOOS == "windows" {
		name = filepath.Join("AppData", "Roaming", "msmtp", "msmtprc")
	}
	testutil.WriteFile(t, home, name, msmtprcText(port, append([]string{"tls off", "auth off"}, lines...)...), 0o600)
}
