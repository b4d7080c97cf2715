package queue

import "time"

// Default retry policy: nullmailer and dma retry for 5 to 7 days, starting at a minute or
// a few and growing to hours (peers.md §1). Four hours between attempts keeps a long outage
// from costing more than a handful of logins a day at the provider.
const (
	DefaultInitialDelay = time.Minute
	DefaultMaxDelay     = 4 * time.Hour
	DefaultExpiry       = 5 * 24 * time.Hour
)

// Backoff is the retry policy: after the n-th temporary failure a message waits
// Initial·2^(n-1), at most Max; once it has been queued for Expiry, the next temporary
// failure is final and the message is returned to its sender. Zero fields take the
// defaults above.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Expiry  time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultInitialDelay
	}
	if b.Max <= 0 {
		b.Max = DefaultMaxDelay
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Expiry <= 0 {
		b.Expiry = DefaultExpiry
	}
	return b
}

// Delay returns how long a message waits after its attempts-th temporary failure
// (attempts ≥ 1; smaller values count as 1).
func (b Backoff) Delay(attempts int) time.Duration {
	b = b.withDefaults()
	d := b.Initial
	for i := 1; i < attempts; i++ {
		if d >= b.Max/2 {
			return b.Max
		}
		d *= 2
	}
	return min(d, b.Max)
}

// next returns when a message created at created and failed for the attempts-th time at
// now is due again. The last attempt is made at the expiry time itself rather than up to
// Max after it, so that a message is never returned later than promised.
func (b Backoff) next(created, now time.Time, attempts int) time.Time {
	b = b.withDefaults()
	t := now.Add(b.Delay(attempts))
	if deadline := created.Add(b.Expiry); t.After(deadline) && now.Before(deadline) {
		return deadline
	}
	return t
}

// expired reports whether a message created at created has been queued too long at now.
func (b Backoff) expired(created, now time.Time) bool {
	return !now.Before(created.Add(b.withDefaults().Expiry))
}
