package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// Transport delivers queued messages. msmtp and msmtpd implement it with the delivery
// library; the queue knows nothing of SMTP.
type Transport interface {
	// Open starts a session for one msmtprc account, typically one SMTP connection
	// with its TLS and authentication. An error fails every message of the account
	// for this run without another Open; it is temporary unless it is a
	// *DeliveryError with a permanent code. Report a configuration error (a missing
	// account, a broken msmtprc) as temporary, so that the administrator can fix it
	// before mail is returned.
	Open(ctx context.Context, acct AccountRef) (Session, error)
}

// Session is one open session of a Transport. Run sends all due messages of one account
// through one Session, calling Reset between two messages.
type Session interface {
	// Send tries to deliver msg to msg.Recipients and returns one Outcome per
	// recipient, in order. It returns an error only when the session is no longer
	// usable (a broken connection); the error is then the outcome of every recipient,
	// and Run closes the session and opens a new one for the next message.
	//
	// When reading msg.Data fails, Send must not complete the transaction — for SMTP,
	// it must not send the final "." but drop the connection — and return the read
	// error: the queue's copy is unreadable or a bounce could not be built, and a
	// truncated message must never be delivered.
	Send(ctx context.Context, msg *Message) ([]Outcome, error)
	// Reset prepares the session for the next message (SMTP RSET). An error makes Run
	// close the session and open a new one.
	Reset(ctx context.Context) error
	// Close ends the session (SMTP QUIT).
	Close() error
}

// Message is what Run hands to Session.Send.
type Message struct {
	// Envelope is the message's envelope, a copy. For a bounce it is made up: Sender
	// is "" (the null reverse-path), the only recipient is the original sender, ID,
	// Account, ConfigFile and Extras are the original message's.
	Envelope Envelope
	// Recipients are the recipients to try now: the pending ones.
	Recipients []Recipient
	// Data is the message, as given to Enqueue (or the bounce Run built).
	Data io.Reader
	// Size is the length of Data in bytes, or -1 when not known in advance (bounces).
	Size int64
}

// Status classifies an Outcome.
type Status int

const (
	// Deferred: a temporary failure; the recipient is tried again after the back-off.
	// It is the zero value, so that a recipient a Transport forgets is never lost.
	Deferred Status = iota
	// Delivered: the server accepted the message for the recipient.
	Delivered
	// Rejected: a permanent failure; the recipient is returned to the sender.
	Rejected
)

