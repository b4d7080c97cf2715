package smtpclient

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
)

// SOCKS5 (RFC 1928) with no authentication and remote name resolution: the proxy gets the
// server's name, not an address, as msmtp sends it (spec-mail-smtp.md §2.1). Upstream reads
// each reply with a single recv; here every reply is read in full with io.ReadFull, so a
// proxy that splits its reply across segments works (§11.18).

const (
	socksVersion    = 5
	socksNoAuth     = 0
	socksConnect    = 1
	socksAtypIPv4   = 1
	socksAtypDomain = 3
	socksAtypIPv6   = 4
)

// errSOCKSUnexpected is a reply that is not SOCKS5 as expected.
var errSOCKSUnexpected = errors.New("unexpected reply")

// socksReplyText returns msmtp's texts for the SOCKS5 reply codes 1 to 8 (RFC 1928 §6).
func socksReplyText(code byte) string {
	texts := [...]string{
		1: "general server failure",
		2: "connection not allowed",
		3: "network unreachable",
		4: "host unreachable",
		5: "connection refused",
		6: "time-to-live expired",
		7: "command not supported",
		8: "address type not supported",
	}
	if code >= 1 && int(code) < len(texts) {
		return texts[code]
	}
	return "unknown error"
}

// socksError is a failure reported by, or in the answers of, the proxy.
type socksError struct{ text string }

func (e *socksError) Error() string { return "proxy failure: " + e.text }

// socksConnectTo asks the proxy on conn to connect to host:port. host must be at most 255
// bytes (checked by the caller). Errors: *socksError for a refusal or a malformed reply; the
// connection's own error for I/O failures.
func socksConnectTo(conn io.ReadWriter, host string, port uint16) error {
	if _, err := conn.Write([]byte{socksVersion, 1, socksNoAuth}); err != nil {
		return err
	}
	var method [2]byte
	if err := readFull(conn, method[:]); err != nil {
		return err
	}
	if method[0] != socksVersion || method[1] != socksNoAuth {
		return &socksError{errSOCKSUnexpected.Error()}
	}
	req := make([]byte, 0, 7+len(host))
	req = append(req, socksVersion, socksConnect, 0, socksAtypDomain, byte(len(host)))
	req = append(req, host...)
	req = binary.BigEndian.AppendUint16(req, port)
	if _, err := conn.Write(req); err != nil {
		return err
	}
	// Version and reply code first: a proxy that refuses may hang up without the rest.
	var head [4]byte // version, reply, reserved, address type
	if err := readFull(conn, head[:2]); err != nil {
		return err
	}
	if head[0] != socksVersion {
		return &socksError{errSOCKSUnexpected.Error()}
	}
	if head[1] != 0 {
		return &socksError{socksReplyText(head[1])}
	}
	if err := readFull(conn, head[2:]); err != nil {
		return err
	}
	var addrLen int
	switch head[3] {
	case socksAtypIPv4:
		addrLen = net.IPv4len
	case socksAtypIPv6:
		addrLen = net.IPv6len
	case socksAtypDomain:
		var l [1]byte
		if err := readFull(conn, l[:]); err != nil {
			return err
		}
		addrLen = int(l[0])
	default:
		return &socksError{errSOCKSUnexpected.Error()}
	}
	rest := make([]byte, addrLen+2) // bound address and port, not needed
	return readFull(conn, rest)
}

// readFull is io.ReadFull where a proxy that hangs up mid-reply gives an unexpected reply.
func readFull(r io.Reader, p []byte) error {
	_, err := io.ReadFull(r, p)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &socksError{errSOCKSUnexpected.Error()}
	}
	return err
}
