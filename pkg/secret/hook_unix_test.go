//go:build unix

package secret

import (
	"context"
	"errors"
	"io"
	"testing"
)

// Hook hands pkg/config the line, or the bare cause, which config words itself.
func TestHook(t *testing.T) {
	t.Parallel()
	run := (&Runner{}).Hook(context.Background())
	if out, err := run("printf 'secret\\n'"); err != nil || out != "secret" {
		t.Errorf("output %q, %v", out, err)
	}
	_, err := run("true")
	var ee *EvalError
	if !errors.Is(err, io.EOF) || errors.As(err, &ee) {
		t.Errorf("no output: err = %#v, want the cause (io.EOF) without the EvalError around it", err)
	}
}
