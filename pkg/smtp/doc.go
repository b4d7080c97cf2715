// Package smtp holds the wire vocabulary that the SMTP client (pkg/smtpclient) and the msmtpd
// server engine (pkg/server) share: replies with their codes and RFC 3463 enhanced status
// codes, reading and writing replies (RFC 5321 §4.2), command and path parsing with ESMTP
// parameters (RFC 5321 §4.1), and the DATA transparency procedure in both directions (RFC 5321
// §4.5.2): DataWriter for the client, DataReader for the server.
//
// The package knows nothing of sockets, TLS, SASL or configuration.
package smtp
