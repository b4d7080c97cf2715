package queue

import (
	"errors"
	"fmt"

	"github.com/msmtp-go/msmtp/pkg/sysexits"
)

// Sentinel errors. Functions wrap them; test with errors.Is.
var (
	// ErrNotFound is wrapped by Drop when no message with the given ID is queued.
	ErrNotFound = errors.New("no such message in the queue")
	// ErrLocked is wrapped by Drop when a runner holds the message, and returned by
	// File.TryLock when another open file holds the lock.
	ErrLocked = errors.New("message is being delivered")
	// ErrInvalidID is wrapped when an ID is not a valid queue ID (see ID).
	ErrInvalidID = errors.New("invalid queue ID")
	// ErrNoTransport is returned by Run and Serve when RunOptions.Transport is nil.
	ErrNoTransport = errors.New("queue: no transport")
	// ErrMsmtpqLocked is wrapped by ImportMsmtpq when an msmtpq process holds the old
	// queue's lock directory.
	ErrMsmtpqLocked = errors.New("the msmtpq queue is locked")
)

// StorageError reports that the queue could not read or write its files: a full disk, an
// I/O error, a failed rename or fsync. A message is never half-queued after one: Enqueue
// removes what it wrote, and a crash leaves nothing that Run does not clean up. Callers
// answer it as a temporary failure (msmtpd: 451; msmtp: EX_TEMPFAIL).
type StorageError struct {
	Op   string // what the queue was doing: "create", "write", "sync", "rename", ...
	Path string // the file or directory concerned
	Err  error  // the underlying error, usually an *fs.PathError or a syscall.Errno
}

func (e *StorageError) Error() string {
	return fmt.Sprintf("queue: %s %s: %v", e.Op, e.Path, e.Err)
}

// Unwrap returns the underlying error, so that errors.Is(err, syscall.ENOSPC) works.
func (e *StorageError) Unwrap() error { return e.Err }

// InputError reports that the message reader given to Enqueue failed. Nothing was queued.
// msmtp answers it with EX_IOERR ("input error while reading the mail"), msmtpd with the
// reply its data reader chose.
type InputError struct {
	Err error
}

func (e *InputError) Error() string { return "queue: reading the message: " + e.Err.Error() }

// Unwrap returns the reader's error.
func (e *InputError) Unwrap() error { return e.Err }

// EnvelopeError reports an envelope that cannot be stored (Enqueue) or an envelope file
// that cannot be read back (parsing; such files are moved to failed/).
type EnvelopeError struct {
	Path   string // the envelope file, empty for an envelope given to Enqueue
	Reason string
}

func (e *EnvelopeError) Error() string {
	if e.Path == "" {
		return "queue: invalid envelope: " + e.Reason
	}
	return "queue: " + e.Path + ": invalid envelope: " + e.Reason
}

// DeliveryError is the error a Transport returns from Open, Send or Reset to say how the
// failure should be treated. Code decides: a code for which sysexits.Code.Temporary is
// true (EX_NOHOST, EX_UNAVAILABLE, EX_OSERR, EX_TEMPFAIL — msmtpd's 451 set) or the zero
// value means "try again later", any other code means the message cannot be delivered
// and is returned to its sender. Any error that is not a DeliveryError is temporary.
type DeliveryError struct {
	Code  sysexits.Code // the sysexits code msmtp would exit with for this failure
	Reply []string      // the server's reply lines, if a server answered ("550 5.1.1 no such user")
	Err   error         // the failure; its text becomes the envelope's last error
}

func (e *DeliveryError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	if len(e.Reply) > 0 {
		return e.Reply[0]
	}
	return e.Code.String()
}

// Unwrap returns the underlying error.
func (e *DeliveryError) Unwrap() error { return e.Err }

// temporary reports whether the failure may go away when tried again.
func (e *DeliveryError) temporary() bool {
	return e.Code == sysexits.OK || e.Code.Temporary()
}
