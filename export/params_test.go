package export

import (
	"net/url"
	"strings"
	"testing"
)

// TestDateInputsCannotMislead: each way a range end is written, what it is
// read as, or why it is refused (the message must name what was read).
func TestDateInputsCannotMislead(t *testing.T) {
	for _, c := range []struct {
		start, end string
		want       string // the range read, or the error's words
	}{
		{"2026-07-01", "2026-09-30", "2026-07-01…2026-09-30"},
		// Grafana, absolute Q3 range ending at midnight: exclusive end.
		{"1782864000000", "1790812800000", "2026-07-01…2026-09-30"},
		{"2026-07-01T00:00:00.000Z", "2026-10-01T00:00:00.000Z", "2026-07-01…2026-09-30"},
		// An end a millisecond later holds a moment of 2026-10-01.
		{"1782864000000", "1790812800001", "2026-07-01…2026-10-01"},
		// Grafana's "previous quarter" ends at 23:59:59.999.
		{"1782864000000", "1790812799999", "2026-07-01…2026-09-30"},
		{"2026-07-01T01:00:00+02:00", "2026-09-30T23:59:59Z", "2026-06-30…2026-09-30"}, // UTC days
		// Epoch seconds: refused, with the milliseconds to send.
		{"1782864000", "1790812800", "start: 1782864000 has 10 digits, epoch seconds (2026-07-01T00:00:00Z); this endpoint reads epoch milliseconds, 13 digits: send 1782864000000"},
		{"2026-07-01", "1790812800", "end: 1790812800 has 10 digits, epoch seconds (2026-10-01T00:00:00Z)"},
		{"1782864", "2026-07-02", "start: 1782864 is a number of 7 digits"},
		{"20260701", "2026-07-02", "start: 20260701 is a number of 8 digits"},
		{"1969-12-31", "2026-07-02", "start: 1969-12-31, outside the dates this server accepts (2000-01-01 to 2100-12-31)"},
		{"2026-07-01", "2206-07-02", "end: 2206-07-02, outside the dates"},
		{"2026-07-01", "9999999999999", "end: epoch milliseconds 9999999999999 are 2286-11-20T17:46:39.999Z, the day 2286-11-20, outside the dates this server accepts"},
		{"2026-07-01", "-1782864000000", `end: "-1782864000000" is not YYYY-MM-DD, epoch milliseconds (13 digits) or an RFC 3339 time`},
		{"2026-07-01", "2026-13-01", `end: "2026-13-01" is not`},
		// Midnight start and end of one instant: an empty range.
		{"1790812800000", "1790812800000", "range end 2026-09-30 is before start 2026-10-01"},
	} {
		f, err := parseFilter(url.Values{"start": {c.start}, "end": {c.end}})
		got := f.Range.Start.String() + "…" + f.Range.End.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) || (err == nil && got != c.want) {
			t.Errorf("start=%s end=%s: got %q, want %q", c.start, c.end, got, c.want)
		}
	}
}
