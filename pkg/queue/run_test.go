package queue

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

func TestRunDeliversAndRemoves(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	a := mustEnqueue(t, q, env("joe@example.org", "ann@example.com", "bob@example.com"), mail("one"))
	b := mustEnqueue(t, q, env("joe@example.org", "cy@example.com"), mail("two"))
	tr := &fakeTransport{}
	rep := mustRun(t, q, RunOptions{Transport: tr})
	equalLines(t, "dispositions", dispositions(rep), []string{string(a) + ":completed", string(b) + ":completed"})
	s := tr.Sent()
	if len(s) != 2 || s[0].Data != mail("one") || s[0].Size != int64(len(mail("one"))) ||
		!slices.Equal(s[0].Recipients, []string{"ann@example.com", "bob@example.com"}) || s[0].Envelope.Sender != "joe@example.org" ||
		s[0].Ref != (AccountRef{ConfigFile: "/etc/msmtprc", Account: "default"}) {
		t.Errorf("sent %+v", s)
	}
	equalLines(t, "files", dirFiles(t, q), nil)
	if !rep.NextDue.IsZero() {
		t.Errorf("NextDue = %v for an empty queue", rep.NextDue)
	}
	if _, err := q.Run(context.Background(), RunOptions{}); !errors.Is(err, ErrNoTransport) {
		t.Errorf("Run without transport = %v", err)
	}
}

func TestRunBackoffAndForce(t *testing.T) {
	t.Parallel()
	q, clk := newQueue(t, Options{})
	id := mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), mail("x"))
	deferring := &fakeTransport{rule: func(*Message, string) Outcome {
		return Outcome{Status: Deferred, Reply: []string{"451 4.3.0 try later"}}
	}}
	rep := mustRun(t, q, RunOptions{Transport: deferring})
	equalLines(t, "first run", dispositions(rep), []string{string(id) + ":still queued"})
	e := mustList(t, q)[0].Envelope
	if e.Attempts != 1 || !e.NextAttempt.Equal(t0.Add(time.Minute)) || e.LastError != "451 4.3.0 try later" ||
		e.Recipients[0].Status != "4.3.0" || !e.LastAttempt.Equal(t0) {
		t.Errorf("after one failure: %+v", e)
	}
	if !rep.NextDue.Equal(t0.Add(time.Minute)) {
		t.Errorf("NextDue = %v", rep.NextDue)
	}

	// Not due yet: nothing is sent, and the report says when it will be.
	clk.Advance(59 * time.Second)
	rep = mustRun(t, q, RunOptions{Transport: deferring})
	if len(rep.Messages) != 0 || len(deferring.Sent()) != 1 || !rep.NextDue.Equal(t0.Add(time.Minute)) {
		t.Errorf("before due: report %+v, sent %d", rep, len(deferring.Sent()))
	}
	// Force ignores the back-off, and the failure doubles the wait.
	rep = mustRun(t, q, RunOptions{Transport: deferring, Force: true})
	e = mustList(t, q)[0].Envelope
	if len(deferring.Sent()) != 2 || e.Attempts != 2 || !e.NextAttempt.Equal(clk.Now().Add(2*time.Minute)) {
		t.Errorf("forced: sent %d, envelope %+v", len(deferring.Sent()), e)
	}
	// Due: delivered.
	clk.Advance(2 * time.Minute)
	ok := &fakeTransport{}
	rep = mustRun(t, q, RunOptions{Transport: ok})
	equalLines(t, "due run", dispositions(rep), []string{string(id) + ":completed"})
}

func TestRunFilters(t *testing.T) {
	t.Parallel()
	r := func(sub string) FilterTerm { return FilterTerm{Field: FilterRecipient, Substring: sub} }
	snd := func(sub string) FilterTerm { return FilterTerm{Field: FilterSender, Substring: sub} }
	not := func(t FilterTerm) FilterTerm { t.Negate = true; return t }
	tests := []struct {
		name   string
		filter Filter
		ids    []ID
		want   []string
	}{
		{"all", nil, nil, []string{"M0001", "M0002", "M0003"}},
		{"recipient", Filter{r("EXAMPLE.COM")}, nil, []string{"M0001", "M0003"}},
		{"recipient domain only", Filter{r("@example.net")}, nil, []string{"M0002"}},
		{"sender", Filter{snd("ann@")}, nil, []string{"M0002"}},
		{"sender and recipient", Filter{snd("joe"), r("bob")}, nil, []string{"M0003"}},
		{"either recipient", Filter{r("bob"), r("dan")}, nil, []string{"M0002", "M0003"}},
		{"negated", Filter{not(r("bob"))}, nil, []string{"M0001", "M0002"}},
		{"negated sender and recipient", Filter{not(snd("ann")), r("example.com")}, nil, []string{"M0001", "M0003"}},
		{"id", Filter{{Field: FilterID, Substring: "0002"}}, nil, []string{"M0002"}},
		{"unknown field", Filter{{Field: 'Q', Substring: ""}}, nil, nil},
		{"no match", Filter{snd("nobody")}, nil, nil},
		{"ids", nil, []ID{"M0003", "M0001"}, []string{"M0001", "M0003"}},
		{"ids and filter", Filter{r("bob")}, []ID{"M0001", "M0002"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, _ := newQueue(t, Options{})
			mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), "1")
			mustEnqueue(t, q, env("ann@example.org", "dan@example.net"), "2")
			mustEnqueue(t, q, env("joe@example.org", "bob@example.com"), "3")
			tr := &fakeTransport{}
			mustRun(t, q, RunOptions{Transport: tr, Filter: tt.filter, IDs: tt.ids})
			var got []string
			for _, s := range tr.Sent() {
				got = append(got, string(s.Envelope.ID))
			}
			equalLines(t, "sent", got, tt.want)
			if left := len(mustList(t, q)); left != 3-len(tt.want) {
				t.Errorf("%d left in the queue", left)
			}
		})
	}
}

