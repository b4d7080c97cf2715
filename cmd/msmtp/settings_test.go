package main

import (
	"testing"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/getopt"
)

// TestSettingOptionsMatchConfig checks the command line's setting options against the
// config package, which validates their values: every option the parser passes on must be
// one config.Overrides accepts, with the same argument kind, and the other way round. The
// two tables exist because getopt needs upstream's option order for its messages; this test
// keeps them telling the same story.
func TestSettingOptionsMatchConfig(t *testing.T) {
	t.Parallel()
	kinds := map[config.OptionArg]getopt.ArgKind{
		config.OptionArgNone:     getopt.NoArgument,
		config.OptionArgRequired: getopt.RequiredArgument,
		config.OptionArgOptional: getopt.OptionalArgument,
	}
	want := map[string]getopt.ArgKind{}
	for _, o := range config.Options() {
		want[o.Name] = kinds[o.Arg]
	}
	got := map[string]getopt.ArgKind{}
	for _, o := range SettingOptions() {
		got[o.Name] = o.Arg
	}
	for name, arg := range got {
		w, ok := want[name]
		switch {
		case !ok:
			t.Errorf("the parser passes --%s on, but config.Overrides does not know it", name)
		case w != arg:
			t.Errorf("--%s: the parser says argument kind %v, config says %v", name, arg, w)
		}
	}
	// --connect-timeout is passed on under the name of its synonym --timeout.
	synonyms := map[string]string{"connect-timeout": "timeout"}
	for name := range want {
		if syn, ok := synonyms[name]; ok {
			if want[name] != want[syn] {
				t.Errorf("config gives --%s and its synonym --%s different argument kinds", name, syn)
			}
			continue
		}
		if _, ok := got[name]; !ok {
			t.Errorf("config.Overrides accepts %q, but no command-line option passes it on", name)
		}
	}
}
