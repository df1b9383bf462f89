package server_test

import (
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The harness's W1 and W3 (bench/workloads.go) over one month.
const (
	w1Query = `query W1($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id caption postedAt metrics { impressions engagements tmv } member { id name } } } }`
	w3Query = `query W3($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { id name projects { id name } groups { id name } performance(range: $r) { postCount metrics { tmv engagements } } } } } }`
)

var january = map[string]any{"r": map[string]any{"start": "2026-01-01", "end": "2026-01-31"}}

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
			s.query(b, w1Query, january)
			b.ReportAllocs()
			for b.Loop() {
				if r := s.query(b, w1Query, january); len(r.Errors) > 0 {
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

// parallelCPU runs query b.N times from 8 goroutines per CPU and reports
// the process's CPU milliseconds per query, settle's (if any) included.
func parallelCPU(b *testing.B, query func(), settle func()) {
	c0 := cpuNow()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			query()
		}
	})
	if settle != nil {
		settle()
	}
	b.ReportMetric((cpuNow()-c0)/float64(b.N), "cpu-ms/op")
}

// BenchmarkW1Parallel and BenchmarkW3Parallel run W1 and W3 from 8
// goroutines per CPU without the whole-response cache and report the
// process's CPU time per query: raw execution's cost (see docs/decisions.md).
func BenchmarkW1Parallel(b *testing.B) {
	benchmarkParallel(b, w1Query)
}

func BenchmarkW3Parallel(b *testing.B) {
	benchmarkParallel(b, w3Query)
}

func benchmarkParallel(b *testing.B, q string, args ...string) {
	s := newStack(b, append([]string{"-rate-limit", "0", "-response-cache-bytes", "0", "-merge-inflight=false"}, args...))
	s.query(b, q, january)
	parallelCPU(b, func() { s.query(b, q, january) }, nil)
}

// BenchmarkW5Parallel is W1's shape with every request distinct (a new
// range each time), so each costs an upstream page; the simulator runs in
// the same process, so its CPU is in cpu-ms/op too.
func BenchmarkW5Parallel(b *testing.B) {
	s := newStack(b, []string{"-rate-limit", "0", "-response-cache-bytes", "0", "-merge-inflight=false"})
	const q = `query W5($r: DateRangeInput!) { posts(range: $r, first: 100, sort: {field: IMPRESSIONS, order: DESC}) { nodes { id caption postedAt metrics { impressions engagements tmv } member { id name } } } }`
	var n atomic.Int64
	parallelCPU(b, func() {
		i := n.Add(1)
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(i%600))
		end := start.AddDate(0, 0, 13+int(i/600%60))
		s.query(b, q, map[string]any{"r": map[string]any{"start": start.Format("2006-01-02"), "end": end.Format("2006-01-02")}})
	}, nil)
}
