package main

// The spool keeps a mail while the client sends it. Upstream msmtpd starts its pipe command
// at DATA and streams the mail into it; when the client disconnects in the middle, the
// command sees an ordinary end of input and delivers the truncated mail (spec-mail-smtp.md
// §11.2). Killing the command instead would not help: a command that wrote the mail to a
// file or passed it on has done so already. So msmtpd first receives the whole mail and
// starts the command only after the client's final dot: a mail that did not arrive
// completely is never seen by any command. Small mails stay in memory; from spoolMemory
// bytes on, the mail moves to a private temporary file.

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// spoolMemory is how much of a mail is kept in memory before it moves to a file.
const spoolMemory = 1 << 20

// spool is a write-once buffer: Write the mail, then Reader, then Close.
type spool struct {
	dir  string // "" means os.TempDir()
	mem  int    // memory limit; spoolMemory when 0
	buf  bytes.Buffer
	f    *os.File
	name string // the file's name while it still exists
	size int64
}

func (s *spool) Write(p []byte) (int, error) {
	limit := s.mem
	if limit == 0 {
		limit = spoolMemory
	}
	if s.f == nil && s.buf.Len()+len(p) > limit {
		if err := s.toFile(); err != nil {
			return 0, &spoolWriteError{err}
		}
	}
	var n int
	var err error
	if s.f != nil {
		n, err = s.f.Write(p)
	} else {
		n, err = s.buf.Write(p)
	}
	s.size += int64(n)
	if err != nil {
		err = &spoolWriteError{err}
	}
	return n, err
}

// toFile moves the mail to a temporary file. On Unix the file is removed from the directory
// at once, so that nothing stays behind whatever happens to msmtpd; on Windows, where an
// open file cannot be removed, Close removes it.
func (s *spool) toFile() error {
	f, err := os.CreateTemp(s.dir, "msmtpd-*.eml")
	if err != nil {
		return err
	}
	s.f = f
	if os.Remove(f.Name()) != nil {
		s.name = f.Name()
	}
	if _, err := s.buf.WriteTo(f); err != nil {
		return err
	}
	s.buf = bytes.Buffer{}
	return nil
}

// Reader returns the mail from its beginning. For a mail in a file it is the *os.File itself,
// which a command can read directly as its standard input.
func (s *spool) Reader() (io.Reader, error) {
	if s.f == nil {
		return bytes.NewReader(s.buf.Bytes()), nil
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return s.f, nil
}

// Size is the number of bytes written.
func (s *spool) Size() int64 { return s.size }

// Close releases the memory or the file.
func (s *spool) Close() error {
	s.buf = bytes.Buffer{}
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	if s.name != "" {
		err = errors.Join(err, os.Remove(s.name))
	}
	s.f = nil
	return err
}

// lfWriter converts CRLF line ends to LF on the way through, as upstream msmtpd does for the
// mail it pipes (spec-mail-smtp.md §8.3 item 8), so that the Received header and the mail
// share one line-end convention and the command gets what `msmtp -t < mail` would get. A CR
// that is not followed by LF is kept. Call Flush at the end, for a final lone CR.
type lfWriter struct {
	w  io.Writer
	cr bool // the last byte written was a CR that may start a CRLF
}

func (l *lfWriter) Write(p []byte) (int, error) {
	n := len(p)
	if l.cr && len(p) > 0 {
		l.cr = false
		if p[0] != '\n' {
			if _, err := l.w.Write([]byte{'\r'}); err != nil {
				return 0, err
			}
		}
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\r')
		if i < 0 {
			break
		}
		if i == len(p)-1 {
			// Whether this CR ends a line is known only with the next write.
			if _, err := l.w.Write(p[:i]); err != nil {
				return 0, err
			}
			l.cr, p = true, nil
			break
		}
		end := i + 1 // keep a lone CR
		if p[i+1] == '\n' {
			end = i // drop the CR of a CRLF
		}
		if _, err := l.w.Write(p[:end]); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	if len(p) > 0 {
		if _, err := l.w.Write(p); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Flush writes a final CR that was held back.
func (l *lfWriter) Flush() error {
	if !l.cr {
		return nil
	}
	l.cr = false
	_, err := l.w.Write([]byte{'\r'})
	return err
}
