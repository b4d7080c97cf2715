//go:build windows

package secret

import "path/filepath"

// systemNetrc is %ProgramData%\msmtp\netrc, beside the system-wide msmtprc of the Windows
// build.
func systemNetrc(lookupEnv func(string) (string, bool)) string {
	dir, ok := lookupEnv("ProgramData")
	if !ok || dir == "" {
		dir = `C:\ProgramData`
	}
	return filepath.Join(dir, "msmtp", "netrc")
}
