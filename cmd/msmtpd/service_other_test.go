//go:build !windows

package main

import (
	"context"
	"strings"
	"testing"
)

// TestServiceOnlyOnWindows checks that the service commands say clearly where they work.
func TestServiceOnlyOnWindows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"msmtpd", "service", "install", "--port=25"}, "msmtpd: service: the service commands work only on Windows; elsewhere"},
		{[]string{"msmtpd", "service", "status"}, "msmtpd: service: the service commands work only on Windows; elsewhere"},
		{[]string{"msmtpd", "--service=msmtpd", "--port=25"}, "msmtpd: --service works only on Windows\n"},
	} {
		var stdout, stderr strings.Builder
		code := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr, envMap(nil))
		if code != exitCannotStart || stdout.Len() > 0 || !strings.HasPrefix(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 3 and %q", tc.args, code, stdout.String(), stderr.String(), tc.want)
		}
	}
}
