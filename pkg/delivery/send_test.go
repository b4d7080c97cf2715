package delivery_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/smtptest"
)

// generated is the header block delivery adds to a mail without From, Date and Message-ID
// from a@example.com, with the fixed clock and random source, as the server receives it.
var generated = "From: a@example.com\r\n" + fixedDate + "\r\n" + "Message-ID: <" + fixedMsgID + "@example.com>\r\n"

// deliverTo sends mail through a recording go-smtp server with the account lines after the
// base ones, and returns the one mail the server got.
func deliverTo(t *testing.T, cfg goConfig, lines []string, mail string, rcpts ...string) (gotMail, *delivery.Result) {
	t.Helper()
	srv := startGoServer(t, cfg)
	acct := mustAccount(t, append([]string{"host 127.0.0.1", "port " + strconv.Itoa(srv.Port), "from a@example.com", "timeout 10"}, lines...)...)
	res, err := send(t, testOptions(nil), acct, mail, rcpts...)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("the server got %d mails, want 1", len(mails))
	}
	return mails[0], res
}

// TestGeneratedHeaders: what msmtp adds to and removes from the header section
// (spec-mail-smtp.md §1.8, §10 items 16–22), as the server receives the mail.
func TestGeneratedHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		mail  string
		rcpts []string
		want  string // the data the server receives
	}{
		{
			name: "From, Date and Message-ID added",
			mail: "Subject: hi\n\nbody line\n.dot line\n",
			want: generated + "Subject: hi\r\n\r\nbody line\r\n.dot line\r\n",
		},
		{
			name: "existing From, Date and Message-ID kept",
			mail: "From: Me <me@example.net>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <x@y>\n\nbody\n",
			want: "From: Me <me@example.net>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n",
		},
		{
			name:  "set_from_header on replaces a multi-line From (item 19)",
			lines: []string{"set_from_header on", "from_full_name John"},
			mail:  "From: Old <old@example.com>,\n  other@example.com\nSubject: s\n\nbody\n",
			want:  "From: John <a@example.com>\r\n" + fixedDate + "\r\nMessage-ID: <" + fixedMsgID + "@example.com>\r\nSubject: s\r\n\r\nbody\r\n",
		},
		{
			name:  "a non-ASCII full name is an encoded word (item 18)",
			lines: []string{"from_full_name Jörg Doe, Jr."},
			mail:  "Subject: s\n\nbody\n",
			want:  "From: =?utf-8?B?SsO2cmcgRG9lLCBKci4=?= <a@example.com>\r\n" + fixedDate + "\r\nMessage-ID: <" + fixedMsgID + "@example.com>\r\nSubject: s\r\n\r\nbody\r\n",
		},
		{
			name:  "an ASCII full name with specials is quoted",
			lines: []string{`from_full_name "Doe, John"`},
			mail:  "Subject: s\n\nbody\n",
			want:  "From: \"Doe, John\" <a@example.com>\r\n" + fixedDate + "\r\nMessage-ID: <" + fixedMsgID + "@example.com>\r\nSubject: s\r\n\r\nbody\r\n",
		},
		{
			name:  "set_to_header on lists the envelope, Bcc ones too (item 22)",
			lines: []string{"set_to_header on", "set_date_header off", "set_msgid_header off"},
			mail:  "From: f@example.com\nTo: t1@example.com\nCc: c@example.com\nBcc: b@example.com\nSubject: s\n\nbody\n",
			rcpts: []string{"cmd@example.org", "t1@example.com", "c@example.com", "b@example.com"},
			want:  "To: cmd@example.org, t1@example.com, c@example.com, b@example.com\r\nFrom: f@example.com\r\nSubject: s\r\n\r\nbody\r\n",
		},
		{
			name:  "Bcc and Resent-Bcc removed, with continuation lines (item 16)",
			lines: []string{"set_date_header off", "set_msgid_header off"},
			mail:  "From: f@example.com\nBcc: hidden@example.com,\n  hidden2@example.com\nbcc:lower@example.com\nBcc : spaced\nResent-Bcc: r@example.com\nSubject: s\n\nBcc: in the body\n",
			want:  "From: f@example.com\r\nBcc : spaced\r\nSubject: s\r\n\r\nBcc: in the body\r\n",
		},
		{
			name:  "remove_bcc_headers off keeps them (item 17)",
			lines: []string{"remove_bcc_headers off", "set_date_header off", "set_msgid_header off"},
			mail:  "From: f@example.com\nBcc: hidden@example.com\nSubject: s\n\nbody\n",
			want:  "From: f@example.com\r\nBcc: hidden@example.com\r\nSubject: s\r\n\r\nbody\r\n",
		},
		{
			name:  "only CRLF conversion with every generated header off (item 20)",
			lines: []string{"set_from_header off", "set_date_header off", "set_msgid_header off"},
			mail:  "Subject: s\n\nbody\n",
			want:  "Subject: s\r\n\r\nbody\r\n",
		},
		{
			name:  "the Message-ID domain is the domain setting (item 24)",
			lines: []string{"domain mydom.example", "set_from_header off", "set_date_header off"},
			mail:  "Subject: s\n\nbody\n",
			want:  "Message-ID: <" + fixedMsgID + "@mydom.example>\r\nSubject: s\r\n\r\nbody\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rcpts := tt.rcpts
			if rcpts == nil {
				rcpts = []string{"b@example.org"}
			}
			m, _ := deliverTo(t, goConfig{}, tt.lines, tt.mail, rcpts...)
			if m.Data != tt.want {
				t.Errorf("data\n got %q\nwant %q", m.Data, tt.want)
			}
			if strings.Join(m.Rcpts, " ") != strings.Join(rcpts, " ") {
				t.Errorf("recipients %v, want %v", m.Rcpts, rcpts)
			}
		})
	}
}

