package aspire_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
)

var full = aspire.Range{Start: aspire.NewDate(2025, 1, 1), End: aspire.NewDate(2026, 12, 31)}

// BenchmarkDecodePostsPage decodes a 500-post page as the client does.
func BenchmarkDecodePostsPage(b *testing.B) {
	sim := aspiretest.New(aspiretest.WithSizes(small), aspiretest.WithRateLimit(0, 0))
	ts := httptest.NewServer(sim)
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/v1/posts?limit=500&start_date=2025-01-01&end_date=2026-12-31&client_id="+aspiretest.DemoClientID, nil)
	req.Header.Set("Authorization", "Bearer "+aspiretest.DemoKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	c := contract.Default()
	for b.Loop() {
		rows, _, err := aspire.DecodePosts(c, body)
		if err != nil || len(rows) != 500 {
			b.Fatal(err, len(rows))
		}
	}
}

// BenchmarkPostsPage500 is a whole uncached call: request, simulator, decode.
func BenchmarkPostsPage500(b *testing.B) {
	sim := aspiretest.New(aspiretest.WithSizes(small), aspiretest.WithRateLimit(0, 0))
	ts := httptest.NewServer(sim)
	defer ts.Close()
	c, _ := aspire.New(ts.URL, aspire.WithCache(0, 0, 0), aspire.WithRateLimit(0, 0))
	tn := c.As(demo)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tn.Posts(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: full}, Limit: 500}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPostsPageCached is the same call answered by the cache.
func BenchmarkPostsPageCached(b *testing.B) {
	sim := aspiretest.New(aspiretest.WithSizes(small), aspiretest.WithRateLimit(0, 0))
	ts := httptest.NewServer(sim)
	defer ts.Close()
	c, _ := aspire.New(ts.URL, aspire.WithRateLimit(0, 0))
	tn := c.As(demo)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tn.Posts(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: full}, Limit: 500}); err != nil {
			b.Fatal(err)
		}
	}
}
