package queue

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	def := Backoff{}
	custom := Backoff{Initial: 5 * time.Minute, Max: 3 * time.Hour, Expiry: 24 * time.Hour}
	tests := []struct {
		b        Backoff
		attempts int
		want     time.Duration
	}{
		{def, 0, time.Minute},
		{def, 1, time.Minute},
		{def, 2, 2 * time.Minute},
		{def, 3, 4 * time.Minute},
		{def, 8, 128 * time.Minute},
		{def, 9, 4 * time.Hour}, // 256 min is past the cap
		{def, 10, 4 * time.Hour},
		{def, 1000, 4 * time.Hour}, // no overflow
		{custom, 1, 5 * time.Minute},
		{custom, 2, 10 * time.Minute},
		{custom, 6, 160 * time.Minute},
		{custom, 7, 3 * time.Hour},
		{Backoff{Initial: time.Hour, Max: time.Minute}, 3, time.Hour}, // Max below Initial
	}
	for _, tt := range tests {
		if got := tt.b.Delay(tt.attempts); got != tt.want {
			t.Errorf("%+v.Delay(%d) = %v, want %v", tt.b, tt.attempts, got, tt.want)
		}
	}
}

// The schedule of one message over five days: doubling to four hours, the last attempt
// exactly at expiry, and expiry after that.
func TestBackoffSchedule(t *testing.T) {
	t.Parallel()
	b := Backoff{}.withDefaults()
	created := t0
	now := created
	var waits []time.Duration
	for attempts := 1; ; attempts++ {
		if b.expired(created, now) {
			break
		}
		next := b.next(created, now, attempts)
		waits = append(waits, next.Sub(now))
		now = next
		if attempts > 100 {
			t.Fatal("never expires")
		}
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128}
	for i, w := range want {
		if waits[i] != w*time.Minute {
			t.Errorf("wait %d = %v, want %v", i+1, waits[i], w*time.Minute)
		}
	}
	for i := len(want); i < len(waits)-1; i++ {
		if waits[i] != 4*time.Hour {
			t.Errorf("wait %d = %v, want 4h", i+1, waits[i])
		}
	}
	if last := waits[len(waits)-1]; last <= 0 || last > 4*time.Hour {
		t.Errorf("last wait = %v", last)
	}
	if !now.Equal(created.Add(DefaultExpiry)) {
		t.Errorf("last attempt at %v, want exactly the expiry %v", now, created.Add(DefaultExpiry))
	}
	// 8 doubling waits (4h15m), 28 of 4 h (112 h), and 45 min to the 120th hour.
	if len(waits) != 37 {
		t.Errorf("%d attempts in five days, want 38", len(waits)+1)
	}
}
