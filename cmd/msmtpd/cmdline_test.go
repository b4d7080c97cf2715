package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseShellCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		// For a command run directly: its words and where the first %F is.
		words       []string
		fWord, fOff int
		// For a command that needs the shell: the script.
		script string
	}{
		{name: "upstream default", in: "/usr/bin/msmtp -f %F --", words: []string{"/usr/bin/msmtp", "-f", "%F", "--"}, fWord: 2},
		{name: "no %F", in: "msmtp --", words: []string{"msmtp", "--"}, fWord: -1},
		{name: "%F inside a word", in: "msmtp --from=%F --", words: []string{"msmtp", "--from=%F", "--"}, fWord: 1, fOff: 7},
		{name: "only the first %F", in: "msmtp -f %F -x %F", words: []string{"msmtp", "-f", "%F", "-x", "%F"}, fWord: 2},
		{name: "quotes are fine", in: `'my prog' -a "work acct" -f '%F' "%F"`, words: []string{"my prog", "-a", "work acct", "-f", "%F", "%F"}, fWord: 4},
		{name: "backslashes are fine", in: `my\ prog -f \%F a\\b`, words: []string{"my prog", "-f", "%F", `a\b`}, fWord: 2},
		{name: "backslash in double quotes", in: `prog "a\b\"c\\" "\%F"`, words: []string{"prog", `a\b"c\`, `\%F`}, fWord: 2, fOff: 1},
		{name: "empty quoted word", in: `prog '' x`, words: []string{"prog", "", "x"}, fWord: -1},
		{name: "hash inside a word", in: "msmtp -a work#1 -f %F", words: []string{"msmtp", "-a", "work#1", "-f", "%F"}, fWord: 4},
		{name: "line continuation", in: "msmtp -f %F \\\n --", words: []string{"msmtp", "-f", "%F", "--"}, fWord: 2},
		{name: "equals after the first word", in: "msmtp -oX=y -f %F", words: []string{"msmtp", "-oX=y", "-f", "%F"}, fWord: 3},

		{name: "upstream test's command", in: "cat > mail; echo > rcpt", script: "cat > mail; echo > rcpt"},
		{name: "pipe", in: "msmtp -f %F -- | tee x", script: `msmtp -f "${1}" -- | tee x`},
		{name: "assignment", in: "FOO=bar msmtp -f %F", script: `FOO=bar msmtp -f "${1}"`},
		{name: "builtin", in: "exec msmtp -f %F --", script: `exec msmtp -f "${1}" --`},
		{name: "exit builtin", in: "exit 75", script: "exit 75"},
		{name: "tilde", in: "~/bin/msmtp -f %F", script: `~/bin/msmtp -f "${1}"`},
		{name: "glob", in: "msmtp -f %F *.conf", script: `msmtp -f "${1}" *.conf`},
		{name: "comment", in: "msmtp -f %F # send it", script: `msmtp -f "${1}" # send it`},
		{name: "single quotes", in: "echo '<%F>'; :", script: `echo '<'"${1}"'>'; :`},
		{name: "double quotes", in: `echo "<%F>"; :`, script: `echo "<${1}>"; :`},
		{name: "escaped", in: `echo \%F; :`, script: `echo "${1}"; :`},
		{name: "backslash in double quotes stays", in: `echo "\%F"; :`, script: `echo "\\${1}"; :`},
		{name: "command substitution", in: `echo $(printf %F)`, script: `echo $(printf "${1}")`},
		{name: "command substitution in double quotes", in: `echo "$(printf %F)"`, script: `echo "$(printf "${1}")"`},
		{name: "backquotes", in: "echo `printf %F`", script: "echo `printf \"${1}\"`"},
		{name: "parameter default", in: `echo ${X:-%F}`, script: `echo ${X:-"${1}"}`},
		{name: "parameter default in double quotes", in: `echo "${X:-%F}"`, script: `echo "${X:-${1}}"`},
		{name: "only the first %F in a script", in: "echo %F %F; :", script: `echo "${1}" %F; :`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseShellCommand(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if tt.script != "" {
				if !got.shell || got.script != tt.script {
					t.Errorf("parseShellCommand(%q): shell %v, script %q; want shell, %q", tt.in, got.shell, got.script, tt.script)
				}
				return
			}
			if got.shell {
				t.Fatalf("parseShellCommand(%q) needs the shell (script %q); want words %q", tt.in, got.script, tt.words)
			}
			if diff := cmp.Diff(tt.words, got.words); diff != "" {
				t.Errorf("parseShellCommand(%q) words (-want +got):\n%s", tt.in, diff)
			}
			if got.fWord != tt.fWord || tt.fWord >= 0 && got.fOff != tt.fOff {
				t.Errorf("parseShellCommand(%q): %%F at word %d offset %d; want %d, %d", tt.in, got.fWord, got.fOff, tt.fWord, tt.fOff)
			}
		})
	}
}

func TestParseShellCommandErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "   ", "msmtp 'unterminated", `msmtp "unterminated`, "echo $(unterminated", "echo `unterminated", "echo ${unterminated"} {
		if got, err := parseShellCommand(in); err == nil {
			t.Errorf("parseShellCommand(%q) = %+v; want an error", in, got)
		}
	}
}

