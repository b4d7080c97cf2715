package oserr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestText(t *testing.T) {
	t.Parallel()
	_, notExist := os.Open("/nonexistent/msmtp-oserr-test")
	tests := []struct {
		err  error
		want string
	}{
		{notExist, "No such file or directory"},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, "Permission denied"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}, "Connection refused"},
		{fmt.Errorf("write: %w", syscall.EPIPE), "Broken pipe"},
		{fmt.Errorf("x: %w", context.Canceled), "Operation canceled"},
		{fmt.Errorf("outer: %w", errors.New("inner text")), "inner text"},
	}
	for _, tt := range tests {
		if got := Text(tt.err); got != tt.want {
			t.Errorf("Text(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	if !Known(syscall.ECONNRESET) || Known(errors.New("x")) {
		t.Error("Known is wrong")
	}
}
