package config_test

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/msmtp-go/msmtp/pkg/config"
)

// A caller (cmd/msmtp) collects the command-line settings, then resolves the account and
// prints it as msmtp --pretend does.
func Example() {
	files := map[string]string{
		"/home/joe/.msmtprc": `defaults
tls on
tls_starttls off

account work
host smtp.work.example
from *@work.example
auth on
user joe
passwordeval pass show work
`,
	}
	env := config.Env{
		LookupEnv: func(k string) (string, bool) {
			v, ok := map[string]string{"HOME": "/home/joe", "USER": "joe"}[k]
			return v, ok
		},
		Open: func(name string) (io.ReadCloser, error) {
			if s, ok := files[name]; ok {
				return io.NopCloser(strings.NewReader(s)), nil
			}
			return nil, os.ErrNotExist
		},
		Stat: func(name string) (config.FileInfo, error) {
			if _, ok := files[name]; ok {
				return config.FileInfo{Mode: 0o600, UID: 1000}, nil
			}
			return config.FileInfo{}, os.ErrNotExist
		},
		Euid:         1000,
		SysConfDir:   "/etc",
		PasswordEval: func(cmd string) (string, error) { return "s3cret\n", nil },
	}

	var overrides config.Overrides
	from, port := "joe@work.example", "587"
	for opt, arg := range map[string]*string{"from": &from, "port": &port} {
		if err := overrides.Set(opt, arg); err != nil {
			fmt.Println("msmtp:", err)
			return
		}
	}
	a, err := config.Resolve(config.Request{Mode: config.ModeSendmail, Overrides: &overrides, Env: env})
	if err != nil {
		fmt.Println("msmtp:", err)
		return
	}
	fmt.Println(a.Name, a.Host.Value, a.Port, a.TLS, a.From.Value, a.Password, a.Origin(config.KeyPort))
	// Output: work smtp.work.example 587 true joe@work.example * command line
}
