package e2e

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// captureServer is the SMTP server the end-to-end tests deliver to. It listens on
// 127.0.0.1:0 and records every transaction as the client sent it: the MAIL and RCPT command
// lines verbatim (parameters included, so NOTIFY= and RET= are checked as they were on the
// wire), and the mail data byte for byte after undoing the dot-stuffing. It is written for
// the tests, independently of pkg/server, so that our client is never judged by our own
// server code.
//
// It accepts any address (also "root" or "to4", which real servers may reject) and every
// parameter, advertises PIPELINING and 8BITMIME, and optionally DSN, SMTPUTF8 and STARTTLS.
// Replies can be changed per stage with reply rules (setReply). Whatever the client does
// against the protocol (a command line without CRLF, an unknown command, a command out of
// order) is recorded as a problem (Problems), which the checks of the tests report.
type captureServer struct {
	opts captureOptions
	ln   net.Listener
	wg   sync.WaitGroup

	mu       sync.Mutex
	txs      []*transaction
	rules    []replyRule
	problems []string
	conns    map[net.Conn]struct{}
	closed   bool
	queued   int
}

// captureOptions are the capabilities of a captureServer.
type captureOptions struct {
	// DSN advertises DSN (RFC 3461).
	DSN bool
	// SMTPUTF8 advertises SMTPUTF8 (RFC 6531).
	SMTPUTF8 bool
	// TLS, when set, makes the server offer STARTTLS with this configuration.
	TLS *tls.Config
}

// transaction is one MAIL FROM and what followed it.
type transaction struct {
	// Helo is the argument of the last EHLO or HELO before the transaction.
	Helo string
	// TLS says whether the transaction ran after STARTTLS.
	TLS bool
	// MailLine is the MAIL command line as sent, without CRLF.
	MailLine string
	// From is the reverse path, without the angle brackets.
	From string
	// MailReply is the reply to MAIL when it was rejected, else "".
	MailReply string
	// Rcpts are the RCPT commands, in order.
	Rcpts []rcptCommand
	// Data is the mail as received (after dot-unstuffing, line endings as sent); nil when
	// the client never sent the mail data.
	Data []byte
	// DataReply is the reply to DATA or to the end of the data when it was a rejection.
	DataReply string
	// Delivered says that the mail data was received and accepted.
	Delivered bool
}

// rcptCommand is one RCPT command.
type rcptCommand struct {
	Line  string // as sent, without CRLF
	Addr  string // the forward path without the angle brackets
	Reply string // the rejection, or "" when accepted
}

// Recipients returns the accepted recipient addresses, in order.
func (tx *transaction) Recipients() []string {
	var out []string
	for _, r := range tx.Rcpts {
		if r.Reply == "" {
			out = append(out, r.Addr)
		}
	}
	return out
}

// Envelope returns the MAIL and RCPT command lines as sent, one per line. A rejected
// command is followed by " -> " and the reply the server gave.
func (tx *transaction) Envelope() string {
	var b strings.Builder
	line := func(cmd, reply string) {
		b.WriteString(cmd)
		if reply != "" {
			b.WriteString(" -> " + reply)
		}
		b.WriteByte('\n')
	}
	line(tx.MailLine, tx.MailReply)
	for _, r := range tx.Rcpts {
		line(r.Line, r.Reply)
	}
	return b.String()
}

// The stages a reply rule can change.
const (
	stageGreeting = "greeting" // the greeting
	stageMail     = "mail"     // MAIL FROM
	stageRcpt     = "rcpt"     // RCPT TO (every recipient, or rcpt=ADDRESS for one)
	stageData     = "data"     // the DATA command (instead of 354)
	stageDot      = "dot"      // the end of the mail data (instead of 250)
)

// replyRule replaces the server's reply at one stage.
type replyRule struct {
	stage string
	addr  string // for stageRcpt: only this recipient (case-insensitive); "" for all
	reply string // "550 5.1.1 no such user"; lines of a multi-line reply are separated by CRLF
}

