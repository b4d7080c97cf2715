package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/testutil"
)

// runTimeout bounds every program a test runs.
const runTimeout = 60 * time.Second

// msmtpEnv returns the environment for a program run by a test: only what a program needs
// (PATH, the temporary directory, and on Windows what Windows needs), with every place
// msmtp looks for a configuration inside home, so that no real configuration is read.
func msmtpEnv(home string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"USER=tester",
		"LOGNAME=tester",
		"LC_ALL=C.UTF-8",
		"TZ=UTC",
	}
	for _, name := range []string{"TMPDIR", "TMP", "TEMP", "SYSTEMROOT", "WINDIR"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	if runtime.GOOS == "windows" {
		env = append(env,
			"USERPROFILE="+home,
			"APPDATA="+filepath.Join(home, "AppData", "Roaming"),
			"LOCALAPPDATA="+filepath.Join(home, "AppData", "Local"),
			"ProgramData="+filepath.Join(home, "ProgramData"))
	}
	return env
}

// run describes one run of a program.
type run struct {
	// Path is the program to run; it is also argv[0].
	Path string
	// Args are the arguments after argv[0].
	Args []string
	// Stdin is the standard input.
	Stdin string
	// Env is the environment; nil means msmtpEnv of a fresh directory.
	Env []string
	// Dir is the working directory; "" means the test's.
	Dir string
}

// result is what a run gave.
type result struct {
	Stdout, Stderr string
	Code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// execute runs r and returns its output and exit code. A program that cannot be started or
// does not end in time fails the test.
func execute(t testing.TB, r run) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.Path, r.Args...)
	cmd.Env = r.Env
	if cmd.Env == nil {
		cmd.Env = msmtpEnv(testutil.TempDir(t))
	}
	cmd.Dir = r.Dir
	cmd.Stdin = strings.NewReader(r.Stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %q did not end within %v\n%s", r.Path, r.Args, runTimeout, res)
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", r.Path, err)
	}
	return res
}

// msmtprc writes an msmtprc for the account "default" at 127.0.0.1:port into dir, with the
// given extra lines, and returns its path.
func msmtprc(t testing.TB, dir string, port int, lines ...string) string {
	t.Helper()
	return testutil.WriteFile(t, dir, "msmtprc", msmtprcText(port, lines...), 0o600)
}

// msmtprcText is the text of such a file.
func msmtprcText(port int, lines ...string) string {
	return "account default\nhost 127.0.0.1\nport " + strconv.Itoa(port) + "\n" + strings.Join(lines, "\n") + "\n"
}

// installAs makes the program bin available under the path name (inside a test directory),
// as a symbolic link where the system has them and as a copy on Windows, where a program
// must also end in ".exe". It returns the path to run.
func installAs(t testing.TB, bin, name string) string {
	t.Helper()
	p, err := install(bin, name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// install is installAs without the testing.TB, for the scripts' install command.
func install(bin, name string) (string, error) {
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return "", err
	}
	if runtime.GOOS != "windows" {
		return name, os.Symlink(bin, name)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	return name, os.WriteFile(name, data, 0o755)
}

// skipOnWindows skips a test of a peer that exists only on Unix-like systems.
func skipOnWindows(t testing.TB, peer string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skipf("%s runs only on Unix-like systems", peer)
	}
}

// lookPeer returns the path of a peer program, or skips the test when it is not installed.
func lookPeer(t testing.TB, name string) string {
	t.Helper()
	skipOnWindows(t, name)
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err != nil {
			t.Skipf("%s not installed (.ci/install-peers installs it): %v", name, err)
		}
		return name
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (.ci/install-peers installs it)", name)
	}
	return p
}

// peersDir is where .ci/install-peers unpacks the peers that must not be installed as the
// system's MTA.
func peersDir() string {
	if d := os.Getenv("MSMTP_PEERS_DIR"); d != "" {
		return d
	}
	return "/opt/msmtp-peers"
}

