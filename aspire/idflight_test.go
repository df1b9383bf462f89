package aspire_test

import (
	"context"
	"regexp"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/internal/testwait"
)

// slowSim is the simulator answering after 300 ms, and a way to wait until
// a request has reached it (its log records a request once answered).
func slowSim(t *testing.T) (*aspiretest.Server, *aspire.Client, func()) {
	t.Helper()
	sim := aspiretest.New(aspiretest.WithSizes(small), aspiretest.WithRateLimit(0, 0))
	sim.SetLatency(300*time.Millisecond, 0)
	var inFlight, peak atomic.Int32
	c, err := aspire.New(baseOf(t, countingHandler(sim, &inFlight, &peak)), aspire.WithRetry(1, 0, 0), aspire.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	arrived := func() {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); inFlight.Load() == 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no request reached the simulator")
			}
		}
	}
	return sim, c, arrived
}

// A look-up whose ids another look-up is fetching waits for that fetch and
// asks only for the rest.
func TestByIDWaitsForIDsInFlight(t *testing.T) {
	t.Parallel()
	sim, c, arrived := slowSim(t)
	tn := c.As(demo)
	ctx := context.Background()
	first := make(chan error, 1)
	go func() {
		got, err := tn.MembersByID(ctx, []string{"11000001", "11000002", "11000003"}, aspire.MemberQuery{})
		if err == nil && len(got) != 3 {
			t.Errorf("first look-up: %d members", len(got))
		}
		first <- err
	}()
	arrived()
	got, err := tn.MembersByID(ctx, []string{"11000002", "11000003", "11000004"}, aspire.MemberQuery{})
	if err != nil || len(got) != 3 {
		t.Fatalf("second look-up: %d members, err %v", len(got), err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	reqs := sim.Requests()
	if len(reqs) != 2 || !slices.Equal(reqs[1].IDs("member_id"), []string{"11000004"}) {
		t.Fatalf("requests %v, want the second to ask only for 11000004", reqs)
	}
}

// When the look-up fetching an id is cancelled, one waiting for it with time
// left fetches the id itself rather than fail. Not parallel: testwait
// counts the process's goroutines.
func TestByIDRefetchesWhatAnAbandonedLookUpHeld(t *testing.T) {
	sim, c, arrived := slowSim(t)
	tn := c.As(demo)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := tn.MembersByID(ctx, []string{"11000001", "11000002"}, aspire.MemberQuery{})
		first <- err
	}()
	arrived()
	second := make(chan map[string]aspire.Member, 1)
	go func() {
		got, err := tn.MembersByID(context.Background(), []string{"11000002"}, aspire.MemberQuery{})
		if err != nil {
			t.Errorf("second look-up: %v", err)
		}
		second <- got
	}()
	// The second look-up is waiting on the first's fetch (after a 50 ms
	// sleep it might not be yet on a loaded machine, and then it fetched
	// the id after the cancel: the test passed without testing anything).
	testwait.WaitParked(t, regexp.MustCompile(`/aspire\.byID\[`), 1)
	cancel()
	if err := <-first; err == nil {
		t.Fatal("the cancelled look-up succeeded")
	}
	if got := <-second; len(got) != 1 || got["11000002"].ID != "11000002" {
		t.Fatalf("second look-up: %v", got)
	}
	if n := sim.Count(""); n != 2 {
		t.Fatalf("%d upstream requests, want 2 (the abandoned one and the waiter's own)", n)
	}
}

// A look-up waiting for ids another look-up is fetching reports the wait to
// the wait hook, as it does its own calls: the server lends such a waiting
// execution's CPU slot, which the fetching one may need to hand its rows
// over (graph/admission.go). The second look-up waits twice: on the first's
// fetch, and on its own call for the id nobody fetched.
func TestByIDReportsItsWaits(t *testing.T) {
	t.Parallel()
	_, c, arrived := slowSim(t)
	tn := c.As(demo)
	first := make(chan error, 1)
	go func() {
		_, err := tn.MembersByID(context.Background(), []string{"11000001", "11000002", "11000003"}, aspire.MemberQuery{})
		first <- err
	}()
	arrived()
	var entered, left atomic.Int32
	ctx := aspire.WithWaiter(context.Background(), aspire.WaiterFunc(func() func() {
		entered.Add(1)
		return func() { left.Add(1) }
	}))
	if _, err := tn.MembersByID(ctx, []string{"11000002", "11000003", "11000004"}, aspire.MemberQuery{}); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if e, l := entered.Load(), left.Load(); e != 2 || l != 2 {
		t.Fatalf("waits reported: %d begun, %d ended; want 2 and 2 (the first's fetch, its own call)", e, l)
	}
}
