package aspire

import (
	"fmt"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// Date is a calendar day without a time zone, written YYYY-MM-DD. The zero
// Date is "no date".
type Date struct {
	t time.Time // midnight UTC; zero when unset
}

// NewDate returns the given day.
func NewDate(year int, month time.Month, day int) Date {
	return Date{time.Date(year, month, day, 0, 0, 0, 0, time.UTC)}
}

// DateOf returns the UTC day of t.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return NewDate(y, m, d)
}

// ParseDate parses YYYY-MM-DD, strictly.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(wire.DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

// String formats d as YYYY-MM-DD ("" when unset).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(wire.DateLayout)
}

// Time is midnight UTC at the start of d.
func (d Date) Time() time.Time { return d.t }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// After reports whether d is strictly after e.
func (d Date) After(e Date) bool { return d.t.After(e.t) }

// DaysUntil is the number of days from d to e (negative if e is earlier).
// Whole days in Unix seconds: time.Sub saturates at about 292 years.
func (d Date) DaysUntil(e Date) int { return int((e.t.Unix() - d.t.Unix()) / 86400) }

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// FirstInputDate and LastInputDate bound the days a caller may ask for. A
// date outside them is a misread far more often than a wish (epoch seconds
// read as milliseconds land in January 1970, a mistyped year in 2206), so
// inputs refuse it, saying what was read, rather than answer an empty table.
var (
	FirstInputDate = NewDate(2000, time.January, 1)
	LastInputDate  = NewDate(2100, time.December, 31)
)

// CheckInputDate reports a date outside FirstInputDate…LastInputDate.
func CheckInputDate(d Date) error {
	if d.Before(FirstInputDate) || d.After(LastInputDate) {
		// d.t, not d: 0001-01-01 is the zero Date, which prints as "".
		return fmt.Errorf("%s is outside the dates this server accepts (%s to %s)", d.t.Format(wire.DateLayout), FirstInputDate, LastInputDate)
	}
	return nil
}

// Range is an inclusive span of days, as the upstream's start_date and
// end_date.
type Range struct {
	Start, End Date
}

// Validate reports a range the upstream would refuse: either end unset, end
// before start, or longer than the upstream allows.
func (r Range) Validate() error {
	switch {
	case r.Start.IsZero() || r.End.IsZero():
		return fmt.Errorf("a range needs both start and end")
	case r.End.Before(r.Start):
		return fmt.Errorf("range end %s is before start %s", r.End, r.Start)
	case r.Days() > wire.MaxRangeDays:
		return fmt.Errorf("range %s…%s spans %d days; at most %d are allowed", r.Start, r.End, r.Days(), wire.MaxRangeDays)
	}
	return nil
}

// Days is the number of days in r, both ends included.
func (r Range) Days() int { return r.Start.DaysUntil(r.End) + 1 }

// Contains reports whether t falls on a day within r.
func (r Range) Contains(t time.Time) bool {
	return !t.Before(r.Start.t) && t.Before(r.End.t.AddDate(0, 0, 1))
}

// MaxRangeDays is the longest range the upstream accepts, in days.
const MaxRangeDays = wire.MaxRangeDays
