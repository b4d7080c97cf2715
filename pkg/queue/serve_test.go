package queue

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestServe(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	clk.waiting = make(chan time.Duration)
	q, _ := newQueue(t, Options{Clock: clk})
	// Left by a previous process: taken up at start.
	old := mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), mail("old"))
	var attempts atomic.Int32
	tr := &fakeTransport{rule: func(m *Message, _ string) Outcome {
		if m.Envelope.ID == old && attempts.Add(1) == 1 {
			return Outcome{Status: Deferred, Text: "try later"}
		}
		return Outcome{Status: Delivered}
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- q.Serve(ctx, ServeOptions{RunOptions: RunOptions{Transport: tr}}) }()

	// First run at start: deferred; Serve sleeps until the message is due.
	if d := <-clk.waiting; d != time.Minute {
		t.Errorf("first wait %v, want the 1 min back-off", d)
	}
	equalLines(t, "after start", tr.Events(), []string{"open default", "send " + string(old), "close"})
	clk.Advance(time.Minute)
	if d := <-clk.waiting; d != DefaultPoll {
		t.Errorf("idle wait %v, want %v", d, DefaultPoll)
	}
	if got := len(tr.Sent()); got != 2 {
		t.Fatalf("%d sends after the back-off, want 2", got)
	}

	// A new message wakes Serve at once, without the clock moving.
	id := mustEnqueue(t, q, env("joe@example.org", "bob@example.com"), mail("new"))
	<-clk.waiting
	s := tr.Sent()
	if len(s) != 3 || s[2].Envelope.ID != id {
		t.Fatalf("new message not sent on wake-up: %d sent, events %q", len(s), tr.Events())
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after cancel", err)
	}
	if l := mustList(t, q); len(l) != 0 {
		t.Errorf("left: %v", ids(l))
	}
	if err := q.Serve(context.Background(), ServeOptions{}); !errors.Is(err, ErrNoTransport) {
		t.Errorf("Serve without transport = %v", err)
	}
}

// Stopping Serve in the middle of a delivery loses nothing and counts no attempt.
func TestServeShutdownMidSend(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, Options{})
	id := mustEnqueue(t, q, env("joe@example.org", "ann@example.com"), mail("x"))
	tr := &fakeTransport{block: make(chan struct{}), inSend: make(chan ID, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- q.Serve(ctx, ServeOptions{RunOptions: RunOptions{Transport: tr}, Poll: time.Hour}) }()
	<-tr.inSend
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l := mustList(t, q)
	if len(l) != 1 || l[0].Envelope.ID != id || l[0].Envelope.Attempts != 0 || l[0].Envelope.LastError != "" {
		t.Errorf("after shutdown: %+v", l)
	}
	// Not locked: the next process takes it up.
	tr2 := &fakeTransport{}
	mustRun(t, q, RunOptions{Transport: tr2})
	if len(tr2.Sent()) != 1 {
		t.Errorf("not delivered after restart")
	}
}
