//go:build !unix

package main

import "os"

// pollable is a no-op where descriptors have no non-blocking mode to get wrong.
func pollable(f *os.File) *os.File { return f }
