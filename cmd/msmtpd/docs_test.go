package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/msmtpd.1")

const (
	sampleFile  = "../../docs/msmtpd.toml"
	manPageFile = "../../docs/msmtpd.1"
)

// exampleLine is a commented-out setting in the sample: "# key = value" or "# [[user]]".
var exampleLine = regexp.MustCompile(`^# ([a-z_]+ = .*|\[\[user\]\])$`)

// TestSampleConfig checks docs/msmtpd.toml: it parses as it is; each group of commented-out
// example lines parses when uncommented (so every example value is valid); and it shows
// every setting.
func TestSampleConfig(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	parse := func(text string) error {
		// Any file an example names "exists" and holds a password.
		sys := fakeSystem(nil, nil)
		sys.readFile = func(name string) ([]byte, error) {
			if name == "/etc/msmtpd.toml" {
				return []byte(text), nil
			}
			return []byte("secret\n"), nil
		}
		table := settingTable()
		inv, err := parseArgs([]string{"msmtpd", "--config=/etc/msmtpd.toml", "--tls-self-signed"}, table, sys.lookupEnv)
		if err != nil {
			return err
		}
		_, err = loadOptions(inv, table, sys.lookupEnv, sys.readFile)
		return err
	}
	if err := parse(string(data)); err != nil {
		t.Fatalf("the sample as it is: %v", err)
	}
	groups := 0
	for i := 0; i < len(lines); {
		if !exampleLine.MatchString(lines[i]) {
			i++
			continue
		}
		j := i
		for j < len(lines) && exampleLine.MatchString(lines[j]) {
			j++
		}
		variant := append([]string(nil), lines...)
		for k := i; k < j; k++ {
			variant[k] = strings.TrimPrefix(variant[k], "# ")
		}
		err := parse(strings.Join(variant, "\n"))
		group := strings.Join(lines[i:j], " | ")
		if err != nil {
			t.Errorf("line %d, %s: %v", i+1, group, err)
		}
		groups++
		i = j
	}
	if groups < 20 {
		t.Errorf("only %d example groups found: is the sample commented as the test expects?", groups)
	}
	for _, s := range settingTable() {
		if !regexp.MustCompile(`(?m)^# (` + s.key + ` = |\[\[` + s.key + `\]\])`).Match(data) {
			t.Errorf("the sample does not show %s", s.key)
		}
	}
}

// TestManPageSettings keeps docs/msmtpd.1 in step with the settings table: the part between
// the SETTINGS markers is generated (go test -run TestManPageSettings -update rewrites it),
// and every option, key and environment variable is documented.
func TestManPageSettings(t *testing.T) {
	data, err := os.ReadFile(manPageFile)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = ".\\\" BEGIN GENERATED SETTINGS\n", ".\\\" END GENERATED SETTINGS\n"
	text := string(data)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("%s: no generated settings section", manPageFile)
	}
	want := text[:i+len(begin)] + manSettings(settingTable()) + text[j:]
	if want != text {
		if *update {
			if err := os.WriteFile(manPageFile, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			t.Errorf("%s: the settings section is stale; run go test ./cmd/msmtpd -run TestManPageSettings -update", manPageFile)
		}
	}
	for _, s := range settingTable() {
		for _, name := range []string{s.key, s.env, s.flag} {
			if name != "" && !strings.Contains(want, roffEscape(name)) {
				t.Errorf("%s does not mention %s", manPageFile, name)
			}
		}
	}
}

// manSettings renders the settings table for the man page: one tagged paragraph per
// setting, with its key, option, environment variable, default and description.
func manSettings(table []setting) string {
	var b strings.Builder
	for _, s := range table {
		b.WriteString(".TP\n")
		head := `\fB` + roffEscape(s.key) + `\fR`
		var where []string
		if s.flag != "" {
			where = append(where, roffOption(s))
		}
		if s.env != "" {
			env := `\fB` + roffEscape(s.env) + `\fR`
			if s.secret {
				env += ` or \fB` + roffEscape(s.env) + `_FILE\fR`
			}
			where = append(where, env)
		}
		if s.secret {
			where = append(where, `\fB`+roffEscape(s.key)+`_file\fR in the file`)
		}
		if s.kind == kindUsers {
			where = append(where, "configuration file only")
		}
		if len(where) > 0 {
			head += " (" + strings.Join(where, ", ") + ")"
		}
		b.WriteString(head + "\n")
		b.WriteString(roffText(s.doc) + "\n")
		switch {
		case s.defDoc != "":
			b.WriteString("Default: " + roffText(s.defDoc) + ".\n")
		case s.def != "":
			b.WriteString(`Default: \fB` + roffEscape(s.def) + "\\fR.\n")
		}
		if s.kind == kindList && s.flag != "" {
			b.WriteString("The option may be repeated.\n")
		}
	}
	return b.String()
}

// roffOption shows an option as the synopsis does: \fB\-\-port\fR=\fInumber\fR.
func roffOption(s setting) string {
	opt := `\fB` + roffEscape(s.flagSpelling()) + `\fR`
	switch {
	case s.kind == kindBool:
	case s.optionalArg:
		opt += `[=\fI` + roffEscape(s.arg) + `\fR]`
	default:
		opt += `=\fI` + roffEscape(s.arg) + `\fR`
	}
	if s.short != 0 {
		opt = `\fB\-` + string(s.short) + `\fR, ` + opt
	}
	return opt
}

// roffEscape escapes text for roff: backslashes, and hyphens as minus signs (so that
// options can be copied from the rendered page).
func roffEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	return strings.ReplaceAll(s, "-", `\-`)
}

// roffText escapes prose and renders `code` in bold. A line that would start with a dot or
// quote is protected.
func roffText(s string) string {
	parts := strings.Split(s, "`")
	for i, p := range parts {
		if i%2 == 1 {
			parts[i] = `\fB` + roffEscape(p) + `\fR`
		} else {
			parts[i] = strings.ReplaceAll(p, `\`, `\e`)
		}
	}
	out := strings.Join(parts, "")
	if strings.HasPrefix(out, ".") || strings.HasPrefix(out, "'") {
		out = `\&` + out
	}
	return out
}
