// Package delivery is the library msmtp and msmtpd share: given an account, an envelope and a
// message it submits the mail with one SMTP or LMTP session, and it owns the one table that
// turns errors into sysexits codes (spec-mail-smtp.md §6).
package delivery
