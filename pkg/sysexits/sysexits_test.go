package sysexits

import "testing"

func TestCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code      Code
		value     int
		name      string
		temporary bool
	}{
		{OK, 0, "EX_OK", false},
		{Usage, 64, "EX_USAGE", false},
		{DataErr, 65, "EX_DATAERR", false},
		{NoInput, 66, "EX_NOINPUT", false},
		{NoUser, 67, "EX_NOUSER", false},
		{NoHost, 68, "EX_NOHOST", true},
		{Unavailable, 69, "EX_UNAVAILABLE", true},
		{Software, 70, "EX_SOFTWARE", false},
		{OSErr, 71, "EX_OSERR", true},
		{OSFile, 72, "EX_OSFILE", false},
		{CantCreat, 73, "EX_CANTCREAT", false},
		{IOErr, 74, "EX_IOERR", false},
		{TempFail, 75, "EX_TEMPFAIL", true},
		{Protocol, 76, "EX_PROTOCOL", false},
		{NoPerm, 77, "EX_NOPERM", false},
		{Config, 78, "EX_CONFIG", false},
	}
	for _, tt := range tests {
		if int(tt.code) != tt.value {
			t.Errorf("%s = %d, want %d", tt.name, int(tt.code), tt.value)
		}
		if got := tt.code.String(); got != tt.name {
			t.Errorf("Code(%d).String() = %q, want %q", tt.value, got, tt.name)
		}
		if got := tt.code.Temporary(); got != tt.temporary {
			t.Errorf("%s.Temporary() = %v, want %v", tt.name, got, tt.temporary)
		}
		if !tt.code.Defined() {
			t.Errorf("%s.Defined() = false", tt.name)
		}
	}
	for _, c := range []Code{1, 2, 63, 79, 100, 127, -1} {
		if got := c.String(); got != "BUG:UNKNOWN" {
			t.Errorf("Code(%d).String() = %q, want BUG:UNKNOWN", int(c), got)
		}
		if c.Temporary() || c.Defined() {
			t.Errorf("Code(%d) is temporary or defined", int(c))
		}
	}
}
