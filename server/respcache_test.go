package server_test

import (
	"sync"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

func TestWholeResponseCache(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithLatency(50*time.Millisecond, 0))
	const q = `query($r: DateRangeInput!) { posts(range: $r, first: 10) { nodes { id member { name } } } }`
	first := s.query(t, q, oct)
	if len(first.Errors) > 0 || s.sim.Count("") != 2 {
		t.Fatalf("first: %d upstream requests: %s", s.sim.Count(""), first.body)
	}
	s.sim.Reset()
	again := s.query(t, q, oct)
	if string(again.body) != string(first.body) || s.sim.Count("") != 0 {
		t.Fatalf("the same query again made %d upstream requests", s.sim.Count(""))
	}
	// Another workspace never gets this workspace's answer.
	other := s.queryAs(t, otherHeaders, q, oct)
	foreign, all := aspiretest.ForeignIDs(other.Data, 1)
	if string(other.body) == string(first.body) || all == 0 || len(foreign) > 0 {
		t.Fatalf("the other workspace got %s", other.body)
	}
	// Answers with errors are not kept.
	s.sim.Inject(aspiretest.Fault{Endpoint: "/v1/groups", Status: 503})
	const g = `{ group(id: "10200001") { name } }`
	s.query(t, g, nil)
	s.sim.ClearFaults()
	if r := s.query(t, g, nil); len(r.Errors) > 0 {
		t.Fatalf("an answer with errors was reused: %s", r.body)
	}
	// Identical queries in flight run once.
	s.sim.Reset()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if r := s.query(t, q, map[string]any{"r": map[string]any{"start": "2025-03-01", "end": "2025-03-31"}}); len(r.Errors) > 0 {
				t.Error(string(r.body))
			}
		})
	}
	wg.Wait()
	if n := s.sim.Count(""); n != 2 {
		t.Fatalf("20 identical concurrent queries made %d upstream requests, want 2", n)
	}
	if !has(s.logs.String(), `"operation":"(cached)"`) {
		t.Fatal("no access line says a cached answer was served")
	}
	off := newStack(t, []string{"-response-cache-bytes", "0"})
	off.query(t, q, oct)
	off.query(t, q, oct)
	if has(off.logs.String(), `"operation":"(cached)"`) {
		t.Fatal("with the response cache off, an answer was served from it")
	}
}
