//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package secret

import "errors"

// echoOff cannot switch echo off on this system, so there is no prompt rather than one that
// shows the password. (The build targets are Linux, the BSDs, macOS and Windows; this keeps
// other systems compiling.)
func echoOff(int) (func(), error) {
	return nil, errors.New("cannot turn terminal echo off on this system")
}
