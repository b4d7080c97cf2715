//go:build windows

package secret_test

import (
	"context"
	"errors"
	"testing"

	"github.com/msmtp-go/msmtp/pkg/secret"
)

// cmd.exe runs the command line as given: quotes inside it survive, `&` chains commands.
func TestEvalCmd(t *testing.T) {
	t.Parallel()
	tests := []struct{ cmd, want string }{
		{"echo secret", "secret"},
		{"echo first& echo second", "first"},
		{`echo "quoted arg" x`, `"quoted arg" x`},
		{`if "a"=="a" echo yes`, "yes"},
	}
	for _, tt := range tests {
		var r secret.Runner
		got, err := r.Eval(context.Background(), tt.cmd)
		if err != nil || got != tt.want {
			t.Errorf("Eval(%q) = %q, %v; want %q", tt.cmd, got, err, tt.want)
		}
	}
	var r secret.Runner
	_, err := r.Eval(context.Background(), "rem nothing")
	if !errors.Is(err, secret.ErrNoOutput) || err.Error() != "cannot read output of 'rem nothing'" {
		t.Errorf("no output: %v", err)
	}
}