func (s Status) String() string {
	switch s {
	case Deferred:
		return "deferred"
	case Delivered:
		return "delivered"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Outcome is what happened to one recipient in one Send.
type Outcome struct {
	Status Status
	// Code is the sysexits code msmtp would have exited with, if known (for logs).
	Code sysexits.Code
	// Reply holds the server's reply lines, if a server answered; the first line's
	// enhanced status code ("5.1.1") goes into a bounce.
	Reply []string
	// Text describes a failure for people (the envelope's last error, the bounce).
	Text string
}

// outcomeOf turns an error from Open, Send or Reset into the outcome of each recipient.
func outcomeOf(err error) Outcome {
	o := Outcome{Status: Deferred, Code: sysexits.TempFail, Text: err.Error()}
	var de *DeliveryError
	if errors.As(err, &de) {
		o.Reply = de.Reply
		if de.Code != sysexits.OK {
			o.Code = de.Code
		}
		if !de.temporary() {
			o.Status = Rejected
		}
	}
	return o
}

// text returns the failure text of o, for people.
func (o *Outcome) text() string {
	switch {
	case o.Text != "":
		return oneLine(o.Text)
	case len(o.Reply) > 0:
		return oneLine(strings.Join(o.Reply, " "))
	case o.Status == Deferred:
		return "no outcome reported for this recipient"
	}
	return o.Status.String()
}

// FilterField is what a FilterTerm looks at. The values are sendmail's -q letters.
type FilterField byte

// The fields of sendmail's -qI, -qR and -qS.
const (
	FilterID        FilterField = 'I' // the queue ID
	FilterRecipient FilterField = 'R' // a pending recipient's address
	FilterSender    FilterField = 'S' // the envelope sender (empty for <>)
)

// FilterTerm is one sendmail -q[!]Xsubstr option: Field contains Substring, compared
// without regard to case, or with Negate does not.
type FilterTerm struct {
	Field     FilterField
	Negate    bool
	Substring string
}

// Filter selects messages, as sendmail's -q options do: terms on the same field are
// alternatives (any may match), terms on different fields must all hold. The empty
// Filter selects everything. A term on a field the queue does not know (sendmail's -qQ:
// the queue has no quarantine) selects nothing.
type Filter []FilterTerm

// Match reports whether env is selected.
func (f Filter) Match(env *Envelope) bool {
	fields := map[FilterField]bool{} // field → some term on it matched
	for _, t := range f {
		if !fields[t.Field] {
			fields[t.Field] = t.match(env)
		}
	}
	for _, ok := range fields {
		if !ok {
			return false
		}
	}
	return true
}

func (t FilterTerm) match(env *Envelope) bool {
	has := func(s string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(t.Substring)) }
	var found bool
	switch t.Field {
	case FilterID:
		found = has(string(env.ID))
	case FilterSender:
		found = has(env.Sender)
	case FilterRecipient:
		found = slices.ContainsFunc(env.Recipients, func(r Recipient) bool {
			return r.State == StatePending && has(r.Address)
		})
	default:
		return false
	}
	return found != t.Negate
}

// PermanentPolicy says what Run does with recipients that failed for good.
type PermanentPolicy int

const (
	// BounceToSender sends the envelope sender a delivery status notification, as an
	// MTA does. msmtpd's runner and `msmtp -q` use it.
	BounceToSender PermanentPolicy = iota
	// LeaveToCaller marks the recipients returned without a bounce: the caller reports
	// the failure itself. msmtp uses it for the message it was just given, whose
	// caller learns of the failure from msmtp's exit code.
	LeaveToCaller
)

// RunOptions configure one Run.
type RunOptions struct {
	// Transport delivers the messages; required.
	Transport Transport
	// Force tries every selected message now, whatever its back-off says (--force).
	Force bool
	// Filter selects messages (-qI, -qR, -qS).
	Filter Filter
	// IDs, when not empty, restricts the run to these messages: msmtp delivering the
	// one message it just queued.
	IDs []ID
	// Permanent chooses between a bounce and leaving the report to the caller.
	Permanent PermanentPolicy
}

// Disposition is where a message stands after Run handled it.
type Disposition int

const (
	// StillQueued: some recipients are deferred; the message waits for its next attempt.
	StillQueued Disposition = iota
	// Completed: every recipient was delivered or returned; the message left the queue.
	Completed
	// MovedToFailed: the message left the queue for failed/: a failed recipient whose
	// sender could not be told, or an unreadable envelope.
	MovedToFailed
	// Busy: another runner holds the message; it was not touched.
	Busy
)

func (d Disposition) String() string {
	switch d {
	case StillQueued:
		return "still queued"
	case Completed:
		return "completed"
	case MovedToFailed:
		return "moved to failed/"
	case Busy:
		return "busy"
	}
	return fmt.Sprintf("Disposition(%d)", int(d))
}

// MessageReport tells what Run did with one message.
type MessageReport struct {
	ID          ID
	Disposition Disposition
	// Envelope is the message's envelope after the run (zero for Busy or an
	// unreadable envelope).
	Envelope Envelope
	// Tried are the recipients tried in this run, and Outcomes what happened to each.
	Tried    []Recipient
	Outcomes []Outcome
	// Err is set when the run could not finish its work on the message: a storage
	// failure while recording the result, an unreadable envelope, or the context
	// ending during the attempt. The message then stays as it was before the run
	// (and may be sent again: at-least-once).
	Err error
}

// Report is the result of one Run.
type Report struct {
	// Messages lists the messages Run handled (claimed or found busy), in order.
	Messages []MessageReport
	// NextDue is the earliest next attempt among the messages Run saw left in the
	// queue, zero when there is none.
	NextDue time.Time
}

// Run delivers the queued messages that are due (all selected ones with Force) and
// returns what happened to each. It first repairs what interrupted runs and enqueues left
// behind. Messages are grouped by account (configuration file and account name) and each
// group goes through one Transport session, oldest message first, with a Reset between
// two messages. After each message its envelope is replaced atomically, the message is
// removed when finished, or it is moved to failed/.
//
// Messages another runner holds are skipped, so Run may be called concurrently from
// several goroutines or processes. When ctx ends, Run stops before the next message; an
// attempt that ctx interrupted is not counted and the message stays queued unchanged.
//
// The error is ErrNoTransport, or a *StorageError when the queue directory cannot be
// read; failures with single messages are in the Report.
func (q *Queue) Run(ctx context.Context, opts RunOptions) (Report, error) {
	var rep Report
	if opts.Transport == nil {
		return rep, ErrNoTransport
	}
	if err := q.cleanup(); err != nil {
		q.log.Warn("queue: cleanup incomplete", "error", err)
	}
	ids, err := q.envelopeIDs(q.dir)
	if err != nil {
		return rep, err
	}
	if len(opts.IDs) > 0 {
		ids = slices.DeleteFunc(ids, func(id ID) bool { return !slices.Contains(opts.IDs, id) })
	}
	r := &run{q: q, opts: opts, now: q.clock.Now(), rep: &rep}

	// Choose the messages from envelopes read without locks: cheap, and good enough to
	// decide what to claim. Each is read again under its lock before anything is done.
	type candidate struct {
		id      ID
		created time.Time
	}
	groups := map[AccountRef][]candidate{}
	for _, id := range ids {
		env, err := q.readEnvelope(q.envPath(id), id)
		var pe *envelopeParseError
		switch {
		case errors.As(err, &pe):
			if pe.newer {
				q.log.Warn("queue: envelope from a newer version, skipping it", "id", id)
			} else {
				r.quarantine(id)
			}
			continue
		case err != nil:
			continue // gone meanwhile, or unreadable for now
		}
		if !r.selected(&env) {
			continue
		}
		ref := env.Ref()
		groups[ref] = append(groups[ref], candidate{id, env.Created})
	}
	refs := make([]AccountRef, 0, len(groups))
	for ref, cs := range groups {
		slices.SortFunc(cs, func(a, b candidate) int {
			return cmp.Or(a.created.Compare(b.created), strings.Compare(string(a.id), string(b.id)))
		})
		refs = append(refs, ref)
	}
	// The group with the oldest message goes first.
	slices.SortFunc(refs, func(a, b AccountRef) int {
		return cmp.Or(groups[a][0].created.Compare(groups[b][0].created),
			strings.Compare(a.ConfigFile, b.ConfigFile), strings.Compare(a.Account, b.Account))
	})

	for _, ref := range refs {
		g := &group{ref: ref, transport: opts.Transport, q: q}
		for _, c := range groups[ref] {
			if ctx.Err() != nil {
				break
			}
			r.handle(ctx, g, c.id)
		}
		g.close()
		q.removeData(r.finished)
		r.finished = r.finished[:0]
		if ctx.Err() != nil {
			break
		}
	}
	return rep, nil
}

// run is the state of one Run.
type run struct {
	q        *Queue
	opts     RunOptions
	now      time.Time
	rep      *Report
	finished []ID // messages whose envelopes are removed and data files not yet
}

// selected reports whether env is due (or forced) and matches the filter, and notes its
// next attempt for Report.NextDue when it is not due.
func (r *run) selected(env *Envelope) bool {
	if !r.opts.Filter.Match(env) {
		return false
	}
	hasPending := slices.ContainsFunc(env.Recipients, func(rc Recipient) bool { return rc.State == StatePending })
	if r.opts.Force || !hasPending || !env.NextAttempt.After(r.now) {
		return true
	}
	r.noteDue(env.NextAttempt)
	return false
}

func (r *run) noteDue(t time.Time) {
	if r.rep.NextDue.IsZero() || t.Before(r.rep.NextDue) {
		r.rep.NextDue = t
	}
}

// quarantine moves a message with an unreadable envelope to failed/.
func (r *run) quarantine(id ID) {
	c, err := r.q.claim(id)
	if err != nil || c == nil {
		return // busy, gone, or not readable now; the next run looks again
	}
	defer c.release()
	mr := MessageReport{ID: id, Disposition: MovedToFailed}
	if c.envErr == nil || c.envErr.newer {
		return // repaired meanwhile, or a newer program's: not ours to judge
	}
	mr.Err = c.envErr
	r.q.log.Error("queue: unreadable envelope, moving the message to failed/", "id", id, "error", c.envErr)
	if err := r.q.moveToFailed(c, nil, "unreadable envelope: "+c.envErr.Reason); err != nil {
		mr.Disposition, mr.Err = StillQueued, err
	}
	r.rep.Messages = append(r.rep.Messages, mr)
}

// handle claims one message and, if it is still due, delivers it and records the result.
func (r *run) handle(ctx context.Context, g *group, id ID) {
	q := r.q
	c, err := q.claim(id)
	if errors.Is(err, ErrLocked) {
		r.rep.Messages = append(r.rep.Messages, MessageReport{ID: id, Disposition: Busy})
		return
	}
	if err != nil {
		r.rep.Messages = append(r.rep.Messages, MessageReport{ID: id, Disposition: StillQueued, Err: err})
		return
	}
	if c == nil {
		return // finished by another runner since the listing
	}
	if c.envErr != nil {
		c.release()
		r.quarantine(id)
		return
	}
	defer c.release()
	// Another runner may have tried the message since the listing.
	if !r.selected(&c.env) || c.env.Ref() != g.ref {
		return
	}
	q.step(StepClaimed)
	r.rep.Messages = append(r.rep.Messages, r.process(ctx, g, c))
}

// process makes one delivery attempt for a claimed message and records the result.
func (r *run) process(ctx context.Context, g *group, c *claimed) MessageReport {
	q := r.q
	env := c.env.Clone()
	mr := MessageReport{ID: c.id}
	now := q.clock.Now()

	var idx []int // positions of the pending recipients in env.Recipients
	for i, rc := range env.Recipients {
		if rc.State == StatePending {
			idx = append(idx, i)
			mr.Tried = append(mr.Tried, rc)
		}
	}
	if len(idx) > 0 {
		msg := &Message{
			Envelope:   c.env.Clone(),
			Recipients: slices.Clone(mr.Tried),
			Data:       io.NewSectionReader(c.data, 0, c.size),
			Size:       c.size,
		}
		outcomes, err := g.send(ctx, msg)
		if err != nil && ctx.Err() != nil {
			// Interrupted by shutdown, not by the server: no attempt is counted.
			mr.Envelope, mr.Err = c.env, ctx.Err()
			return mr
		}
		mr.Outcomes = outcomes
		r.apply(&env, idx, outcomes, now)
	}
	postponed := r.notify(ctx, g, c, &env)

	mr.Envelope = env
	var err error
	switch {
	case len(env.Pending()) > 0 || postponed:
		mr.Disposition = StillQueued
		err = q.update(c, &env)
		if err == nil {
			r.noteDue(env.NextAttempt)
			q.log.Info("deferred", "id", c.id, "account", env.Account, "attempts", env.Attempts,
				"next", env.NextAttempt, "error", env.LastError)
		}
	case slices.ContainsFunc(env.Recipients, func(rc Recipient) bool { return rc.State == StateFailed }):
		mr.Disposition = MovedToFailed
		reason := failedReason(&env)
		err = q.moveToFailed(c, &env, reason)
		if err == nil {
			q.log.Error("moved to failed/", "id", c.id, "account", env.Account, "sender", env.Sender, "reason", reason)
		}
	default:
		mr.Disposition = Completed
		err = q.removeEnvelope(c)
		if err == nil {
			r.finished = append(r.finished, c.id)
			q.log.Info("finished", "id", c.id, "account", env.Account, "sender", env.Sender,
				"delivered", countState(&env, StateDelivered), "returned", countState(&env, StateReturned))
		}
	}
	if err != nil {
		// The envelope on disk may still be the one from before the attempt:
		// recipients delivered now may be sent again, as at-least-once allows.
		q.log.Error("queue: cannot record delivery result", "id", c.id, "error", err)
		mr.Disposition, mr.Envelope, mr.Err = StillQueued, c.env, err
	}
	return mr
}

// apply records the outcomes of an attempt in env: delivered and rejected recipients are
// settled; deferred ones count an attempt and get the next one from the back-off, or fail
// when the message has expired.
func (r *run) apply(env *Envelope, idx []int, outcomes []Outcome, now time.Time) {
	deferred := false
	for i, j := range idx {
		o := Outcome{Status: Deferred}
		if i < len(outcomes) {
			o = outcomes[i]
		}
		rc := &env.Recipients[j]
		switch o.Status {
		case Delivered:
			rc.State, rc.Error, rc.Status, rc.Reply = StateDelivered, "", "", nil
		case Rejected:
			rc.State, rc.Error, rc.Status, rc.Reply = StateFailed, o.text(), statusOf(o.Reply, "5.0.0"), cleanLines(o.Reply)
		default:
			rc.Error, rc.Status, rc.Reply = o.text(), statusOf(o.Reply, "4.0.0"), cleanLines(o.Reply)
			if !deferred {
				env.LastError = rc.Error
			}
			deferred = true
		}
	}
	env.LastAttempt = now
	if !deferred {
		return
	}
	env.Attempts++
	b := r.q.backoff
	if !b.expired(env.Created, now) {
		env.NextAttempt = b.next(env.Created, now, env.Attempts)
		return
	}
	for _, j := range idx {
		rc := &env.Recipients[j]
		if rc.State != StatePending {
			continue
		}
		rc.State = StateFailed
		rc.Error = fmt.Sprintf("message expired after %s in the queue; last error: %s", age(b.Expiry), rc.Error)
		// A 4.x.x status with Action: failed is how a DSN says "gave up after
		// temporary failures" (RFC 3464 §2.3.3); 4.4.7 is "delivery time expired".
		if rc.Status == "4.0.0" || !strings.HasPrefix(rc.Status, "4.") {
			rc.Status = "4.4.7"
		}
	}
}

// notify tells the sender about recipients that failed for good: a bounce, unless the
// policy leaves that to the caller or the sender asked not to be told. Recipients whose
// sender could not be told stay StateFailed (the message will end in failed/). It
// reports whether the bounce was postponed because ctx ended: the message then stays
// queued and the next run sends the bounce.
func (r *run) notify(ctx context.Context, g *group, c *claimed, env *Envelope) (postponed bool) {
	var bounce []int
	for i := range env.Recipients {
		rc := &env.Recipients[i]
		if rc.State != StateFailed {
			continue
		}
		switch {
		case r.opts.Permanent == LeaveToCaller:
			rc.State = StateReturned
		case !rc.wantsBounce():
			rc.State = StateReturned
			r.q.log.Info("not bouncing: NOTIFY excludes FAILURE", "id", c.id, "recipient", rc.Address)
		default:
			bounce = append(bounce, i)
		}
	}
	if len(bounce) == 0 || env.Sender == "" {
		return false // the null sender: nobody to tell, and never a bounce of a bounce
	}
	if ctx.Err() != nil {
		return true
	}
	err := r.sendBounce(ctx, g, c, env, bounce)
	r.q.step(StepBounceSent)
	if err != nil && ctx.Err() != nil {
		return true
	}
	if err != nil {
		r.q.log.Warn("queue: bounce not sent", "id", c.id, "sender", env.Sender, "error", err)
		env.LastError = "cannot return the message to its sender: " + oneLine(err.Error())
		return false
	}
	for _, i := range bounce {
		env.Recipients[i].State = StateReturned
	}
	r.q.log.Info("bounced", "id", c.id, "sender", env.Sender, "recipients", len(bounce))
	return false
}

// failedReason explains why a message goes to failed/.
func failedReason(env *Envelope) string {
	var rs []string
	for _, rc := range env.Recipients {
		if rc.State == StateFailed {
			rs = append(rs, rc.Address+": "+rc.Error)
		}
	}
	why := "the sender could not be told"
	switch {
	case env.Sender == "":
		why = "no bounce for a message with the null sender <>"
	case strings.HasPrefix(env.LastError, "cannot return"):
		why = env.LastError
	}
	return "undeliverable (" + strings.Join(rs, "; ") + "); " + why
}

func countState(env *Envelope, s State) int {
	n := 0
	for _, rc := range env.Recipients {
		if rc.State == s {
			n++
		}
	}
	return n
}

// statusOf finds the RFC 3463 enhanced status code in the first reply line ("550 5.1.1
// text" or "550-5.1.1 text"), or returns def.
func statusOf(reply []string, def string) string {
	if len(reply) == 0 {
		return def
	}
	l := reply[0]
	if len(l) < 4 {
		return def
	}
	f := strings.Fields(l[4:])
	if len(f) == 0 || !isEnhancedStatus(f[0]) || f[0][0] != l[0] {
		return def
	}
	return f[0]
}

func isEnhancedStatus(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

func cleanLines(ls []string) []string {
	if len(ls) == 0 {
		return nil
	}
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = oneLine(l)
	}
	return out
}

// age formats a duration in days or hours for messages to people.
func age(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// group is the Transport session of one account during a Run: opened when the first
// message needs it, reset between messages, reopened after it broke, and not retried
// after Open failed.
type group struct {
	ref       AccountRef
	transport Transport
	q         *Queue
	sess      Session
	openErr   error
	used      bool // a message went through sess since it was opened or reset
}

func (g *group) session(ctx context.Context) (Session, error) {
	if g.openErr != nil {
		return nil, g.openErr
	}
	if g.sess != nil && g.used {
		if err := g.sess.Reset(ctx); err != nil {
			g.q.log.Info("queue: reset failed, opening a new session", "account", g.ref.Account, "error", err)
			g.close()
		} else {
			g.used = false
		}
	}
	if g.sess == nil {
		s, err := g.transport.Open(ctx, g.ref)
		if err != nil {
			if ctx.Err() == nil {
				g.openErr = err
			}
			return nil, err
		}
		g.sess, g.used = s, false
	}
	return g.sess, nil
}

// send sends msg through the group's session and returns one outcome per recipient. The
// error is returned only when the context ended; any other failure is in the outcomes.
func (g *group) send(ctx context.Context, msg *Message) ([]Outcome, error) {
	fail := func(err error) []Outcome {
		outs := make([]Outcome, len(msg.Recipients))
		for i := range outs {
			outs[i] = outcomeOf(err)
		}
		return outs
	}
	s, err := g.session(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return fail(err), nil
	}
	g.used = true
	outs, err := s.Send(ctx, msg)
	g.q.step(StepSent)
	if err != nil {
		g.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return fail(err), nil
	}
	if len(outs) > len(msg.Recipients) {
		outs = outs[:len(msg.Recipients)]
	}
	return outs, nil
}

func (g *group) close() {
	if g.sess != nil {
		if err := g.sess.Close(); err != nil {
			g.q.log.Debug("queue: closing session", "account", g.ref.Account, "error", err)
		}
		g.sess = nil
	}
}