// TestAliases: the aliases file changes the envelope only (spec-cli-config.md §5): the RCPT
// commands, the log line and set_to_header's To field show the expanded list, while the
// mail's own To field stays as it was. Expansion keeps the list order (docs/compat.md).
func TestAliases(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	aliases := writeFile(t, dir, "aliases", []byte("# team\nteam: joe, boss@example.com\njoe: joe@example.com, jane@example.com\ndefault: postmaster@example.com\n"))
	for _, tt := range []struct {
		name      string
		lines     []string
		wantTo    string
		wantRcpts string
	}{
		{"envelope only", nil, "To: team, x@example.net", "joe@example.com jane@example.com boss@example.com x@example.net postmaster@example.com"},
		{"set_to_header shows the expansion", []string{"set_to_header on"}, "To: joe@example.com, jane@example.com, boss@example.com, x@example.net,\r\n postmaster@example.com", "joe@example.com jane@example.com boss@example.com x@example.net postmaster@example.com"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lines := append([]string{"aliases " + aliases, "set_date_header off", "set_msgid_header off"}, tt.lines...)
			m, res := deliverTo(t, goConfig{}, lines, "To: team, x@example.net\nSubject: s\n\nbody\n", "team", "x@example.net", "nobody")
			if got := strings.Join(m.Rcpts, " "); got != tt.wantRcpts {
				t.Errorf("RCPT %s, want %s", got, tt.wantRcpts)
			}
			if !strings.HasPrefix(m.Data, "From: a@example.com\r\n"+tt.wantTo+"\r\n") && !strings.Contains(m.Data, "\r\n"+tt.wantTo+"\r\n") {
				t.Errorf("data %q does not have %q", m.Data, tt.wantTo)
			}
			if want := "recipients=" + strings.ReplaceAll(tt.wantRcpts, " ", ",") + " "; !strings.Contains(res.Log.Text(), want) {
				t.Errorf("log line %s, want %s", res.Log.Text(), want)
			}
		})
	}
}

