package queue

import (
	"context"
	"time"
)

// DefaultPoll is how often Serve looks at the directory when it has nothing else to wake
// it: for messages that other processes queued (msmtp --queue-only into msmtpd's queue) and
// for messages that were busy in another runner.
const DefaultPoll = time.Minute

// minWait keeps Serve from spinning when a message is due but cannot be handled now (held
// by another runner, or its result could not be recorded).
const minWait = time.Second

// ServeOptions configure Serve.
type ServeOptions struct {
	// RunOptions are used for every run. IDs and Force are usually left empty: they
	// would make the runner retry the same messages without back-off.
	RunOptions
	// Poll is the longest Serve waits between two runs; zero means DefaultPoll.
	Poll time.Duration
}

// Serve is the background runner of msmtpd: it runs the queue at start (taking up what a
// previous process left), then again whenever a message is due, a message was queued
// through this Queue, or Poll has passed, until ctx ends. It then returns nil. Stopping
// is safe at any moment: an attempt that ctx interrupts is not counted and its message
// stays queued unchanged; a message is never half-updated, because every change is an
// atomic rename.
//
// Run one Serve per Queue: a second one would only compete for the same wake-ups.
func (q *Queue) Serve(ctx context.Context, opts ServeOptions) error {
	if opts.Transport == nil {
		return ErrNoTransport
	}
	poll := opts.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	for {
		// A wake-up from before this run is redundant: the run lists the directory
		// afresh. One that arrives during the run makes the next run start at once.
		select {
		case <-q.wake:
		default:
		}
		rep, err := q.Run(ctx, opts.RunOptions)
		if err != nil {
			q.log.Error("queue: run failed", "dir", q.dir, "error", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		wait := poll
		if !rep.NextDue.IsZero() {
			wait = min(poll, max(rep.NextDue.Sub(q.clock.Now()), minWait))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-q.wake:
		case <-q.clock.After(wait):
		}
	}
}
