package main

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestDemo runs the README's demo, so that the first command a newcomer types keeps working.
func TestDemo(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the demo builds the programs with the go command, which a Windows test binary under Wine does not have")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"MAIL FROM:<demo@example.org>\nRCPT TO:<alice@example.net>\nRCPT TO:<bob@example.net>\nRCPT TO:<secret@example.net>\n",
		"(msmtpd) with ESMTP;",
		"Subject: Hello from msmtp-go\n",
		"This mail went msmtp -> msmtpd -> msmtp -> the provider.\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Bcc:") {
		t.Errorf("the Bcc header reached the provider:\n%s", out.String())
	}
}