// A recipient filter looks at pending recipients only.
func TestFilterPendingOnly(t *testing.T) {
	t.Parallel()
	e := env("joe@example.org", "ann@example.com", "bob@example.com")
	e.Recipients[0].State = StateDelivered
	e.Recipients[1].State = StatePending
	for _, tt := range []struct {
		f    Filter
		want bool
	}{
		{Filter{{Field: FilterRecipient, Substring: "ann"}}, false},
		{Filter{{Field: FilterRecipient, Substring: "ann", Negate: true}}, true},
		{Filter{{Field: FilterRecipient, Substring: "bob"}}, true},
		{Filter{{Field: FilterRecipient, Substring: "BOB@EXAMPLE"}}, true},
		{Filter{{Field: FilterSender, Substring: "JOE"}}, true},
		{Filter{{Field: FilterSender, Substring: "ann"}}, false},
	} {
		if got := tt.f.Match(&e); got != tt.want {
			t.Errorf("%+v.Match = %v, want %v", tt.f, got, tt.want)
		}
	}
}

func TestRunPartialSuccess(t *testing.T) {
	t.Parallel()
	q, clk := newQueue(t, Options{})
	id := mustEnqueue(t, q, env("joe@example.org", "ann@example.com", "bob@example.com", "cy@example.com"), mail("x"))
	tr := &fakeTransport{rule: func(_ *Message, r string) Outcome {
		if r == "bob@example.com" {
			return Outcome{Status: Deferred, Text: "mailbox busy"}
		}
		return Outcome{Status: Delivered}
	}}
	rep := mustRun(t, q, RunOptions{Transport: tr})
	m := rep.Messages[0]
	if m.Disposition != StillQueued || len(m.Outcomes) != 3 || m.Outcomes[1].Status != Deferred {
		t.Errorf("report %+v", m)
	}
	e := mustList(t, q)[0].Envelope
	var pending []string
	for _, r := range e.Pending() {
		pending = append(pending, r.Address)
	}
	equalLines(t, "pending", pending, []string{"bob@example.com"})
	if e.Recipients[0].State != StateDelivered || e.Recipients[2].State != StateDelivered || e.LastError != "mailbox busy" {
		t.Errorf("envelope %+v", e)
	}

	// The next attempt goes to bob alone, and finishes the message.
	clk.Advance(time.Minute)
	tr2 := &fakeTransport{}
	rep = mustRun(t, q, RunOptions{Transport: tr2})
	equalLines(t, "second run", dispositions(rep), []string{string(id) + ":completed"})
	if s := tr2.Sent(); len(s) != 1 || !slices.Equal(s[0].Recipients, []string{"bob@example.com"}) {
		t.Errorf("second attempt sent %+v", s)
	}
}

// A transport that reports fewer outcomes than recipients loses none of them.
func TestRunMissingOutcome(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	mustEnqueue(t, q, env("joe@example.org", "ann@example.com", "bob@example.com"), "x")
	short := &shortTransport{}
	rep := mustRun(t, q, RunOptions{Transport: short})
	e := rep.Messages[0].Envelope
	if e.Recipients[0].State != StateDelivered || e.Recipients[1].State != StatePending ||
		e.Recipients[1].Error != "no outcome reported for this recipient" {
		t.Errorf("envelope %+v", e)
	}
}

type shortTransport struct{}

func (shortTransport) Open(context.Context, AccountRef) (Session, error) {
	return shortTransport{}, nil
}
func (shortTransport) Send(context.Context, *Message) ([]Outcome, error) {
	return []Outcome{{Status: Delivered}}, nil
}
func (shortTransport) Reset(context.Context) error { return nil }
func (shortTransport) Close() error                { return nil }

