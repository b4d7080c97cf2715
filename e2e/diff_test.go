package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// The differential test: each diffCase runs our msmtp and Debian's msmtp 1.8.23 the same
// way (same msmtprc, argv, mail and server behaviour, each against its own capture server)
// and compares what can be observed: the exit code, the output (messages, and the
// configuration of --pretend), the envelope, the mail and the log line. Where we differ on purpose (docs/compat.md) the difference is listed in
// knownDifferences, with its reason; nothing else may differ.

// aspect is one thing the differential test compares.
type aspect string

const (
	aspectExit     aspect = "exit code"
	aspectOutput   aspect = "output (stdout, then stderr)"
	aspectEnvelope aspect = "envelope"
	aspectMail     aspect = "mail"
	aspectLog      aspect = "log line"
)

var aspects = []aspect{aspectExit, aspectOutput, aspectEnvelope, aspectMail, aspectLog}

// knownDifferences lists, by case name, what differs from msmtp 1.8.23 on purpose and why.
// An entry whose difference has gone away fails the test, so the list stays true.
//
// Two differences hold for every mail and are normalised away instead (diffNormalize):
//   - the generated Message-ID: 1.8.23 writes <HASH.ENVFROM> (or <HASH.ENVFROM@HOST>), we
//     write 1.8.33's <HASH@DOMAIN>; both become <generated>, and the log's mailsize is
//     counted without that field;
//   - the generated Date is compared as "now", not by value.
var knownDifferences = map[string]map[aspect]string{
	"resent-block": {
		aspectMail: "generated fields go below the leading Received field (RFC 5321 §4.4); 1.8.23 puts them above (compat.md, The mail)",
	},
	"lone-dot-without-i": {
		aspectMail: "without -i a lone dot ends the mail, as in sendmail and Postfix; 1.8.23 reads to the end (compat.md, Command line)",
		aspectLog:  "the mail is shorter",
	},
	"duplicate-recipients": {
		aspectEnvelope: "a recipient is sent once; 1.8.23 sends one RCPT per mention (compat.md, The mail)",
		aspectLog:      "the recipients list",
	},
	"header-less-mail": {
		aspectMail: "a blank line separates our generated fields from body text; 1.8.23 glues them onto the text (compat.md, The mail)",
		aspectLog:  "mailsize counts the blank line",
	},
	"empty-mail": {
		aspectMail: "generated fields and a blank line; 1.8.23 gives no blank line (compat.md, The mail)",
		aspectLog:  "mailsize counts the blank line",
	},
	"mbox-from-line": {
		aspectMail: "the mbox From_ line is dropped; 1.8.23 sends it as a header line (compat.md, The mail)",
		aspectLog:  "mailsize",
	},
	"null-sender": {
		aspectMail: "no From field for an empty envelope-from; 1.8.23 adds the invalid \"From: \" (compat.md, The mail)",
		aspectLog:  "mailsize",
	},
	"full-name-specials": {
		aspectMail: "-F names with specials are quoted (\"Doe, John\"); 1.8.23 writes them raw, making two mailboxes (compat.md, The mail)",
		aspectLog:  "mailsize",
	},
	"full-name-dot": {
		aspectMail: "\".\" is a special in RFC 5322 (§3.2.3), so the name is quoted (\"Joe Q. Public\"); 1.8.23 writes the obsolete unquoted phrase (compat.md, The mail)",
		aspectLog:  "mailsize",
	},
	"full-name-utf8": {
		aspectMail: "-F names are RFC 2047 encoded as utf-8; 1.8.23 writes the raw bytes (compat.md, The mail; 1.8.33 encodes too)",
		aspectLog:  "mailsize",
	},
	"missing-commas": {
		aspectEnvelope: "a@b c@d without a comma gives both; 1.8.23 only the last (compat.md, The mail)",
		aspectLog:      "the recipients list",
	},
	"from-second-address": {
		aspectEnvelope: "the second address of From is not a recipient with -t; 1.8.23 makes it one (compat.md, The mail)",
		aspectLog:      "the recipients list",
	},
	"resent-bcc": {
		aspectMail: "Resent-Bcc is removed like Bcc; 1.8.23 sends it to every recipient (compat.md, The mail)",
		aspectLog:  "mailsize",
	},
	"read-envelope-from-without-from": {
		aspectExit:   "64 as 1.8.33; 1.8.23 exits 78 (spec-mail-smtp.md §1.7)",
		aspectOutput: "1.8.33's message \"no envelope from address found\"; 1.8.23 says \"envelope-from address is missing\"",
	},
	"pretend": {
		aspectOutput: "the configuration dump lists 1.8.33's settings (from_full_name, set_msgid_header, set_to_header); 1.8.23 has undisclosed_recipients (spec-cli-config.md §2.11)",
	},
	"aliases-order": {
		aspectEnvelope: "expansions keep the list order and every recipient is looked up; 1.8.23 reverses and skips (compat.md, msmtprc)",
		aspectLog:      "the recipients list",
	},
}

