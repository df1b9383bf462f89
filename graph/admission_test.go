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

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// TestExecutionsAreBounded: with MaxExecuting 2, six concurrent queries
// (each one upstream call, all distinct) run at most two at a time, and all
// of them answer.
func TestExecutionsAreBounded(t *testing.T) {
	t.Parallel()
	sim := aspiretest.New(aspiretest.WithRateLimit(0, 0))
	sim.SetLatency(100*time.Millisecond, 0)
	var inFlight, peak atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	c, err := aspire.New(up.URL, aspire.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	h := graph.NewHandler(graph.HandlerConfig{MaxExecuting: 2})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(loaders.With(r.Context(), c.As(demo))))
	}))
	t.Cleanup(ts.Close)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Go(func() {
			body, _ := json.Marshal(map[string]any{"query": `query($r: DateRangeInput!, $n: Int!) { posts(range: $r, first: $n) { nodes { id } } }`,
				"variables": map[string]any{"r": q1, "n": 10 + i}})
			resp, err := http.Post(ts.URL, "application/json", bytes.NewReader(body))
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
	if got := sim.Count("/v1/posts"); got != 6 {
		t.Fatalf("%d upstream requests, want 6", got)
	}
	if p := peak.Load(); p != 2 {
		t.Fatalf("at most %d upstream requests at once, want 2 (two executions at a time)", p)
	}
}

// TestSlowTenantCannotStarveOthers: with 4 execution slots and a tenant
// share of 2, a tenant whose upstream calls take 2 s holds at most 2 slots;
// another tenant's query runs at once instead of waiting behind it. With no
// share (the single-tenant modes) the same load makes it wait, which is
// what the share is for.
func TestSlowTenantCannotStarveOthers(t *testing.T) {
	t.Parallel()
	other := aspire.Creds{APIKey: aspiretest.OtherKey, ClientID: aspiretest.OtherClientID}
	for _, tc := range []struct {
		share     int
		wantFirst bool // the fast tenant answers before the slow one's queries
	}{{share: 2, wantFirst: true}, {share: 0, wantFirst: false}} {
		t.Run(fmt.Sprintf("share %d", tc.share), func(t *testing.T) {
			t.Parallel()
			sim := aspiretest.New(aspiretest.WithRateLimit(0, 0))
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.Header.Get("Authorization"), aspiretest.DemoKey) {
					time.Sleep(2 * time.Second) // the slow tenant
				}
				sim.ServeHTTP(w, r)
			}))
			t.Cleanup(up.Close)
			c, err := aspire.New(up.URL, aspire.WithRateLimit(0, 0), aspire.WithAttemptTimeout(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			h := graph.NewHandler(graph.HandlerConfig{MaxExecuting: 4, TenantShare: tc.share})
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				creds := demo
				if r.URL.Query().Get("t") == "other" {
					creds = other
				}
				h.ServeHTTP(w, r.WithContext(loaders.With(r.Context(), c.As(creds))))
			}))
			t.Cleanup(ts.Close)
			ask := func(who string, n int) error {
				body, _ := json.Marshal(map[string]any{"query": `query($r: DateRangeInput!, $n: Int!) { posts(range: $r, first: $n) { nodes { id } } }`,
					"variables": map[string]any{"r": q1, "n": n}})
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
			var slowDone atomic.Int32
			var wg sync.WaitGroup
			for i := range 4 {
				wg.Go(func() {
					if err := ask("demo", 10+i); err != nil {
						t.Error(err)
					}
					slowDone.Add(1)
				})
			}
			time.Sleep(300 * time.Millisecond) // the slow tenant's queries are running or queued
			if err := ask("other", 10); err != nil {
				t.Fatal(err)
			}
			first := slowDone.Load() == 0
			wg.Wait()
			if first != tc.wantFirst {
				t.Errorf("share %d: the other tenant answered first = %v, want %v", tc.share, first, tc.wantFirst)
			}
		})
	}
}
