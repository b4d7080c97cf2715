package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/good/*.msmtprc are resolved once per account (-a NAME), once without -a and
// once per "# from: ADDRESS" comment (-f ADDRESS), in sendmail mode with --pretend, and the
// results are compared with NAME.golden: the informational lines, then every setting with
// where its value came from, or the error. Run with -update to rewrite the golden files.
//
// testdata/bad/*.msmtprc are resolved with -P (plus the arguments of a "# args: ..."
// comment) and must fail; NAME.err holds the kind and the exact error text.

// goodRuns lists the command lines a good configuration file is tried with.
func goodRuns(t *testing.T, name string, data []byte) [][]string {
	t.Helper()
	f, err := Parse(bytes.NewReader(data), name, ParseOptions{Home: "/home/tester", Eval: newFakeEnv().run})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var runs [][]string
	for _, a := range f.Accounts {
		runs = append(runs, []string{"-a", a.Name})
	}
	runs = append(runs, nil)
	for _, from := range commentValues(data, "from") {
		runs = append(runs, []string{"-f", from})
	}
	return runs
}

// commentValues returns the values of "# KEY: VALUE" comment lines.
func commentValues(data []byte, key string) []string {
	var vals []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "# "+key+": "); ok {
			vals = append(vals, v)
		}
	}
	return vals
}

func TestGoodConfigs(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/good/*.msmtprc")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good configurations: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.ToSlash(file) // the same golden text on Windows
			var b strings.Builder
			for _, args := range goodRuns(t, file, data) {
				args = append([]string{"-C", file, "-P"}, args...)
				fmt.Fprintf(&b, "### msmtp %s\n", strings.Join(args, " "))
				f := newFakeEnv()
				f.add(file, string(data))
				req, err := request(t, args...)
				if err != nil {
					t.Fatal(err)
				}
				req.Env = f.env()
				var info strings.Builder
				req.Info = &info
				a, err := Resolve(req)
				b.WriteString(info.String())
				if err != nil {
					fmt.Fprintf(&b, "error (%v): %v\n\n", kindOf(t, err), err)
					continue
				}
				b.WriteString(dumpWithOrigins(a))
				b.WriteString("\n")
			}
			checkGolden(t, strings.TrimSuffix(file, ".msmtprc")+".golden", b.String())
		})
	}
}

// dumpWithOrigins is the --pretend output with each setting's origin added.
func dumpWithOrigins(a *Account) string {
	var b strings.Builder
	if a.File != "" {
		fmt.Fprintf(&b, "using account %s from %s\n", a.Name, a.File)
	}
	for _, l := range pretendLines(a, ModeSendmail) {
		fmt.Fprintf(&b, "%-50s # %s\n", l.label+" = "+l.value, a.Origin(l.key))
	}
	return b.String()
}

func TestBadConfigs(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/bad/*.msmtprc")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad configurations: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.ToSlash(file)
			args := []string{"-C", file, "-P"}
			for _, a := range commentValues(data, "args") {
				args = append(args, strings.Fields(a)...)
			}
			f := newFakeEnv()
			f.add(file, string(data))
			req, err := request(t, args...)
			if err == nil {
				req.Env = f.env()
				_, err = Resolve(req)
			}
			if err == nil {
				t.Fatalf("%s resolved without an error", file)
			}
			checkGolden(t, strings.TrimSuffix(file, ".msmtprc")+".err", fmt.Sprintf("%v: %v\n", kindOf(t, err), err))
		})
	}
}
