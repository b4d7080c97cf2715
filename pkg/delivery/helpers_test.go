package delivery_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
	"github.com/msmtp-go/msmtp/pkg/message"
)

// The fixed clock and random source of every test here: generated headers, and so the wire
// bytes, the mail size and the log line, are the same on every run.
var (
	fixedNow   = time.Date(2026, 11, 25, 18, 22, 56, 0, time.UTC)
	fixedDate  = "Date: Wed, 25 Nov 2026 18:22:56 +0000"
	fixedMsgID = "000102030405060708090a0b0c0d0e0f" // the first 16 bytes of counter{}
)

// counter is an endless deterministic random source: 0, 1, 2, ... 255, 0, ... SCRAM takes its
// nonce from the same source as the Message-ID, so a finite reader would run dry.
type counter struct{ n byte }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

// testOptions are the delivery options of a test: fixed clock and random numbers, the log
// line of `logfile -` to stdout (when given), no stored passwords.
func testOptions(stdout io.Writer) delivery.Options {
	return delivery.Options{
		Now:      func() time.Time { return fixedNow },
		Location: time.UTC,
		Random:   &counter{},
		Hostname: func() (string, error) { return "client.example", nil },
		Stdout:   stdout,
	}
}

// accountFile is the name the test accounts come from; Report names it in
// `could not send mail (account test from msmtprc)`.
const accountFile = "msmtprc"

// resolveAccount returns account "test" of an msmtprc made of lines, resolved as msmtp
// resolves it (computed defaults such as the port and the system trust file, validation),
// or the resolver's error. env supplies the passwordeval runner and the like; its Open is
// replaced by one that knows only the msmtprc.
func resolveAccount(t *testing.T, env config.Env, lines ...string) (*config.Account, error) {
	t.Helper()
	text := "account test\n" + strings.Join(lines, "\n") + "\n"
	env.OS = "linux" // the file name rules, not the machine's: no %ProgramData% lookups
	env.Euid = -1    // no permission check of an in-memory file
	env.Open = func(name string) (io.ReadCloser, error) {
		if name == accountFile {
			return io.NopCloser(strings.NewReader(text)), nil
		}
		return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
	}
	return config.Resolve(config.Request{
		Mode:    config.ModeSendmail,
		Account: config.Some("test"),
		File:    config.Some(accountFile),
		Env:     env,
	})
}

// mustAccount is resolveAccount for accounts that must resolve.
func mustAccount(t *testing.T, lines ...string) *config.Account {
	t.Helper()
	a, err := resolveAccount(t, config.Env{}, lines...)
	if err != nil {
		t.Fatalf("account: %v\n%s", err, strings.Join(lines, "\n"))
	}
	return a
}

// readMail splits a mail into the header (read as sendmail mode reads it) and the body.
func readMail(t *testing.T, mail string) (*message.Header, io.Reader) {
	t.Helper()
	r := bufio.NewReader(strings.NewReader(mail))
	h, err := message.ReadHeader(r, message.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h, message.NewBody(r, message.ReadOptions{})
}

// send delivers mail through acct to recipients with opts; the envelope-from is the
// account's from, as msmtp's sendmail mode takes it.
func send(t *testing.T, opts delivery.Options, acct *config.Account, mail string, rcpts ...string) (*delivery.Result, error) {
	t.Helper()
	h, body := readMail(t, mail)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return delivery.Send(ctx, opts, delivery.Mail{
		Account:  acct,
		Envelope: delivery.Envelope{From: acct.From.Value, Recipients: rcpts},
		Header:   h,
		Body:     body,
	})
}

// report returns what msmtp prints on stderr for a failed delivery.
func report(acct *config.Account, res *delivery.Result, err error) string {
	if err == nil {
		return ""
	}
	var b bytes.Buffer
	delivery.Report(&b, "msmtp", acct, res, err)
	return b.String()
}

// closedPort returns a TCP port on 127.0.0.1 that nothing listens on: one the system just
// gave to a listener that is closed again. Another test could in theory get it in between;
// the kernel hands ephemeral ports out in a way that makes that practically impossible.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// writeFile writes data to a new file in dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// tempDir is testutil.TempDir (t.TempDir breaks under Wine).
func tempDir(t *testing.T) string { return testutil.TempDir(t) }

// dnsDialer is a net.Dialer whose resolver gets rcode (3 NXDOMAIN, 2 SERVFAIL) for every
// query, from a fake DNS server spoken to over an in-memory stream: the rows about names
// must not depend on the machine's resolver (which may be unreachable, or may answer).
func dnsDialer(rcode byte) *net.Dialer {
	return &net.Dialer{Resolver: &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			client, server := net.Pipe()
			go answerDNS(server, rcode)
			return client, nil
		},
	}}
}

// answerDNS answers DNS-over-TCP queries (RFC 1035 §4.2.2: a two-byte length before each
// message) with an empty answer and rcode until the client hangs up.
func answerDNS(c net.Conn, rcode byte) {
	defer c.Close()
	for {
		var n uint16
		if err := binary.Read(c, binary.BigEndian, &n); err != nil {
			return
		}
		q := make([]byte, n)
		if _, err := io.ReadFull(c, q); err != nil || len(q) < 12 {
			return
		}
		// The question: the name's labels up to the root label, then type and class.
		end := 12
		for end < len(q) && q[end] != 0 {
			end += int(q[end]) + 1
		}
		end += 5
		if end > len(q) {
			return
		}
		resp := append([]byte(nil), q[:end]...)
		resp[2] = 0x80 | q[2]&0x01 // QR, and RD as asked
		resp[3] = 0x80 | rcode     // RA, and the answer code
		binary.BigEndian.PutUint16(resp[4:], 1)
		clear(resp[6:12]) // no answer, authority or additional records
		var out bytes.Buffer
		_ = binary.Write(&out, binary.BigEndian, uint16(len(resp)))
		out.Write(resp)
		if _, err := c.Write(out.Bytes()); err != nil {
			return
		}
	}
}
