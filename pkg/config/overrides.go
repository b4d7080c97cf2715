package config

import (
	"errors"
	"fmt"
)

// Overrides are the settings given on the command line (spec-cli-config.md §1.3). Each
// Set is checked at once, as upstream checks while parsing options, and replayed in order
// onto the chosen account, so the last occurrence of an option wins and only the fields
// the command line mentioned change (§2.9). The zero value has no settings.
type Overrides struct {
	ops       []override
	hostGiven bool
}

type override struct {
	d      *directive
	option string // as given, for messages
	in     input
	origin OriginKind
}

// OptionSpec describes one command-line option that Overrides.Set accepts.
type OptionSpec struct {
	Name string // long name without dashes
	Arg  OptionArg
}

// Options returns every option Set accepts, with its argument kind, in table order. It is
// for the command-line parser's tests, which check their own option table against it. The
// list has the settings only: not --file/-C, --account/-a, --read-envelope-from,
// --read-recipients or the mode options, which the caller handles. from-full-name is the
// pseudo-option for -F, which has no long form.
func Options() []OptionSpec {
	var opts []OptionSpec
	for _, d := range table {
		if d.option == "" {
			continue
		}
		for _, name := range append([]string{d.option}, d.optionSynonyms...) {
			opts = append(opts, OptionSpec{Name: name, Arg: d.optionArg})
		}
	}
	return opts
}

// Set records one command-line setting. option is the long option name without dashes
// ("port", "tls-trust-file", "from-full-name" for -F); arg is nil when the option was given
// without an argument, which only options with an optional argument allow. An invalid value
// gives an *Error of KindUsage with the text "invalid argument ARG for --OPTION", where
// OPTION is the option's main name (--connect-timeout reports --timeout, as upstream does).
// An unknown option is a programming error and gives a plain error.
func (o *Overrides) Set(option string, arg *string) error {
	d := index().byOption[option]
	if d == nil {
		return fmt.Errorf("config: unknown option --%s", option)
	}
	in := input{cli: true}
	switch {
	case arg != nil:
		in.arg = *arg
	case d.optionArg == OptionArgOptional:
		in.missing = true
	default:
		return fmt.Errorf("config: option --%s needs an argument", option)
	}
	// Check the value now on a scratch account: the error must come while the command line
	// is parsed, before anything else happens.
	if err := d.v.set(Defaults(), in); err != nil {
		if !errors.Is(err, errInvalid) && !errors.Is(err, errNeedsArg) {
			return err
		}
		return &Error{Msg: sanitize(fmt.Sprintf("invalid argument %s for --%s", in.arg, d.option)), Kind: KindUsage, Err: ErrInvalidArgument}
	}
	if d.key == KeyHost {
		o.hostGiven = true
	}
	o.ops = append(o.ops, override{d: d, option: option, in: in, origin: OriginCommandLine})
	return nil
}

// SetEnvelopeFromMail records the envelope-from address that --read-envelope-from found in
// the mail. It then acts like -f ADDRESS: it chooses the account and replaces its from
// (unless allow_from_override is off), but its origin says it came from the mail.
func (o *Overrides) SetEnvelopeFromMail(addr string) {
	d := index().byKey[KeyFrom]
	o.ops = append(o.ops, override{d: d, option: "from", in: input{arg: addr}, origin: OriginMail})
}

// HostGiven reports whether --host was given: then no configuration file is read and the
// account is made of command-line settings only.
func (o *Overrides) HostGiven() bool { return o != nil && o.hostGiven }

// envelopeFrom returns the last from value given (-f or from the mail), for account
// selection.
func (o *Overrides) envelopeFrom() OptString {
	if o == nil {
		return OptString{}
	}
	var from OptString
	for _, op := range o.ops {
		if op.d.key == KeyFrom {
			scratch := Defaults()
			_ = op.d.v.set(scratch, op.in)
			from = scratch.From
		}
	}
	return from
}

// apply replays the settings onto a, in the order they were given, and marks them as set
// on the command line. A from value is dropped when the account has allow_from_override
// off (§3.4); it has already served to choose the account.
func (o *Overrides) apply(a *Account, home string) {
	if o == nil {
		return
	}
	for _, op := range o.ops {
		if op.d.key == KeyFrom && !a.AllowFromOverride {
			continue
		}
		in := op.in
		in.home = home
		_ = op.d.v.set(a, in) // checked in Set
		if !op.d.ignore {
			a.setOrigin(op.d.key, Origin{Kind: op.origin})
		}
	}
}
