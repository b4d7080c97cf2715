// Package queue is the durable mail queue that msmtp and msmtpd share: a spool directory
// where a message is stored before anything is promised about it, delivered later with
// exponential back-off, and returned to its sender (RFC 3464 delivery status notification)
// when it cannot be delivered. It replaces the msmtpq and msmtpqueue scripts
// (spec-mail-smtp.md §9) and can import their queues.
//
// # Files
//
// Each message ID has a data file ID.eml (the message bytes, as given) and an envelope
// ID.env (JSON with a format version: account, configuration file, sender, recipients with
// their states and DSN parameters, times, attempts, last error). Enqueue creates the data
// file exclusively, writes and fsyncs it, writes the envelope to ID.env.tmp, fsyncs it and
// the directory, and renames it to ID.env: that rename is the commit point, after which
// the message is queued. Every later change to the envelope is the same atomic
// replacement; a finished message loses its envelope first and its data second. What an
// interrupted step leaves behind is repaired by the next Run (see Queue.Run). Messages
// that can be neither delivered nor returned go to failed/ with an ID.reason file.
//
// # Locks
//
// A runner claims a message by locking its open data file (flock on Unix, LockFileEx on
// Windows) without waiting. The lock belongs to the open file, so it excludes other
// goroutines and other processes alike, and the system drops it when the process dies:
// two runners never send a message at the same time, and a crashed runner's messages are
// taken up by the next run. Delivery is at least once: a crash after the server accepted
// a message and before its envelope is updated sends it again.
//
// # Delivery
//
// The queue knows nothing of SMTP. A Transport, which msmtp and msmtpd implement with the
// delivery library, opens one Session per account and sends messages through it; Run
// groups due messages by account so that one session carries them all. Each recipient's
// Outcome is delivered, deferred (retried after the Backoff) or rejected (returned). A
// message still deferred after Backoff.Expiry is returned too. Returned means a bounce
// to the envelope sender through the same session; a message with the null sender is
// never bounced and goes to failed/, as does one whose bounce fails.
package queue
