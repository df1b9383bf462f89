package server_test

import (
	"testing"
)

// BenchmarkW1 is the benchmark harness's W1 through the whole server
// (middleware, response cache, gqlgen, loaders, client) over sockets, warm.
// With -response-cache-bytes 0 it measures raw execution.
func BenchmarkW1(b *testing.B) {
	for _, tc := range []struct {
		name string
		args []string
	}{{"response-cache", nil}, {"no-response-cache", []string{"-response-cache-bytes", "0"}}} {
		b.Run(tc.name, func(b *testing.B) {
			s := newStack(b, append([]string{"-rate-limit", "0"}, tc.args...))
			const q = `query W1($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id caption postedAt metrics { impressions engagements tmv } member { id name } } } }`
			vars := map[string]any{"r": map[string]any{"start": "2026-01-01", "end": "2026-01-31"}}
			s.query(b, q, vars)
			b.ReportAllocs()
			for b.Loop() {
				if r := s.query(b, q, vars); len(r.Errors) > 0 {
					b.Fatal(string(r.body))
				}
			}
		})
	}
}
