package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/net/idna"

	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// SRVResolver is the part of *net.Resolver that --configure needs; tests inject a fake.
type SRVResolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
}

// configureError is a failure of --configure, printed after
// "automatic configuration based on SRV records failed: ".
type configureError struct {
	msg  string
	code sysexits.Code
}

func (e *configureError) Error() string {
	return "automatic configuration based on SRV records failed: " + e.msg
}

// submissionService is one of the two SRV services of RFC 6186 / RFC 8314, in the order
// they are tried: implicit TLS first (RFC 8314 §5.1 prefers it), then STARTTLS.
type submissionService struct {
	name     string // "submissions" or "submission"
	startTLS bool
}

var submissionServices = []submissionService{{"submissions", false}, {"submission", true}}

// configureInput is what the suggestion depends on besides the SRV records.
type configureInput struct {
	address  string
	confFile string // the -C file, or the user configuration file name
	goos     string // decides how to tell the user to store the password
}

// runConfigure implements --configure=ADDRESS (spec-cli-config.md §1.9, spec-mail-smtp.md
// §7.2): it looks up the submission SRV records of the address's domain and prints a
// configuration for it.
func runConfigure(ctx context.Context, r SRVResolver, in configureInput, stdout io.Writer) error {
	at := strings.LastIndexByte(in.address, '@')
	if at <= 0 || at == len(in.address)-1 {
		return &configureError{"invalid mail address", sysexits.DataErr}
	}
	local, domain := in.address[:at], in.address[at+1:]
	query := domain
	if ascii, err := idna.Lookup.ToASCII(domain); err == nil {
		query = ascii
	}
	for _, svc := range submissionServices {
		_, records, err := r.LookupSRV(ctx, svc.name, "tcp", query)
		if err != nil {
			continue
		}
		rec := bestSRV(records)
		if rec == nil {
			continue
		}
		host := strings.TrimSuffix(rec.Target, ".")
		if u, err := idna.Lookup.ToUnicode(host); err == nil {
			host = u
		}
		writeSuggestion(stdout, in, local, domain, host, int(rec.Port), svc.startTLS)
		return nil
	}
	return &configureError{fmt.Sprintf("no SRV records for _submissions._tcp.%s or _submission._tcp.%s", domain, domain), sysexits.NoHost}
}

// bestSRV picks the record upstream picks: the lowest priority, then the highest weight,
// the first of equals; records whose target is "." (service not offered) are skipped. Go's
// resolver shuffles equal priorities by weight, so the records are sorted again here to be
// deterministic.
func bestSRV(records []*net.SRV) *net.SRV {
	var usable []*net.SRV
	for _, r := range records {
		if r.Target != "." && r.Target != "" {
			usable = append(usable, r)
		}
	}
	sort.SliceStable(usable, func(i, j int) bool {
		if usable[i].Priority != usable[j].Priority {
			return usable[i].Priority < usable[j].Priority
		}
		return usable[i].Weight > usable[j].Weight
	})
	if len(usable) == 0 {
		return nil
	}
	return usable[0]
}

func writeSuggestion(w io.Writer, in configureInput, local, domain, host string, port int, startTLS bool) {
	fmt.Fprintf(w, "# - copy this to your configuration file %s\n", in.confFile)
	lh, ld := strings.ToLower(host), strings.ToLower(domain)
	if lh != ld && !strings.HasSuffix(lh, "."+ld) {
		fmt.Fprintln(w, "# - warning: the host does not match the mail domain; please check")
	}
	switch in.goos {
	case "darwin":
		fmt.Fprintln(w, "# - add your password to the key ring:")
		fmt.Fprintf(w, "#   security add-internet-password -s %s -r smtp -a %s -w\n", host, local)
	case "windows":
		// The target name is pkg/secret's CredentialTarget form.
		fmt.Fprintln(w, "# - add your password to the Windows Credential Manager:")
		fmt.Fprintf(w, "#   cmdkey /generic:msmtp:smtp/%s@%s /user:%s /pass\n", local, host, local)
	default:
		fmt.Fprintln(w, "# - add your password to the key ring:")
		fmt.Fprintf(w, "#   secret-tool store --label=msmtp host %s service smtp user %s\n", host, local)
	}
	starttls := "off"
	if startTLS {
		starttls = "on"
	}
	fmt.Fprintf(w, "account %s\nhost %s\nport %s\ntls on\ntls_starttls %s\nauth on\nuser %s\nfrom %s\n",
		in.address, host, strconv.Itoa(port), starttls, local, in.address)
}
