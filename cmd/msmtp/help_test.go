package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/NAME, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test -update and review the diff)\ngot:\n%s", path, got)
	}
}

func TestHelpGolden(t *testing.T) {
	// Not parallel: -update writes files.
	for _, prog := range []string{"msmtp", "sendmail"} {
		golden(t, filepath.Join("help", prog+".golden"), HelpText(prog))
	}
}

// TestHelpShape checks the properties of the help that callers and the spec rely on,
// independently of the wording (spec-cli-config.md §1.8, C-02, C-75).
func TestHelpShape(t *testing.T) {
	t.Parallel()
	help := HelpText("sendmail")
	lines := strings.Split(strings.TrimSuffix(help, "\n"), "\n")
	if lines[0] != "Usage:" || lines[1] != "" {
		t.Errorf("help does not start with Usage: and a blank line: %q", lines[:2])
	}
	// C-75: the usage lines name the program as invoked.
	for _, want := range []string{
		"  sendmail [option...] [--] recipient...",
		"  sendmail [option...] -t [--] [recipient...]",
		"  sendmail --configure=mailaddress",
		"  sendmail [option...] --serverinfo",
		"  sendmail [option...] --rmqs=host|@domain|#queue",
		"  sendmail [option...] -bs",
	} {
		if !strings.Contains(help, want+"\n") {
			t.Errorf("help lacks the usage line %q", want)
		}
	}
	if strings.Contains(help, "msmtp [option") {
		t.Error("help for sendmail names msmtp in a usage line")
	}
	// C-02: it ends with the ignored options, a blank line and where to report bugs.
	n := len(lines)
	if lines[n-1] != "Report bugs at <"+bugReportURL+">." || lines[n-2] != "" {
		t.Errorf("help ends with %q", lines[n-3:])
	}
	ignored := strings.Join(lines[:n-2], "\n")
	ignored = ignored[strings.LastIndex(ignored, "Accepted but ignored: "):]
	ignored = strings.Join(strings.Fields(ignored), " ")
	if want := "Accepted but ignored: -A, -B, -bm, -D, -e, -G, -h, -L, -M, -m, -n, -O, -o, -p, -Q, -U"; ignored != want {
		t.Errorf("ignored options:\n got %q\nwant %q", ignored, want)
	}
	for _, g := range helpGroups() {
		if !strings.Contains(help, "\n"+g.title+"\n") {
			t.Errorf("group %q missing", g.title)
		}
	}
	for i, l := range lines {
		if len(l) > helpWidth {
			t.Errorf("line %d is %d columns wide: %q", i+1, len(l), l)
		}
		// Option lines: the description starts in column 31 when the option fits.
		if strings.HasPrefix(l, "  -") && len(l) > helpColumn {
			opt := strings.TrimSpace(l[:helpColumn])
			if len("  "+opt) < helpColumn && (l[helpColumn-1] != ' ' || l[helpColumn] == ' ') {
				t.Errorf("line %d: description not in column %d: %q", i+1, helpColumn, l)
			}
		}
	}
}

func TestWriteWrapped(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	long := strings.Repeat("x", 100)
	writeWrapped(&b, "> ", "  ", "a "+long+" b")
	if got, want := b.String(), "> a\n  "+long+"\n  b\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	b.Reset()
	writeWrapped(&b, "> ", "  ", "")
	if b.String() != "> \n" {
		t.Errorf("empty text: %q", b.String())
	}
}

func versionInfo(goos, arch, user string) VersionInfo {
	sys := "/etc/msmtprc"
	if goos == "windows" {
		sys = `C:\ProgramData\msmtp\msmtprc.txt`
	}
	return VersionInfo{
		Version: "1.8.33-go.1", GOOS: goos, GOARCH: arch, GoVersion: "go1.26.8",
		IDN: goos != "freebsd", SystemConfigFile: sys, UserConfigFile: user,
	}
}

func TestVersionGolden(t *testing.T) {
	for _, v := range []VersionInfo{
		versionInfo("linux", "amd64", "/home/joe/.msmtprc"),
		versionInfo("darwin", "arm64", "/Users/joe/.msmtprc"),
		versionInfo("windows", "amd64", `C:\Users\joe\AppData\Roaming\msmtprc.txt`),
		versionInfo("freebsd", "amd64", "/home/joe/.config/msmtp/config"),
	} {
		golden(t, filepath.Join("version", v.GOOS+".golden"), VersionText(v))
	}
}

func TestVersionContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		goos    string
		keyring string
	}{
		{"linux", "Secret Service (D-Bus)"},
		{"freebsd", "Secret Service (D-Bus)"},
		{"darwin", "macOS Keychain"},
		{"windows", "Windows Credential Manager"},
		{"plan9", "none"},
	}
	for _, tt := range tests {
		v := versionInfo(tt.goos, "amd64", "/u/.msmtprc")
		text := VersionText(v)
		lines := strings.Split(text, "\n")
		// C-01: scripts look for "msmtp version X" on the first line.
		if lines[0] != "msmtp version 1.8.33-go.1" {
			t.Errorf("%s: first line %q", tt.goos, lines[0])
		}
		for _, want := range []string{
			"\nSupported authentication methods:\nscram-sha-256-plus scram-sha-1-plus scram-sha-256 scram-sha-1 plain external oauthbearer cram-md5 login xoauth2\n",
			"\nTLS/SSL library: Go crypto/tls\n",
			"\nKeyring support: " + tt.keyring + "\n",
			"\nSystem configuration file name: " + v.SystemConfigFile + "\n",
			"\nUser configuration file name: /u/.msmtprc\n",
			"Platform: " + tt.goos + "/amd64",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: version text lacks %q:\n%s", tt.goos, want, text)
			}
		}
	}
	on, off := versionInfo("linux", "amd64", "u"), versionInfo("linux", "amd64", "u")
	on.IDN, off.IDN = true, false
	if !strings.Contains(VersionText(on), "\nIDN support: enabled\n") || !strings.Contains(VersionText(off), "\nIDN support: disabled\n") {
		t.Error("IDN line does not follow VersionInfo.IDN")
	}
}
