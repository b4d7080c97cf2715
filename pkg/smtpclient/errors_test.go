package smtpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/msmtp-go/msmtp/internal/oserr"
	"github.com/msmtp-go/msmtp/pkg/smtp"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	op := func(err error) error {
		return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)}
	}
	tests := []struct {
		err  error
		want string
	}{
		{op(syscall.ECONNREFUSED), "Connection refused"},
		{op(syscall.ECONNRESET), "Connection reset by peer"},
		{op(syscall.EPIPE), "Broken pipe"},
		{op(syscall.ETIMEDOUT), "Connection timed out"},
		{op(syscall.ENOENT), "No such file or directory"},
		{op(syscall.EADDRNOTAVAIL), "Cannot assign requested address"},
		{op(syscall.EINVAL), "Invalid argument"},
		{op(syscall.ENETUNREACH), "Network is unreachable"},
		{op(syscall.EHOSTUNREACH), "No route to host"},
		{fs.ErrNotExist, "No such file or directory"},
		{context.Canceled, "Operation canceled"},
		{fmt.Errorf("outer: %w", errors.New("the innermost text")), "the innermost text"},
	}
	for _, tc := range tests {
		if got := oserr.Text(tc.err); got != tc.want {
			t.Errorf("oserr.Text(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestIOErrorTexts(t *testing.T) {
	t.Parallel()
	timeout := &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}
	reset := &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	tests := []struct {
		dir     direction
		overTLS bool
		err     error
		want    string
	}{
		{reading, false, timeout, "network read error: the operation timed out"},
		{writing, false, timeout, "network write error: the operation timed out"},
		{reading, true, timeout, "network read error: the operation timed out"},
		{reading, false, reset, "network read error: Connection reset by peer"},
		{writing, false, os.NewSyscallError("write", syscall.EPIPE), "network write error: Broken pipe"},
		{reading, true, reset, "cannot read from TLS connection: Connection reset by peer"},
		{writing, true, reset, "cannot write to TLS connection: Connection reset by peer"},
	}
	for _, tc := range tests {
		e := ioError(OpData, tc.dir, tc.overTLS, tc.err)
		if e.Error() != tc.want || !errors.Is(e, ErrIO) || !errors.Is(e, tc.err) {
			t.Errorf("ioError(%s, tls %v, %v) = %q", tc.dir, tc.overTLS, tc.err, e)
		}
	}
}

func TestCertificateText(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		err  error
		want string
	}{
		{x509.UnknownAuthorityError{}, "The certificate is NOT trusted. The certificate issuer is unknown. "},
		{x509.HostnameError{Certificate: &x509.Certificate{}, Host: "x"}, "The certificate is NOT trusted. The name in the certificate does not match the expected. "},
		{x509.CertificateInvalidError{Reason: x509.Expired, Detail: fmt.Sprintf("current time %s is after %s", now, now)}, "The certificate is NOT trusted. The certificate chain uses expired certificate. "},
		{x509.CertificateInvalidError{Reason: x509.Expired, Detail: fmt.Sprintf("current time %s is before %s", now, now)}, "The certificate is NOT trusted. The certificate chain uses not yet valid certificate. "},
		{errors.New("something else"), "The certificate is NOT trusted. something else"},
	}
	for _, tc := range tests {
		if got := certificateText(&tls.CertificateVerificationError{Err: tc.err}); got != tc.want {
			t.Errorf("certificateText(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if got := handshakeText(tls.RecordHeaderError{}); got != "An unexpected TLS packet was received." {
		t.Errorf("record header: %q", got)
	}
	if got := handshakeText(io.EOF); got != "The TLS connection was non-properly terminated." {
		t.Errorf("EOF: %q", got)
	}
}

func TestErrorMethods(t *testing.T) {
	t.Parallel()
	r451 := &smtp.Reply{Code: 451, Lines: []string{"451 later"}}
	r550 := &smtp.Reply{Code: 550, Lines: []string{"550 no"}}
	e := replyError(OpRcpt, "recipient address b not accepted by the server", r451, ErrRejected)
	if !e.Temporary() || e.Permanent() || !errors.Is(e, ErrRejected) || errors.Is(e, ErrProtocol) {
		t.Errorf("451: temporary %v permanent %v", e.Temporary(), e.Permanent())
	}
	e = replyError(OpRcpt, "x", r550, ErrRejected)
	if e.Temporary() || !e.Permanent() {
		t.Errorf("550: temporary %v permanent %v", e.Temporary(), e.Permanent())
	}
	inner := errors.New("inner")
	e = newError(OpTLS, "x", inner, ErrTLSHandshake, ErrProtocol)
	if !errors.Is(e, inner) || !errors.Is(e, ErrProtocol) || !errors.Is(e, ErrTLSHandshake) || e.Temporary() || e.Permanent() {
		t.Errorf("kinds and wrapped error not found in %#v", e)
	}
}

func TestXtext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":        "plain",
		"a+b=c d":      "a+2Bb+3Dc+20d",
		"\x01\x7f\xff": "+01+7F+FF",
	} {
		if got := xtext(in); got != want {
			t.Errorf("xtext(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"b+x@example.org":   "rfc822;b+2Bx@example.org",
		"jörg+1@example.de": `utf-8;jörg\x{2B}1@example.de`,
		"ä=\\ \x01@x":       `utf-8;ä\x{3D}\x{5C}\x{20}\x{1}@x`,
		"ä\xff@x":           `utf-8;ä\x{FF}@x`,
	} {
		if got := orcpt(in); got != want {
			t.Errorf("orcpt(%q) = %q, want %q", in, got, want)
		}
	}
}
