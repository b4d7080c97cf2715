package auth_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/msmtp-go/msmtp/pkg/auth"
)

// recordVerify returns a VerifyFunc that accepts joe/s3cret and records what it was given.
func recordVerify(got *[]string) auth.VerifyFunc {
	return func(user, password string) error {
		*got = append(*got, user+"/"+password)
		if user == "joe" && password == "s3cret" {
			return nil
		}
		return auth.ErrInvalidCredentials
	}
}

func TestPlainServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ir         []byte // nil: no initial response
		response   string // the response to the empty challenge when ir is nil
		wantErr    error
		wantVerify []string
	}{
		{name: "initial response", ir: []byte("\x00joe\x00s3cret"), wantVerify: []string{"joe/s3cret"}},
		// msmtpd 1.8.33 accepts any authorization identity (1.8.23 required it empty).
		{name: "any authzid", ir: []byte("admin\x00joe\x00s3cret"), wantVerify: []string{"joe/s3cret"}},
		{name: "after 334", response: "\x00joe\x00s3cret", wantVerify: []string{"joe/s3cret"}},
		{name: "wrong password", ir: []byte("\x00joe\x00nope"), wantErr: auth.ErrInvalidCredentials, wantVerify: []string{"joe/nope"}},
		{name: "one NUL", ir: []byte("joe\x00s3cret"), wantErr: auth.ErrMalformedResponse},
		{name: "three NULs", ir: []byte("\x00joe\x00s3cret\x00"), wantErr: auth.ErrMalformedResponse},
		{name: "empty", ir: []byte{}, wantErr: auth.ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			s := auth.NewPlainServer(recordVerify(&got))
			resp := tt.ir
			if resp == nil {
				ch, done, err := s.Next(nil)
				if err != nil || done || ch == nil || len(ch) != 0 {
					t.Fatalf("first Next(nil) = %q, %v, %v; want an empty challenge", ch, done, err)
				}
				resp = []byte(tt.response)
			}
			ch, done, err := s.Next(resp)
			if !done || ch != nil {
				t.Errorf("Next = %q, done %v; want the end", ch, done)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantVerify) {
				t.Errorf("verify saw %q, want %q", got, tt.wantVerify)
			}
			// Only one attempt.
			if _, _, err := s.Next([]byte("\x00joe\x00s3cret")); !errors.Is(err, auth.ErrMalformedResponse) {
				t.Errorf("second response: %v, want ErrMalformedResponse", err)
			}
		})
	}
}

func TestLoginServer(t *testing.T) {
	t.Parallel()
	t.Run("prompts", func(t *testing.T) {
		t.Parallel()
		var got []string
		s := auth.NewLoginServer(recordVerify(&got))
		ch, done, err := s.Next(nil)
		if err != nil || done || base64.StdEncoding.EncodeToString(ch) != "VXNlcm5hbWU6" {
			t.Fatalf("first challenge %q (%v, %v), want 334 VXNlcm5hbWU6", ch, done, err)
		}
		ch, done, err = s.Next([]byte("joe"))
		if err != nil || done || base64.StdEncoding.EncodeToString(ch) != "UGFzc3dvcmQ6" {
			t.Fatalf("second challenge %q (%v, %v), want 334 UGFzc3dvcmQ6", ch, done, err)
		}
		_, done, err = s.Next([]byte("s3cret"))
		if err != nil || !done {
			t.Fatalf("final: %v, %v", done, err)
		}
		if _, _, err := s.Next([]byte("more")); !errors.Is(err, auth.ErrMalformedResponse) {
			t.Errorf("after the end: %v", err)
		}
		if fmt.Sprint(got) != "[joe/s3cret]" {
			t.Errorf("verify saw %q", got)
		}
	})
	t.Run("user as initial response", func(t *testing.T) {
		t.Parallel()
		var got []string
		s := auth.NewLoginServer(recordVerify(&got))
		ch, _, _ := s.Next([]byte("joe"))
		if string(ch) != "Password:" {
			t.Fatalf("challenge %q, want Password:", ch)
		}
		if _, done, err := s.Next([]byte("wrong")); !done || !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("final: %v, %v", done, err)
		}
		if fmt.Sprint(got) != "[joe/wrong]" {
			t.Errorf("verify saw %q", got)
		}
	})
}

