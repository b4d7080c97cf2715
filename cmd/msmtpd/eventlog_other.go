//go:build !windows

package main

import "errors"

// openEventLogSink: only Windows has the Event Log.
func openEventLogSink(string) (logSink, error) {
	return nil, errors.New("there is no Windows Event Log on this system")
}
