package scalar

import (
	"strings"
	"testing"
)

// TestDateInputBounds: a GraphQL Date outside 2000-01-01…2100-12-31 is
// refused with what was read (epoch seconds mistaken for a day land in 1970).
func TestDateInputBounds(t *testing.T) {
	for in, want := range map[string]string{
		"2000-01-01": "", "2100-12-31": "", "2026-10-01": "",
		"1999-12-31": "1999-12-31 is outside the dates this server accepts (2000-01-01 to 2100-12-31)",
		"2101-01-01": "2101-01-01 is outside",
		"1970-01-21": "1970-01-21 is outside",
	} {
		d, err := UnmarshalDate(in)
		switch {
		case want == "" && (err != nil || d.String() != in):
			t.Errorf("%s: %v %v", in, d, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v, want an error saying %q", in, err, want)
		}
	}
}
