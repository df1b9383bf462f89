package aspire_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
)

var full = aspire.Range{Start: aspire.NewDate(2025, 1, 1), End: aspire.NewDate(2026, 12, 31)}

// BenchmarkDecodePostsPage decodes a 500-post page: as the client does
// (the contract's rewrite, then decodeRecords), under the built-in contract
// and under a bare-array camelCase one; the same rewrite then encoding/json
// (what the client did before decodeRecords); and encoding/json alone into
// the built-in envelope (what it did before contracts), for comparison.
func BenchmarkDecodePostsPage(b *testing.B) {
	page := func(b *testing.B, w aspiretest.Wire, auth func(*http.Request)) []byte {
		sim := aspiretest.New(aspiretest.WithSizes(small), aspiretest.WithRateLimit(0, 0), aspiretest.WithWire(w))
		ts := httptest.NewServer(sim)
		defer ts.Close()
		req, _ := http.NewRequest("GET", ts.URL+"/v1/posts?limit=500&start_date=2025-01-01&end_date=2026-12-31&client_id="+aspiretest.DemoClientID, nil)
		auth(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return body
	}
	builtin := page(b, aspiretest.Profiles["builtin"](), func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+aspiretest.DemoKey) })
	camel := aspiretest.Profiles["array-camel-xapikey"]()
	camelBody := page(b, camel, func(r *http.Request) { r.Header.Set("X-API-Key", aspiretest.DemoKey) })
	for _, bc := range []struct {
		name string
		c    *contract.Contract
		body []byte
	}{{"client/builtin", contract.Default(), builtin}, {"client/array-camel", camel.Contract, camelBody}} {
		b.Run(bc.name, func(b *testing.B) {
			wf := aspire.Compile(bc.c)
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				rows, _, err := aspire.DecodeRows[aspire.Post](wf, "/v1/posts", bc.body, aspire.DecodeRecords)
				if err != nil || len(rows) != 500 {
					b.Fatal(err, len(rows))
				}
			}
		})
	}
	b.Run("client/builtin/encoding-json", func(b *testing.B) {
		wf := aspire.Compile(contract.Default())
		b.SetBytes(int64(len(builtin)))
		b.ReportAllocs()
		for b.Loop() {
			rows, _, err := aspire.DecodeRows[aspire.Post](wf, "/v1/posts", builtin, json.Unmarshal)
			if err != nil || len(rows) != 500 {
				b.Fatal(err, len(rows))
			}
		}
	})
	b.Run("encoding-json-only", func(b *testing.B) {
		b.SetBytes(int64(len(builtin)))
		b.ReportAllocs()
		for b.Loop() {
			var l struct {
				Data       []aspire.Post   `json:"data"`
				Pagination json.RawMessage `json:"pagination"`
			}
			if err := json.Unmarshal(builtin, &l); err != nil || len(l.Data) != 500 {
				b.Fatal(err, len(l.Data))
			}
		}
	})
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
