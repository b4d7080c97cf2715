package relay_test

import (
	"fmt"
	"testing"

	"github.com/msmtp-go/msmtp/pkg/oauth2"
	"github.com/msmtp-go/msmtp/pkg/relay"
)

// A revoked OAuth2 grant is the relay's problem, not the mail's: the client retries.
func TestErrorReplyReauth(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("dial: %w", &oauth2.ReauthRequiredError{Account: "gmail"})
	r := relay.ErrorReply(err)
	if r.Code != 451 {
		t.Errorf("reply %v, want 451", r)
	}
	if e, ok := r.Enhanced(); !ok || e.Class != 4 {
		t.Errorf("reply %v has no 4.x.x enhanced code", r)
	}
}