// parsedBounce is a delivery status notification taken apart with go-message.
type parsedBounce struct {
	header     message.Header
	text       string
	perMessage textproto.Header
	perRcpt    []textproto.Header
	origType   string
	original   string
}

func parseBounce(t *testing.T, data string) parsedBounce {
	t.Helper()
	ent, err := message.Read(strings.NewReader(data))
	if err != nil {
		t.Fatalf("bounce does not parse: %v\n%s", err, data)
	}
	var b parsedBounce
	b.header = ent.Header
	ct, params, err := ent.Header.ContentType()
	if err != nil || ct != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("bounce Content-Type = %q %v (%v)", ct, params, err)
	}
	mr := ent.MultipartReader()
	var parts []*message.Entity
	var bodies []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("bounce part: %v", err)
		}
		body, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
		bodies = append(bodies, string(body))
	}
	if len(parts) != 3 {
		t.Fatalf("bounce has %d parts, want 3\n%s", len(parts), data)
	}
	for i, want := range []string{"text/plain", "message/delivery-status"} {
		if ct, _, _ := parts[i].Header.ContentType(); ct != want {
			t.Errorf("part %d is %q, want %q", i+1, ct, want)
		}
	}
	b.text = bodies[0]
	br := bufio.NewReader(strings.NewReader(bodies[1]))
	b.perMessage, err = textproto.ReadHeader(br)
	if err != nil {
		t.Fatalf("delivery-status per-message fields: %v\n%s", err, bodies[1])
	}
	for {
		if _, err := br.Peek(1); err == io.EOF {
			break
		}
		h, err := textproto.ReadHeader(br)
		if err != nil {
			t.Fatalf("delivery-status per-recipient fields: %v\n%s", err, bodies[1])
		}
		b.perRcpt = append(b.perRcpt, h)
	}
	b.origType, _, _ = parts[2].Header.ContentType()
	b.original = bodies[2]
	return b
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func TestRunPermanentFailureBouncesThatRecipient(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	e := env("joe@example.org", "ann@example.com", "nobody@example.com", "bob@example.com")
	e.Recipients[1].ORcpt = "rfc822;Nobody@Example.com"
	e.EnvID = "QQ314159"
	id := mustEnqueue(t, q, e, mail("hello"))
	tr := &fakeTransport{rule: func(_ *Message, r string) Outcome {
		if r == "nobody@example.com" {
			return Outcome{Status: Rejected, Code: sysexits.DataErr, Reply: []string{"550 5.1.1 <nobody@example.com>: no such user"}}
		}
		return Outcome{Status: Delivered}
	}}
	rep := mustRun(t, q, RunOptions{Transport: tr})
	equalLines(t, "dispositions", dispositions(rep), []string{string(id) + ":completed"})
	equalLines(t, "events", tr.Events(), []string{"open default", "send " + string(id), "reset", "bounce " + string(id), "close"})
	s := tr.Sent()
	if len(s) != 2 {
		t.Fatalf("sent %d messages, want the message and one bounce", len(s))
	}
	bounce := s[1]
	if bounce.Envelope.Sender != "" || !slices.Equal(bounce.Recipients, []string{"joe@example.org"}) ||
		bounce.Ref != s[0].Ref || bounce.Size != -1 {
		t.Errorf("bounce envelope %+v", bounce)
	}
	b := parseBounce(t, bounce.Data)
	if got := b.header.Get("From"); got != "Mail Delivery System <MAILER-DAEMON@example.org>" {
		t.Errorf("From = %q", got)
	}
	if got := b.header.Get("To"); got != "<joe@example.org>" {
		t.Errorf("To = %q", got)
	}
	if got := b.header.Get("Subject"); got != "Undelivered Mail Returned to Sender" {
		t.Errorf("Subject = %q", got)
	}
	if got := b.header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if got := b.perMessage.Get("Reporting-MTA"); got != "dns; relay.test" {
		t.Errorf("Reporting-MTA = %q", got)
	}
	if got := b.perMessage.Get("Original-Envelope-Id"); got != "QQ314159" {
		t.Errorf("Original-Envelope-Id = %q", got)
	}
	if got := b.perMessage.Get("Arrival-Date"); got != t0.Format(time.RFC1123Z) {
		t.Errorf("Arrival-Date = %q", got)
	}
	if len(b.perRcpt) != 1 {
		t.Fatalf("%d recipients in the report, want 1", len(b.perRcpt))
	}
	r := b.perRcpt[0]
	for k, want := range map[string]string{
		"Final-Recipient":    "rfc822; nobody@example.com",
		"Original-Recipient": "rfc822;Nobody@Example.com",
		"Action":             "failed",
		"Status":             "5.1.1",
		"Diagnostic-Code":    "smtp; 550 5.1.1 <nobody@example.com>: no such user",
	} {
		if got := r.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(b.text, "<nobody@example.com>: 550 5.1.1 <nobody@example.com>: no such user") ||
		strings.Contains(b.text, "ann@example.com") {
		t.Errorf("text part:\n%s", b.text)
	}
	if b.origType != "text/rfc822-headers" {
		t.Errorf("original part is %q", b.origType)
	}
	wantHeaders := crlf("From: joe@example.org\nTo: ann@example.com\nSubject: hello\n")
	if b.original != wantHeaders {
		t.Errorf("original headers = %q, want %q", b.original, wantHeaders)
	}
}

func TestRunExpiryBounce(t *testing.T) {
	t.Parallel()
	for _, ret := range []string{"", ReturnFull} {
		t.Run("RET="+ret, func(t *testing.T) {
			t.Parallel()
			q, clk := newQueue(t, Options{})
			e := env("joe@example.org", "ann@example.com")
			e.Ret = ret
			body := mail("expiring") + "Ünïcode body line\n"
			id := mustEnqueue(t, q, e, body)
			down := &fakeTransport{openErr: func(AccountRef) error {
				return &DeliveryError{Code: sysexits.TempFail, Err: errors.New("cannot connect to mail.example.org: connection refused")}
			}}
			for range 3 {
				mustRun(t, q, RunOptions{Transport: down})
				clk.Advance(4 * time.Hour)
			}
			if got := mustList(t, q)[0].Envelope.Attempts; got != 3 {
				t.Fatalf("attempts = %d", got)
			}
			// Past the expiry the server answers again, still deferring this recipient.
			clk.Advance(DefaultExpiry)
			up := &fakeTransport{rule: func(m *Message, _ string) Outcome {
				if m.Envelope.Sender == "" {
					return Outcome{Status: Delivered}
				}
				return Outcome{Status: Deferred, Reply: []string{"452 4.2.2 mailbox full"}}
			}}
			rep := mustRun(t, q, RunOptions{Transport: up})
			equalLines(t, "dispositions", dispositions(rep), []string{string(id) + ":completed"})
			s := up.Sent()
			if len(s) != 2 || s[1].Envelope.Sender != "" {
				t.Fatalf("sent %+v", s)
			}
			b := parseBounce(t, s[1].Data)
			r := b.perRcpt[0]
			if r.Get("Action") != "failed" || r.Get("Status") != "4.2.2" ||
				r.Get("Diagnostic-Code") != "smtp; 452 4.2.2 mailbox full" || r.Get("Final-Recipient") != "rfc822; ann@example.com" {
				t.Errorf("per-recipient fields %v", r)
			}
			if !strings.Contains(b.text, "message expired after 5 days in the queue; last error: 452 4.2.2 mailbox full") {
				t.Errorf("text part:\n%s", b.text)
			}
			if ret == ReturnFull {
				if b.origType != "message/rfc822" || b.original != crlf(body) {
					t.Errorf("original part %q:\n%q", b.origType, b.original)
				}
			} else if b.origType != "text/rfc822-headers" || strings.Contains(b.original, "Hello") {
				t.Errorf("original part %q:\n%q", b.origType, b.original)
			}
			equalLines(t, "files", dirFiles(t, q), nil)
		})
	}
}

// When the server stays unreachable to the end, the bounce cannot go out either: the
// message goes to failed/.
func TestRunExpiryUnreachable(t *testing.T) {
	t.Parallel()
	q, clk := newQueue(t, Options{Backoff: Backoff{Expiry: time.Hour}})
	id := mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), mail("x"))
	down := &fakeTransport{openErr: func(AccountRef) error { return errors.New("connection refused") }}
	mustRun(t, q, RunOptions{Transport: down})
	clk.Advance(time.Hour)
	rep := mustRun(t, q, RunOptions{Transport: down})
	equalLines(t, "dispositions", dispositions(rep), []string{string(id) + ":moved to failed/"})
	equalLines(t, "events", down.Events(), []string{"open default", "open default"})
	equalLines(t, "files", dirFiles(t, q), []string{"failed/M0001.eml", "failed/M0001.env", "failed/M0001.reason"})
	reason := readAll(t, q.failedPath(id, reasonSuffix))
	if !strings.Contains(reason, "expired after 1 hours") || !strings.Contains(reason, "cannot return the message to its sender: connection refused") {
		t.Errorf("reason = %q", reason)
	}
}

