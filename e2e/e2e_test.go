// Package e2e runs the real msmtp binary the way real software runs sendmail, against real
// or capturing SMTP servers: testscript scripts (testdata/script), the argv of real callers
// (callers_test.go), real client programs such as PHP, git send-email and mailx
// (clients_test.go), real servers such as aiosmtpd, smtp-sink and upstream's msmtpd
// (peers_test.go), and a differential test against Debian's msmtp 1.8.23 (diff_test.go).
//
// The package holds only tests. Every test that needs a program that is not ours skips when
// it is missing; .ci/install-peers installs them all.
package e2e

import (
	"os"
	"testing"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.Main(m)) }
