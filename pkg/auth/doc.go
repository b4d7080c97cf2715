// Package auth implements SASL (RFC 4422) for msmtp and msmtpd, independent of any transport.
//
// Client side: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195),
// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) with their -PLUS variants and channel
// binding types tls-exporter (RFC 9266) and tls-unique (RFC 5929), XOAUTH2 (Google's
// profile), OAUTHBEARER (RFC 7628) and EXTERNAL (RFC 4422 Appendix A). NewClient returns a
// github.com/emersion/go-sasl Client, so the same mechanisms plug into go-smtp and into
// pkg/smtpclient. Choose picks a mechanism the way msmtp 1.8.33 does
// (spec-mail-smtp.md §3.1); Mechanism answers which credentials a mechanism needs.
//
// Server side (msmtpd, spec-mail-smtp.md §8.3 item 4): PLAIN and LOGIN as go-sasl Servers that
// call a VerifyFunc, and Users, a user table whose passwords are bcrypt hashes or plain text
// compared in constant time.
//
// # What the transport must do (RFC 4954 §4)
//
// Start returns the mechanism name and the initial response. A nil initial response means
// "send `AUTH MECH` alone"; a non-nil empty one means "send `AUTH MECH =`". For each 334
// reply the transport decodes the challenge with DecodeChallenge (which knows that LOGIN,
// XOAUTH2 and OAUTHBEARER do not look at the challenge text, so an undecodable one is no
// error for them) and calls Next. A nil response from Next never happens; an empty
// non-nil response means "send an empty line" — this is what ends SCRAM after the server
// signature was verified and answers an XOAUTH2 error challenge (go-libs.md §4: go-smtp
// sends nothing at all for nil, which hangs the session).
//
// # Divergences from upstream msmtp
//
//   - EXTERNAL sends the authorization identity as an initial response (`AUTH EXTERNAL
//     dXNlcg==`, or `AUTH EXTERNAL =` without a user) instead of waiting for a 334; upstream's
//     SASL build sends nothing at all without a user and desynchronises the session
//     (spec-mail-smtp.md §11.15).
//   - OAUTHBEARER answers an error challenge with the single byte 0x01 that RFC 7628 §3.2.3
//     requires; upstream sends an empty line.
//   - DIGEST-MD5, NTLM and GSSAPI are not built: they return *NotCompiledInError, and
//     automatic selection skips them.
package auth
