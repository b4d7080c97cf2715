package testutil

import "testing"

// SkipUnderWine skips the test when it runs under Wine (see IsWine), giving why as the reason.
// Use it only for what Wine 8 does not implement, and say what in why, e.g. "Wine 8 stubs
// ReportEventW: the event log stores nothing (wine.md §4f)", so every such gap stays visible
// in the test output and can be dropped when Wine catches up.
func SkipUnderWine(t testing.TB, why string) {
	t.Helper()
	if IsWine() {
		t.Skip("under Wine: " + why)
	}
}
