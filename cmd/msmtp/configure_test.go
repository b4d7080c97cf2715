package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

type fakeSRV map[string][]*net.SRV

func (f fakeSRV) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	key := "_" + service + "._" + proto + "." + name
	if r, ok := f[key]; ok {
		return key, r, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", Name: key, IsNotFound: true}
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	dns := fakeSRV{
		"_submissions._tcp.both.example": {{Target: "mail.both.example.", Port: 465, Priority: 10, Weight: 1}},
		"_submission._tcp.both.example":  {{Target: "mail.both.example.", Port: 587}},
		"_submission._tcp.start.example": {
			{Target: "b.other.example.", Port: 2587, Priority: 5, Weight: 1},
			{Target: "a.other.example.", Port: 587, Priority: 5, Weight: 10},
			{Target: "c.other.example.", Port: 25, Priority: 1, Weight: 0},
			{Target: ".", Port: 0, Priority: 0},
		},
		"_submissions._tcp.xn--exmple-cua.org": {{Target: "smtp.xn--exmple-cua.org.", Port: 465}},
		"_submissions._tcp.none.example":       {{Target: ".", Port: 0}},
	}
	tests := []struct {
		addr, goos string
		want       []string // lines that must be present, in order
		notWant    string
		err        string
		code       sysexits.Code
	}{
		{addr: "joe@both.example", goos: "linux", want: []string{
			"# - copy this to your configuration file /home/joe/.msmtprc",
			"# - add your password to the key ring:",
			"#   secret-tool store --label=msmtp host mail.both.example service smtp user joe",
			"account joe@both.example", "host mail.both.example", "port 465", "tls on", "tls_starttls off", "auth on", "user joe", "from joe@both.example",
		}, notWant: "warning"},
		{addr: "joe@start.example", goos: "linux", want: []string{
			"# - warning: the host does not match the mail domain; please check",
			"host c.other.example", "port 25", "tls_starttls on",
		}},
		{addr: "jörg@exämple.org", goos: "darwin", want: []string{
			"#   security add-internet-password -s smtp.exämple.org -r smtp -a jörg -w", "host smtp.exämple.org", "tls_starttls off",
		}, notWant: "warning"},
		{addr: "a@b@both.example", goos: "windows", want: []string{
			"#   cmdkey /generic:msmtp:smtp/a@b@mail.both.example /user:a@b /pass", "user a@b",
		}},
		{addr: "x", err: "automatic configuration based on SRV records failed: invalid mail address", code: sysexits.DataErr},
		{addr: "@y", err: "automatic configuration based on SRV records failed: invalid mail address", code: sysexits.DataErr},
		{addr: "x@", err: "automatic configuration based on SRV records failed: invalid mail address", code: sysexits.DataErr},
		{addr: "x@y.invalid", err: "automatic configuration based on SRV records failed: no SRV records for _submissions._tcp.y.invalid or _submission._tcp.y.invalid", code: sysexits.NoHost},
		{addr: "x@none.example", err: "no SRV records for _submissions._tcp.none.example", code: sysexits.NoHost},
	}
	for _, tt := range tests {
		var out strings.Builder
		err := runConfigure(context.Background(), dns, configureInput{address: tt.addr, confFile: "/home/joe/.msmtprc", goos: tt.goos}, &out)
		if tt.err != "" {
			var ce *configureError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.err) || ce.code != tt.code {
				t.Errorf("%s: err = %v, want %q (exit %d)", tt.addr, err, tt.err, tt.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.addr, err)
			continue
		}
		got := out.String()
		pos := 0
		for _, w := range tt.want {
			i := strings.Index(got[pos:], w+"\n")
			if i < 0 {
				t.Errorf("%s: output lacks %q after position %d:\n%s", tt.addr, w, pos, got)
				break
			}
			pos += i + len(w)
		}
		if tt.notWant != "" && strings.Contains(got, tt.notWant) {
			t.Errorf("%s: output has %q:\n%s", tt.addr, tt.notWant, got)
		}
	}
}
