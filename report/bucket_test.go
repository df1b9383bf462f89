package report

import (
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

func day(s string) aspire.Date {
	d, err := aspire.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestBucketStarts(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		iv       Interval
		in, want string
	}{
		{Week, "2026-01-01", "2025-12-29"}, // a Thursday: its ISO week starts in the year before
		{Week, "2026-01-04", "2025-12-29"}, // Sunday is the week's last day, not its first
		{Week, "2026-01-05", "2026-01-05"}, // Monday starts it
		{Week, "2021-01-03", "2020-12-28"}, // ISO week 53 of 2020
		{Week, "2024-03-01", "2024-02-26"}, // across a leap day
		{Month, "2024-02-29", "2024-02-01"},
		{Month, "2026-12-31", "2026-12-01"},
		{Day, "2026-03-29", "2026-03-29"}, // UTC days: no daylight-saving day is short
	} {
		if got := c.iv.Start(day(c.in)).String(); got != c.want {
			t.Errorf("%s start of %s: %s, want %s", c.iv, c.in, got, c.want)
		}
	}
}

func TestBucketsAndPoints(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		iv         Interval
		start, end string
		want       []string // first and last bucket start
		n          int
	}{
		{Day, "2024-02-27", "2024-03-02", []string{"2024-02-27", "2024-03-02"}, 5}, // the leap day counted
		{Week, "2025-12-31", "2026-01-12", []string{"2025-12-29", "2026-01-12"}, 3},
		{Week, "2026-01-05", "2026-01-11", []string{"2026-01-05", "2026-01-05"}, 1},
		{Month, "2025-11-15", "2026-02-01", []string{"2025-11-01", "2026-02-01"}, 4}, // across a year, partial ends
		{Month, "2026-02-10", "2026-02-10", []string{"2026-02-01", "2026-02-01"}, 1},
	} {
		r := aspire.Range{Start: day(c.start), End: day(c.end)}
		b := c.iv.Buckets(r)
		if len(b) != c.n || c.iv.Points(r) != c.n {
			t.Fatalf("%s over %s…%s: %d buckets, Points %d, want %d", c.iv, c.start, c.end, len(b), c.iv.Points(r), c.n)
		}
		if b[0].String() != c.want[0] || b[len(b)-1].String() != c.want[1] {
			t.Errorf("%s over %s…%s: buckets %s…%s, want %s…%s", c.iv, c.start, c.end, b[0], b[len(b)-1], c.want[0], c.want[1])
		}
		// Every day of the range falls in the bucket index says.
		for d := r.Start; !d.After(r.End); d = d.AddDays(1) {
			k := c.iv.index(r, d)
			if k < 0 || k >= len(b) || b[k] != c.iv.Start(d) {
				t.Fatalf("%s: day %s in bucket %d, want the one starting %s", c.iv, d, k, c.iv.Start(d))
			}
		}
	}
}

func TestCheckPoints(t *testing.T) {
	t.Parallel()
	year := aspire.Range{Start: day("2024-01-01"), End: day("2024-12-31")} // 366 days: the default limit exactly
	if err := CheckPoints(year, Day, 0); err != nil {
		t.Errorf("a leap year of days: %v, want it allowed", err)
	}
	two := aspire.Range{Start: day("2024-01-01"), End: day("2025-01-01")}
	err := CheckPoints(two, Day, 0)
	if err == nil || !strings.Contains(err.Error(), "367 points; at most 366") {
		t.Errorf("367 days: %v, want refused naming 367 and 366", err)
	}
	if err := CheckPoints(two, Week, 10); err == nil || !strings.Contains(err.Error(), "53 points; at most 10") {
		t.Errorf("53 ISO weeks, limit 10: %v", err)
	}
}

func i64(v int64) *int64 { return &v }

func TestSums(t *testing.T) {
	t.Parallel()
	t.Run("the rate is recomputed from the sums", func(t *testing.T) {
		var a acc
		a.Add(&aspire.Metrics{Reach: i64(100), Engagements: i64(10)}) // 10%
		a.Add(&aspire.Metrics{Reach: i64(900), Engagements: i64(10)}) // 1.1%
		m := a.Metrics()
		if m.EngagementRate == nil || *m.EngagementRate != 0.02 { // 20 / 1000, not the mean 5.6%
			t.Errorf("engagementRate %v, want 0.02", m.EngagementRate)
		}
	})
	t.Run("a metric no post reports stays null", func(t *testing.T) {
		var a acc
		a.Add(&aspire.Metrics{Impressions: i64(5)})
		a.Add(&aspire.Metrics{Impressions: i64(7), Views: i64(0)})
		m := a.Metrics()
		if m.Impressions == nil || *m.Impressions != 12 {
			t.Errorf("impressions %v, want 12", m.Impressions)
		}
		if m.Views == nil || *m.Views != 0 {
			t.Errorf("views %v, want 0 (one post reports 0)", m.Views)
		}
		if m.Likes != nil || m.Reach != nil || m.TMV != nil || m.EngagementRate != nil {
			t.Errorf("likes %v reach %v tmv %v rate %v: want null, no post reports them", m.Likes, m.Reach, m.TMV, m.EngagementRate)
		}
		var empty acc
		if e := empty.Metrics(); e.Impressions != nil || e.Engagements != nil || e.TMV != nil {
			t.Errorf("an empty bucket: %+v, want every metric null", e)
		}
	})
	t.Run("no reach, no rate", func(t *testing.T) {
		var a acc
		a.Add(&aspire.Metrics{Reach: i64(0), Engagements: i64(3)})
		if m := a.Metrics(); m.EngagementRate != nil {
			t.Errorf("engagementRate %v over a reach of 0, want null", *m.EngagementRate)
		}
	})
	t.Run("TMV rounded after summing", func(t *testing.T) {
		var a acc
		for range 3 {
			v := 1.004
			a.Add(&aspire.Metrics{TMV: &v})
		}
		if m := a.Metrics(); m.TMV == nil || *m.TMV != 3.01 { // 3.012; rounding each first would make 3.00
			t.Errorf("tmv %v, want 3.01", m.TMV)
		}
	})
}
