package aspire_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// TestMissingFollowsTheLatestSample: the fields the upstream stopped sending
// are known from the first sample on, until a later sample (a minute on)
// has them again; a closed client no longer counts as drifting. Not
// parallel: Drifting is process-wide.
func TestMissingFollowsTheLatestSample(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC).UnixNano())
	sim, c := setup(t, nil, aspire.WithCache(0, 0, 0), aspire.WithClock(func() time.Time { return time.Unix(0, now.Load()) }))
	ctx := context.Background()
	tn := c.As(demo)
	fetch := func() {
		t.Helper()
		if _, err := tn.Posts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: q1}, Limit: 5}); err != nil {
			t.Fatal(err)
		}
	}
	fetch()
	if aspire.Drifting() || tn.Missing("metrics", "tmv") {
		t.Fatal("drift without drift")
	}
	sim.SetDrift(map[string]string{"tmv": "tmv_usd", "caption": ""})
	now.Add(int64(61 * time.Second))
	fetch()
	if !aspire.Drifting() || !tn.Missing("metrics", "tmv") || !tn.Missing("post", "caption") || tn.Missing("metrics", "engagements") {
		t.Fatal("the dropped fields are not known as missing")
	}
	sim.SetDrift(nil)
	fetch() // within the minute: not sampled, still missing
	if !tn.Missing("metrics", "tmv") {
		t.Fatal("forgot the drift before the next sample")
	}
	now.Add(int64(61 * time.Second))
	fetch()
	if aspire.Drifting() || tn.Missing("metrics", "tmv") || tn.Missing("post", "caption") {
		t.Fatal("still missing after a sample that has the fields again")
	}
	sim.SetDrift(map[string]string{"tmv": ""})
	now.Add(int64(61 * time.Second))
	fetch()
	if !aspire.Drifting() {
		t.Fatal("not drifting")
	}
	c.Close()
	if aspire.Drifting() || tn.Missing("metrics", "tmv") {
		t.Fatal("a closed client still counts as drifting")
	}
}