// parseReplyRule reads a rule as the scripts write it: a stage ("rcpt" or
// "rcpt=ADDRESS" for one recipient) and the reply ("550 5.1.1 no such user").
func parseReplyRule(stage, reply string) (replyRule, error) {
	r := replyRule{stage: stage, reply: reply}
	if s, addr, ok := strings.Cut(stage, "="); ok {
		if s != stageRcpt || addr == "" {
			return r, fmt.Errorf("stage %q: only rcpt takes an address (rcpt=ADDRESS)", stage)
		}
		r.stage, r.addr = s, addr
	}
	switch r.stage {
	case stageGreeting, stageMail, stageRcpt, stageData, stageDot:
	default:
		return r, fmt.Errorf("unknown stage %q (want greeting, mail, rcpt, rcpt=ADDRESS, data or dot)", stage)
	}
	if len(reply) < 3 || strings.Trim(reply[:3], "0123456789") != "" || (len(reply) > 3 && reply[3] != ' ' && reply[3] != '-') {
		return r, fmt.Errorf("reply %q does not start with a three-digit code", reply)
	}
	return r, nil
}

// newCaptureServer starts a server on 127.0.0.1:0. Close stops it.
func newCaptureServer(opts captureOptions) (*captureServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &captureServer{opts: opts, ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// startCapture starts a server for a Go test and stops it when the test ends.
func startCapture(t testing.TB, opts captureOptions) *captureServer {
	t.Helper()
	s, err := newCaptureServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Port returns the TCP port the server listens on.
func (s *captureServer) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Close stops the server, ends every connection and waits until all are done.
func (s *captureServer) Close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

// setReply adds a reply rule; a later rule for the same stage and address wins.
func (s *captureServer) setReply(r replyRule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, r)
}

// Transactions returns a copy of the transactions so far (the server may still be changing
// the last one).
func (s *captureServer) Transactions() []*transaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*transaction, len(s.txs))
	for i, tx := range s.txs {
		c := *tx
		c.Rcpts = append([]rcptCommand(nil), tx.Rcpts...)
		out[i] = &c
	}
	return out
}

// Delivered returns the transactions whose mail was accepted.
func (s *captureServer) Delivered() []*transaction {
	var out []*transaction
	for _, tx := range s.Transactions() {
		if tx.Delivered {
			out = append(out, tx)
		}
	}
	return out
}

// Problems returns what clients did against the protocol.
func (s *captureServer) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// only returns the one transaction the test expects, failing the test when there is not
// exactly one delivered mail or a client misbehaved.
func (s *captureServer) only(t testing.TB) *transaction {
	t.Helper()
	if p := s.Problems(); len(p) > 0 {
		t.Errorf("the client broke the protocol:\n%s", strings.Join(p, "\n"))
	}
	txs := s.Transactions()
	if len(txs) != 1 || !txs[0].Delivered {
		var b strings.Builder
		for i, tx := range txs {
			fmt.Fprintf(&b, "transaction %d (delivered %v, data reply %q):\n%s", i+1, tx.Delivered, tx.DataReply, tx.Envelope())
		}
		t.Fatalf("want exactly one delivered mail, got %d transactions:\n%s", len(txs), b.String())
	}
	return txs[0]
}

