package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestTable checks the invariants the rest of the package relies on.
func TestTable(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	options := map[string]bool{}
	pretendKeys := map[Key]int{}
	for _, d := range table {
		for _, n := range append([]string{d.name}, d.synonyms...) {
			if names[n] {
				t.Errorf("command %s defined twice", n)
			}
			names[n] = true
		}
		for _, o := range append([]string{d.option}, d.optionSynonyms...) {
			if o != "" && options[o] {
				t.Errorf("option --%s defined twice", o)
			}
			options[o] = true
		}
		if d.doc == "" {
			t.Errorf("%s has no documentation", d.name)
		}
		if d.group == groupStructure {
			continue
		}
		if d.v.set == nil {
			t.Errorf("%s cannot be set", d.name)
		}
		if d.key == "" && !d.ignore {
			t.Errorf("%s sets no key", d.name)
		}
		if (d.option == "") != (d.optionArg == OptionArgNone) {
			t.Errorf("%s: option %q with argument kind %v", d.name, d.option, d.optionArg)
		}
		if d.pretend != "" {
			pretendKeys[d.key]++
			if d.v.show == nil || d.v.copy == nil {
				t.Errorf("%s is printed but lacks show or copy", d.name)
			}
			if d.sendmail != (d.group == groupSendmail || d.group == groupQueue) {
				t.Errorf("%s: sendmail-only printing does not match its group", d.name)
			}
		}
	}
	want := []Key{
		KeyHost, KeyPort, KeySourceIP, KeyProxyHost, KeyProxyPort, KeySocket, KeyTimeout, KeyProtocol, KeyDomain,
		KeyAuth, KeyUser, KeyPassword, KeyPasswordEval, KeyNTLMDomain, KeyTLS, KeyTLSStartTLS, KeyTLSTrustFile,
		KeyTLSCRLFile, KeyTLSFingerprint, KeyTLSKeyFile, KeyTLSCertFile, KeyTLSCertCheck, KeyTLSMinDHPrimeBits,
		KeyTLSPriorities, KeyTLSHostOverride, KeyAutoFrom, KeyMailDomain, KeyFrom, KeyFromFullName,
		KeyAllowFromOverride, KeySetFromHeader, KeySetDateHeader, KeySetMsgIDHeader, KeySetToHeader,
		KeyRemoveBccHeaders, KeyDSNNotify, KeyDSNReturn, KeyLogfile, KeyLogfileTimeFormat, KeySyslog, KeyAliases,
	}
	// Our extensions print only when they are in use (pretendIf), so upstream's layout is
	// the list above whatever they add.
	wantExtensions := []Key{
		KeyOAuth2Provider, KeyOAuth2ClientID, KeyOAuth2ClientSecret, KeyOAuth2ClientSecretEval, KeyOAuth2Tenant,
		KeyOAuth2AuthEndpoint, KeyOAuth2TokenEndpoint, KeyOAuth2DeviceEndpoint, KeyOAuth2Scopes, KeyOAuth2TokenStore,
		KeyQueue, KeyQueueDir, KeyQueueExitCode, KeyQueueRetryMin, KeyQueueRetryMax, KeyQueueExpire,
	}
	var upstream, extensions []Key
	for _, k := range keys() {
		if d := index().byKey[k]; d != nil && d.extension {
			extensions = append(extensions, k)
			if d.pretendIf == nil {
				t.Errorf("extension %s is printed by --pretend for every account", k)
			}
		} else {
			upstream = append(upstream, k)
		}
	}
	if !slices.Equal(upstream, want) {
		t.Errorf("keys in --pretend order:\n got %v\nwant %v", upstream, want)
	}
	if !slices.Equal(extensions, wantExtensions) {
		t.Errorf("extension keys in --pretend order:\n got %v\nwant %v", extensions, wantExtensions)
	}
	for _, k := range append(want, wantExtensions...) {
		if pretendKeys[k] != 1 {
			t.Errorf("key %s is printed %d times", k, pretendKeys[k])
		}
		if d := index().byKey[k]; d == nil || d.name != string(k) {
			t.Errorf("key %s is not defined by the command of the same name", k)
		}
	}
}

