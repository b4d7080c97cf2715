package server

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"time"
)

// receivedDateLayout is the date of msmtp's Date header (spec-mail-smtp.md §1.8.2):
// RFC 5322 with a zero-padded day.
const receivedDateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// receivedHeader returns a function that formats the Received header for a mail whose data
// starts now, in upstream msmtpd's layout (spec-mail-smtp.md §8.5):
//
//	Received: from EHLONAME (REMOTENAME [REMOTEIP])
//		by LOCALNAME [LOCALIP] (msmtpd) with PROTOCOL;
//		DATE
//
// with the line ending eol, so that the header matches the mail it is put above. PROTOCOL
// is the RFC 3848 name (RFC 6531 §3.7.3 with SMTPUTF8) rather than upstream's fixed ESMTP.
// The reverse lookups run on first use, so the client is not kept waiting for its 354.
func (ss *session) receivedHeader(t time.Time, smtputf8 bool) func(eol string) string {
	proto := ss.protocolName(smtputf8)
	helo := receivedHelo(ss.info.Hello)
	software := ss.srv.software()
	return func(eol string) string {
		remoteName, localName := ss.reverseNames()
		var b strings.Builder
		b.WriteString("Received: from " + helo + " (")
		if remoteName != "" {
			b.WriteString(remoteName + " ")
		}
		b.WriteString("[" + ipString(ss.info.RemoteAddr) + "])" + eol)
		b.WriteString("\tby ")
		if localName != "" {
			b.WriteString(localName + " ")
		}
		b.WriteString("[" + ipString(ss.info.LocalAddr) + "] (" + software + ") with " + proto + ";" + eol)
		b.WriteString("\t" + t.Format(receivedDateLayout) + eol)
		return b.String()
	}
}

// protocolName names the protocol for the "with" clause: SMTP after HELO, ESMTP after
// EHLO, with S for TLS and A for AUTH (RFC 3848), and UTF8SMTP... for SMTPUTF8 mail.
func (ss *session) protocolName(smtputf8 bool) string {
	name := "SMTP"
	if ss.info.ESMTP || ss.info.TLS != nil || ss.info.User != "" {
		name = "ESMTP"
	}
	if smtputf8 {
		name = "UTF8SMTP"
	}
	if ss.info.TLS != nil {
		name += "S"
	}
	if ss.info.User != "" {
		name += "A"
	}
	return name
}

// receivedHelo applies upstream's rule to the EHLO or HELO name: it is shown when it has
// only letters, digits, '.', ':' and '-', with an optional '[' in front and ']' at the end;
// "unknown" when empty and "invalid" otherwise, so that a client cannot put arbitrary text
// into the header.
func receivedHelo(name string) string {
	if name == "" {
		return "unknown"
	}
	s := strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == ':' || c == '-'
		if !ok {
			return "invalid"
		}
	}
	return name
}

// ipString returns the text form of an address's IP, or "" when it has none (stdin, a unix
// socket).
func ipString(a net.Addr) string {
	switch a := a.(type) {
	case nil:
		return ""
	case *net.TCPAddr:
		return a.IP.String()
	case *net.UDPAddr:
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		host = a.String()
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return ip.Unmap().WithZone("").String()
}

// reverseNames looks up the names of both ends once per session.
func (ss *session) reverseNames() (remote, local string) {
	if !ss.namesDone {
		ss.namesDone = true
		ss.remoteName = ss.lookup(ipString(ss.info.RemoteAddr))
		ss.localName = ss.lookup(ipString(ss.info.LocalAddr))
	}
	return ss.remoteName, ss.localName
}

// lookup returns the first name of ip, without its final dot, or "" when there is none or it
// is not a plain host name (a PTR record is controlled by whoever owns the address).
func (ss *session) lookup(ip string) string {
	if ip == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ss.srv.ctx, lookupTimeout)
	defer cancel()
	names, err := ss.srv.lookupAddr(ctx, ip)
	if err != nil || len(names) == 0 {
		return ""
	}
	name := strings.TrimSuffix(names[0], ".")
	if name == "" || len(name) > 255 {
		return ""
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == '_'
		if !ok {
			return ""
		}
	}
	return name
}
