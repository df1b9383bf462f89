package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

const w3 = `query($r: DateRangeInput!, $n: Int!) { posts(range: $r, first: $n) { nodes { id member { id name
	projects { id name } groups { id name } performance(range: $r) { postCount metrics { tmv engagements } } } } } }`

// byIDParam is the id list parameter of each by-id endpoint.
var byIDParam = map[string]string{"/v1/members": "member_id", "/v1/projects": "project_id", "/v1/groups": "group_id"}

// fetchedIDs counts how often each record was asked for by id, per endpoint
// and query (a roll-up over a range is another record than the plain one).
func fetchedIDs(reqs []aspiretest.Request) map[string]int {
	n := map[string]int{}
	for _, r := range reqs {
		param, ok := byIDParam[r.Endpoint]
		if !ok || r.Query.Get(param) == "" {
			continue
		}
		ids := r.IDs(param)
		rest := maps.Clone(r.Query)
		rest.Del(param)
		rest.Del("limit") // the batch's size
		for _, id := range ids {
			n[r.Endpoint+"?"+rest.Encode()+"#"+id]++
		}
	}
	return n
}

// TestExpiredRecordsRefillOncePerKey: when the cached records have expired
// (Purge), concurrent W3 queries whose loaders batch the same records
// differently (other page sizes over the same posts) fetch each record once,
// as one cold query does, instead of once per batch.
func TestExpiredRecordsRefillOncePerKey(t *testing.T) {
	t.Parallel()
	sim := aspiretest.New(aspiretest.WithRateLimit(0, 0))
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	c, err := aspire.New(up.URL, withEndpoints, aspire.WithRetry(3, time.Millisecond, 5*time.Millisecond), aspire.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	h := graph.NewHandler(graph.HandlerConfig{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Each request's loaders must not split their batches (the cold
		// count is one batch per level): a long wait, since a dozen requests
		// of a hundred posts each run at once here under -race.
		h.ServeHTTP(w, r.WithContext(loaders.With(r.Context(), c.As(demo), loaders.WithWait(500*time.Millisecond))))
	}))
	t.Cleanup(ts.Close)
	query := func(first int) error {
		body, _ := json.Marshal(map[string]any{"query": w3, "variables": map[string]any{"r": q1, "n": first}})
		resp, err := http.Post(ts.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var r response
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return err
		}
		if len(r.Errors) > 0 || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%d %+v", resp.StatusCode, r.Errors)
		}
		return nil
	}
	concurrently := func(firsts []int) {
		var wg sync.WaitGroup
		errs := make(chan error, len(firsts))
		for _, n := range firsts {
			wg.Go(func() { errs <- query(n) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}

	// One cold query: what a refill should cost.
	if err := query(100); err != nil {
		t.Fatal(err)
	}
	cold := sim.Requests()
	coldIDs := fetchedIDs(cold)
	if len(coldIDs) == 0 {
		t.Fatal("the cold query asked for no record by id")
	}

	// Identical queries after expiry: the cold query's count.
	c.Purge()
	sim.Reset()
	same := make([]int, 12)
	for i := range same {
		same[i] = 100
	}
	concurrently(same)
	if got, want := sim.Count(""), len(cold); got != want {
		t.Fatalf("12 identical queries after expiry: %d upstream requests, one cold query %d (%v)", got, want, sim.Counts())
	}

	// Queries over the same posts with other page sizes: their member,
	// project, group and roll-up batches differ, each record is asked for
	// once, and they are the cold query's records.
	c.Purge()
	sim.Reset()
	firsts := []int{100, 60, 30, 100, 80, 45, 100, 15, 90, 70, 100, 55}
	concurrently(firsts)
	got := fetchedIDs(sim.Requests())
	for k, n := range got {
		if n != 1 {
			t.Errorf("%s asked for %d times", k, n)
		}
		if coldIDs[k] == 0 {
			t.Errorf("%s asked for, the cold query did not", k)
		}
	}
	if len(got) != len(coldIDs) {
		t.Errorf("%d records asked for, the cold query %d", len(got), len(coldIDs))
	}
	if pages, want := sim.Count("/v1/posts"), 9; pages != want {
		t.Errorf("%d posts pages, want %d (one per page size)", pages, want)
	}
}