// TestEnvelope: the MAIL and RCPT commands on the wire: MAILER-DAEMON as <>, DSN parameters
// (§10 item 29, and ENVID, which msmtp never sends), SMTPUTF8 for non-ASCII addresses (§10
// item 30; also for a non-ASCII local part, docs/compat.md).
func TestEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		envID string
		rcpts []string
		ehlo  string // the capabilities after "250-mx.test"
		mail  string // the expected MAIL command
		rcpt  []string
		from  string // the From header expected first in the data; "" checks nothing
	}{
		{name: "MAILER-DAEMON is the null sender", lines: []string{"from MAILER-DAEMON"},
			mail: "MAIL FROM:<>", rcpt: []string{"RCPT TO:<b@example.org>"}, from: "From: MAILER-DAEMON"},
		{name: "mailer-daemon in any case", lines: []string{"from mailer-daemon"},
			mail: "MAIL FROM:<>", rcpt: []string{"RCPT TO:<b@example.org>"}, from: "From: mailer-daemon"},
		{name: "DSN", lines: []string{"dsn_notify failure,delay", "dsn_return headers"}, envID: "id+1=2 x", ehlo: "DSN",
			rcpts: []string{"b@example.org", "c@example.org"},
			mail:  "MAIL FROM:<a@example.com> RET=HDRS ENVID=id+2B1+3D2+20x",
			rcpt:  []string{"RCPT TO:<b@example.org> NOTIFY=FAILURE,DELAY", "RCPT TO:<c@example.org> NOTIFY=FAILURE,DELAY"}},
		{name: "DSN never, RET=FULL", lines: []string{"dsn_notify never", "dsn_return full"}, ehlo: "DSN",
			mail: "MAIL FROM:<a@example.com> RET=FULL", rcpt: []string{"RCPT TO:<b@example.org> NOTIFY=NEVER"}},
		{name: "SMTPUTF8 for a non-ASCII domain", ehlo: "SMTPUTF8", rcpts: []string{"b@exämple.org"},
			mail: "MAIL FROM:<a@example.com> SMTPUTF8", rcpt: []string{"RCPT TO:<b@exämple.org>"}},
		{name: "SMTPUTF8 for a non-ASCII local part", ehlo: "SMTPUTF8", rcpts: []string{"jörg@example.org"},
			mail: "MAIL FROM:<a@example.com> SMTPUTF8", rcpt: []string{"RCPT TO:<jörg@example.org>"}},
		{name: "SMTPUTF8 and RET for a non-ASCII sender", lines: []string{"from a@exämple.com", "dsn_return full"}, ehlo: "DSN\nS: 250-SMTPUTF8",
			mail: "MAIL FROM:<a@exämple.com> RET=FULL SMTPUTF8", rcpt: []string{"RCPT TO:<b@example.org>"}},
		{name: "no SMTPUTF8 for ASCII addresses", ehlo: "SMTPUTF8",
			mail: "MAIL FROM:<a@example.com>", rcpt: []string{"RCPT TO:<b@example.org>"}},
		{name: "non-ASCII sent raw without the capability", rcpts: []string{"b@exämple.org"},
			mail: "MAIL FROM:<a@example.com>", rcpt: []string{"RCPT TO:<b@exämple.org>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rcpts := tt.rcpts
			if rcpts == nil {
				rcpts = []string{"b@example.org"}
			}
			ehlo := "S: 250-mx.test\n"
			if tt.ehlo != "" {
				ehlo += "S: 250-" + tt.ehlo + "\n"
			}
			script := "S: 220 mx.test ESMTP\nC: EHLO localhost\n" + ehlo + "S: 250 PIPELINING\n" + "C: " + tt.mail + "\n"
			for _, r := range tt.rcpt {
				script += "C: " + r + "\n"
			}
			script += "C: DATA\n" + strings.Repeat("S: 250 ok\n", 1+len(tt.rcpt)) + "S: 354 go\n"
			if tt.from != "" {
				script += "C: " + tt.from + "\n"
			}
			script += "!skipdata\nS: 250 ok\nC: QUIT\nS: 221 bye\n"
			srv := smtptest.NewServer(t, smtptest.MustParse(tt.name, script), smtptest.ServerOptions{})
			acct := mustAccount(t, append([]string{"host 127.0.0.1", "port " + strconv.Itoa(srv.Port()), "from a@example.com"}, tt.lines...)...)
			h, body := readMail(t, "Subject: s\n\nbody\n")
			_, err := delivery.Send(t.Context(), testOptions(nil), delivery.Mail{
				Account: acct, Envelope: delivery.Envelope{From: acct.From.Value, Recipients: rcpts, EnvelopeID: tt.envID},
				Header: h, Body: body,
			})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if err := srv.Wait(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestEnvelopeGoSMTP checks the DSN and SMTPUTF8 parameters once more with go-smtp's parser
// on the other end, so that ours and the transcripts cannot share a misreading of RFC 3461.
func TestEnvelopeGoSMTP(t *testing.T) {
	t.Parallel()
	srv := startGoServer(t, goConfig{DSN: true, SMTPUTF8: true})
	acct := mustAccount(t, "host 127.0.0.1", "port "+strconv.Itoa(srv.Port), "from a@example.com", "dsn_notify success,failure", "dsn_return full")
	h, body := readMail(t, "Subject: s\n\nbody\n")
	if _, err := delivery.Send(t.Context(), testOptions(nil), delivery.Mail{
		Account: acct, Envelope: delivery.Envelope{From: "a@example.com", Recipients: []string{"jörg@exämple.org"}, EnvelopeID: "QQ+1"},
		Header: h, Body: body,
	}); err != nil {
		t.Fatal(err)
	}
	m := srv.Mails()[0]
	if m.MailOpts.Return != gosmtp.DSNReturnFull || m.MailOpts.EnvelopeID != "QQ+1" || !m.MailOpts.UTF8 {
		t.Errorf("MAIL options %+v", m.MailOpts)
	}
	if n := m.RcptOpts[0].Notify; len(n) != 2 || n[0] != gosmtp.DSNNotifySuccess || n[1] != gosmtp.DSNNotifyFailure {
		t.Errorf("NOTIFY %v", n)
	}
}

// TestMailSize: spec-mail-smtp.md §1.3's example counts 136 bytes with msmtp 1.8.23's
// Message-ID `<32hex.a@example.com>` (61 bytes with its newline). Ours is `<32hex@example.com>`
// (59 bytes, the form of msmtp 1.8.33), so the same mail counts 134: From 20 + Date 38 +
// Message-ID 59 + "Subject: s\n\nbody\n" 17. Line endings count one byte each, dot-stuffing
// and the final dot nothing.
func TestMailSize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mail string
		want int64
	}{
		{"Subject: s\n\nbody\n", 134},
		{"Subject: s\r\n\r\nbody\r\n", 134},               // CRLF counts one, as LF
		{"Subject: s\n\n.body\n", 135},                    // the stuffed dot is not counted
		{"Subject: s\n\nno newline at the end", 117 + 34}, // the line ending added counts
	} {
		m, res := deliverTo(t, goConfig{}, nil, tt.mail, "b@example.org")
		if res.SMTP.Size != tt.want || res.Log.MailSize != tt.want || !strings.Contains(res.Log.Text(), " mailsize="+strconv.FormatInt(tt.want, 10)+" ") {
			t.Errorf("%q: size %d, log %s; want %d", tt.mail, res.SMTP.Size, res.Log.Text(), tt.want)
		}
		if !strings.HasPrefix(m.Data, generated) {
			t.Errorf("data %q", m.Data)
		}
	}
}

// TestLogFile: the log line in the logfile (with its time stamp) and on stdout for
// `logfile -`, for a success and a failure (spec-mail-smtp.md §5.5, §10 item 55).
func TestLogFile(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	okScript := "S: 220 mx.test\nC: EHLO localhost\nS: 250 mx.test\nC: MAIL FROM:<a@example.com>\nS: 250 ok\nC: RCPT TO:<b@example.org>\nS: 250 ok\nC: DATA\nS: 354 go\n!skipdata\nS: 250 OK queued\nC: QUIT\nS: 221 bye\n"
	failScript := "S: 220 mx.test\nC: EHLO localhost\nS: 250 mx.test\nC: MAIL FROM:<a@example.com>\nS: 250 ok\nC: RCPT TO:<b@example.org>\nS: 550 5.1.1 <b@example.org>: user 'b' unknown\nC: QUIT\nS: 221 bye\n"
	tests := []struct {
		name, script, logfile, format, want string
	}{
		{"success to a file", okScript, filepath.Join(dir, "ok.log"), "",
			"Nov 25 18:22:56 host=127.0.0.1 tls=off auth=off from=a@example.com recipients=b@example.org mailsize=134 smtpstatus=250 smtpmsg='250 OK queued' exitcode=EX_OK\n"},
		{"failure to a file, ISO time", failScript, filepath.Join(dir, "fail.log"), "%Y-%m-%dT%H:%M:%S",
			"2026-11-25T18:22:56 host=127.0.0.1 tls=off auth=off from=a@example.com recipients=b@example.org smtpstatus=550 smtpmsg='550 5.1.1 <b@example.org>: user ?b? unknown' errormsg='recipient address b@example.org not accepted by the server' exitcode=EX_DATAERR\n"},
		{"success to stdout", okScript, "-", "none",
			"host=127.0.0.1 tls=off auth=off from=a@example.com recipients=b@example.org mailsize=134 smtpstatus=250 smtpmsg='250 OK queued' exitcode=EX_OK\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.NewServer(t, smtptest.MustParse(tt.name, tt.script), smtptest.ServerOptions{})
			lines := []string{"host 127.0.0.1", "port " + strconv.Itoa(srv.Port()), "from a@example.com", "logfile " + tt.logfile}
			if tt.format != "" {
				lines = append(lines, "logfile_time_format "+tt.format)
			}
			acct := mustAccount(t, lines...)
			var stdout bytes.Buffer
			res, _ := send(t, testOptions(&stdout), acct, "Subject: s\n\nbody\n", "b@example.org")
			if res.LogErr != nil {
				t.Fatal(res.LogErr)
			}
			got := stdout.String()
			if tt.logfile != "-" {
				b, err := os.ReadFile(tt.logfile)
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
				if stdout.Len() != 0 {
					t.Errorf("stdout got %q", stdout.String())
				}
			}
			if got != tt.want {
				t.Errorf("log\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestLogFileError: a log file that cannot be written is reported in Result.LogErr and does
// not change the outcome (spec-mail-smtp.md §5.1).
func TestLogFileError(t *testing.T) {
	t.Parallel()
	srv := startGoServer(t, goConfig{})
	logfile := filepath.Join(tempDir(t), "missing", "msmtp.log")
	acct := mustAccount(t, "host 127.0.0.1", "port "+strconv.Itoa(srv.Port), "from a@example.com", "logfile "+logfile)
	res, err := send(t, testOptions(nil), acct, "Subject: s\n\nbody\n", "b@example.org")
	if err != nil || delivery.ExitCode(err) != 0 {
		t.Fatalf("Send: %v", err)
	}
	var le *delivery.LogFileError
	if !errors.As(res.LogErr, &le) || le.File != logfile || !strings.HasPrefix(le.Line, "Nov 25 18:22:56 host=127.0.0.1 ") {
		t.Errorf("LogErr %v", res.LogErr)
	}
}

// TestSyslogDelivery: the log line as a syslog datagram: ident msmtp, the account's facility,
// info on success and err on failure (spec-mail-smtp.md §5.6, §10 item 56).
func TestSyslogDelivery(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no syslog; msmtp logs nothing there (syslog_windows.go)")
	}
	dir := tempDir(t)
	path := filepath.Join(dir, "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, tt := range []struct {
		facility string
		fail     bool
		want     string
	}{
		{"on", false, "<14>Nov 25 18:22:56 msmtp: host=127.0.0.1 tls=off auth=off from=a@example.com recipients=b@example.org mailsize=134 smtpstatus=250 smtpmsg='250 2.0.0 OK: queued' exitcode=EX_OK"},
		{"LOG_MAIL", true, "<19>Nov 25 18:22:56 msmtp: host=127.0.0.1 tls=off auth=off from=a@example.com recipients=b@example.org errormsg='cannot connect to 127.0.0.1, port $PORT: Connection refused' exitcode=EX_TEMPFAIL"},
	} {
		port := 0
		if tt.fail {
			port = closedPort(t)
		} else {
			port = startGoServer(t, goConfig{}).Port
		}
		acct := mustAccount(t, "host 127.0.0.1", "port "+strconv.Itoa(port), "from a@example.com", "syslog "+tt.facility)
		opts := testOptions(nil)
		opts.Syslog = delivery.Syslog{Sockets: []string{path}, Now: func() time.Time { return fixedNow }}
		res, _ := send(t, opts, acct, "Subject: s\n\nbody\n", "b@example.org")
		if res.LogErr != nil {
			t.Fatal(res.LogErr)
		}
		buf := make([]byte, 2048)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.ReplaceAll(tt.want, "$PORT", strconv.Itoa(port)); string(buf[:n]) != want {
			t.Errorf("datagram\n got %q\nwant %q", buf[:n], want)
		}
	}
}