func (s *captureServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// ruleReply returns the reply a rule gives at stage (for addr), or def.
func (s *captureServer) ruleReply(stage, addr, def string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	reply := def
	for _, r := range s.rules {
		if r.stage == stage && (r.addr == "" || strings.EqualFold(r.addr, addr)) {
			reply = r.reply
		}
	}
	return reply
}

func (s *captureServer) problem(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

// connTimeout bounds a whole connection: no test dialogue takes that long, and a client
// that hangs must not hang the test.
const connTimeout = 60 * time.Second

// maxLine bounds a command line and a line of mail data; generous, because the tests send
// long lines on purpose.
const maxLine = 1 << 20

// serve runs one SMTP connection.
func (s *captureServer) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(connTimeout))
	sc := &captureConn{s: s, conn: c, r: bufio.NewReader(c)}
	greeting := s.ruleReply(stageGreeting, "", "220 capture.test ESMTP ready")
	if !sc.reply(greeting) || !strings.HasPrefix(greeting, "2") {
		return
	}
	for {
		line, err := readLine(sc.r)
		if errors.Is(err, errPartialLine) {
			s.problem("reading a command: %v", err)
			return
		}
		if err != nil {
			// The client closed or reset the connection: that ends the session, whether
			// or not it said QUIT first (msmtp does not after a failure).
			return
		}
		cmd, ok := strings.CutSuffix(line, "\r\n")
		if !ok {
			s.problem("command line %q does not end in CRLF", line)
			cmd = strings.TrimSuffix(line, "\n")
		}
		verb, arg, _ := strings.Cut(cmd, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			sc.ehlo(arg)
		case "HELO":
			sc.helo, sc.tx = arg, nil
			sc.reply("250 capture.test")
		case "STARTTLS":
			if !sc.startTLS() {
				return
			}
		case "MAIL":
			sc.mail(cmd, arg)
		case "RCPT":
			sc.rcpt(cmd, arg)
		case "DATA":
			if !sc.data() {
				return
			}
		case "RSET":
			sc.tx = nil
			sc.reply("250 2.0.0 ok")
		case "NOOP":
			sc.reply("250 2.0.0 ok")
		case "QUIT":
			sc.reply("221 2.0.0 bye")
			return
		default:
			s.problem("unknown command %q", cmd)
			sc.reply("500 5.5.2 unknown command")
		}
	}
}

// captureConn is the state of one connection to a captureServer.
type captureConn struct {
	s     *captureServer
	conn  net.Conn
	r     *bufio.Reader
	helo  string       // the argument of the last EHLO or HELO
	isTLS bool         // STARTTLS done
	tx    *transaction // the transaction in progress, after an accepted MAIL
}

// reply sends the lines of one reply; it reports whether that worked.
func (sc *captureConn) reply(lines ...string) bool {
	_, err := io.WriteString(sc.conn, strings.Join(lines, "\r\n")+"\r\n")
	return err == nil
}

func (sc *captureConn) ehlo(arg string) {
	sc.helo, sc.tx = arg, nil
	lines := []string{"250-capture.test", "250-PIPELINING", "250-8BITMIME", "250-SIZE 104857600"}
	if sc.s.opts.DSN {
		lines = append(lines, "250-DSN")
	}
	if sc.s.opts.SMTPUTF8 {
		lines = append(lines, "250-SMTPUTF8")
	}
	if sc.s.opts.TLS != nil && !sc.isTLS {
		lines = append(lines, "250-STARTTLS")
	}
	sc.reply(append(lines, "250 ENHANCEDSTATUSCODES")...)
}

// startTLS runs STARTTLS; false ends the connection.
func (sc *captureConn) startTLS() bool {
	if sc.s.opts.TLS == nil || sc.isTLS {
		sc.s.problem("STARTTLS sent, but not offered")
		return sc.reply("502 5.5.1 STARTTLS not offered")
	}
	if n := sc.r.Buffered(); n > 0 {
		sc.s.problem("the client pipelined %d bytes after STARTTLS", n)
		return false
	}
	sc.reply("220 2.0.0 ready to start TLS")
	tc := tls.Server(sc.conn, sc.s.opts.TLS)
	if err := tc.Handshake(); err != nil {
		// The client may reject the certificate on purpose: not a protocol problem.
		return false
	}
	sc.conn, sc.r, sc.isTLS, sc.helo, sc.tx = tc, bufio.NewReader(tc), true, "", nil
	return true
}

