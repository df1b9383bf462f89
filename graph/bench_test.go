package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

const benchQuery = `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { id name } } } }`

// benchmarkQuery runs benchQuery through the real handler over a socket to
// the simulator at zero latency and reports upstream requests per query.
func benchmarkQuery(b *testing.B, opts ...aspire.Option) {
	sim := aspiretest.New(aspiretest.WithRateLimit(0, 0))
	up := httptest.NewServer(sim)
	defer up.Close()
	c, _ := aspire.New(up.URL, append([]aspire.Option{withEndpoints, aspire.WithRateLimit(0, 0)}, opts...)...)
	h := graph.NewHandler(graph.HandlerConfig{})
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(loaders.With(r.Context(), c.As(demo))))
	})
	body, _ := json.Marshal(map[string]any{"query": benchQuery, "variables": map[string]any{"r": q1}})
	sim.Reset()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body)).WithContext(b.Context())
		req.Header.Set("Content-Type", "application/json")
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
		io.Discard.Write(rec.Body.Bytes())
	}
	b.ReportMetric(float64(sim.Count(""))/float64(b.N), "upstream/op")
}

// BenchmarkPostsWithMemberCold has no response cache: every query makes its
// two upstream calls.
func BenchmarkPostsWithMemberCold(b *testing.B) { benchmarkQuery(b, aspire.WithCache(0, 0, 0)) }

// BenchmarkPostsWithMemberWarm answers from the response cache.
func BenchmarkPostsWithMemberWarm(b *testing.B) { benchmarkQuery(b) }