func TestRunNullSenderGoesToFailed(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	id := mustEnqueue(t, q, env("", "ann@example.com", "bob@example.com"), mail("a bounce"))
	tr := &fakeTransport{rule: func(_ *Message, r string) Outcome {
		if r == "ann@example.com" {
			return Outcome{Status: Rejected, Text: "550 no such user"}
		}
		return Outcome{Status: Delivered}
	}}
	rep := mustRun(t, q, RunOptions{Transport: tr})
	equalLines(t, "dispositions", dispositions(rep), []string{string(id) + ":moved to failed/"})
	equalLines(t, "events", tr.Events(), []string{"open default", "send " + string(id), "close"})
	equalLines(t, "files", dirFiles(t, q), []string{"failed/M0001.eml", "failed/M0001.env", "failed/M0001.reason"})
	if got := readAll(t, q.failedPath(id, dataSuffix)); got != mail("a bounce") {
		t.Errorf("failed data = %q", got)
	}
	reason := readAll(t, q.failedPath(id, reasonSuffix))
	if !strings.HasPrefix(reason, "2026-03-02T09:30:00Z ") ||
		!strings.Contains(reason, "ann@example.com: 550 no such user") || !strings.Contains(reason, "null sender") {
		t.Errorf("reason = %q", reason)
	}
	fe, err := q.ListFailed()
	if err != nil || len(fe) != 1 || fe[0].Envelope.Recipients[1].State != StateDelivered {
		t.Errorf("ListFailed = %+v, %v", fe, err)
	}
}

