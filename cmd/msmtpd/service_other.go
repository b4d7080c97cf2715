//go:build !windows

package main

import (
	"context"
	"fmt"
	"io"
)

// servicesSupported: only Windows has a Service Control Manager.
const servicesSupported = false

func manageService(_ context.Context, req *serviceRequest, _, stderr io.Writer) int {
	fmt.Fprintf(stderr, "%s: service: %v\n", req.program, errNoServices)
	return exitCannotStart
}

// runService refuses --service: elsewhere the service manager runs msmtpd as it is.
func runService(_ context.Context, args []string, _ func(string) (string, bool), stderr io.Writer) int {
	fmt.Fprintf(stderr, "%s: %s works only on Windows\n", args[0], serviceFlag)
	return exitCannotStart
}