// TestOptions checks the option list that cmd/msmtp's parser is tested against.
func TestOptions(t *testing.T) {
	t.Parallel()
	got := map[string]OptionArg{}
	for _, o := range Options() {
		if _, dup := got[o.Name]; dup {
			t.Errorf("option %s listed twice", o.Name)
		}
		got[o.Name] = o.Arg
	}
	want := map[string]OptionArg{
		"host": OptionArgRequired, "port": OptionArgRequired, "timeout": OptionArgRequired, "connect-timeout": OptionArgRequired,
		"protocol": OptionArgRequired, "domain": OptionArgRequired, "auth": OptionArgOptional, "user": OptionArgRequired,
		"passwordeval": OptionArgRequired, "tls": OptionArgOptional, "tls-starttls": OptionArgOptional,
		"tls-trust-file": OptionArgRequired, "tls-crl-file": OptionArgRequired, "tls-fingerprint": OptionArgRequired,
		"tls-key-file": OptionArgRequired, "tls-cert-file": OptionArgRequired, "tls-certcheck": OptionArgOptional,
		"tls-force-sslv3": OptionArgOptional, "tls-min-dh-prime-bits": OptionArgRequired, "tls-priorities": OptionArgRequired,
		"tls-host-override": OptionArgRequired, "proxy-host": OptionArgRequired, "proxy-port": OptionArgRequired,
		"source-ip": OptionArgRequired, "socket": OptionArgRequired, "from": OptionArgRequired,
		"from-full-name": OptionArgRequired, "dsn-notify": OptionArgRequired, "dsn-return": OptionArgRequired,
		"logfile": OptionArgRequired, "logfile-time-format": OptionArgRequired, "syslog": OptionArgOptional,
		"aliases": OptionArgRequired, "set-from-header": OptionArgOptional, "set-date-header": OptionArgOptional,
		"set-msgid-header": OptionArgOptional, "set-to-header": OptionArgOptional, "remove-bcc-headers": OptionArgOptional,
		"undisclosed-recipients": OptionArgOptional, "add-missing-from-header": OptionArgOptional,
		"add-missing-date-header": OptionArgOptional, "keepbcc": OptionArgOptional, "auto-from": OptionArgOptional,
		"maildomain": OptionArgRequired, "queue": OptionArgOptional, "queue-dir": OptionArgRequired,
	}
	for name, arg := range want {
		if g, ok := got[name]; !ok || g != arg {
			t.Errorf("option %s: got %v (listed %v), want %v", name, g, ok, arg)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected option %s", name)
		}
	}
}

// TestOverridesSetErrors checks Set's contract beyond the values (C-15 to C-18 are in
// spec_test.go).
func TestOverridesSetErrors(t *testing.T) {
	t.Parallel()
	var o Overrides
	if err := o.Set("bogus", nil); err == nil || errors.As(err, new(*Error)) {
		t.Errorf("unknown option: %v", err)
	}
	if err := o.Set("port", nil); err == nil {
		t.Error("required argument missing: no error")
	}
	bad := "x"
	err := o.Set("tls-starttls", &bad)
	var ce *Error
	if !errors.As(err, &ce) || ce.Kind != KindUsage || !errors.Is(err, ErrInvalidArgument) || err.Error() != "invalid argument x for --tls-starttls" {
		t.Errorf("invalid value: %v", err)
	}
	if o.HostGiven() {
		t.Error("HostGiven without --host")
	}
	empty := ""
	if err := o.Set("host", &empty); err != nil || !o.HostGiven() {
		t.Errorf("--host=: %v, HostGiven %v", err, o.HostGiven())
	}
	var nilOverrides *Overrides
	if nilOverrides.HostGiven() {
		t.Error("nil Overrides has --host")
	}
}

// TestDocsUpToDate fails when docs/msmtprc.md does not match the table: run
// "go generate ./pkg/config".
func TestDocsUpToDate(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	if err := WriteMarkdown(&a); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("WriteMarkdown is not deterministic")
	}
	committed, err := os.ReadFile("../../docs/msmtprc.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(committed) != a.String() {
		t.Errorf("docs/msmtprc.md is stale; run go generate ./pkg/config:\n%s", lineDiff(string(committed), a.String()))
	}
	for _, d := range table {
		if !strings.Contains(a.String(), "\n### "+d.name+"\n") {
			t.Errorf("the reference lacks %s", d.name)
		}
	}
}

// TestRunFirstLine covers C-56 and C-57: what is taken from a command's output.
func TestRunFirstLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		out  string
		err  error
		want string
		msg  string
	}{
		{out: "secret", want: "secret"},
		{out: "secret\n", want: "secret"},
		{out: "secret\r\n", want: "secret"},
		{out: "secret\nother\n", want: "secret"},
		{out: " secret\n", want: " secret"},
		{out: "\nsecret\n", want: ""},
		{out: "sec ret \t\n", want: "sec ret \t"},
		{out: "a\r\r\n", want: "a\r"},
		{err: io.EOF, msg: "cannot read output of 'CMD'"},
		{err: errors.New("fork: \x07boom"), msg: "cannot evaluate 'CMD': fork: ?boom"},
	} {
		got, err := runFirstLine(func(string) (string, error) { return tc.out, tc.err }, "CMD")
		switch {
		case tc.msg != "":
			if err == nil || err.Error() != tc.msg || !errors.Is(err, ErrEval) {
				t.Errorf("output %q, %v: error %v, want %q", tc.out, tc.err, err, tc.msg)
			}
		case err != nil || got != tc.want:
			t.Errorf("output %q: got %q, %v; want %q", tc.out, got, err, tc.want)
		}
	}
	if _, err := runFirstLine(nil, "CMD"); err == nil {
		t.Error("no runner: no error")
	}
	// The password itself reaches the account intact: spaces and an empty line included.
	for _, pw := range []string{" secret", ""} {
		f := newFakeEnv()
		f.add(rcName, "host h\nauth on\npasswordeval x\n")
		env := f.env()
		env.PasswordEval = func(string) (string, error) { return pw + "\n", nil }
		a, err := Resolve(Request{File: Some(rcName), Pretend: true, Env: env})
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := a.Password.Reveal(); !ok || got != pw {
			t.Errorf("password %q (set %v), want %q", got, ok, pw)
		}
	}
}