func TestRunBounceFailureGoesToFailed(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	id := mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), mail("x"))
	tr := &fakeTransport{rule: func(m *Message, _ string) Outcome {
		if m.Envelope.Sender == "" {
			return Outcome{Status: Rejected, Reply: []string{"550 5.7.1 null sender not allowed"}}
		}
		return Outcome{Status: Rejected, Reply: []string{"554 5.7.1 spam"}}
	}}
	rep := mustRun(t, q, RunOptions{Transport: tr})
	equalLines(t, "dispositions", dispositions(rep), []string{string(id) + ":moved to failed/"})
	reason := readAll(t, q.failedPath(id, reasonSuffix))
	if !strings.Contains(reason, "cannot return the message to its sender: 550 5.7.1 null sender not allowed") ||
		!strings.Contains(reason, "554 5.7.1 spam") {
		t.Errorf("reason = %q", reason)
	}
}

// A bounce that fails while other recipients are still pending is tried again with the
// message's next attempt.
func TestRunBounceRetriedWhileQueued(t *testing.T) {
	t.Parallel()
	q, clk := newQueue(t, Options{})
	id := mustEnqueue(t, q, env("joe@example.org", "bad@example.com", "later@example.com"), mail("x"))
	bounceOK := false
	tr := &fakeTransport{rule: func(m *Message, r string) Outcome {
		switch {
		case m.Envelope.Sender == "" && bounceOK:
			return Outcome{Status: Delivered}
		case m.Envelope.Sender == "":
			return Outcome{Status: Deferred, Text: "try later"}
		case r == "bad@example.com":
			return Outcome{Status: Rejected, Text: "550 no"}
		}
		return Outcome{Status: Deferred, Text: "busy"}
	}}
	mustRun(t, q, RunOptions{Transport: tr})
	e := mustList(t, q)[0].Envelope
	if e.Recipients[0].State != StateFailed || e.Recipients[1].State != StatePending {
		t.Fatalf("envelope %+v", e)
	}
	bounceOK = true
	clk.Advance(time.Minute)
	mustRun(t, q, RunOptions{Transport: tr})
	e = mustList(t, q)[0].Envelope
	if e.Recipients[0].State != StateReturned || e.Recipients[1].State != StatePending {
		t.Errorf("envelope %+v", e)
	}
	equalLines(t, "events", tr.Events(), []string{
		"open default", "send " + string(id), "reset", "bounce " + string(id), "close",
		"open default", "send " + string(id), "reset", "bounce " + string(id), "close",
	})
}

func TestRunNoBounceWanted(t *testing.T) {
	t.Parallel()
	reject := func(*Message, string) Outcome { return Outcome{Status: Rejected, Text: "550 no"} }
	tests := []struct {
		name   string
		notify []string
		policy PermanentPolicy
	}{
		{"NOTIFY=NEVER", []string{NotifyNever}, BounceToSender},
		{"NOTIFY=SUCCESS,DELAY", []string{NotifySuccess, NotifyDelay}, BounceToSender},
		{"left to the caller", nil, LeaveToCaller},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, _ := newQueue(t, Options{})
			e := env("joe@example.org", "ann@example.com")
			e.Recipients[0].Notify = tt.notify
			id := mustEnqueue(t, q, e, mail("x"))
			tr := &fakeTransport{rule: reject}
			rep := mustRun(t, q, RunOptions{Transport: tr, Permanent: tt.policy})
			equalLines(t, "dispositions", dispositions(rep), []string{string(id) + ":completed"})
			equalLines(t, "events", tr.Events(), []string{"open default", "send " + string(id), "close"})
			m := rep.Messages[0]
			if m.Envelope.Recipients[0].State != StateReturned || m.Outcomes[0].Text != "550 no" {
				t.Errorf("report %+v", m)
			}
			equalLines(t, "files", dirFiles(t, q), nil)
		})
	}
}