func (sc *captureConn) mail(cmd, arg string) {
	path, ok := cutPrefixFold(arg, "FROM:")
	if !ok || sc.tx != nil {
		sc.s.problem("bad or misplaced MAIL command %q", cmd)
		sc.reply("503 5.5.1 bad sequence of commands")
		return
	}
	from, _ := parsePath(path)
	tx := &transaction{Helo: sc.helo, TLS: sc.isTLS, MailLine: cmd, From: from}
	reply := sc.s.ruleReply(stageMail, from, "250 2.1.0 ok")
	if strings.HasPrefix(reply, "2") {
		sc.tx = tx
	} else {
		tx.MailReply = reply
	}
	sc.s.update(func() { sc.s.txs = append(sc.s.txs, tx) })
	sc.reply(reply)
}

func (sc *captureConn) rcpt(cmd, arg string) {
	path, ok := cutPrefixFold(arg, "TO:")
	if !ok || sc.tx == nil {
		// RCPTs pipelined after a rejected MAIL are expected; they are not recorded.
		sc.reply("503 5.5.1 need MAIL first")
		return
	}
	addr, _ := parsePath(path)
	reply := sc.s.ruleReply(stageRcpt, addr, "250 2.1.5 ok")
	rc := rcptCommand{Line: cmd, Addr: addr}
	if !strings.HasPrefix(reply, "2") {
		rc.Reply = reply
	}
	tx := sc.tx
	sc.s.update(func() { tx.Rcpts = append(tx.Rcpts, rc) })
	sc.reply(reply)
}

// data runs DATA and receives the mail; false ends the connection.
func (sc *captureConn) data() bool {
	tx := sc.tx
	sc.tx = nil
	if tx == nil || len(tx.Recipients()) == 0 {
		return sc.reply("554 5.5.1 no valid recipients")
	}
	if reply := sc.s.ruleReply(stageData, "", ""); reply != "" {
		sc.s.update(func() { tx.DataReply = reply })
		return sc.reply(reply)
	}
	sc.reply("354 end data with <CR><LF>.<CR><LF>")
	data, err := readData(sc.r)
	if err != nil {
		// A client may give up after 354, as msmtp does when a pipelined RCPT was
		// rejected: not a protocol error, and nothing is delivered.
		sc.s.update(func() { tx.Data, tx.DataReply = data, "(the client ended the connection in the mail data)" })
		return false
	}
	reply := sc.s.ruleReply(stageDot, "", "")
	sc.s.update(func() {
		tx.Data = data
		if reply == "" {
			sc.s.queued++
			reply = "250 2.0.0 ok: queued as " + strconv.Itoa(sc.s.queued)
			tx.Delivered = true
		} else {
			tx.DataReply = reply
		}
	})
	return sc.reply(reply)
}

// update changes a recorded transaction under the lock (the tests read them concurrently).
func (s *captureServer) update(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// errPartialLine is readLine's error for a connection closed in the middle of a line.
var errPartialLine = errors.New("connection closed in the middle of the line")

// readLine reads one line including its LF.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > maxLine {
			return "", fmt.Errorf("line longer than %d bytes", maxLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if len(b) > 0 && errors.Is(err, io.EOF) {
				return "", fmt.Errorf("%w %q", errPartialLine, b)
			}
			return "", err
		}
		return string(b), nil
	}
}

// readData reads mail data up to the line ".", removing the dot-stuffing (RFC 5321
// §4.5.2). Line endings are kept as sent; only ".\r\n" ends the data.
func readData(r *bufio.Reader) ([]byte, error) {
	var data bytes.Buffer
	for {
		line, err := readLine(r)
		if err != nil {
			return data.Bytes(), err
		}
		if line == ".\r\n" {
			return data.Bytes(), nil
		}
		data.WriteString(strings.TrimPrefix(line, "."))
	}
}

// parsePath returns the address of "<addr> PARAMS" and the parameters. The address ends at
// the first '>' that ends the path, so that upstream's verbatim "-f 'Name <a@b>'"
// (MAIL FROM:<Name <a@b>>) is recorded whole.
func parsePath(s string) (addr, params string) {
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, "<") {
		addr, params, _ = strings.Cut(s, " ")
		return addr, params
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '>' && (i+1 == len(s) || s[i+1] == ' ') {
			return s[1:i], strings.TrimLeft(s[i+1:], " ")
		}
	}
	return s[1:], ""
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
