package e2e

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Tests of the test harness itself: the checks of the end-to-end tests are only as good as
// the capture server and the normalisation behind them.

// TestCaptureServerRecords plays a client by hand and checks what the server recorded: the
// command lines verbatim, the data unstuffed with its line ends, rejections by rule, and
// protocol problems.
func TestCaptureServerRecords(t *testing.T) {
	t.Parallel()
	s := startCapture(t, captureOptions{DSN: true})
	rule, err := parseReplyRule("rcpt=Bad@Example.org", "550 5.1.1 no")
	if err != nil {
		t.Fatal(err)
	}
	s.setReply(rule)
	replies := dialogue(t, s.Port(),
		"EHLO client.test\r\n",
		"MAIL FROM:<Name <a@example.com>> RET=HDRS\r\nRCPT TO:<b@example.org> NOTIFY=NEVER\r\nRCPT TO:<bad@example.org>\r\nRCPT TO:<to4>\r\nDATA\r\n",
		"..stuffed\r\n..\r\n.\n\r\n\r\n.\r\n",
		"MAIL FROM:<>\r\n",
		"RSET\r\nBOGUS\r\nQUIT\r\n",
	)
	for _, want := range []string{"250-DSN", "550 5.1.1 no", "354 ", "250 2.0.0 ok: queued as 1", "500 ", "221 "} {
		if !strings.Contains(replies, want) {
			t.Errorf("no reply %q in:\n%s", want, replies)
		}
	}
	txs := s.Transactions()
	if len(txs) != 2 {
		t.Fatalf("%d transactions, want 2", len(txs))
	}
	tx := txs[0]
	wantEnvelope := "MAIL FROM:<Name <a@example.com>> RET=HDRS\nRCPT TO:<b@example.org> NOTIFY=NEVER\nRCPT TO:<bad@example.org> -> 550 5.1.1 no\nRCPT TO:<to4>\n"
	if diff := cmp.Diff(wantEnvelope, tx.Envelope()); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
	if tx.From != "Name <a@example.com>" || tx.Helo != "client.test" || !cmp.Equal(tx.Recipients(), []string{"b@example.org", "to4"}) {
		t.Errorf("from %q, helo %q, recipients %q", tx.From, tx.Helo, tx.Recipients())
	}
	if want := ".stuffed\r\n.\r\n\n\r\n\r\n"; string(tx.Data) != want || !tx.Delivered {
		t.Errorf("data %q (delivered %v), want %q", tx.Data, tx.Delivered, want)
	}
	if txs[1].From != "" || txs[1].Delivered {
		t.Errorf("second transaction %+v, want the null sender, not delivered", txs[1])
	}
	if p := s.Problems(); len(p) != 1 || !strings.Contains(p[0], "BOGUS") {
		t.Errorf("problems %q, want the unknown command", p)
	}
}

// TestCaptureServerProblems checks that a client that breaks the protocol is noticed.
func TestCaptureServerProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, send, problem string
	}{
		{"bare LF command", "EHLO x\n", "does not end in CRLF"},
		{"MAIL twice", "MAIL FROM:<a@x>\r\nMAIL FROM:<a@x>\r\n", "misplaced MAIL"},
		{"STARTTLS not offered", "STARTTLS\r\n", "not offered"},
		{"partial line", "NOOP", "middle of the line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startCapture(t, captureOptions{})
			dialogue(t, s.Port(), tc.send)
			s.Close() // waits until the connection was handled
			if p := s.Problems(); len(p) != 1 || !strings.Contains(p[0], tc.problem) {
				t.Errorf("problems %q, want one about %q", p, tc.problem)
			}
		})
	}
}

