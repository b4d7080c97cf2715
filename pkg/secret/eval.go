package secret

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// MaxEvalLine is the longest first output line Runner accepts, in bytes. OAuth2 access tokens
// are a few KiB; the limit only stops a runaway command from filling memory.
const MaxEvalLine = 1 << 20

// DefaultWaitDelay is how long Runner waits, after the command exited or the context ended,
// for the command's standard error to be copied when Stderr is not an *os.File (a background
// process may keep it open forever).
const DefaultWaitDelay = 2 * time.Second

// Errors wrapped by *EvalError.
var (
	// ErrNoOutput: the command wrote nothing at all to its standard output. (A single empty
	// line is output: it gives the empty string.) It wraps io.EOF, the condition it is.
	ErrNoOutput = fmt.Errorf("no output: %w", io.EOF)
	// ErrLineTooLong: the first output line is longer than MaxEvalLine.
	ErrLineTooLong = fmt.Errorf("output line is longer than %d bytes", MaxEvalLine)
)

// EvalError reports a command that could not be evaluated. Its text is upstream's:
// `cannot read output of 'CMD'` when the command printed nothing (Err is ErrNoOutput),
// `cannot evaluate 'CMD': REASON` when it could not be started or the context ended.
// msmtp exits with EX_CONFIG for `passwordeval` and EX_IOERR for `eval`; that mapping is
// the caller's.
type EvalError struct {
	Command string
	Err     error
}

func (e *EvalError) Error() string {
	switch {
	case errors.Is(e.Err, ErrNoOutput):
		return fmt.Sprintf("cannot read output of '%s'", e.Command)
	case errors.Is(e.Err, ErrLineTooLong):
		return fmt.Sprintf("cannot read output of '%s': %v", e.Command, e.Err)
	}
	return fmt.Sprintf("cannot evaluate '%s': %v", e.Command, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

// Runner runs `passwordeval` and `eval` commands (spec-cli-config.md §2.7, §4.3). The zero
// Runner is ready to use: it discards the command's standard error and passes on the
// environment of the current process.
type Runner struct {
	// Stderr receives the command's standard error; msmtp passes its own stderr so that
	// prompts and errors of tools like gpg are seen. Nil discards it.
	Stderr io.Writer
	// Env is the command's environment in os/exec's form; nil inherits the current one.
	Env []string
	// WaitDelay overrides DefaultWaitDelay when positive.
	WaitDelay time.Duration
}

// Eval runs command through the system shell — `/bin/sh -c CMD` on Unix (what popen(3)
// does), `cmd.exe /S /C "CMD"` on Windows — and returns the first line of its standard
// output: everything up to the first LF, without that LF and without one CR before it;
// nothing else is trimmed (a leading blank stays part of a password). A long line is read
// completely (up to MaxEvalLine). The exit status is ignored, as upstream ignores it.
//
// Standard input is the null device, never the caller's (which carries the mail). Reading
// stops after the first line; the rest of the output is not waited for. When ctx ends the
// command is killed and Eval returns.
//
// Errors are *EvalError, wrapping ErrNoOutput, ErrLineTooLong, the context's error, or the
// reason the command could not be started.
func (r *Runner) Eval(ctx context.Context, command string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", &EvalError{Command: command, Err: err}
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return "", &EvalError{Command: command, Err: err}
	}
	cmd := shellCommand(ctx, command)
	// Stdin stays nil: os/exec connects it to the null device.
	cmd.Stdout = pw
	cmd.Stderr = r.Stderr
	cmd.Env = r.Env
	cmd.WaitDelay = DefaultWaitDelay
	if r.WaitDelay > 0 {
		cmd.WaitDelay = r.WaitDelay
	}
	if err := cmd.Start(); err != nil {
		_ = pr.Close()
		_ = pw.Close()
		return "", &EvalError{Command: command, Err: err}
	}
	// Only the child holds the write end now, so EOF comes when it (and any process that
	// inherited its stdout) is done.
	_ = pw.Close()

	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := readFirstLine(pr)
		done <- result{line, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		// Closing the read end unblocks the reader even when a grandchild still holds the
		// pipe; exec.CommandContext kills the shell.
		_ = pr.Close()
		_ = cmd.Wait()
		return "", &EvalError{Command: command, Err: ctx.Err()}
	}
	// The rest of the output is of no interest: a command that keeps writing gets EPIPE
	// instead of blocking us (upstream's pclose would wait for it forever).
	_ = pr.Close()
	_ = cmd.Wait() // the exit status is ignored (spec-cli-config.md §4.3)

	if res.err != nil {
		return "", &EvalError{Command: command, Err: res.err}
	}
	if len(res.line) == 0 {
		return "", &EvalError{Command: command, Err: ErrNoOutput}
	}
	line := trimLineEnd(string(res.line))
	if len(line) > MaxEvalLine {
		return "", &EvalError{Command: command, Err: ErrLineTooLong}
	}
	return line, nil
}

// readFirstLine reads up to and including the first LF, or to EOF. It gives up with
// ErrLineTooLong as soon as the line cannot fit MaxEvalLine even after its line end is
// removed, so a command that never writes a LF cannot fill memory.
func readFirstLine(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxEvalLine+2 {
			return nil, ErrLineTooLong
		}
		switch {
		case err == nil, errors.Is(err, io.EOF):
			return line, nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return nil, err
		}
	}
}

// trimLineEnd removes one trailing LF and then one CR before it; a CR without a following LF
// stays (msmtp 1.8.23 sends `secret\r` for output `secret\r`).
func trimLineEnd(s string) string {
	if len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
		if len(s) > 0 && s[len(s)-1] == '\r' {
			s = s[:len(s)-1]
		}
	}
	return s
}

// Hook returns a function of the shape pkg/config injects for `eval` and `passwordeval`
// (config.Runner): it runs cmd and returns its first line. On failure it returns the cause
// rather than the *EvalError, because the config package words the message itself
// ("cannot read output of 'CMD'" for io.EOF, "cannot evaluate 'CMD': REASON" otherwise).
func (r *Runner) Hook(ctx context.Context) func(cmd string) (string, error) {
	return func(cmd string) (string, error) {
		out, err := r.Eval(ctx, cmd)
		var ee *EvalError
		if errors.As(err, &ee) {
			return "", ee.Err
		}
		return out, err
	}
}
