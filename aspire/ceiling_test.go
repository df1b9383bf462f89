package aspire_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// TestUpstreamCeiling: the calls of all tenants together stay under the
// ceiling, whatever each tenant's own bucket allows; a wait past the
// deadline fails at once as rate limited.
func TestUpstreamCeiling(t *testing.T) {
	t.Parallel()
	var waits atomic.Int64 // calls that reserved a wait for the ceiling
	sim, c := setup(t, nil, aspire.WithCache(0, 0, 0), aspire.WithDedup(false), aspire.WithUpstreamCeiling(40, 8),
		aspire.WithObserver(func(_ context.Context, e aspire.Event) {
			if e.Kind == aspire.EventRateLimitWait {
				waits.Add(1)
			}
		}))
	tenants := []aspire.Creds{demo,
		{APIKey: aspiretest.DemoSecondKey, ClientID: aspiretest.DemoClientID},
		{APIKey: aspiretest.OtherKey, ClientID: aspiretest.OtherClientID}}
	// Keys never accepted share a quarter of the ceiling (10/s, burst 2):
	// let each be accepted first, then the ceiling's burst refill.
	for _, cr := range tenants {
		if _, err := c.As(cr).Projects(context.Background(), aspire.ListQuery{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	time.Sleep(250 * time.Millisecond)
	sim.Reset()
	start := time.Now()
	var wg sync.WaitGroup
	for _, cr := range tenants {
		for range 8 {
			wg.Go(func() {
				if _, err := c.As(cr).Groups(context.Background(), aspire.ListQuery{}); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	// 24 calls with a burst of 8 at 40/s: at least 16/40 s.
	if d, n := time.Since(start), sim.Count(""); n != 24 || d < 350*time.Millisecond {
		t.Fatalf("%d calls in %v; want 24 in at least 400 ms", n, d)
	}
	// Queue a second of calls, and wait until most have their place in the
	// queue (a 20 ms sleep could leave it empty on a loaded machine, and the
	// call below went in a free slot).
	queued := waits.Load()
	for range 40 {
		wg.Go(func() { c.As(demo).Groups(context.Background(), aspire.ListQuery{}) })
	}
	for deadline := time.Now().Add(10 * time.Second); waits.Load()-queued < 30; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 40 calls queued for the ceiling", waits.Load()-queued)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.As(tenants[2]).Groups(ctx, aspire.ListQuery{}); code(err) != aspire.CodeRateLimited {
		t.Errorf("a wait past the deadline: %v", err)
	}
	wg.Wait()
}