// diffCase is one run of both programs.
type diffCase struct {
	name string
	// args follow "-C msmtprc".
	args []string
	// rc are extra msmtprc lines for the account; every account has "from
	// default@example.com" and "logfile msmtp.log".
	rc []string
	// aliases, when set, is the content of the file "aliases" (add "aliases aliases" to rc).
	aliases string
	mail    string
	// replies are reply rules of the capture server ("rcpt=bad@example.org 550 ...").
	replies [][2]string
	dsn     bool
	// refused points the account to a port nobody listens on.
	refused bool
}

var diffCases = []diffCase{
	{name: "basic", args: []string{"-f", "a@example.com", "b@example.org", "c@example.net"},
		mail: "Subject: hi\n\nbody line\n.dot line\n"},
	{name: "account-from", args: []string{"b@example.org"}, mail: "Subject: hi\n\nbody\n"},
	{name: "read-recipients", args: []string{"-t", "cmdline@example.org"},
		mail: "From: Sender <s@example.com>\nTo: \"Doe, John\" <john@example.com>, plain@example.com (Plain Person),\n Next Line <next@example.com>\ncc: group: g1@example.com, g2@example.com;, undisclosed-recipients:;\nBCC: =?UTF-8?B?w4Rnb24=?= <enc@example.com>\nSubject: test\nX-To: notme@example.com\nReply-To: notme2@example.com\n\nTo: body@example.com\n"},
	{name: "bcc-lines", args: []string{"-t"},
		mail: "To: t@example.org\nBcc: hidden@example.org,\n  hidden2@example.org\nbcc:lower@example.org\nBcc : spaced@example.org\nSubject: bcc\n\nbody\n"},
	{name: "crlf", args: []string{"b@example.org"}, mail: "Subject: crlf\r\nX-A: a\r\n\r\nbody1\r\n.dot\r\n"},
	{name: "bare-cr", args: []string{"b@example.org"}, mail: "Subject: bare\rcr\nX-B: x\r\r\n\nbo\rdy\n\rline\n"},
	{name: "no-final-newline", args: []string{"b@example.org"}, mail: "Subject: s\n\nno newline at end"},
	{name: "long-lines", args: []string{"b@example.org"},
		mail: "Subject: long\nX-Long: " + strings.Repeat("h", 1500) + "\n\n" + strings.Repeat("b", 2000) + "\n." + strings.Repeat("d", 1500) + "\n"},
	{name: "nul-bytes", args: []string{"b@example.org"}, mail: "Subject: n\x00ul\n\nbo\x00dy\n"},
	{name: "lone-dot-with-i", args: []string{"-i", "b@example.org"}, mail: "Subject: dot\n\nline 1\n.\nline 2\n"},
	{name: "lone-dot-without-i", args: []string{"b@example.org"}, mail: "Subject: dot\n\nline 1\n.\nline 2\n"},
	{name: "full-name", args: []string{"-F", "Joe Public", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
	{name: "full-name-dot", args: []string{"-F", "Joe Q. Public", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
	{name: "full-name-specials", args: []string{"-F", "Doe, John", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
	{name: "full-name-utf8", args: []string{"-F", "Jörg Doe", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
	{name: "set-from-header-on", args: []string{"--set-from-header=on", "-FJohn", "b@example.org"},
		mail: "From: Old <old@example.com>,\n  other@example.com\nSubject: s\n\nbody\n"},
	{name: "all-headers-off", args: []string{"--set-from-header=off", "--set-date-header=off", "--set-msgid-header=off", "b@example.org"},
		mail: "Subject: s\n\nbody\n"},
	{name: "date-and-msgid-present", args: []string{"b@example.org"},
		mail: "Date: Tue, 01 Jan 2030 00:00:00 +0000\nmessage-id: <x@y.example>\nFrom: f@example.com\nSubject: s\n\nbody\n"},
	{name: "undisclosed-recipients", args: []string{"--undisclosed-recipients", "-t"},
		mail: "To: t@example.org\nCc: c@example.org\nBcc: b@example.org\nSubject: u\n\nbody\n"},
	{name: "read-envelope-from", args: []string{"--read-envelope-from", "b@example.org"},
		mail: "From: Name <x@example.com> (comment)\nSubject: s\n\nbody\n"},
	{name: "read-envelope-from-without-from", args: []string{"--read-envelope-from", "b@example.org"},
		mail: "Subject: s\n\nbody\n"},
	{name: "null-sender", args: []string{"-f", "<>", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
	{name: "mailer-daemon", args: []string{"-f", "MAILER-DAEMON", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
	{name: "cmdline-address-lists", args: []string{"Joe <joe@x.org>, b@y.org", "(comment) c@z.org", "d@w.org (Dee)", "\"quoted, name\" <e@v.org>", "group: f@g.org, h@i.org;"},
		mail: "Subject: s\n\nbody\n"},
	{name: "duplicate-recipients", args: []string{"-t", "dup@example.com"}, mail: "To: dup@example.com, dup@example.com\nSubject: s\n\nbody\n"},
	{name: "resent-block", args: []string{"-t"},
		mail: "Received: by x\nResent-From: r@example.com\nResent-To: r1@example.org\nResent-Date: Tue, 01 Jan 2030 00:00:00 +0000\nResent-Cc: r2@example.org\nReceived: by y\nResent-To: r4@example.org\nFrom: f@example.com\nTo: orig-to@example.org\nSubject: resent\n\nbody\n"},
	{name: "resent-bcc", args: []string{"-t"},
		mail: "Resent-From: r@example.com\nResent-To: r1@example.org\nResent-Bcc: r3@example.org\nFrom: f@example.com\nTo: orig@example.org\nSubject: s\n\nbody\n"},
	{name: "header-less-mail", args: []string{"b@example.org"}, mail: "Hello world\nsecond line\n\nbody para\n"},
	{name: "empty-mail", args: []string{"b@example.org"}, mail: ""},
	{name: "mbox-from-line", args: []string{"b@example.org"}, mail: "From sender@example.com Tue Jan  1 00:00:00 2030\nSubject: mbox\n\nbody\n"},
	{name: "missing-commas", args: []string{"-t"}, mail: "To: t@example.org\nCc: x@example.com y@example.com\nSubject: s\n\nbody\n"},
	{name: "from-second-address", args: []string{"-t"}, mail: "From: a@example.com, second@example.com\nTo: t@example.org\nSubject: s\n\nbody\n"},
	{name: "dsn", args: []string{"-N", "failure,delay", "-R", "hdrs", "b@example.org", "c@example.org"}, dsn: true, mail: "Subject: dsn\n\nbody\n"},
	{name: "dsn-not-offered", args: []string{"-N", "success", "b@example.org"}, mail: "Subject: dsn\n\nbody\n"},
	{name: "domain", args: []string{"--domain=mydom.example", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
	{name: "aliases", args: []string{"root", "x@example.org"}, rc: []string{"aliases aliases"},
		aliases: "root: admin@example.org\n", mail: "To: root\nSubject: s\n\nbody\n"},
	{name: "aliases-order", args: []string{"root"}, rc: []string{"aliases aliases"},
		aliases: "root: joe@example.com, jane@example.com\n", mail: "Subject: s\n\nbody\n"},
	{name: "rcpt-550", args: []string{"good@example.org", "bad@example.org"},
		replies: [][2]string{{"rcpt=bad@example.org", "550 5.1.1 no such user"}}, mail: "Subject: s\n\nbody\n"},
	{name: "rcpt-451", args: []string{"good@example.org"},
		replies: [][2]string{{"rcpt", "451 4.3.0 try again later"}}, mail: "Subject: s\n\nbody\n"},
	{name: "mail-550", args: []string{"good@example.org"},
		replies: [][2]string{{"mail", "550 5.7.1 sender rejected"}}, mail: "Subject: s\n\nbody\n"},
	{name: "dot-554", args: []string{"good@example.org"},
		replies: [][2]string{{"dot", "554-5.7.1 multi\n554 5.7.1 line"}}, mail: "Subject: s\n\nbody\n"},
	{name: "greeting-554", args: []string{"good@example.org"},
		replies: [][2]string{{"greeting", "554 go away"}}, mail: "Subject: s\n\nbody\n"},
	{name: "connection-refused", args: []string{"good@example.org"}, refused: true, mail: "Subject: s\n\nbody\n"},
	{name: "no-recipients", args: nil, mail: "Subject: s\n\nbody\n"},
	{name: "unknown-account", args: []string{"-a", "nosuch", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
	{name: "usage-conflict", args: []string{"-f", "a@example.com", "--read-envelope-from", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
	{name: "invalid-option-argument", args: []string{"--port=25x", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
	{name: "pretend", args: []string{"-P", "-t", "b@example.org"}, mail: "Subject: s\n\nbody\n"},
}

// TestDifferential runs every diffCase with our msmtp and Debian's msmtp 1.8.23.
func TestDifferential(t *testing.T) {
	t.Parallel()
	theirs := debianMsmtp(t)
	ours := testutil.Binary(t, "msmtp")
	names := map[string]bool{}
	for _, tc := range diffCases {
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, want := observe(t, ours, tc), observe(t, theirs, tc)
			known := knownDifferences[tc.name]
			for _, a := range aspects {
				reason, excepted := known[a]
				switch same := got[a] == want[a]; {
				case excepted && same:
					t.Errorf("%s: the known difference is gone (%s); remove it from knownDifferences\n%s", a, reason, got[a])
				case !excepted && !same:
					t.Errorf("%s differs from msmtp 1.8.23 (-1.8.23 +ours):\n%s", a, cmp.Diff(want[a], got[a]))
				}
			}
		})
	}
	for name := range knownDifferences {
		if !names[name] {
			t.Errorf("knownDifferences names %q, which is no case", name)
		}
	}
}

// debianMsmtp returns Debian's msmtp 1.8.23, or skips the test.
func debianMsmtp(t *testing.T) string {
	t.Helper()
	p := lookPeer(t, "/usr/bin/msmtp")
	out, err := exec.Command(p, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "msmtp version 1.8.23\n") {
		t.Skipf("%s is not msmtp 1.8.23, the version knownDifferences describes (%v): %.40q", p, err, out)
	}
	return p
}

// observe runs one program for a case and returns what it did, normalised.
func observe(t *testing.T, bin string, tc diffCase) map[aspect]string {
	t.Helper()
	srv := startCapture(t, captureOptions{DSN: tc.dsn})
	for _, r := range tc.replies {
		rule, err := parseReplyRule(r[0], strings.ReplaceAll(r[1], "\n", "\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		srv.setReply(rule)
	}
	port := srv.Port()
	if tc.refused {
		port = refusedPort(t)
	}
	dir := testutil.TempDir(t)
	msmtprc(t, dir, port, append([]string{"from default@example.com", "logfile msmtp.log"}, tc.rc...)...)
	if tc.aliases != "" {
		testutil.WriteFile(t, dir, "aliases", tc.aliases, 0o644)
	}
	res := execute(t, run{Path: bin, Args: append([]string{"-C", "msmtprc"}, tc.args...), Stdin: tc.mail,
		Dir: dir, Env: msmtpEnv(filepath.Join(dir, "home"))})
	portText := strconv.Itoa(port)
	obs := map[aspect]string{
		aspectExit:   strconv.Itoa(res.Code),
		aspectOutput: strings.ReplaceAll(res.Stdout+res.Stderr, portText, "PORT"),
	}
	var envelope, mails strings.Builder
	for i, tx := range srv.Transactions() {
		fmt.Fprintf(&envelope, "transaction %d (EHLO %s):\n%s", i+1, tx.Helo, tx.Envelope())
		if tx.Delivered {
			m, err := diffNormalize(tx.Data)
			if err != nil {
				m = err.Error()
			}
			fmt.Fprintf(&mails, "mail %d:\n%s", i+1, m)
		}
	}
	for _, p := range srv.Problems() {
		envelope.WriteString("problem: " + p + "\n")
	}
	obs[aspectEnvelope], obs[aspectMail] = envelope.String(), mails.String()
	obs[aspectLog] = strings.ReplaceAll(normalizeLog(readIfExists(filepath.Join(dir, "msmtp.log")), srv.Delivered()), portText, "PORT")
	return obs
}

var (
	anyGeneratedMsgID = regexp.MustCompile(`(?m)^Message-ID: <(ID@[^<>]*|[0-9a-f]{32}\.[^<>]*)>$`)
	logTime           = regexp.MustCompile(`(?m)^[A-Z][a-z]{2} [ 0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] `)
	logMailSize       = regexp.MustCompile(`mailsize=([0-9]+)`)
)

// diffNormalize is normalizeMail with the generated Message-ID of either version as
// "<generated>".
func diffNormalize(data []byte) (string, error) {
	m, err := normalizeMail(data, time.Now())
	return anyGeneratedMsgID.ReplaceAllString(m, "Message-ID: <generated>"), err
}

// normalizeLog replaces the time of each log line by TIME and counts mailsize without the
// generated Message-ID field (whose length differs between the versions).
func normalizeLog(log string, delivered []*transaction) string {
	log = logTime.ReplaceAllString(log, "TIME ")
	idLen := 0
	if len(delivered) == 1 {
		if m, err := normalizeMail(delivered[0].Data, time.Now()); err == nil {
			raw := strings.ReplaceAll(string(delivered[0].Data), "\r\n", "\n")
			if anyGeneratedMsgID.MatchString(m) {
				for _, l := range strings.Split(raw, "\n") {
					if strings.HasPrefix(l, "Message-ID: <") {
						idLen = len(l) + 1
						break
					}
				}
			}
		}
	}
	return logMailSize.ReplaceAllStringFunc(log, func(s string) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(s, "mailsize="))
		return "mailsize=" + strconv.Itoa(n-idLen) + "+Message-ID"
	})
}