// TestLocations checks where the configuration files are looked for, on Unix and Windows.
func TestLocations(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		os        string
		vars      map[string]string
		files     []string
		sys, user string
	}{
		{"unix", "linux", map[string]string{"HOME": "/h"}, nil, "/etc/msmtprc", "/h/.msmtprc"},
		{"unix xdg", "linux", map[string]string{"HOME": "/h", "XDG_CONFIG_HOME": "/x"}, []string{"/x/msmtp/config"}, "/etc/msmtprc", "/x/msmtp/config"},
		{"unix home slash", "freebsd", map[string]string{"HOME": "/"}, nil, "/etc/msmtprc", "/.msmtprc"},
		{"windows", "windows", map[string]string{"APPDATA": `C:\Users\joe\AppData\Roaming`, "ProgramData": `D:\PD`}, nil,
			`D:\PD\msmtp\msmtprc`, `C:\Users\joe\AppData\Roaming\msmtp\msmtprc`},
		{"windows defaults", "windows", map[string]string{"USERPROFILE": `C:\Users\joe`}, nil, `C:\ProgramData\msmtp\msmtprc`, `C:\Users\joe\.msmtprc`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeEnv()
			f.vars = tc.vars
			for _, name := range tc.files {
				f.add(name, "")
			}
			env := f.env()
			env.OS = tc.os
			if got := SystemFile(env); got != tc.sys {
				t.Errorf("SystemFile = %q, want %q", got, tc.sys)
			}
			if got := UserFile(env); got != tc.user {
				t.Errorf("UserFile = %q, want %q", got, tc.user)
			}
		})
	}
	// No permission check on Windows, whatever the mode.
	f := newFakeEnv()
	f.vars["APPDATA"] = `C:\AD`
	f.add(`C:\AD\msmtp\msmtprc`, "host h\npassword x\n").mode = 0o666
	env := f.env()
	env.OS = "windows"
	if _, err := Resolve(Request{Pretend: true, Env: env}); err != nil {
		t.Errorf("windows: %v", err)
	}
}

// TestOrigins checks the provenance of values: own commands, parents, defaults, the
// command line, computed values.
func TestOrigins(t *testing.T) {
	t.Parallel()
	f := newFakeEnv()
	f.add(rcName, "defaults\nport 587\naccount p\nhost ph\nfrom p@x\naccount c : p\nuser u\n")
	req, err := request(t, "-C", rcName, "-a", "c", "-P", "--tls", "--tls-certcheck=off")
	if err != nil {
		t.Fatal(err)
	}
	req.Env = f.env()
	a, err := Resolve(req)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[Key]Origin{
		KeyHost:         {Kind: OriginFile, File: rcName, Line: 4},
		KeyUser:         {Kind: OriginFile, File: rcName, Line: 7},
		KeyPort:         {Kind: OriginDefaults, File: rcName, Line: 2},
		KeyTLS:          {Kind: OriginCommandLine},
		KeyTLSTrustFile: {Kind: OriginComputed},
		KeyAuth:         {Kind: OriginBuiltIn},
	} {
		if got := a.Origin(k); got != want {
			t.Errorf("origin of %s = %+v, want %+v", k, got, want)
		}
	}
	if a.Explicit(KeyPort) || !a.Explicit(KeyHost) || !a.Explicit(KeyTLS) {
		t.Error("wrong explicit flags")
	}
	if s := a.Origin(KeyPort).String(); s != "defaults "+rcName+":2" {
		t.Errorf("Origin.String() = %q", s)
	}
	// Clones do not share state.
	c := a.Clone()
	c.setOrigin(KeyHost, Origin{Kind: OriginEnvironment})
	if a.Origin(KeyHost).Kind != OriginFile {
		t.Error("Clone shares origins")
	}
}

// TestSecret checks that a password does not leak through formatting.
func TestSecret(t *testing.T) {
	t.Parallel()
	s := NewSecret("hunter2")
	a := Defaults()
	a.Password = s
	for _, out := range []string{s.String(), s.GoString(), fmtAll(s), fmtAll(a)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("password leaked: %s", out)
		}
	}
	if v, ok := s.Reveal(); !ok || v != "hunter2" {
		t.Error("Reveal lost the password")
	}
	if (Secret{}).String() != "(not set)" || s.String() != "*" {
		t.Error("wrong --pretend form")
	}
}

func fmtAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s", v, v, v, v)
}