// TestCaptureServerRules checks the reply rules at each stage.
func TestCaptureServerRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		stage, reply string
		delivered    int
	}{
		{"greeting", "554 go away", 0},
		{"mail", "451 4.3.0 later", 0},
		{"rcpt", "550 5.1.1 no", 0},
		{"data", "554 5.5.1 no data", 0},
		{"dot", "554-5.7.1 multi\r\n554 5.7.1 line", 0},
		{"rcpt=other@example.org", "550 5.1.1 no", 1},
	} {
		t.Run(tc.stage, func(t *testing.T) {
			t.Parallel()
			s := startCapture(t, captureOptions{})
			r, err := parseReplyRule(tc.stage, tc.reply)
			if err != nil {
				t.Fatal(err)
			}
			s.setReply(r)
			replies := dialogue(t, s.Port(), "EHLO x\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n", "body\r\n.\r\nQUIT\r\n")
			// The rule for another recipient does not apply.
			if given := strings.Contains(replies, tc.reply); given != (tc.delivered == 0) {
				t.Errorf("reply %q given: %v\n%s", tc.reply, given, replies)
			}
			if got := len(s.Delivered()); got != tc.delivered {
				t.Errorf("%d delivered, want %d", got, tc.delivered)
			}
		})
	}
	for _, bad := range [][2]string{{"rcpt=", "550 x"}, {"mail=a@b", "550 x"}, {"nosuch", "550 x"}, {"rcpt", "55 x"}, {"rcpt", "550x"}} {
		if _, err := parseReplyRule(bad[0], bad[1]); err == nil {
			t.Errorf("parseReplyRule(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// dialogue connects to a capture server on port, sends each chunk (one write each, so
// pipelined commands arrive together), and returns everything the server answered until
// it closed the connection or went quiet.
func dialogue(t *testing.T, port int, chunks ...string) string {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan string)
	go func() {
		var b strings.Builder
		r := bufio.NewReader(c)
		for {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, err := r.ReadString('\n')
			b.WriteString(line)
			if err != nil {
				got <- b.String()
				return
			}
		}
	}()
	for _, chunk := range chunks {
		if _, err := io.WriteString(c, chunk); err != nil {
			break // the server may close first (a rejected greeting)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
	}
	return <-got
}

func TestNormalizeMail(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{
			name: "generated fields",
			in:   "From: a@example.com\r\nDate: Tue, 01 Jan 2030 12:03:00 +0000\r\nMessage-ID: <0123456789abcdef0123456789abcdef@example.com>\r\n\r\nbody\r\n",
			want: "From: a@example.com\nDate: <now>\nMessage-ID: <ID@example.com>\n\nbody\n",
		},
		{
			name: "the mail's own fields stay",
			in:   "Date: Mon, 01 Jan 2029 12:00:00 +0000\r\nMessage-ID: <x@example.com>\r\nDate: Tue, 1 Jan 2030 12:00:00 +0000\r\n\r\n",
			want: "Date: Mon, 01 Jan 2029 12:00:00 +0000\nMessage-ID: <x@example.com>\nDate: Tue, 1 Jan 2030 12:00:00 +0000\n\n",
		},
		{
			name: "only in the header",
			in:   "Subject: s\r\n\r\nDate: Tue, 01 Jan 2030 12:00:00 +0000\r\n",
			want: "Subject: s\n\nDate: Tue, 01 Jan 2030 12:00:00 +0000\n",
		},
		{name: "bare LF", in: "Subject: s\nX: y\r\n", err: "bare LF"},
		{name: "no final line end", in: "Subject: s\r\n\r\nbody", err: "does not end in CRLF"},
		{name: "bare CR kept", in: "Subject: s\r\n\r\nbo\rdy\r\n", want: "Subject: s\n\nbo\rdy\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalizeMail([]byte(tc.in), now)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want one about %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHeaderHelpers(t *testing.T) {
	t.Parallel()
	mail := "Received: from a\n\tby b\nSubject: s\nTO: x,\n y\n\nTo: body\n"
	if got := header(mail, "to"); !cmp.Equal(got, []string{"x, y"}) {
		t.Errorf("header(to) = %q", got)
	}
	if got, want := withoutField(mail, "received"), "Subject: s\nTO: x,\n y\n\nTo: body\n"; got != want {
		t.Errorf("withoutField = %q, want %q", got, want)
	}
	for in, want := range map[string][2]string{
		"<a@b> RET=HDRS":        {"a@b", "RET=HDRS"},
		"<>":                    {"", ""},
		" <Name <a@b>> SIZE=10": {"Name <a@b>", "SIZE=10"},
		"bare@x PARAM":          {"bare@x", "PARAM"},
	} {
		if addr, params := parsePath(in); addr != want[0] || params != want[1] {
			t.Errorf("parsePath(%q) = %q, %q; want %q", in, addr, params, want)
		}
	}
}
