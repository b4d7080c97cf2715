// Package smtpclient implements one SMTP (RFC 5321) or LMTP (RFC 2033) client session the
// way msmtp runs it (spec-mail-smtp.md §2–§4, §7.1), for every mode: sending, --serverinfo,
// --rmqs, and the queue's reuse of a session for several mails.
//
// Extensions: ESMTP capabilities (RFC 5321 §4.1.1.1), STARTTLS (RFC 3207) and implicit TLS
// (RFC 8314), AUTH (RFC 4954) through any github.com/emersion/go-sasl Client, PIPELINING
// (RFC 2920), SIZE (RFC 1870), DSN (RFC 3461), SMTPUTF8 (RFC 6531), ETRN (RFC 1985), and
// SOCKS5 (RFC 1928) with remote name resolution. The wire vocabulary (replies, the DATA
// encoding) is pkg/smtp's.
//
// # A session, step by step
//
// Open runs, in this order:
//
//  1. connect: a unix socket (Options.Socket), or TCP to Host:Port, directly or through a
//     SOCKS5 proxy, optionally bound to a source address, under the timeout;
//  2. the TLS handshake, for implicit TLS;
//  3. the greeting, which must be 220;
//  4. EHLO, or HELO when EHLO gets anything but 250 (then no extensions are used); LMTP
//     sends LHLO and has no fallback;
//  5. for STARTTLS: the command, the handshake, and EHLO again; a server that does not
//     offer STARTTLS fails the session, it is never silently used in plain text;
//  6. the DSN and ETRN checks the caller asked for;
//  7. AUTH, when Options.Authenticate is set.
//
// Send then runs one transaction (MAIL, RCPT, DATA, the mail, "."); Reset, ETRN and Quit do
// what their names say. Every read and write is bounded by Options.Timeout, TLS included.
// Options.Transcript receives the --debug conversation, with AUTH payloads redacted unless
// Options.ShowCredentials is set.
//
// # Errors
//
// Every error is an *Error whose text is msmtp's message for the situation, with the
// server's reply (for `server message:` lines) in Error.Reply. Its kinds, tested with
// errors.Is, carry what msmtp's exit codes need (spec-mail-smtp.md §6). The mapping that
// reproduces upstream's table:
//
//	ErrHostNotFound                 EX_NOHOST (68); EX_TEMPFAIL (75) when the wrapped
//	                                *net.DNSError IsTemporary (msmtp 1.8.33)
//	ErrConnect                      EX_TEMPFAIL (75)
//	ErrIO, ErrInput                 EX_IOERR (74)
//	ErrProtocol (ErrTLSHandshake)   EX_PROTOCOL (76)
//	ErrUnavailable (ErrUnsupported) EX_UNAVAILABLE (69)
//	ErrCertificate                  EX_UNAVAILABLE (69)
//	ErrAuthFailed                   EX_NOPERM (77)
//	ErrOS                           EX_OSERR (71)
//	ErrRejected, OpMail/OpRcpt/OpData: EX_UNAVAILABLE (69) for a 4xx reply, EX_DATAERR
//	                                (65) for anything else; OpEndOfData: EX_UNAVAILABLE
//	                                (69); OpETRN: by its other kind (69, 76) or else
//	                                EX_DATAERR (65)
//	ErrTooBig                       EX_DATAERR (65), as a 552 to MAIL would give
//	ErrInvalidArgument              EX_USAGE (64)
//
// Check ErrRejected's companions first: an ETRN error with ErrUnavailable or ErrProtocol is
// also ErrRejected.
//
// # Where this differs from msmtp
//
//   - QUIT is sent on every failure path where the server can still take it (after a
//     refused greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA or end of data), not only
//     after a missing capability (spec-mail-smtp.md §11.22). After pipelined commands
//     failed, their remaining replies are read first; if DATA got 354 the session is closed
//     without QUIT, since ending the data would deliver an empty mail.
//   - The timeout also applies over TLS and on unix sockets (§11.1).
//   - Capability keywords are whole words, not prefixes, and the first EHLO line (the
//     server's name) is not read as a capability: a server called dsn.example.org does
//     not advertise DSN.
//   - SMTPUTF8 is requested for a non-ASCII byte anywhere in an address, not only in
//     domains (§11.16).
//   - SIZE= is sent when the caller knows the size and the server offers SIZE, and a mail
//     over the advertised limit fails before MAIL; ENVID= and ORCPT= are sent when the
//     caller gives them. msmtp never sends these.
//   - SOCKS5 replies are read in full (io.ReadFull), not with one recv (§11.18).
//   - An address, NOTIFY value, domain or ETRN argument with a CR or LF in it is refused
//     (ErrInvalidArgument) instead of going out as a second command.
//   - Read and write errors over TLS use upstream's TLS wording (`cannot read from TLS
//     connection: ...`), but a timeout always reads `network read error: the operation
//     timed out` (or write), TLS or not.
//   - ErrTooBig, ErrInput, ErrInvalidArgument and ErrServerNotVerified have no upstream
//     equivalent.
package smtpclient
