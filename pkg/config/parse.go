package config

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// File is one parsed msmtprc file.
type File struct {
	Name     string
	Accounts []*Account // in file order
	// HasPassword reports whether the file contains a literal password line (even an empty
	// one; not one produced by eval). Only such a user file gets the permission check.
	HasPassword bool
}

// Account returns the account with the given name, or nil.
func (f *File) Account(name string) *Account {
	for _, a := range f.Accounts {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Runner runs a shell command (upstream uses popen, i.e. /bin/sh -c) and returns the first
// line of its standard output, with or without the line's LF; one trailing LF and then one
// CR are removed by the caller. A command that writes nothing must return io.EOF (that is
// "cannot read output"); an error starting it is reported as "cannot evaluate". The exit
// status does not matter. This package never runs commands itself: cmd/msmtp injects one.
type Runner func(cmd string) (firstLine string, err error)

// ParseOptions are what parsing needs from outside the file.
type ParseOptions struct {
	// Home replaces a leading '~' in file-name commands.
	Home string
	// Eval runs the commands of eval lines. If nil, an eval line is an error.
	Eval Runner
}

// Parse reads one msmtprc file: lexing (§2.2), defaults, accounts and inheritance (§2.3),
// eval (§2.7), and the value checks of every command (§2.5). It stops at the first error,
// which is an *Error: "FILE: line N: MESSAGE" for a problem on a line (KindConfig),
// "FILE: line longer than 500 characters", or, KindIO, "FILE: input error" and
// "FILE: cannot read output of 'CMD'".
func Parse(r io.Reader, name string, opts ParseOptions) (*File, error) {
	p := &parser{
		f:        &File{Name: name},
		opts:     opts,
		defaults: Defaults(),
	}
	lines, lexErr := Lex(r, name)
	for _, l := range lines {
		if err := p.line(l, false); err != nil {
			return nil, err
		}
	}
	if lexErr != nil {
		return nil, lexErr
	}
	return p.f, nil
}

type parser struct {
	f        *File
	opts     ParseOptions
	defaults *Account
	cur      *Account // the account commands go to: nil before the first account or defaults line
}

func (p *parser) errorf(l Line, sentinel error, format string, args ...any) *Error {
	return &Error{File: p.f.Name, Line: l.Num, Msg: sanitize(fmt.Sprintf(format, args...)), Kind: KindConfig, Err: sentinel}
}

// line interprets one command line. fromEval is set for the line an eval produced, which
// cannot be another eval and does not count as a literal password line.
func (p *parser) line(l Line, fromEval bool) error {
	switch l.Cmd {
	case "eval":
		if fromEval {
			break // "unknown command eval", below
		}
		return p.eval(l)
	case "defaults":
		if l.Arg != "" {
			return p.errorf(l, ErrSyntax, "command defaults does not take an argument")
		}
		p.cur = p.defaults
		return nil
	case "account":
		return p.account(l)
	}
	d := index().byName[l.Cmd]
	if d == nil || d.group == groupStructure {
		return p.errorf(l, ErrUnknownCommand, "unknown command %s", l.Cmd)
	}
	if p.cur == nil {
		// A command before any account or defaults line: msmtp 1.2 files had no account
		// lines, so this starts an implicit account named "default".
		if err := p.newAccount(l, "default", nil); err != nil {
			return err
		}
	}
	if d.noArg && l.Arg != "" {
		return p.errorf(l, ErrSyntax, "command %s does not take an argument", l.Cmd)
	}
	if d.name == "password" && !fromEval {
		p.f.HasPassword = true
	}
	switch err := d.v.set(p.cur, input{arg: l.Arg, home: p.opts.Home}); {
	case errors.Is(err, errNeedsArg):
		return p.errorf(l, ErrSyntax, "command %s needs an argument", l.Cmd)
	case err != nil:
		return p.errorf(l, ErrInvalidArgument, "invalid argument %s for command %s", l.Arg, l.Cmd)
	}
	if !d.ignore {
		kind := OriginFile
		if p.cur == p.defaults {
			kind = OriginDefaults
		}
		p.cur.setOrigin(d.key, Origin{Kind: kind, File: p.f.Name, Line: l.Num})
	}
	return nil
}

func (p *parser) eval(l Line) error {
	if l.Arg == "" {
		return p.errorf(l, ErrSyntax, "command eval needs an argument")
	}
	out, err := runFirstLine(p.opts.Eval, l.Arg)
	if err != nil {
		err.File, err.named, err.Kind = p.f.Name, true, KindIO
		return err
	}
	cmd, arg, ok := splitLine(out)
	if !ok {
		return nil
	}
	return p.line(Line{Num: l.Num, Cmd: cmd, Arg: arg}, true)
}

// runFirstLine runs cmd through run and returns the first line of its output without the
// line end. The error says "cannot read output of 'CMD'" or "cannot evaluate 'CMD': WHY".
func runFirstLine(run Runner, cmd string) (string, *Error) {
	if run == nil {
		return "", &Error{Msg: sanitize(fmt.Sprintf("cannot evaluate '%s': no command runner", cmd)), Err: ErrEval}
	}
	out, err := run(cmd)
	switch {
	case errors.Is(err, io.EOF):
		return "", &Error{Msg: sanitize(fmt.Sprintf("cannot read output of '%s'", cmd)), Err: ErrEval}
	case err != nil:
		return "", &Error{Msg: sanitize(fmt.Sprintf("cannot evaluate '%s': %s", cmd, strerror(err))), Err: ErrEval}
	}
	out, _, _ = strings.Cut(out, "\n")
	return strings.TrimSuffix(out, "\r"), nil
}

// account handles "account NAME [: PARENT, ...]". Upstream checks the parents first, then
// the name (spec-cli-config.md §2.3; the order decides which error a bad line reports).
func (p *parser) account(l Line) error {
	name, list, inherits := strings.Cut(l.Arg, ":")
	var parents []*Account
	if inherits {
		name = unquote(strings.Trim(name, blanks))
		for pn := range strings.SplitSeq(list, ",") {
			pn = unquote(strings.Trim(pn, blanks))
			if pn == "" {
				return p.errorf(l, ErrSyntax, "missing account name")
			}
			parent := p.f.Account(pn)
			if parent == nil {
				return p.errorf(l, ErrSyntax, "account %s not (yet) defined", pn)
			}
			parents = append(parents, parent)
		}
	}
	return p.newAccount(l, name, parents)
}

// newAccount starts an account as a copy of the current defaults, then copies from each
// parent, in order, the settings that were explicitly set there.
func (p *parser) newAccount(l Line, name string, parents []*Account) error {
	switch {
	case name == "":
		return p.errorf(l, ErrSyntax, "missing account name")
	case strings.ContainsAny(name, ":,"):
		return p.errorf(l, ErrSyntax, "an account name must not contain colons or commas")
	case p.f.Account(name) != nil:
		return p.errorf(l, ErrSyntax, "account %s was already defined", name)
	}
	a := p.defaults.Clone()
	a.Name, a.File = name, p.f.Name
	for _, parent := range parents {
		inherit(a, parent)
	}
	p.f.Accounts = append(p.f.Accounts, a)
	p.cur = a
	return nil
}

// inherit copies every explicitly set value of src onto dst, keeping its origin.
func inherit(dst, src *Account) {
	for k, o := range src.origins {
		if o.Explicit() {
			index().byKey[k].v.copy(dst, src)
			dst.setOrigin(k, o)
		}
	}
}
