package aspire_test

import (
	"context"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

type countingWaiter struct{ begun, ended int }

func (w *countingWaiter) Waiting() func() {
	w.begun++
	return func() { w.ended++ }
}

// A Waiter in the context is told of each call that waits on the upstream,
// and of none answered from the cache; WaiterFunc is the same for a
// function.
func TestWaiterIsToldOfUpstreamWaitsOnly(t *testing.T) {
	t.Parallel()
	sim, c := setup(t, nil)
	var w countingWaiter
	ctx := aspire.WithWaiter(context.Background(), &w)
	for range 2 { // the second is a cache hit
		if _, err := c.As(demo).Post(ctx, "12000001"); err != nil {
			t.Fatal(err)
		}
	}
	if w.begun != 1 || w.ended != 1 || sim.Count("") != 1 {
		t.Fatalf("waits %d begun, %d ended, %d upstream calls; want 1, 1, 1", w.begun, w.ended, sim.Count(""))
	}
	n := 0
	hctx := aspire.WithWaiter(context.Background(), aspire.WaiterFunc(func() func() { n++; return func() {} }))
	if _, err := c.As(demo).Post(hctx, "12000002"); err != nil || n != 1 {
		t.Fatalf("hook called %d times (err %v), want 1", n, err)
	}
}
