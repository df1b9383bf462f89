package server_test

import (
	"sync/atomic"
	"syscall"
	"testing"
	"time"
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

func cpuNow() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// BenchmarkW1Parallel and BenchmarkW3Parallel run W1 and W3 from 8
// goroutines per CPU without the whole-response cache and report the
// process's CPU time per query: raw execution's cost (see docs/decisions.md).
func BenchmarkW1Parallel(b *testing.B) {
	benchmarkParallel(b, `query W1($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id caption postedAt metrics { impressions engagements tmv } member { id name } } } }`)
}

func BenchmarkW3Parallel(b *testing.B) {
	benchmarkParallel(b, `query W3($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { id name projects { id name } groups { id name } performance(range: $r) { postCount metrics { tmv engagements } } } } } }`)
}

func benchmarkParallel(b *testing.B, q string, args ...string) {
	s := newStack(b, append([]string{"-rate-limit", "0", "-response-cache-bytes", "0", "-merge-inflight=false"}, args...))
	vars := map[string]any{"r": map[string]any{"start": "2026-01-01", "end": "2026-01-31"}}
	s.query(b, q, vars)
	c0 := cpuNow()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.query(b, q, vars)
		}
	})
	b.ReportMetric((cpuNow()-c0)/float64(b.N), "cpu-ms/op")
}

// BenchmarkW5Parallel is W1's shape with every request distinct (a new
// range each time), so each costs an upstream page; the simulator runs in
// the same process, so its CPU is in cpu-ms/op too.
func BenchmarkW5Parallel(b *testing.B) {
	s := newStack(b, []string{"-rate-limit", "0", "-response-cache-bytes", "0", "-merge-inflight=false"})
	const q = `query W5($r: DateRangeInput!) { posts(range: $r, first: 100, sort: {field: IMPRESSIONS, order: DESC}) { nodes { id caption postedAt metrics { impressions engagements tmv } member { id name } } } }`
	var n atomic.Int64
	c0 := cpuNow()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(i%600))
			end := start.AddDate(0, 0, 13+int(i/600%60))
			s.query(b, q, map[string]any{"r": map[string]any{"start": start.Format("2006-01-02"), "end": end.Format("2006-01-02")}})
		}
	})
	b.ReportMetric((cpuNow()-c0)/float64(b.N), "cpu-ms/op")
}
