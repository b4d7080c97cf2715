//go:build windows

package secret

import "golang.org/x/sys/windows"

// echoOff turns the console's input echo off, keeping line input (the console does the line
// editing) and processed input (Ctrl+C), and returns the function that restores the
// previous mode.
func echoOff(fd int) (restore func(), err error) {
	h := windows.Handle(fd)
	var old uint32
	if err := windows.GetConsoleMode(h, &old); err != nil {
		return nil, err
	}
	if err := windows.SetConsoleMode(h, old&^windows.ENABLE_ECHO_INPUT|windows.ENABLE_LINE_INPUT|windows.ENABLE_PROCESSED_INPUT); err != nil {
		return nil, err
	}
	return func() { _ = windows.SetConsoleMode(h, old) }, nil
}
