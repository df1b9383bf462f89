package server_test

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// TestMain fails the package if any test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestUnderFaults runs queries at 32 concurrent against an upstream that
// fails 20 % of calls with 503, resets 2 % of connections, answers bursts
// of 429 with Retry-After, and adds 0–200 ms of latency. CI runs 300
// queries; ASPIRE_GRAPHQL_FAULT_QUERIES=2000 runs the full slice.
func TestUnderFaults(t *testing.T) {
	n := 300
	if v, err := strconv.Atoi(os.Getenv("ASPIRE_GRAPHQL_FAULT_QUERIES")); err == nil && v > 0 {
		n = v
	}
	const concurrency = 32
	// A query's CPU time under -race on a loaded CI machine (one core for
	// this package) is ~125 ms, and 32 at once queue ~4 s for it: with 5 s
	// most ran out of time there, retries or not.
	const deadline = 10 * time.Second
	// The upstream allows 100 requests a second per key; the client's bucket
	// 80 a second.
	// No whole-response cache and a 1 s upstream cache, so that the faults
	// meet the queries instead of cached answers.
	s := newStack(t, []string{"-request-timeout", deadline.String(), "-rate-limit", "80", "-rate-burst", "40", "-cache-bytes", "8388608",
		"-cache-ttl", "1s", "-cache-past-ttl", "1s", "-response-cache-bytes", "0"},
		aspiretest.WithRateLimit(6000, time.Minute), aspiretest.WithLatency(100*time.Millisecond, 100*time.Millisecond))
	s.query(t, `{ projects { totalCount } }`, nil) // warm: the baseline includes the simulator's data
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	s.sim.Inject(aspiretest.Fault{Status: 503, Rate: 0.2})
	s.sim.Inject(aspiretest.Fault{Reset: true, Rate: 0.02})
	stopBursts := make(chan struct{})
	var bursts sync.WaitGroup
	// A burst of five 429s every 15 upstream requests (every 300 ms on a
	// quiet machine). Bursts by the clock flooded a loaded machine, which
	// makes fewer requests a second: two in three of its requests were
	// 429s, and fewer than half of the queries could be fully answered.
	bursts.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		next := 15
		for {
			select {
			case <-tick.C:
				if s.sim.Count("") >= next {
					s.sim.Inject(aspiretest.Fault{Status: 429, Count: 5, RetryAfter: time.Second})
					next += 15
				}
			case <-stopBursts:
				return
			}
		}
	})

	const q = `query($r: DateRangeInput!, $f: PostFilter) { posts(range: $r, filter: $f, first: 20) { totalCount nodes { id caption member { name } } } }`
	var full, partial, failed atomic.Int64
	lat := make([]time.Duration, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range concurrency {
		wg.Go(func() {
			for i := range jobs {
				week := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*(i%100))
				vars := map[string]any{"r": map[string]any{"start": week.Format("2006-01-02"), "end": week.AddDate(0, 0, 6).Format("2006-01-02")}}
				switch i % 3 {
				case 1:
					vars["f"] = map[string]any{"networks": []string{"INSTAGRAM"}}
				case 2:
					vars["f"] = map[string]any{"networks": []string{"TIKTOK", "YOUTUBE"}}
				}
				start := time.Now()
				r := s.query(t, q, vars)
				lat[i] = time.Since(start)
				switch {
				case r.status != 200:
					errs <- fmt.Errorf("query %d: HTTP %d: %s", i, r.status, r.body)
				case len(r.Errors) == 0:
					full.Add(1)
				case string(r.Data) != "null" && len(r.Data) > 0:
					partial.Add(1)
				default:
					failed.Add(1)
				}
				for _, e := range r.Errors {
					code := e.Extensions["code"]
					// A query whose whole execution ran out of time (a loaded
					// machine) has one error for the request, without a path.
					whole := code == "DEADLINE_EXCEEDED" && len(r.Errors) == 1
					if (code != "UPSTREAM_UNAVAILABLE" && code != "RATE_LIMITED" && code != "DEADLINE_EXCEEDED") || (len(e.Path) == 0 && !whole) || e.Message == "" {
						errs <- fmt.Errorf("query %d: imprecise error %+v", i, e)
					}
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(stopBursts)
	bursts.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	slices.Sort(lat)
	p99 := lat[len(lat)*99/100]
	reqs := s.sim.Requests()
	var r429, quota429, r503, resets int
	for _, r := range reqs {
		switch r.Status {
		case 429:
			r429++
			if !r.Injected {
				quota429++
			}
		case 503:
			r503++
		case 0:
			resets++
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("%d queries at %d concurrent: %d full, %d partial, %d failed; %d upstream requests (%d 503, %d resets, %d 429 of which %d over the quota); p50 %v, p99 %v, max %v; heap %d MiB before, %d MiB after",
		n, concurrency, full.Load(), partial.Load(), failed.Load(), s.sim.Count(""), r503, resets, r429, quota429,
		lat[len(lat)/2].Round(time.Millisecond), p99.Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond),
		before.HeapAlloc>>20, after.HeapAlloc>>20)

	if got := full.Load() + partial.Load() + failed.Load(); got != int64(n) {
		t.Fatalf("%d of %d queries answered", got, n)
	}
	if max := lat[len(lat)-1]; max > deadline+time.Second {
		t.Fatalf("a query took %v, past the %v deadline", max, deadline)
	}
	if full.Load() < int64(n)/2 {
		t.Fatalf("only %d of %d queries fully answered: retries are not doing their work", full.Load(), n)
	}
	// Injected 429s are the test's; 429s for going over the quota would be
	// the client's fault: its bucket must keep them near zero.
	if frac := float64(quota429) / float64(len(reqs)); frac > 0.01 {
		t.Fatalf("%.1f%% of upstream requests went over the quota", frac*100)
	}
	// Back to baseline, give or take the response cache (8 MiB) and slack.
	if after.HeapAlloc > before.HeapAlloc+24<<20 {
		t.Fatalf("heap grew from %d to %d MiB", before.HeapAlloc>>20, after.HeapAlloc>>20)
	}
}
