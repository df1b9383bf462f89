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

// TestAbsentIsNotDrift: an optional field no record has carried, or one
// some records leave out, is not drift (it reads as null); a required one
// missing is, from the first sample (issue 21). Not parallel: Drifting is
// process-wide.
func TestAbsentIsNotDrift(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC).UnixNano())
	clock := aspire.WithClock(func() time.Time { return time.Unix(0, now.Load()) })
	ctx := context.Background()
	fetch := func(tn *aspire.Tenant) {
		t.Helper()
		now.Add(int64(61 * time.Second))
		if _, err := tn.Posts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: q1}, Limit: 5}); err != nil {
			t.Fatal(err)
		}
	}
	sim, c := setup(t, nil, aspire.WithCache(0, 0, 0), clock)
	tn := c.As(demo)
	sim.SetDrift(map[string]string{"tmv": "", "caption": ""}) // never sent, from the first sample on
	fetch(tn)
	fetch(tn)
	if aspire.Drifting() || tn.Missing("metrics", "tmv") || tn.Missing("post", "caption") {
		t.Fatal("a field never sent counts as drift")
	}
	c.Close()

	sim, c = setup(t, nil, aspire.WithCache(0, 0, 0), clock)
	defer c.Close()
	tn = c.As(demo)
	fetch(tn) // every record carries every field: established
	sim.SetDrift(map[string]string{"tmv": ""})
	fetch(tn)
	if !tn.Missing("metrics", "tmv") || tn.Missing("post", "caption") {
		t.Fatal("a field the upstream stopped sending is not drift")
	}
	sim.SetDrift(map[string]string{"member_id": ""})
	fetch(tn)
	if !tn.Missing("post", "member_id") || tn.Missing("metrics", "tmv") {
		t.Fatal("a required field missing is not drift, or tmv, sent again, still is")
	}
}
