package queue

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// goodEnvelope is a complete envelope file as this version writes it.
const goodEnvelope = `{
  "version": 1,
  "id": "M0001",
  "account": "work",
  "config_file": "/home/joe/.msmtprc",
  "sender": "joe@example.org",
  "recipients": [
    {
      "address": "ann@example.com",
      "state": "pending",
      "notify": [
        "FAILURE",
        "DELAY"
      ],
      "orcpt": "rfc822;ann@example.com",
      "status": "4.4.1",
      "error": "connection refused",
      "reply": [
        "421 4.4.1 try later"
      ]
    },
    {
      "address": "bob@example.com",
      "state": "delivered"
    }
  ],
  "ret": "HDRS",
  "envid": "QQ314159",
  "created": "2026-03-02T09:30:00Z",
  "attempts": 2,
  "last_attempt": "2026-03-02T09:33:00Z",
  "next_attempt": "2026-03-02T09:37:00Z",
  "last_error": "connection refused",
  "extras": {
    "read_envelope_from": "on"
  }
}
`

func TestEnvelopeRoundTrip(t *testing.T) {
	t.Parallel()
	e, err := parseEnvelope([]byte(goodEnvelope))
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != "M0001" || e.Account != "work" || len(e.Recipients) != 2 || e.Recipients[0].Notify[1] != "DELAY" ||
		e.Attempts != 2 || !e.NextAttempt.Equal(t0.Add(7*time.Minute)) || e.Extras["read_envelope_from"] != "on" {
		t.Errorf("parsed %+v", e)
	}
	b, err := marshalEnvelope(&e)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != goodEnvelope {
		t.Errorf("marshal(parse(x)) != x:\n%s", b)
	}
	// Optional fields really are optional.
	minimal := `{"version":1,"id":"A","sender":"","recipients":[{"address":"x@y","state":"failed"}],"created":"2026-03-02T09:30:00+01:00","attempts":0}`
	if _, err := parseEnvelope([]byte(minimal)); err != nil {
		t.Errorf("minimal envelope: %v", err)
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	t.Parallel()
	edit := func(old, new string) string {
		if !strings.Contains(goodEnvelope, old) {
			t.Fatalf("%q not in the good envelope", old)
		}
		return strings.Replace(goodEnvelope, old, new, 1)
	}
	tests := []struct {
		name, file, want string
	}{
		{"empty", "", "unexpected end of JSON input"},
		{"not JSON", "version=1\n", "invalid character"},
		{"truncated", goodEnvelope[:len(goodEnvelope)/2], "unexpected end"},
		{"no version", edit(`"version": 1,`, ""), "no version field"},
		{"old version", edit(`"version": 1`, `"version": 0`), "unsupported format version 0"},
		{"version as string", edit(`"version": 1`, `"version": "1"`), "cannot unmarshal"},
		{"unknown field", edit(`"attempts": 2`, `"attempts": 2, "priority": 1`), "unknown field"},
		{"trailing data", goodEnvelope + "{}", "after top-level value"},
		{"bad ID", edit(`"id": "M0001"`, `"id": "../../etc/passwd"`), "invalid queue ID"},
		{"empty ID", edit(`"id": "M0001"`, `"id": ""`), "invalid queue ID"},
		{"no recipients", `{"version":1,"id":"A","sender":"","recipients":[],"created":"2026-03-02T09:30:00Z","attempts":0}`, "no recipients"},
		{"empty address", edit(`"address": "bob@example.com"`, `"address": ""`), "empty address"},
		{"CR in address", edit(`"address": "bob@example.com"`, `"address": "bob@example.com\r\nX: y"`), "control characters"},
		{"NUL in sender", edit(`"sender": "joe@example.org"`, `"sender": "joe\u0000@example.org"`), "control characters"},
		{"unknown state", edit(`"state": "delivered"`, `"state": "lost"`), "unknown state"},
		{"missing state", edit(`"state": "delivered"`, `"orcpt": "x"`), "unknown state"},
		{"NEVER and more", edit(`"FAILURE"`, `"NEVER"`), "NEVER combined"},
		{"repeated NOTIFY", edit(`"DELAY"`, `"FAILURE"`), "repeated"},
		{"unknown NOTIFY", edit(`"DELAY"`, `"SOMETIMES"`), "unknown NOTIFY"},
		{"bad RET", edit(`"ret": "HDRS"`, `"ret": "BODY"`), "unknown RET"},
		{"LF in ENVID", edit(`"envid": "QQ314159"`, `"envid": "a\nb"`), "control characters"},
		{"LF in reply", edit(`"421 4.4.1 try later"`, `"421 a\nb"`), "control characters"},
		{"no created", edit(`"created": "2026-03-02T09:30:00Z",`, ""), "no creation time"},
		{"bad time", edit(`"2026-03-02T09:30:00Z"`, `"yesterday"`), "cannot parse"},
		{"negative attempts", edit(`"attempts": 2`, `"attempts": -1`), "negative attempt count"},
		{"empty extras key", edit(`"read_envelope_from"`, `""`), "empty extras key"},
		{"too large", goodEnvelope + strings.Repeat(" ", maxEnvelopeSize), "file too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseEnvelope([]byte(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseEnvelope = %v, want an error containing %q", err, tt.want)
			}
			if errors.Is(err, errNewerVersion) {
				t.Errorf("%v must not count as a newer version", err)
			}
		})
	}
}

// A file from a newer program is recognised as such even when the rest would not parse
// here, so that Run leaves it alone instead of quarantining it.
func TestParseEnvelopeNewerVersion(t *testing.T) {
	t.Parallel()
	_, err := parseEnvelope([]byte(`{"version": 2, "id": "A", "shiny": true}`))
	if !errors.Is(err, errNewerVersion) {
		t.Errorf("parseEnvelope = %v, want errNewerVersion", err)
	}
}

func TestIDValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   ID
		want bool
	}{
		{"M0001", true},
		{"6754A3C1F0E2B9", true},
		{"a_b-c", true},
		{ID(strings.Repeat("a", 64)), true},
		{ID(strings.Repeat("a", 65)), false},
		{"", false},
		{"-a", false},
		{"_a", false},
		{".env", false},
		{"a.b", false},
		{"a/b", false},
		{`a\b`, false},
		{"..", false},
		{"a b", false},
		{"ä", false},
	}
	for _, tt := range tests {
		if got := tt.id.Valid(); got != tt.want {
			t.Errorf("ID(%q).Valid() = %v, want %v", tt.id, got, tt.want)
		}
	}
}

// FuzzEnvelope checks that the parser never panics and that everything it accepts is
// written back as a file it accepts again, unchanged: no envelope can get the queue
// stuck on a file it wrote itself.
func FuzzEnvelope(f *testing.F) {
	f.Add([]byte(goodEnvelope))
	f.Add([]byte(`{"version":1,"id":"A","sender":"","recipients":[{"address":"x@y","state":"failed"}],"created":"2026-03-02T09:30:00+01:00","attempts":0}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"id":"A","recipients":[{"address":"x","state":"pending","notify":["NEVER"]}],"created":"0001-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseEnvelope(b)
		if err != nil {
			return
		}
		out, err := marshalEnvelope(&e)
		if err != nil {
			t.Fatalf("accepted envelope cannot be written: %v", err)
		}
		e2, err := parseEnvelope(out)
		if err != nil {
			t.Fatalf("written envelope does not parse: %v\n%s", err, out)
		}
		out2, err := marshalEnvelope(&e2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
