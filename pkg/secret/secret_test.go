package secret_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"testing"

	"github.com/msmtp-go/msmtp/pkg/secret"
)

const password = "hunter2-Pa55"

// leaks reports whether s shows the password in any form fmt could produce.
func leaks(s string) bool {
	for _, form := range []string{password, fmt.Sprintf("%x", password), fmt.Sprintf("%X", password),
		"hunter2", "68756e74657232", "104 117 110"} {
		if strings.Contains(s, form) {
			return true
		}
	}
	return false
}

func TestSecretFmt(t *testing.T) {
	t.Parallel()
	s := secret.New(password)
	if s.Reveal() != password {
		t.Fatalf("Reveal() = %q", s.Reveal())
	}
	type account struct {
		User     string
		Password secret.Secret
		Ptr      *secret.Secret
	}
	acc := account{User: "joe", Password: s, Ptr: &s}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8v", "%T %v", "%p"} {
		for _, arg := range []any{s, &s, acc, &acc, []secret.Secret{s}, map[string]secret.Secret{"p": s}} {
			got := fmt.Sprintf(verb, arg)
			if leaks(got) {
				t.Errorf("Sprintf(%q, %T) = %q leaks the secret", verb, arg, got)
			}
		}
	}
	if got := fmt.Sprint(s); got != "*" {
		t.Errorf("Sprint = %q, want *", got)
	}
	if got := fmt.Sprintf("%#v", s); got != "*" {
		t.Errorf("%%#v = %q, want *", got)
	}
	if got := s.String(); got != secret.Redacted {
		t.Errorf("String() = %q", got)
	}
	if got := fmt.Sprintf("password = %v", acc.Password); got != "password = *" {
		t.Errorf("got %q", got)
	}
}

func TestSecretLog(t *testing.T) {
	t.Parallel()
	s := secret.New(password)
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(h)
		l.Info("auth", "password", s, "ptr", &s, slog.Any("any", s), slog.Group("g", "p", s))
	}
	log.New(&buf, "", 0).Printf("%v %s", s, &s)
	b, err := json.Marshal(struct{ P secret.Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	buf.Write(b)
	if leaks(buf.String()) {
		t.Errorf("log output leaks the secret:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), `password=*`) || !strings.Contains(buf.String(), `"password":"*"`) ||
		!strings.Contains(buf.String(), `{"P":"*"}`) {
		t.Errorf("redaction missing from:\n%s", buf.String())
	}
}

func TestSecretZero(t *testing.T) {
	t.Parallel()
	var z secret.Secret
	if z.Reveal() != "" || fmt.Sprint(z) != "*" || secret.New("").Reveal() != "" {
		t.Errorf("zero Secret: %q", z.Reveal())
	}
}
