package relay_test

import (
	"strings"
	"testing"
)

// TestSessionReuse: two mails in a row go through one upstream session, with RSET between
// them, and the session is ended with QUIT when the backend is closed — one connection,
// greeting and EHLO for both (bench/msmtpd.sh measured the session set-up as a fifth of the
// in-process mode's cost).
func TestSessionReuse(t *testing.T) {
	t.Parallel()
	mail := `C: Received: from client.example ([127.0.0.1])
C~ \tby \[127\.0\.0\.1\] \(msmtpd\) with ESMTP;
C~ \tWed, 25 Nov 2026 18:22:56 \+0000
C: From: a@example.com
C: Date: Wed, 25 Nov 2026 18:22:56 +0000
C~ Message-ID: <[0-9a-f]{32}@example\.com>
C: Subject: relayed
C:
C: body
C: .
S: 250 2.0.0 queued
`
	up := upstream(t, upstreamEnvelope+mail+`C: RSET
S: 250 reset
C: MAIL FROM:<a@example.com>
S: 250 ok
C: RCPT TO:<b@example.org>
S: 250 ok
C: DATA
S: 354 go ahead
`+mail+`C: QUIT
S: 221 bye
`)
	client := clientEnvelope + "S: 250 2.0.0 Ok\n" +
		strings.TrimPrefix(clientEnvelope, clientHello) + "S: 250 2.0.0 Ok\nC: QUIT\nS: 221 2.0.0 Bye\n"
	if _, err := (relayRun{reuse: true, client: client}).run(t, up.Port()); err != nil {
		t.Error(err)
	}
	if err := up.Wait(); err != nil {
		t.Error(err)
	}
}
