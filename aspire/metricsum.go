package aspire

import "math"

// MetricsSum adds records' metrics up, as a roll-up reports them: a count
// stays nil until some record reports it (a metric no post has stays null,
// not 0), TMV is rounded to the cent once, after summing, and the
// engagement rate is recomputed from the sums (a ratio is never summed or
// averaged). The zero value is an empty sum. The report planner and the
// simulator's member roll-ups both add up with it, so the two cannot
// disagree on what a sum is.
type MetricsSum struct {
	counts [10]*int64 // impressions reach views view_time likes comments shares saves clicks engagements
	tmv    *float64
}

// Add adds m to the sum.
func (s *MetricsSum) Add(m *Metrics) {
	for i, v := range [10]*int64{m.Impressions, m.Reach, m.Views, m.ViewTimeSeconds, m.Likes, m.Comments, m.Shares, m.Saves, m.Clicks, m.Engagements} {
		if v == nil {
			continue
		}
		if s.counts[i] == nil {
			s.counts[i] = new(int64)
		}
		*s.counts[i] += *v
	}
	if m.TMV != nil {
		if s.tmv == nil {
			s.tmv = new(float64)
		}
		*s.tmv += *m.TMV
	}
}

// Metrics returns the sums, with the rate recomputed from them (null when
// engagements or reach are, or reach is 0).
func (s *MetricsSum) Metrics() Metrics {
	c := s.counts
	m := Metrics{Impressions: c[0], Reach: c[1], Views: c[2], ViewTimeSeconds: c[3], Likes: c[4],
		Comments: c[5], Shares: c[6], Saves: c[7], Clicks: c[8], Engagements: c[9]}
	if s.tmv != nil {
		t := math.Round(*s.tmv*100) / 100
		m.TMV = &t
	}
	if m.Engagements != nil && m.Reach != nil && *m.Reach > 0 {
		rate := float64(*m.Engagements) / float64(*m.Reach)
		m.EngagementRate = &rate
	}
	return m
}

// Value is the metric a sort field names, as a number, and whether m has
// it: false where the metric is null, and for a field that names no metric
// (posted_at). The report's top members and the simulator's metric sorts
// both rank by it.
func (m *Metrics) Value(by SortField) (float64, bool) {
	var p *int64
	switch by {
	case SortEngagementRate:
		if m.EngagementRate == nil {
			return 0, false
		}
		return *m.EngagementRate, true
	case SortTMV:
		if m.TMV == nil {
			return 0, false
		}
		return *m.TMV, true
	case SortImpressions:
		p = m.Impressions
	case SortEngagements:
		p = m.Engagements
	case SortViewTime:
		p = m.ViewTimeSeconds
	case SortViews:
		p = m.Views
	}
	if p == nil {
		return 0, false
	}
	return float64(*p), true
}
