package message

import (
	"fmt"
)

// HeaderTooLargeError is returned by ReadHeader when the header section of a mail is larger
// than ReadOptions.MaxHeaderSize. Nothing has been sent at that point, so the caller can fail
// the whole mail (sendmail mode: EX_DATAERR).
type HeaderTooLargeError struct {
	// Limit is the bound that was exceeded, in bytes.
	Limit int64
}

func (e *HeaderTooLargeError) Error() string {
	return fmt.Sprintf("the mail header section is larger than %d bytes", e.Limit)
}

// InputError wraps an error from the reader of the mail (standard input), so that a caller
// copying the body to the network can tell a failing producer from a failing connection
// (msmtp: EX_IOERR, "input error while reading the mail").
type InputError struct {
	Err error
}

func (e *InputError) Error() string {
	return "input error while reading the mail: " + e.Err.Error()
}

// Unwrap returns the reader's error.
func (e *InputError) Unwrap() error { return e.Err }

// OptionError is returned by Rewrite when an option has a value that cannot be used: an
// unknown mode, or text that would break the header (a line break in the envelope-from, a
// recipient or the Message-ID domain).
type OptionError struct {
	// Option is the name of the RewriteOptions field.
	Option string
	// Value is the offending value, quoted with %q in the message.
	Value string
	// Reason says what is wrong with it.
	Reason string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Option, e.Value, e.Reason)
}
