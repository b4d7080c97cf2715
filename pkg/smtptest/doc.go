// Package smtptest holds helpers for tests of SMTP and LMTP code, in the spirit of
// net/http/httptest. Only _test.go files import it.
//
// It provides:
//
//   - a transcript format for SMTP dialogues (RFC 5321 Appendix D style) and its parser
//     (Script, Parse, ParseFile);
//   - players that act one side of a transcript over any net.Conn and report the first
//     mismatch with the whole transcript: PlayServer plays the server against a client under
//     test, PlayClient plays the client against a server under test;
//   - Server, a scripted fake server on a loopback listener (127.0.0.1:0) that plays one
//     transcript, with STARTTLS or implicit TLS from a throw-away certificate;
//   - throw-away certificate authorities and certificates (CA, Cert, SelfSigned);
//   - Logger, a *slog.Logger that writes to t.Log.
//
// # Transcript format
//
// One file (by convention NAME.smtp under a package's testdata/dialog/) holds one dialogue.
// Lines starting with '#' and blank lines are ignored. An optional header block comes first:
// "key: value" lines whose key is a lower-case word (letters, digits, '-', '_'), such as
//
//	exit: 69
//	error: the server does not support DSN
//
// The header is free-form: the test that reads the file decides what the keys mean. A key may
// appear more than once. The first step ends the header. Steps, one per line:
//
//	S: text       the server sends text followed by CRLF
//	C: text       the client sends exactly text followed by CRLF
//	S~ regexp     the server's line (without its line ending) matches regexp, anchored at
//	C~ regexp     both ends; ditto for the client
//	S= "literal"  the server sends exactly these bytes, a Go string literal ("220 a\r\n250 b")
//	C= "literal"  the client sends exactly these bytes
//	!starttls     both ends run a TLS handshake now (first step: implicit TLS); !tls is the same
//	!starttls fail  the handshake must fail (the client rejects the certificate); the play ends
//	!close        the played side closes the connection; the play ends
//	!sleep DUR    the played side pauses (time.ParseDuration syntax: 200ms)
//	!read N       the played side reads and discards exactly N bytes from the peer
//	!skipdata     the played side reads mail data up to and including the "." line
//	!stall        the played side stops answering and waits for the peer to close
//	!eof          the peer must close the connection now
//
// Exactly one space follows "S:", "C:", "S~", "C~", "S=" and "C=". A text that must end in a
// blank is better written as a literal (C= "EHLO \r\n"), because editors strip trailing
// blanks. Consecutive lines the played side sends are written with one Write, so "S: 220 go"
// followed by "S: 250 injected" reaches the client in one segment, and a client's pipelined
// commands are checked simply by listing them before the replies: a client that waits for a
// reply in between never sends the next line, and the player reports a timeout.
//
// At the end of the script PlayServer requires the client to close the connection (so an
// unexpected extra command, such as a QUIT that must not be sent, is a mismatch); PlayClient
// closes its side. End a script with !close to stop without that check.
package smtptest
