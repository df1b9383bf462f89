package export_test

import (
	"context"
	"io"
	"net/http/httptest"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/export"
)

// BenchmarkExport100kPosts exports 100,000 posts as CSV. Its heap figure
// counts the in-process simulator's allocations (and garbage not yet
// collected) too; scripts/measure-export.sh measures the export alone, as a
// process of its own (peak RSS 27 MiB for 100,000 posts here).
func BenchmarkExport100kPosts(b *testing.B) {
	sz := aspiretest.DefaultSizes
	sz.Posts = 100_000
	up := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(sz), aspiretest.WithRateLimit(0, 0)))
	defer up.Close()
	c, _ := aspire.New(up.URL, aspire.WithRateLimit(0, 0), aspire.WithCache(0, 0, 0))
	defer c.Close()
	t := c.As(aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID})
	q := aspire.PostQuery{Filter: aspire.Filter{Range: aspire.Range{Start: sz.First, End: sz.Last}}, Limit: aspire.MaxLimit}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	var peak uint64
	for b.Loop() {
		base := heap()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			tick := time.NewTicker(2 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if h := heap(); h > base && h-base > peak {
						peak = h - base
					}
				}
			}
		})
		rows, err := export.Posts(context.Background(), t, q, io.Discard, export.Options{Format: export.CSV})
		close(stop)
		wg.Wait()
		if err != nil || rows != sz.Posts {
			b.Fatalf("%d rows, %v", rows, err)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-with-sim-MiB")
	b.ReportMetric(float64(sz.Posts), "rows/op")
}
