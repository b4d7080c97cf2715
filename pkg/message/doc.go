// Package message implements the mail handling of msmtp's sendmail mode: reading the mail a
// program writes to msmtp's standard input, finding its recipients (-t) and its sender
// (--read-envelope-from, %F), rewriting its header section, and streaming its body.
//
// Mail is bytes. The header section (RFC 5322 §2.2) is read into memory, up to a bound, and is
// only ever changed by deleting whole header fields (Bcc, To, Cc, From) and by prepending
// generated ones (From, To, Date, Message-ID); fields are never parsed and written back, so
// whatever the mail contains passes through unchanged. The body is never buffered: it is
// copied from the input as it arrives, in constant memory, whatever its size.
//
// Line endings are left alone: LF, CRLF and mixtures pass through as they came, and generated
// fields end in a bare LF. Converting to CRLF and dot-stuffing (RFC 5321 §4.5.2) is the job of
// the SMTP data writer. The one exception is CR inside the header section, which is deleted
// except where it precedes LF, as msmtp does.
//
// The behaviour follows msmtp 1.8.33 as recorded in spec-mail-smtp.md §1 (header phase §1.2,
// boundary cases §1.4, header detection §1.5, recipients §1.6, envelope-from §1.7, rewriting
// §1.8), except where msmtp has a bug; each deliberate difference is documented on the
// function concerned:
//
//   - A mail whose first line is not a header field has no header section: the generated fields
//     are followed by an empty line and the whole input is the body (msmtp glues the generated
//     fields onto the body text). An empty mail is treated the same way.
//   - An mbox "From " first line is dropped.
//   - Without -i/-oi (ReadOptions.DotEndsInput), a line holding a single '.' ends the input,
//     as in sendmail and Postfix; msmtp reads on.
//   - The address scanner (ParseAddressList) keeps quoted local parts, counts nested comments,
//     never turns blanks into '_', and returns every address of a list element that lacks
//     commas; a From field never contributes recipients.
//   - MergeRecipients removes duplicates.
//   - Rewrite removes Resent-Bcc along with Bcc, never writes an empty From field, encodes the
//     full name in UTF-8 split into short encoded words or quotes it when it has specials, and
//     folds the generated To field.
package message
