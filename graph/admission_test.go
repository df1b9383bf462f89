package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/admission"
	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// bounded serves the handler, with Admission of n executions, over the simulator, whose
// answers take latency; peak is the most upstream requests seen at once.
type bounded struct {
	url  string
	sim  *aspiretest.Server
	peak atomic.Int32
}

func newBounded(t *testing.T, n int, latency time.Duration, resumeWait ...time.Duration) *bounded {
	t.Helper()
	b := &bounded{sim: aspiretest.New(aspiretest.WithRateLimit(0, 0))}
	b.sim.SetLatency(latency, 0)
	var inFlight atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := b.peak.Load(); n > p && !b.peak.CompareAndSwap(p, n); p = b.peak.Load() {
		}
		b.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	c, err := aspire.New(up.URL, withEndpoints, aspire.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	gate := admission.New(n, 0)
	if len(resumeWait) > 0 {
		gate.SetResumeWait(resumeWait[0])
	}
	h := graph.NewHandler(graph.HandlerConfig{})
	h.Use(graph.Admission(gate))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(loaders.With(r.Context(), c.As(demo))))
	}))
	t.Cleanup(ts.Close)
	b.url = ts.URL
	return b
}

// askAll sends the queries at once and fails on any error; a hang fails
// at the client's timeout rather than the test binary's.
func (b *bounded) askAll(t *testing.T, q string, vars []map[string]any) {
	t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, len(vars))
	for _, v := range vars {
		wg.Go(func() {
			body, _ := json.Marshal(map[string]any{"query": q, "variables": v})
			resp, err := hc.Post(b.url, "application/json", bytes.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var r response
			if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
				errs <- fmt.Errorf("%v %+v", err, r.Errors)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// sixDistinct are six queries of one upstream call each, all different.
func sixDistinct() (string, []map[string]any) {
	var vars []map[string]any
	for i := range 6 {
		vars = append(vars, map[string]any{"r": q1, "n": 10 + i})
	}
	return `query($r: DateRangeInput!, $n: Int!) { posts(range: $r, first: $n) { nodes { id } } }`, vars
}

// TestExecutionsAreBounded: with 2 executions admitted, six concurrent queries
// (each one upstream call, all distinct) run at most two at a time, and all
// of them answer.
func TestExecutionsAreBounded(t *testing.T) {
	t.Parallel()
	b := newBounded(t, 2, 100*time.Millisecond)
	q, vars := sixDistinct()
	b.askAll(t, q, vars)
	if got := b.sim.Count("/v1/posts"); got != 6 {
		t.Fatalf("%d upstream requests, want 6", got)
	}
	if p := b.peak.Load(); p != 2 {
		t.Fatalf("at most %d upstream requests at once, want 2 (two executions at a time)", p)
	}
}

// TestWaitingExecutionsLendTheirCPUSlot: 4 executions admitted run at most 2
// executions on the CPU at once, but one waiting on the upstream lends its
// CPU slot, so more than 2 of six queries wait on the upstream together
// (and never more than the 4 executing). Were the slot held across the
// wait, the peak would be 2.
func TestWaitingExecutionsLendTheirCPUSlot(t *testing.T) {
	t.Parallel()
	b := newBounded(t, 4, 300*time.Millisecond)
	q, vars := sixDistinct()
	b.askAll(t, q, vars)
	if p := b.peak.Load(); p <= 2 || p > 4 {
		t.Fatalf("%d upstream requests at once, want 3 or 4 (waiting executions lend their CPU slot; 4 execute)", p)
	}
}

// TestSharedLookupsDoNotDeadlockTheCPUSlot: with one CPU slot, twelve
// queries whose members overlap (by-id look-ups shared in flight, whose
// owner needs the slot back to hand its rows over) all answer. The first
// version of the CPU slot hung the harness's W5 this way: a look-up waiting
// on another's held the slot the other needed. With resumeWait an hour,
// such a cycle fails here at the client's 30 s timeout rather than costing
// a second (aspire's TestByIDReportsItsWaits holds the by-id wait to
// reporting itself).
func TestSharedLookupsDoNotDeadlockTheCPUSlot(t *testing.T) {
	t.Parallel()
	b := newBounded(t, 2, 30*time.Millisecond, time.Hour) // a cycle hangs until the client's timeout
	var vars []map[string]any
	for i := range 12 {
		vars = append(vars, map[string]any{"r": q1, "n": 20 + i})
	}
	b.askAll(t, `query($r: DateRangeInput!, $n: Int!) { posts(range: $r, first: $n) { nodes { id member { name } } } }`, vars)
	if got := b.sim.Count("/v1/posts"); got != 12 {
		t.Fatalf("%d posts requests, want 12", got)
	}
}

// TestSlowTenantCannotStarveOthers: with 4 execution slots and a tenant
// share of 2, a tenant whose upstream calls take 2 s holds at most 2 slots;
// another tenant's query runs at once instead of waiting behind it. With no
// share (the single-tenant modes) the same load makes it wait, which is
// what the share is for.
//
// Both the start and the verdict are read off the upstream, not a clock:
// the other tenant asks once the slow tenant's calls hold every slot they
// may, and it "answered first" when no slow call had been answered yet (a
// slot is freed only after one is). A fixed 300 ms sleep before it asked
// flaked under CI load: not every slow query held its slot yet.
func TestSlowTenantCannotStarveOthers(t *testing.T) {
	t.Parallel()
	other := aspire.Creds{APIKey: aspiretest.OtherKey, ClientID: aspiretest.OtherClientID}
	for _, tc := range []struct {
		share     int
		running   int32 // slow calls upstream at once: the slots the slow tenant may hold
		wantFirst bool  // the fast tenant answers before the slow one's queries
	}{{share: 2, running: 2, wantFirst: true}, {share: 0, running: 4, wantFirst: false}} {
		t.Run(fmt.Sprintf("share %d", tc.share), func(t *testing.T) {
			t.Parallel()
			sim := aspiretest.New(aspiretest.WithRateLimit(0, 0))
			const warmDay, warmEnd = 1, "2026-03-01"
			var slowArrived, slowAnswered atomic.Int32
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// The slow tenant, past its first call: the client lets a key
				// it has not seen answered make one call at a time, so
				// the test makes that call quick before the slow ones.
				if strings.Contains(r.Header.Get("Authorization"), aspiretest.DemoKey) && r.URL.Query().Get("end_date") != warmEnd {
					slowArrived.Add(1)
					time.Sleep(2 * time.Second)
					slowAnswered.Add(1)
				}
				sim.ServeHTTP(w, r)
			}))
			t.Cleanup(up.Close)
			c, err := aspire.New(up.URL, withEndpoints, aspire.WithRateLimit(0, 0), aspire.WithAttemptTimeout(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			h := graph.NewHandler(graph.HandlerConfig{})
			h.Use(graph.Admission(admission.New(4, tc.share)))
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				creds := demo
				if r.URL.Query().Get("t") == "other" {
					creds = other
				}
				h.ServeHTTP(w, r.WithContext(loaders.With(r.Context(), c.As(creds))))
			}))
			t.Cleanup(ts.Close)
			// Each slow query asks for its own range: the client merges
			// identical upstream calls, and four queries on one call would
			// hold four slots with one call upstream.
			ask := func(who string, day int) error {
				rng := map[string]any{"start": "2026-01-01", "end": fmt.Sprintf("2026-03-%02d", day)}
				body, _ := json.Marshal(map[string]any{"query": `query($r: DateRangeInput!) { posts(range: $r, first: 10) { nodes { id } } }`,
					"variables": map[string]any{"r": rng}})
				resp, err := http.Post(ts.URL+"?t="+who, "application/json", bytes.NewReader(body))
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				var r response
				if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
					return fmt.Errorf("%v %+v", err, r.Errors)
				}
				return nil
			}
			if err := ask("demo", warmDay); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for i := range 4 {
				wg.Go(func() {
					if err := ask("demo", 10+i); err != nil {
						t.Error(err)
					}
				})
			}
			for deadline := time.Now().Add(10 * time.Second); slowArrived.Load() < tc.running; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d slow calls reached the upstream, want %d", slowArrived.Load(), tc.running)
				}
			}
			time.Sleep(50 * time.Millisecond) // and the rest of them queue
			if err := ask("other", 10); err != nil {
				t.Fatal(err)
			}
			first := slowAnswered.Load() == 0
			wg.Wait()
			if got := slowArrived.Load(); got != 4 {
				t.Errorf("%d slow calls reached the upstream, want 4", got)
			}
			if first != tc.wantFirst {
				t.Errorf("share %d: the other tenant answered first = %v, want %v", tc.share, first, tc.wantFirst)
			}
		})
	}
}