func TestRunSessionReuse(t *testing.T) {
	t.Parallel()
	q, clk := newQueue(t, Options{})
	other := func(rcpt string) Envelope {
		e := env("joe@example.org", rcpt)
		e.Account, e.ConfigFile = "work", "/home/joe/.msmtprc"
		return e
	}
	sameNameOtherFile := func(rcpt string) Envelope {
		e := env("joe@example.org", rcpt)
		e.ConfigFile = "/home/joe/.msmtprc"
		return e
	}
	a1 := mustEnqueue(t, q, env("joe@example.org", "a@x"), "1")
	clk.Advance(time.Second)
	b1 := mustEnqueue(t, q, other("b@x"), "2")
	clk.Advance(time.Second)
	a2 := mustEnqueue(t, q, env("joe@example.org", "c@x"), "3")
	clk.Advance(time.Second)
	b2 := mustEnqueue(t, q, other("d@x"), "4")
	clk.Advance(time.Second)
	a3 := mustEnqueue(t, q, env("joe@example.org", "e@x"), "5")
	clk.Advance(time.Second)
	c1 := mustEnqueue(t, q, sameNameOtherFile("f@x"), "6")
	tr := &fakeTransport{}
	mustRun(t, q, RunOptions{Transport: tr})
	equalLines(t, "events", tr.Events(), []string{
		"open default", "send " + string(a1), "reset", "send " + string(a2), "reset", "send " + string(a3), "close",
		"open work", "send " + string(b1), "reset", "send " + string(b2), "close",
		"open default", "send " + string(c1), "close",
	})
}

func TestRunSessionFailures(t *testing.T) {
	t.Parallel()
	t.Run("open fails once per account and run", func(t *testing.T) {
		t.Parallel()
		q, _ := newQueue(t, Options{})
		a := mustEnqueue(t, q, env("joe@example.org", "a@x"), "1")
		b := mustEnqueue(t, q, env("joe@example.org", "b@x"), "2")
		e := env("joe@example.org", "c@x")
		e.Account = "work"
		c := mustEnqueue(t, q, e, "3")
		tr := &fakeTransport{openErr: func(r AccountRef) error {
			if r.Account == "default" {
				return errors.New("cannot connect: connection refused")
			}
			return nil
		}}
		rep := mustRun(t, q, RunOptions{Transport: tr})
		equalLines(t, "events", tr.Events(), []string{"open default", "open work", "send " + string(c), "close"})
		equalLines(t, "dispositions", dispositions(rep), []string{
			string(a) + ":still queued", string(b) + ":still queued", string(c) + ":completed"})
		for _, m := range rep.Messages[:2] {
			if m.Envelope.Attempts != 1 || m.Envelope.LastError != "cannot connect: connection refused" ||
				m.Outcomes[0].Code != sysexits.TempFail {
				t.Errorf("%s: %+v", m.ID, m)
			}
		}
	})
	t.Run("permanent open error returns the mail", func(t *testing.T) {
		t.Parallel()
		q, _ := newQueue(t, Options{})
		mustEnqueue(t, q, env("joe@example.org", "a@x"), "1")
		tr := &fakeTransport{openErr: func(AccountRef) error {
			return &DeliveryError{Code: sysexits.NoPerm, Reply: []string{"535 5.7.8 authentication failed"}, Err: errors.New("authentication failed")}
		}}
		rep := mustRun(t, q, RunOptions{Transport: tr})
		// The bounce cannot go through the failing account either.
		m := rep.Messages[0]
		if m.Disposition != MovedToFailed || m.Outcomes[0].Status != Rejected || m.Envelope.Recipients[0].Status != "5.7.8" {
			t.Errorf("report %+v", m)
		}
	})
	t.Run("broken session is reopened", func(t *testing.T) {
		t.Parallel()
		q, _ := newQueue(t, Options{})
		a := mustEnqueue(t, q, env("joe@example.org", "a@x"), "1")
		b := mustEnqueue(t, q, env("joe@example.org", "b@x"), "2")
		tr := &fakeTransport{sendErr: func(m *Message) error {
			if m.Envelope.ID == a {
				return errors.New("connection reset by peer")
			}
			return nil
		}}
		rep := mustRun(t, q, RunOptions{Transport: tr})
		equalLines(t, "events", tr.Events(), []string{"open default", "send " + string(a), "close", "open default", "send " + string(b), "close"})
		equalLines(t, "dispositions", dispositions(rep), []string{string(a) + ":still queued", string(b) + ":completed"})
		if e := rep.Messages[0].Envelope; e.LastError != "connection reset by peer" {
			t.Errorf("last error %q", e.LastError)
		}
	})
	t.Run("failed reset opens a new session", func(t *testing.T) {
		t.Parallel()
		q, _ := newQueue(t, Options{})
		a := mustEnqueue(t, q, env("joe@example.org", "a@x"), "1")
		b := mustEnqueue(t, q, env("joe@example.org", "b@x"), "2")
		tr := &fakeTransport{resetErr: errors.New("421 closing")}
		mustRun(t, q, RunOptions{Transport: tr})
		equalLines(t, "events", tr.Events(), []string{"open default", "send " + string(a), "reset", "close", "open default", "send " + string(b), "close"})
	})
}

