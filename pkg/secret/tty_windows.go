//go:build windows

package secret

import "os"

// OpenTerminal opens the console of the process, CONIN$ for reading and CONOUT$ for
// writing, which are the console even when standard input and output are redirected. It
// fails when the process has no console (a service, a scheduled task).
func OpenTerminal() (Terminal, error) {
	in, err := os.OpenFile("CONIN$", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0)
	if err != nil {
		_ = in.Close()
		return nil, err
	}
	t, err := newTTY(in, out)
	if err != nil {
		_ = in.Close()
		_ = out.Close()
		return nil, err
	}
	return t, nil
}
