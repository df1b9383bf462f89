package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one measured cell.
type result struct {
	Server, Workload string
	Conns            int
	Latency          string // the simulator's added latency
	Queries          int
	Errors           int // non-200 or a body with "errors"
	RPS              float64
	P50, P90, P99    time.Duration
	UpstreamPerQuery float64
	CPUPer1000       float64 // CPU seconds of the server process per 1,000 queries
	SimCPUPer1000    float64 // the simulator's, on the same cores
	ClientCPUPer1000 float64 // the load generator's (this process), on the same cores
	PeakRSSMiB       float64
}

// load drives url with conns closed-loop clients for warm-up then duration,
// and reports what it measured. Every client has its own keep-alive
// connection, as wrk does.
func load(ctx context.Context, url, auth string, w workload, kind string, conns int, warmup, duration time.Duration) (lat []time.Duration, errs int, elapsed time.Duration) {
	q := w.query[kind]
	var mu sync.Mutex
	var errCount atomic.Int64
	var measuring atomic.Bool
	var counter atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range conns {
		wg.Go(func() {
			tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DialContext: (&net.Dialer{}).DialContext, DisableCompression: true}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
			var mine []time.Duration
			var buf bytes.Buffer // reused: the generator's own cost shares the cores with the servers
			for {
				select {
				case <-stop:
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
					return
				default:
				}
				i := int(counter.Add(1))
				body, _ := json.Marshal(map[string]any{"query": q, "variables": w.vars(kind, i)})
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", auth)
				req.Header.Set("X-Aspire-Client-Id", clientID)
				start := time.Now()
				resp, err := hc.Do(req)
				ok := err == nil
				if ok {
					buf.Reset()
					_, err = buf.ReadFrom(resp.Body)
					resp.Body.Close()
					ok = err == nil && resp.StatusCode == 200 && !bytes.Contains(buf.Bytes(), []byte(`"errors"`))
				}
				d := time.Since(start)
				if measuring.Load() {
					mine = append(mine, d)
					if !ok {
						errCount.Add(1)
					}
				}
			}
		})
	}
	time.Sleep(warmup)
	measuring.Store(true)
	begin := time.Now()
	time.Sleep(duration)
	measuring.Store(false)
	elapsed = time.Since(begin)
	close(stop)
	wg.Wait()
	return lat, int(errCount.Load()), elapsed
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func summarize(r *result, lat []time.Duration, elapsed time.Duration) {
	slices.Sort(lat)
	r.Queries = len(lat)
	r.RPS = float64(len(lat)) / elapsed.Seconds()
	r.P50, r.P90, r.P99 = percentile(lat, 0.5), percentile(lat, 0.9), percentile(lat, 0.99)
}

// one sends a single query and returns its body (for cold-cache counts and
// checks).
func one(url, auth string, w workload, kind string, i int) ([]byte, error) {
	body, _ := json.Marshal(map[string]any{"query": w.query[kind], "variables": w.vars(kind, i)})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	req.Header.Set("X-Aspire-Client-Id", clientID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || bytes.Contains(b, []byte(`"errors"`)) {
		return b, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, b)
	}
	return b, err
}
