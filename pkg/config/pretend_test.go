package config

import (
	"strings"
	"testing"
)

// TestWritePretend checks the whole --pretend layout of msmtp 1.8.33 (spec-cli-config.md
// §2.11, C-50) for a fully populated account in each mode.
func TestWritePretend(t *testing.T) {
	t.Parallel()
	f := newFakeEnv()
	f.add(rcName, `account full
host mail.example.org
port 2525
source_ip 192.0.2.1
proxy_host proxy.example.org
timeout 30
domain client.example.org
auth on
user joe
password secret
passwordeval echo never-run
ntlmdomain WORKGROUP
tls on
tls_trust_file ~/ca.pem
tls_crl_file ~/crl.pem
tls_fingerprint 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff
tls_key_file ~/key.pem
tls_cert_file ~/cert.pem
tls_certcheck off
tls_min_dh_prime_bits 1024
tls_priorities NORMAL
tls_host_override mx.example.org
auto_from off
maildomain md.example.org
from joe@example.org
from_full_name Joe Q. Public
allow_from_override off
set_from_header on
set_date_header off
set_msgid_header off
set_to_header undisclosed_recipients
remove_bcc_headers off
dsn_notify success,failure
dsn_return headers
logfile ~/msmtp.log
logfile_time_format %Y
syslog LOG_MAIL
aliases ~/aliases
`)
	const common = `using account full from /home/tester/rc
host = mail.example.org
port = 2525
source ip = 192.0.2.1
proxy host = proxy.example.org
proxy port = 1080
socket = (not set)
timeout = 30 seconds
protocol = smtp
domain = client.example.org
auth = choose
user = joe
password = *
passwordeval = echo never-run
ntlmdomain = WORKGROUP
tls = on
tls_starttls = on
tls_trust_file = /home/tester/ca.pem
tls_crl_file = /home/tester/crl.pem
tls_fingerprint = 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
tls_key_file = /home/tester/key.pem
tls_cert_file = /home/tester/cert.pem
tls_certcheck = off
tls_min_dh_prime_bits = 1024
tls_priorities = NORMAL
tls_host_override = mx.example.org
`
	const sendmail = `auto_from = off
maildomain = md.example.org
from = joe@example.org
from_full_name = Joe Q. Public
allow_from_override = off
set_from_header = on
set_date_header = off
set_msgid_header = off
set_to_header = undisclosed_recipients
remove_bcc_headers = off
dsn_notify = SUCCESS,FAILURE
dsn_return = HDRS
logfile = /home/tester/msmtp.log
logfile_time_format = %Y
syslog = LOG_MAIL
aliases = /home/tester/aliases
`
	for _, tc := range []struct {
		name string
		opts PretendOptions
		want string
	}{
		{"sendmail -t", PretendOptions{Mode: ModeSendmail, ReadRecipients: true}, common + sendmail + "reading recipients from the command line and the mail\n"},
		{"sendmail", PretendOptions{Mode: ModeSendmail}, common + sendmail + "reading recipients from the command line\n"},
		{"serverinfo", PretendOptions{Mode: ModeServerInfo}, common},
		{"rmqs", PretendOptions{Mode: ModeRMQS, RMQS: "#queue"}, common + "RMQS argument = #queue\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := Resolve(Request{Mode: tc.opts.Mode, File: Some(rcName), Account: Some("full"), Env: f.env()})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := WritePretend(&b, a, tc.opts); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("mismatch:\n%s", lineDiff(tc.want, b.String()))
			}
		})
	}
}
