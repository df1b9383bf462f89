package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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
