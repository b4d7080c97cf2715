// Package server is the msmtpd protocol engine: an SMTP server (RFC 5321) that accepts mail
// from local programs and hands each message to a Backend, which decides what happens to it
// (piping it to a command, delivering it in-process, queueing it) and which reply the client
// gets.
//
// It serves a listener (Server.Serve, Server.ServeTLS for implicit TLS, RFC 8314) or a single
// connection (Server.ServeConn, for `msmtpd --inetd` and `msmtp -bs`; StreamConn turns a
// reader and a writer such as stdin and stdout into a connection), and stops gracefully with
// Server.Shutdown.
//
// The engine implements the command state machine of RFC 5321 §3 and §4.1 with these
// extensions: PIPELINING (RFC 2920), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), SIZE
// (RFC 1870), ENHANCEDSTATUSCODES (RFC 2034, RFC 3463), DSN parameters (RFC 3461), AUTH
// (RFC 4954) with mechanisms supplied as github.com/emersion/go-sasl servers, and STARTTLS
// (RFC 3207). It prepends a Received header in upstream msmtpd's format with the protocol
// names of RFC 3848, and enforces limits and timeouts (RFC 5321 §4.5.3) that upstream msmtpd
// lacks: line length for commands only, recipients per message, message size, idle time per
// command and per DATA read, concurrent sessions, bad commands per session, and a delay after
// failed authentication (spec-mail-smtp.md §8.6).
//
// Replies follow upstream msmtpd where it answers with success (`220 localhost ESMTP
// msmtpd`, `250 Ok`, `354 Send data`, `221 Bye`, `235 Authentication successful`); in a
// session opened with EHLO they carry RFC 3463 enhanced status codes (`250 2.1.0 Ok`), in a
// session opened with HELO they are upstream's exact texts. Where upstream closes the
// connection on a protocol error, the engine gives the standard reply and keeps the session
// open, but disconnects a client after too many errors.
//
// Backends decide replies by returning errors: a *smtp.Reply anywhere in an error's chain
// (found with errors.As) is sent as it is; any other error becomes a generic
// `451 4.3.0 Temporary local problem, try again later` when the error (or one it wraps) has a
// method Temporary() bool that reports true (see MarkTemporary), and a generic permanent
// failure otherwise. The text of such an error is logged and never sent to the client.
//
// The package knows nothing of msmtprc, delivery or sysexits codes: cmd/msmtpd builds the
// backend.
package server