func TestPasswords(t *testing.T) {
	t.Parallel()
	const (
		hash2a = "$2a$04$M/Qcn/vcjoiX6mBLhRO3ienRp0Y7uKuC5cynQp9oVIyjPjFXLEgQm" // Go, "s3cret"
		hash2y = "$2y$04$ijqMQ1lMsZheZcSYO5V0kekyCANpGpDYC9C5rTpvhcJSozuXp.8gK" // PHP password_hash, "s3cret"
	)
	hash2b := "$2b$" + strings.TrimPrefix(hash2a, "$2a$")
	tests := []struct {
		stored, given string
		hashed, ok    bool
	}{
		{hash2a, "s3cret", true, true},
		{hash2a, "s3cret ", true, false},
		{hash2b, "s3cret", true, true},
		{hash2y, "s3cret", true, true},
		{hash2y, "S3cret", true, false},
		{"s3cret", "s3cret", false, true},
		{"s3cret", "s3cre", false, false},
		{"s3cret", "s3cretX", false, false},
		{"", "", false, true},
		{"", "x", false, false},
		{"$2x$ not a hash", "$2x$ not a hash", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.stored+"/"+tt.given, func(t *testing.T) {
			t.Parallel()
			p, err := auth.ParsePassword(tt.stored)
			if err != nil {
				t.Fatal(err)
			}
			if p.Hashed() != tt.hashed {
				t.Errorf("Hashed() = %v", p.Hashed())
			}
			err = p.Verify(tt.given)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, auth.ErrInvalidCredentials)) {
				t.Errorf("Verify(%q) = %v, want ok=%v", tt.given, err, tt.ok)
			}
		})
	}
	for _, bad := range []string{"$2a$", "$2y$04$short", "$2b$99$M/Qcn/vcjoiX6mBLhRO3ienRp0Y7uKuC5cynQp9oVIyjPjFXLEgQm"} {
		if _, err := auth.ParsePassword(bad); err == nil {
			t.Errorf("ParsePassword(%q) accepted a malformed hash", bad)
		}
	}
	// A plain password may look like a hash.
	if err := auth.PlainPassword(hash2a).Verify(hash2a); err != nil {
		t.Errorf("PlainPassword: %v", err)
	}
	p, _ := auth.ParsePassword("s3cret")
	// %p on a non-pointer makes fmt print the raw struct, bypassing String: the value must
	// sit behind a pointer. (The verbs come from a slice: vet objects to a literal %p here.)
	for _, verb := range []string{"%p", "%v", "%s", "%+v", "%#v", "%x", "%q"} {
		for _, arg := range []any{p, &p, auth.Users{"joe": p}, struct{ P auth.Password }{p}} {
			if s := fmt.Sprintf(verb, arg); strings.Contains(s, "s3cret") || strings.Contains(s, "733363726574") {
				t.Errorf("Sprintf(%q, %T) = %q shows the password", verb, arg, s)
			}
		}
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	hashed, err := auth.ParsePassword("$2y$04$ijqMQ1lMsZheZcSYO5V0kekyCANpGpDYC9C5rTpvhcJSozuXp.8gK")
	if err != nil {
		t.Fatal(err)
	}
	users := auth.Users{"joe": hashed, "ann": auth.PlainPassword("pw")}
	tests := []struct {
		user, password string
		ok             bool
	}{
		{"joe", "s3cret", true},
		{"joe", "pw", false},
		{"ann", "pw", true},
		{"ann", "s3cret", false},
		{"Joe", "s3cret", false},
		{"bob", "s3cret", false},
		{"", "", false},
	}
	for _, tt := range tests {
		err := users.Verify(tt.user, tt.password)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, auth.ErrInvalidCredentials)) {
			t.Errorf("Verify(%q, %q) = %v, want ok=%v", tt.user, tt.password, err, tt.ok)
		}
	}
	// Users.Verify plugs into the servers.
	s := auth.NewPlainServer(users.Verify)
	if _, _, err := s.Next([]byte("\x00ann\x00pw")); err != nil {
		t.Errorf("PLAIN with Users: %v", err)
	}
}
