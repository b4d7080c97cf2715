package smtptest

import (
	"strings"
	"sync"
	"testing"
)

// recordingTB captures Log calls and runs cleanups on demand.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	lines    []string
	cleanups []func()
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range args {
		r.lines = append(r.lines, a.(string))
	}
}

func (r *recordingTB) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func TestLogger(t *testing.T) {
	t.Parallel()
	rec := &recordingTB{TB: t}
	log := Logger(rec)
	log.Debug("session", "remote", "127.0.0.1:25")
	for _, f := range rec.cleanups {
		f()
	}
	log.Info("after the end") // dropped, no panic
	if len(rec.lines) != 1 || !strings.Contains(rec.lines[0], `level=DEBUG msg=session remote=127.0.0.1:25`) || strings.HasSuffix(rec.lines[0], "\n") {
		t.Errorf("logged %q", rec.lines)
	}
}
