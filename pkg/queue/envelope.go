package queue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ID names a queued message. It is also the stem of the message's file names, so it is
// 1 to 64 characters from [0-9A-Za-z_-], starting with a letter or digit.
type ID string

// Valid reports whether id can name a queued message.
func (id ID) Valid() bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// State is where one recipient of a queued message stands.
type State string

// The recipient states. Only pending recipients are tried; a message leaves the queue when
// none is pending: removed when every other recipient is delivered or returned, moved to
// failed/ when some recipient failed and its sender could not be told.
const (
	// StatePending: not delivered yet; tried at the envelope's next attempt.
	StatePending State = "pending"
	// StateDelivered: the server accepted the message for this recipient.
	StateDelivered State = "delivered"
	// StateReturned: delivery failed for good and the sender has been told, by a bounce
	// (a delivery status notification) or by the caller (RunOptions.Permanent), or
	// asked not to be (NOTIFY without FAILURE).
	StateReturned State = "returned"
	// StateFailed: delivery failed for good and no bounce could be sent yet (null
	// sender, or the bounce itself failed). The message ends in failed/.
	StateFailed State = "failed"
)

func (s State) valid() bool {
	switch s {
	case StatePending, StateDelivered, StateReturned, StateFailed:
		return true
	}
	return false
}

// DSN parameter values (RFC 3461 §4.1 and §4.3).
const (
	NotifyNever   = "NEVER"
	NotifySuccess = "SUCCESS"
	NotifyFailure = "FAILURE"
	NotifyDelay   = "DELAY"

	ReturnFull    = "FULL" // RET=FULL: a bounce includes the whole message
	ReturnHeaders = "HDRS" // RET=HDRS: a bounce includes the header section only
)

// Recipient is one envelope recipient (RCPT TO) and its delivery state.
type Recipient struct {
	// Address is the recipient's address without angle brackets.
	Address string `json:"address"`
	// State is where delivery to Address stands; Enqueue sets StatePending when empty.
	State State `json:"state"`
	// Notify holds the RFC 3461 NOTIFY values (NEVER, or some of SUCCESS, FAILURE,
	// DELAY); empty means the default, which is to bounce on failure.
	Notify []string `json:"notify,omitempty"`
	// ORcpt is the RFC 3461 ORCPT value ("rfc822;user@example.org"), if any.
	ORcpt string `json:"orcpt,omitempty"`
	// Status is the RFC 3463 status of the last failure ("5.1.1"), if known.
	Status string `json:"status,omitempty"`
	// Error is the text of the last failure for this recipient.
	Error string `json:"error,omitempty"`
	// Reply holds the server's reply lines for the last failure, for the bounce's
	// Diagnostic-Code.
	Reply []string `json:"reply,omitempty"`
}

// wantsBounce reports whether the sender asked to hear about a failure for r.
func (r *Recipient) wantsBounce() bool {
	return len(r.Notify) == 0 || slices.Contains(r.Notify, NotifyFailure)
}

// Envelope is everything the queue keeps about a message besides its bytes: whom it is
// from and to, which msmtp account sends it, and how delivery has gone so far.
type Envelope struct {
	// ID is set by Enqueue; it is ignored on input.
	ID ID `json:"id"`
	// Account is the msmtprc account that delivers the message; ConfigFile is the
	// msmtprc it comes from. The queue only uses the pair to group messages into one
	// session (AccountRef); the Transport interprets them.
	Account    string `json:"account,omitempty"`
	ConfigFile string `json:"config_file,omitempty"`
	// Sender is the envelope sender (MAIL FROM) without angle brackets; empty for the
	// null reverse-path <>, which is never sent a bounce.
	Sender string `json:"sender"`
	// Recipients are the envelope recipients, in order.
	Recipients []Recipient `json:"recipients"`
	// Ret and EnvID are the RFC 3461 RET and ENVID parameters of MAIL FROM, if given.
	Ret   string `json:"ret,omitempty"`
	EnvID string `json:"envid,omitempty"`
	// Created is when the message was queued; the queue's clock sets it when zero.
	// Expiry counts from it.
	Created time.Time `json:"created"`
	// Attempts counts delivery attempts that ended in a temporary failure.
	Attempts int `json:"attempts"`
	// LastAttempt and NextAttempt are when the message was last tried and when it is
	// due again (zero: due now).
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// LastError is the text of the last temporary failure.
	LastError string `json:"last_error,omitempty"`
	// Extras holds whatever the caller needs to deliver the message later (say, msmtp
	// command-line settings). The queue stores it and never looks inside.
	Extras map[string]string `json:"extras,omitempty"`
}

// Pending returns the recipients still to be delivered, in order.
func (e *Envelope) Pending() []Recipient {
	var p []Recipient
	for _, r := range e.Recipients {
		if r.State == StatePending {
			p = append(p, r)
		}
	}
	return p
}

// Clone returns a deep copy of e, so that a caller may change it freely.
func (e Envelope) Clone() Envelope {
	c := e
	c.Recipients = make([]Recipient, len(e.Recipients))
	for i, r := range e.Recipients {
		r.Notify = slices.Clone(r.Notify)
		r.Reply = slices.Clone(r.Reply)
		c.Recipients[i] = r
	}
	if e.Extras != nil {
		c.Extras = make(map[string]string, len(e.Extras))
		for k, v := range e.Extras {
			c.Extras[k] = v
		}
	}
	return c
}