// Normalising a delivered mail for comparison with a file.
var (
	// The Date header msmtp generates: strftime "%a, %d %b %Y %H:%M:%S %z" in the C locale.
	generatedDate = regexp.MustCompile(`^Date: ((Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [+-][0-9]{4})$`)
	// The Message-ID msmtp 1.8.33 and we generate: 32 hexadecimal digits @ a domain.
	generatedMsgID = regexp.MustCompile(`^Message-ID: <[0-9a-f]{32}@([^<>@\s]+)>$`)
)

// Placeholders that normalizeMail puts in place of the generated values.
const (
	dateNow   = "Date: <now>"
	msgIDForm = "Message-ID: <ID@%s>"
)

// dateSlack is how far a generated Date may be from the time of the check.
const dateSlack = 10 * time.Minute

// normalizeMail turns mail data as received into text to compare with a file: every line
// must end in CRLF (msmtp sends nothing else), which becomes LF; in the header section a
// generated Date within dateSlack of now becomes "Date: <now>", and a generated Message-ID
// "Message-ID: <ID@domain>". Dates and IDs the mail had itself do not match these forms
// (tests use fixed dates in the past) and stay as they are. It reports a line that does not
// end in CRLF as an error.
func normalizeMail(data []byte, now time.Time) (string, error) {
	if len(data) == 0 {
		return "", nil
	}
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		return "", fmt.Errorf("the last line does not end in CRLF: %q", lastLine(data))
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n")
	inHeader := true
	for i, l := range lines {
		if strings.Contains(l, "\n") {
			return "", fmt.Errorf("line %d has a bare LF: %q", i+1, l)
		}
		if l == "" {
			inHeader = false
		}
		if !inHeader {
			continue
		}
		if m := generatedDate.FindStringSubmatch(l); m != nil {
			d, err := time.Parse("Mon, 02 Jan 2006 15:04:05 -0700", m[1])
			if err == nil && d.Sub(now).Abs() < dateSlack {
				lines[i] = dateNow
			}
		}
		if m := generatedMsgID.FindStringSubmatch(l); m != nil {
			lines[i] = fmt.Sprintf(msgIDForm, m[1])
		}
	}
	return strings.Join(lines, "\n") + "\n", nil
}

func lastLine(data []byte) []byte {
	if i := bytes.LastIndexByte(data[:len(data)-1], '\n'); i >= 0 {
		return data[i+1:]
	}
	return data
}

// header returns the unfolded values of the header fields called name (case-insensitive) in
// a normalised mail, in order.
func header(mail, name string) []string {
	head, _, _ := strings.Cut(mail, "\n\n")
	var out []string
	in := false
	for _, l := range strings.Split(head, "\n") {
		if in && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) {
			out[len(out)-1] += l
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		in = ok && strings.EqualFold(k, name)
		if in {
			out = append(out, strings.TrimLeft(v, " \t"))
		}
	}
	return out
}

// withoutField returns a normalised mail without the header fields called name
// (case-insensitive), continuation lines included.
func withoutField(mail, name string) string {
	head, body, hasBody := strings.Cut(mail, "\n\n")
	var kept []string
	drop := false
	for _, l := range strings.Split(head, "\n") {
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			if !drop {
				kept = append(kept, l)
			}
			continue
		}
		k, _, ok := strings.Cut(l, ":")
		drop = ok && strings.EqualFold(k, name)
		if !drop {
			kept = append(kept, l)
		}
	}
	out := strings.Join(kept, "\n")
	if hasBody {
		out += "\n\n" + body
	}
	return out
}

// refusedPort returns a port on 127.0.0.1 that nothing listens on: one that was free a
// moment ago.
func refusedPort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// readIfExists returns the content of a file, or "" when there is none.
func readIfExists(name string) string {
	data, _ := os.ReadFile(name)
	return string(data)
}