func TestCommandTemplateArgv(t *testing.T) {
	t.Parallel()
	rcpts := []string{"r1@example.org", "r2@example.org"}
	tests := []struct {
		in   string
		from string
		want []string
	}{
		{"msmtp -f %F --", "a@example.com", []string{"msmtp", "-f", "a@example.com", "--", "r1@example.org", "r2@example.org"}},
		{"msmtp --from=%F -x %F", "a@example.com", []string{"msmtp", "--from=a@example.com", "-x", "%F", "r1@example.org", "r2@example.org"}},
		{"msmtp --", "a@example.com", []string{"msmtp", "--", "r1@example.org", "r2@example.org"}},
		{"cat >x; echo", "a@example.com", []string{shellPath, "-c", `cat >x; echo "${1}" "${2}"`, shellName, "r1@example.org", "r2@example.org"}},
		{"cat >x; echo -f %F", "a@example.com", []string{shellPath, "-c", `cat >x; echo -f "${1}" "${2}" "${3}"`, shellName, "a@example.com", "r1@example.org", "r2@example.org"}},
	}
	for _, tt := range tests {
		tmpl, err := parseShellCommand(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, tmpl.argv(tt.from, rcpts)); diff != "" {
			t.Errorf("%q: argv (-want +got):\n%s", tt.in, diff)
		}
	}
	// Positional parameters past 9 need braces: "$10" would be "${1}0".
	tmpl, _ := parseShellCommand("echo;")
	many := make([]string, 12)
	argv := tmpl.argv("", many)
	if !strings.HasSuffix(argv[2], ` "${11}" "${12}"`) {
		t.Errorf("12 recipients: script %q", argv[2])
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"a@example.org":         "a@example.org",
		"/usr/bin/msmtp":        "/usr/bin/msmtp",
		"":                      "''",
		"a b":                   "'a b'",
		"it's":                  `'it'\''s'`,
		`"q"@x`:                 `'"q"@x'`,
		"$(reboot)@x":           "'$(reboot)@x'",
		"C:/Program Files/x":    "'C:/Program Files/x'",
		"line\nbreak":           "'line\nbreak'",
		"x;y|z&`w`":             "'x;y|z&`w`'",
		"unicode-jörg@example":  "'unicode-jörg@example'",
		"%F":                    "%F",
		"--from=a@example.org,": "--from=a@example.org,",
	}
	for in, want := range tests {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitWindowsCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in          string
		want        []string
		fWord, fOff int
	}{
		{`C:\msmtp\msmtp.exe -f %F --`, []string{`C:\msmtp\msmtp.exe`, "-f", "%F", "--"}, 2, 0},
		{`"C:\Program Files\msmtp\msmtp.exe" -f %F --`, []string{`C:\Program Files\msmtp\msmtp.exe`, "-f", "%F", "--"}, 2, 0},
		{`"C:\dir\" next`, []string{`C:\dir\`, "next"}, -1, 0},
		{`prog --from=%F`, []string{"prog", "--from=%F"}, 1, 7},
		{`prog "a b" c`, []string{"prog", "a b", "c"}, -1, 0},
		{`prog a\\b`, []string{"prog", `a\\b`}, -1, 0},
		{`prog a\"b`, []string{"prog", `a"b`}, -1, 0},
		{`prog a\\\"b`, []string{"prog", `a\"b`}, -1, 0},
		{`prog "a\\"b`, []string{"prog", `a\b`}, -1, 0},
		{`prog "a""b"`, []string{"prog", `a"b`}, -1, 0},
		{`prog "" x`, []string{"prog", "", "x"}, -1, 0},
		{"  prog\t a  ", []string{"prog", "a"}, -1, 0},
		{`prog "%F"`, []string{"prog", "%F"}, 1, 0},
		{`prog -x %F %F`, []string{"prog", "-x", "%F", "%F"}, 2, 0},
	}
	for _, tt := range tests {
		got, fWord, fOff := splitWindowsCommandLine(tt.in, strings.Index(tt.in, "%F"))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("split(%q) (-want +got):\n%s", tt.in, diff)
		}
		if fWord != tt.fWord || fWord >= 0 && fOff != tt.fOff {
			t.Errorf("split(%q): %%F at %d/%d, want %d/%d", tt.in, fWord, fOff, tt.fWord, tt.fOff)
		}
	}
	if _, err := parseWindowsCommand("  "); err == nil {
		t.Error("parseWindowsCommand of blanks: no error")
	}
	tmpl, err := parseWindowsCommand(`"C:\Program Files\msmtp\msmtp.exe" -f %F --`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`C:\Program Files\msmtp\msmtp.exe`, "-f", "MAILER-DAEMON", "--", `"x y"@z`}
	if diff := cmp.Diff(want, tmpl.argv("MAILER-DAEMON", []string{`"x y"@z`})); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
}

func TestQuoteWindowsArg(t *testing.T) {
	t.Parallel()
	for _, p := range []string{`C:\msmtp\msmtp.exe`, `C:\Program Files\msmtp\msmtp.exe`, `C:\a b\`} {
		words, _, _ := splitWindowsCommandLine(quoteWindowsArg(p)+" -f %F --", -1)
		if len(words) != 4 || words[0] != p {
			t.Errorf("quoteWindowsArg(%q) splits back to %q", p, words)
		}
	}
}

func FuzzParseShellCommand(f *testing.F) {
	for _, s := range []string{"msmtp -f %F --", `echo "${X:-%F}" | x`, "echo `a %F`", `a\%F "\%F" '%F'`, "$((1+2)) %F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const from, rcpt = "SENDER.7f3a@x", "RCPT.c01d@y"
		if strings.Contains(s, "7f3a") || strings.Contains(s, "c01d") {
			return
		}
		tmpl, err := parseShellCommand(s)
		if err != nil {
			return
		}
		argv := tmpl.argv(from, []string{rcpt})
		if !tmpl.shell {
			// Run directly: the sender lands inside one word, replacing exactly one %F.
			if tmpl.fWord >= 0 && !strings.Contains(argv[tmpl.fWord], from) {
				t.Fatalf("%q: sender not in word %d of %q", s, tmpl.fWord, argv)
			}
			if argv[len(argv)-1] != rcpt {
				t.Fatalf("%q: recipient not last in %q", s, argv)
			}
			return
		}
		// Through the shell: the addresses are only ever parameters, never script text.
		if strings.Contains(argv[2], from) || strings.Contains(argv[2], rcpt) {
			t.Fatalf("%q: an address is in the script %q", s, argv[2])
		}
	})
}

func FuzzSplitWindowsCommandLine(f *testing.F) {
	for _, s := range []string{`"C:\a b\x.exe" -f %F --`, `p a\\\"b "c""d" %F`, `"`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mark := strings.Index(s, "%F")
		words, w, off := splitWindowsCommandLine(s, mark)
		if w >= 0 && (w >= len(words) || off+2 > len(words[w]) || words[w][off:off+2] != "%F") {
			t.Fatalf("%q: mark at word %d offset %d of %q", s, w, off, words)
		}
	})
}