// AccountRef names the msmtprc account of a message: the key that groups queued messages
// into one Transport session.
type AccountRef struct {
	ConfigFile string
	Account    string
}

// Ref returns the account that delivers e.
func (e *Envelope) Ref() AccountRef {
	return AccountRef{ConfigFile: e.ConfigFile, Account: e.Account}
}

// envelopeVersion is the version of the envelope file format this package writes. A file
// with a larger version was written by a newer program: it is left alone, not quarantined.
const envelopeVersion = 1

// maxEnvelopeSize bounds what the parser reads, so that a damaged or hostile file cannot
// make it allocate without limit. Real envelopes are a few hundred bytes per recipient.
const maxEnvelopeSize = 4 << 20

// envelopeFile is the on-disk form: the envelope plus a format version.
type envelopeFile struct {
	Version int `json:"version"`
	*Envelope
}

var errNewerVersion = errors.New("written by a newer version of msmtp")

// marshalEnvelope returns the envelope file for e.
func marshalEnvelope(e *Envelope) ([]byte, error) {
	b, err := json.MarshalIndent(envelopeFile{Version: envelopeVersion, Envelope: e}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// parseEnvelope reads an envelope file. It rejects anything it did not write itself:
// unknown fields, trailing data, bad states, addresses with control characters. An error
// wrapping errNewerVersion means the file is valid for a newer program.
func parseEnvelope(b []byte) (Envelope, error) {
	var e Envelope
	if len(b) > maxEnvelopeSize {
		return e, errors.New("file too large")
	}
	// The version is read first, so that a newer file is recognised even when its
	// other fields would not parse here.
	var v struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return e, err
	}
	if v.Version == nil {
		return e, errors.New("no version field")
	}
	if *v.Version > envelopeVersion {
		return e, fmt.Errorf("format version %d: %w", *v.Version, errNewerVersion)
	}
	if *v.Version != envelopeVersion {
		return e, fmt.Errorf("unsupported format version %d", *v.Version)
	}
	// json.Unmarshal above has already refused anything after the object.
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&envelopeFile{Envelope: &e}); err != nil {
		return Envelope{}, err
	}
	if err := e.validate(); err != nil {
		return Envelope{}, err
	}
	return e, nil
}

// validate checks what the queue relies on: a usable ID, at least one recipient, known
// states and DSN values, and no control characters in anything that ends up in a bounce's
// header fields or an SMTP command.
func (e *Envelope) validate() error {
	if !e.ID.Valid() {
		return fmt.Errorf("%w %q", ErrInvalidID, e.ID)
	}
	if err := checkText("sender", e.Sender); err != nil {
		return err
	}
	if len(e.Recipients) == 0 {
		return errors.New("no recipients")
	}
	for i, r := range e.Recipients {
		if r.Address == "" {
			return fmt.Errorf("recipient %d: empty address", i+1)
		}
		if err := checkText("recipient", r.Address); err != nil {
			return err
		}
		if !r.State.valid() {
			return fmt.Errorf("recipient %s: unknown state %q", r.Address, r.State)
		}
		if err := checkNotify(r.Notify); err != nil {
			return fmt.Errorf("recipient %s: %w", r.Address, err)
		}
		if err := checkText("ORCPT", r.ORcpt); err != nil {
			return err
		}
		if err := checkText("status", r.Status); err != nil {
			return err
		}
		for _, l := range r.Reply {
			if err := checkText("reply", l); err != nil {
				return err
			}
		}
	}
	switch e.Ret {
	case "", ReturnFull, ReturnHeaders:
	default:
		return fmt.Errorf("unknown RET value %q", e.Ret)
	}
	if err := checkText("ENVID", e.EnvID); err != nil {
		return err
	}
	if e.Created.IsZero() {
		return errors.New("no creation time")
	}
	if e.Attempts < 0 {
		return errors.New("negative attempt count")
	}
	for _, t := range []time.Time{e.Created, e.LastAttempt, e.NextAttempt} {
		// encoding/json cannot write years outside 0–9999; refusing them here keeps
		// every envelope that parses writable again.
		if _, err := t.MarshalJSON(); err != nil {
			return err
		}
	}
	for k := range e.Extras {
		if k == "" {
			return errors.New("empty extras key")
		}
	}
	return nil
}

func checkNotify(n []string) error {
	for i, v := range n {
		switch v {
		case NotifyNever:
			if len(n) != 1 {
				return errors.New("NOTIFY=NEVER combined with other values")
			}
		case NotifySuccess, NotifyFailure, NotifyDelay:
			if slices.Contains(n[:i], v) {
				return fmt.Errorf("NOTIFY value %s repeated", v)
			}
		default:
			return fmt.Errorf("unknown NOTIFY value %q", v)
		}
	}
	return nil
}

// checkText rejects control characters (and invalid UTF-8) in a value that is written into
// a header field or command line, where a CR or LF would inject further lines.
func checkText(what, s string) error {
	if !isCleanText(s) {
		return fmt.Errorf("%s %q contains control characters", what, s)
	}
	return nil
}

func isCleanText(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

// oneLine turns an error text into one printable, valid UTF-8 line for an envelope, a
// bounce or a log: control characters become blanks, runs of blanks one.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	return strings.Join(strings.Fields(s), " ")
}