// Many runners at once, in goroutines, deliver each message exactly once.
func TestRunConcurrentGoroutines(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	const n = 40
	for i := range n {
		e := env("joe@example.org", fmt.Sprintf("r%d@x", i))
		e.Account = fmt.Sprintf("acct%d", i%3)
		mustEnqueue(t, q, e, fmt.Sprint(i))
	}
	tr := &fakeTransport{msgCost: time.Millisecond}
	var wg sync.WaitGroup
	var mu sync.Mutex
	busy := 0
	for range 4 {
		wg.Go(func() {
			rep, err := q.Run(context.Background(), RunOptions{Transport: tr})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, m := range rep.Messages {
				if m.Disposition == Busy {
					busy++
				}
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	count := map[ID]int{}
	for _, s := range tr.Sent() {
		count[s.Envelope.ID]++
	}
	if len(count) != n {
		t.Errorf("%d messages delivered, want %d", len(count), n)
	}
	for id, c := range count {
		if c != 1 {
			t.Errorf("%s delivered %d times", id, c)
		}
	}
	equalLines(t, "files", dirFiles(t, q), nil)
	t.Logf("%d busy skips", busy)
}

// Cancelling a run in the middle of a send leaves the message as it was: no attempt is
// counted, nothing is half-updated.
func TestRunCancelled(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	id := mustEnqueue(t, q, env("joe@example.org", "a@x"), mail("x"))
	mustEnqueue(t, q, env("joe@example.org", "b@x"), mail("y"))
	tr := &fakeTransport{block: make(chan struct{}), inSend: make(chan ID, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Report)
	go func() {
		rep, err := q.Run(ctx, RunOptions{Transport: tr})
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	if got := <-tr.inSend; got != id {
		t.Errorf("first send %s", got)
	}
	cancel()
	rep := <-done
	if len(rep.Messages) != 1 || !errors.Is(rep.Messages[0].Err, context.Canceled) || rep.Messages[0].Disposition != StillQueued {
		t.Errorf("report %+v", rep)
	}
	for _, e := range mustList(t, q) {
		if e.Envelope.Attempts != 0 || e.Envelope.LastError != "" || !e.Envelope.NextAttempt.IsZero() {
			t.Errorf("envelope changed by a cancelled run: %+v", e.Envelope)
		}
	}
	// The messages are not left locked.
	tr2 := &fakeTransport{}
	rep = mustRun(t, q, RunOptions{Transport: tr2})
	if len(tr2.Sent()) != 2 {
		t.Errorf("after cancel: %v", dispositions(rep))
	}
}

func TestRunQuarantinesCorruptEnvelopes(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	good := mustEnqueue(t, q, env("joe@example.org", "a@x"), mail("good"))
	bad := mustEnqueue(t, q, env("joe@example.org", "b@x"), mail("bad"))
	newer := mustEnqueue(t, q, env("joe@example.org", "c@x"), mail("newer"))
	wrong := mustEnqueue(t, q, env("joe@example.org", "d@x"), mail("wrong"))
	if err := os.WriteFile(q.envPath(bad), []byte(`{"version":1,"id":"M0002","recipients":[`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(q.envPath(newer), []byte(`{"version":7,"id":"M0003","future":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// A valid envelope under another message's name is damage too.
	b, _ := os.ReadFile(q.envPath(good))
	if err := os.WriteFile(q.envPath(wrong), b, 0o600); err != nil {
		t.Fatal(err)
	}
	// List skips what it cannot read and changes nothing.
	equalLines(t, "listed", toStrings(ids(mustList(t, q))), []string{string(good)})

	tr := &fakeTransport{}
	rep := mustRun(t, q, RunOptions{Transport: tr})
	equalLines(t, "dispositions", dispositions(rep), []string{
		string(bad) + ":moved to failed/", string(wrong) + ":moved to failed/", string(good) + ":completed"})
	equalLines(t, "files", dirFiles(t, q), []string{
		"M0003.eml", "M0003.env",
		"failed/M0002.eml", "failed/M0002.env", "failed/M0002.reason",
		"failed/M0004.eml", "failed/M0004.env", "failed/M0004.reason",
	})
	if r := readAll(t, q.failedPath(bad, reasonSuffix)); !strings.Contains(r, "unreadable envelope") {
		t.Errorf("reason %q", r)
	}
	if r := readAll(t, q.failedPath(wrong, reasonSuffix)); !strings.Contains(r, `envelope names message "M0001"`) {
		t.Errorf("reason %q", r)
	}
	// A second run does not loop on them.
	rep = mustRun(t, q, RunOptions{Transport: tr})
	if len(rep.Messages) != 0 {
		t.Errorf("second run: %v", dispositions(rep))
	}
}

// Run repairs what interrupted work left behind.
func TestRunCleansUp(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	keep := mustEnqueue(t, q, env("joe@example.org", "a@x"), mail("keep"))
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(q.dir+string(os.PathSeparator)+name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ORPHAN.eml", "half a message") // enqueue that never committed
	write("ORPHAN2.eml", "")              // crash right after the create
	write("ORPHAN2.env.tmp", "{")         // ... or after the temporary envelope
	write("STALE.env.tmp", "{")           // temporary envelope without anything
	write(string(keep)+".env.tmp", "{")   // an update that did not finish
	b, _ := os.ReadFile(q.envPath(keep))  //
	write("NODATA.env", strings.Replace(string(b), string(keep), "NODATA", 1))
	write("notes.txt", "an administrator's file") // not ours: left alone

	tr := &fakeTransport{}
	rep := mustRun(t, q, RunOptions{Transport: tr})
	equalLines(t, "dispositions", dispositions(rep), []string{string(keep) + ":completed"})
	equalLines(t, "files", dirFiles(t, q), []string{"failed/NODATA.env", "failed/NODATA.reason", "notes.txt"})
	if r := readAll(t, q.failedPath("NODATA", reasonSuffix)); !strings.Contains(r, "data file") {
		t.Errorf("reason %q", r)
	}
}

// Cleanup never touches a message that an enqueue in progress holds.
func TestCleanupSparesLockedData(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	id, f, err := q.reserve()
	if err != nil {
		t.Fatal(err)
	}
	if err := q.cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(q.dataPath(id)); err != nil {
		t.Errorf("cleanup removed a locked data file: %v", err)
	}
	f.Close()
	if err := q.cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(q.dataPath(id)); !os.IsNotExist(err) {
		t.Errorf("cleanup left an unlocked orphan: %v", err)
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reply []string
		want  string
	}{
		{nil, "def"},
		{[]string{"550 5.1.1 no"}, "5.1.1"},
		{[]string{"550-5.7.1 multi", "550 5.7.1 line"}, "5.7.1"},
		{[]string{"451 4.3.0"}, "4.3.0"},
		{[]string{"550 4.1.1 class mismatch"}, "def"},
		{[]string{"550 no enhanced code"}, "def"},
		{[]string{"550 5.1234.1 too long"}, "def"},
		{[]string{"55"}, "def"},
	}
	for _, tt := range tests {
		if got := statusOf(tt.reply, "def"); got != tt.want {
			t.Errorf("statusOf(%q) = %q, want %q", tt.reply, got, tt.want)
		}
	}
}

// Readers of the queue (mailq) never make a runner's envelope update fail, and never see
// a half-written envelope. On Windows this needs the files opened with FILE_SHARE_DELETE.
func TestListDuringRun(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{Logger: discardLogger()})
	const n = 30
	for i := range n {
		mustEnqueue(t, q, env("joe@example.org", fmt.Sprintf("r%d@x", i)), mail("x"))
	}
	tr := &fakeTransport{rule: func(*Message, string) Outcome { return Outcome{Status: Deferred, Text: "later"} }}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				l, err := q.List()
				if err != nil {
					t.Errorf("List: %v", err)
					return
				}
				if len(l) != n {
					t.Errorf("List saw %d messages, want %d", len(l), n)
					return
				}
			}
		})
	}
	for range 3 {
		rep := mustRun(t, q, RunOptions{Transport: tr, Force: true})
		for _, m := range rep.Messages {
			if m.Err != nil || m.Disposition != StillQueued {
				t.Errorf("%s: %v %v", m.ID, m.Disposition, m.Err)
			}
		}
	}
	close(stop)
	wg.Wait()
	for _, e := range mustList(t, q) {
		if e.Envelope.Attempts != 3 {
			t.Errorf("%s: %d attempts, want 3", e.Envelope.ID, e.Envelope.Attempts)
		}
	}
}

// An envelope that turns out to be a newer program's only when claimed (it was rewritten
// after the listing) is still left alone.
func TestQuarantineSparesNewerVersions(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	id := mustEnqueue(t, q, env("joe@example.org", "c@x"), mail("newer"))
	if err := os.WriteFile(q.envPath(id), []byte(`{"version":7,"id":"M0001","future":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &run{q: q, rep: &Report{}}
	r.handle(context.Background(), &group{ref: AccountRef{}, transport: &fakeTransport{}, q: q}, id)
	equalLines(t, "files", dirFiles(t, q), []string{"M0001.eml", "M0001.env"})
	if len(r.rep.Messages) != 0 {
		t.Errorf("report %v", dispositions(*r.rep))
	}
}
