//go:build !windows

package secret

import "os"

// OpenTerminal opens the controlling terminal /dev/tty for reading and writing, as
// getpass(3) does. It fails without one (cron, CI, daemons), and then msmtp does not prompt.
func OpenTerminal() (Terminal, error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	t, err := newTTY(f, f)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return t, nil
}
