package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/redisstore/redistest"
)

// Replicas: several run() instances in passthrough mode over one simulator,
// with and without a real redis-server (see package redistest).

var demoCreds = map[string]string{"Authorization": "Bearer " + aspiretest.DemoKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}

// startReplicas starts n servers over upstream with args.
func startReplicas(t *testing.T, n int, upstream string, args ...string) []*running {
	t.Helper()
	rs := make([]*running, n)
	for i := range rs {
		rs[i] = start(t, append([]string{"-upstream-url", upstream}, args...), nil)
	}
	return rs
}

// ask POSTs a query without failing the test (it runs on load goroutines);
// err says what went wrong: transport, status or GraphQL errors.
func ask(base, query string, vars map[string]any, headers map[string]string, ext map[string]any) (json.RawMessage, error) {
	body := map[string]any{"query": query, "variables": vars}
	if ext != nil {
		body["extensions"] = ext
		if query == "" {
			delete(body, "query")
		}
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var g gqlResponse
	if err := json.Unmarshal(raw, &g); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %.300s", resp.StatusCode, raw)
	}
	if len(g.Errors) > 0 {
		return g.Data, fmt.Errorf("errors: %.300s", raw)
	}
	return g.Data, nil
}

// metric sums the samples of a metric family on a replica's /metrics whose
// line contains every one of match.
func metric(t *testing.T, base, name string, match ...string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
lines:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		for _, m := range match {
			if !strings.Contains(line, m) {
				continue lines
			}
		}
		f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			sum += f
		}
	}
	return sum
}

// distinctRange is the i-th of many distinct date ranges: each query with
// one costs one upstream request that no cache can answer.
func distinctRange(i int) map[string]any {
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%600)
	end := day.AddDate(0, 0, 1+i/600)
	return map[string]any{"r": map[string]any{"start": day.Format(time.DateOnly), "end": end.Format(time.DateOnly)}}
}

const countQuery = `query Count($r: DateRangeInput!) { posts(range: $r, first: 1) { totalCount } }`

// load runs workers closed-loop queries against replicas (round robin) for
// d, with distinct variables from next; it returns the failures.
func load(replicas []*running, workers int, d time.Duration, next func() map[string]any) (ok int64, failed []error) {
	var (
		mu   sync.Mutex
		n    atomic.Int64
		wg   sync.WaitGroup
		stop = time.Now().Add(d)
	)
	for w := range workers {
		wg.Go(func() {
			for i := w; time.Now().Before(stop); i += workers {
				if _, err := ask(replicas[i%len(replicas)].base, countQuery, next(), demoCreds, nil); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
					continue
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return n.Load(), failed
}

// worstWindow is the most requests the simulator saw in any window of
// length w, and the count of 429s.
func worstWindow(reqs []aspiretest.Request, w time.Duration) (worst, tooMany int) {
	at := make([]time.Time, 0, len(reqs))
	for _, r := range reqs {
		at = append(at, r.At)
		if r.Status == http.StatusTooManyRequests {
			tooMany++
		}
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	j := 0
	for i := range at {
		for at[i].Sub(at[j]) >= w {
			j++
		}
		worst = max(worst, i-j+1)
	}
	return worst, tooMany
}

// TestReplicasShareTheRateBudget is (c): three replicas, each allowed the
// simulator's whole per-key quota by -rate-limit, under 30 s of distinct
// queries. With Redis they share one budget: no 429, the upstream rate
// within the quota. Without, each spends its own and the simulator answers
// 429 (so the test can fail).
func TestReplicasShareTheRateBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s of load")
	}
	redis := redistest.Start(t)
	// One replica's settings allow rate × window + burst = 9 × 2 + 8 = 26
	// requests in any 2 s against the simulator's quota of 30: sized as an
	// operator sizes -rate-limit, a little under the quota, because a slot
	// reserved at t reaches the upstream at t plus scheduling delay, and on a
	// loaded 2-core CI machine that delay squeezed 31 arrivals into a window
	// whose reservations were 30. Three replicas without a shared budget
	// still spend 3 × 9 = 27 a second against 15, so the test can fail.
	const rate, burst, window, quota = 9, 8, 2 * time.Second, 30
	limits := []string{"-rate-limit", strconv.Itoa(rate), "-rate-burst", strconv.Itoa(burst), "-log-level", "warn"}

	type result struct {
		perReplica  []float64
		ok          int64
		failed      []error
		worst, n429 int
		total       int
		flaps       int // times a replica lost Redis
		elapsed     time.Duration
	}
	runCase := func(t *testing.T, d time.Duration, extra ...string) result {
		sim := aspiretest.New(aspiretest.WithRateLimit(quota, window), aspiretest.WithSizes(aspiretest.SmallSizes))
		up := httptest.NewServer(sim)
		t.Cleanup(up.Close)
		replicas := startReplicas(t, 3, up.URL, append(slices.Clone(limits), extra...)...)
		var i atomic.Int64
		began := time.Now()
		ok, failed := load(replicas, 12, d, func() map[string]any { return distinctRange(int(i.Add(1))) })
		res := result{ok: ok, failed: failed, elapsed: time.Since(began)}
		for _, r := range replicas {
			res.perReplica = append(res.perReplica, metric(t, r.base, "aspire_upstream_requests_total"))
			res.flaps += int(metric(t, r.base, "redis_transitions_total", `to="down"`))
		}
		reqs := sim.Requests()
		res.total = len(reqs)
		res.worst, res.n429 = worstWindow(reqs, window)
		return res
	}
	var with, without result
	t.Run("group", func(t *testing.T) {
		t.Run("redis", func(t *testing.T) {
			t.Parallel()
			// A generous Redis timeout: this machine has 2 cores shared with
			// the race detector and the other packages' tests, and a command
			// timing out sends that replica to its local share on top of the
			// others' shared budget (the fallback is tested on its own, with
			// the default timeout, by killing Redis).
			with = runCase(t, 30*time.Second, "-redis-url", redis.URL(), "-redis-timeout", "1s")
		})
		t.Run("local", func(t *testing.T) {
			t.Parallel()
			without = runCase(t, 10*time.Second)
		})
	})
	t.Logf("with Redis: %d queries answered, %d failed in %v; upstream requests per replica %v (total %d, %.1f/s); worst %v window %d of quota %d; 429s %d; Redis lost %d times",
		with.ok, len(with.failed), with.elapsed.Round(time.Millisecond), with.perReplica, with.total, float64(with.total)/with.elapsed.Seconds(), window, with.worst, quota, with.n429, with.flaps)
	t.Logf("without Redis: %d queries answered, %d failed in %v; upstream requests per replica %v (total %d); worst %v window %d; 429s %d",
		without.ok, len(without.failed), without.elapsed.Round(time.Millisecond), without.perReplica, without.total, window, without.worst, without.n429)
	if with.n429 != 0 || with.worst > quota {
		t.Errorf("with Redis: %d 429s, worst window %d: the replicas overspent the shared budget", with.n429, with.worst)
	}
	if len(with.failed) > 0 {
		t.Errorf("with Redis, %d queries failed; first: %v", len(with.failed), with.failed[0])
	}
	if with.ok < 200 {
		t.Errorf("with Redis only %d queries in 30 s: the budget was not used", with.ok)
	}
	for i, n := range with.perReplica {
		if n == 0 {
			t.Errorf("replica %d made no upstream request: the load did not spread", i)
		}
	}
	if without.n429 == 0 {
		t.Errorf("without Redis no 429 (worst window %d): the test cannot tell a shared budget from none", without.worst)
	}
}

// TestReplicasSurviveRedisRestart is (d): Redis is killed and restarted
// under load; no request fails because of it, the replicas report degraded
// while it is away and use it again once it is back.
func TestReplicasSurviveRedisRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("load")
	}
	redis := redistest.Start(t)
	sim := aspiretest.New(aspiretest.WithRateLimit(30, 2*time.Second), aspiretest.WithSizes(aspiretest.SmallSizes))
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	replicas := startReplicas(t, 3, up.URL, "-rate-limit", "10", "-rate-burst", "10", "-redis-url", redis.URL(), "-log-level", "warn")

	var i atomic.Int64
	type phase struct {
		name     string
		upstream int
	}
	var phases []phase
	var degraded []string
	done := make(chan struct{})
	var ok int64
	var failed []error
	go func() {
		defer close(done)
		ok, failed = load(replicas, 12, 12*time.Second, func() map[string]any { return distinctRange(int(i.Add(1))) })
	}()
	time.Sleep(3 * time.Second)
	phases = append(phases, phase{"before", sim.Count("")})
	redis.Kill()
	time.Sleep(4 * time.Second) // the outage, under load
	// Each replica says so (it was read once, after the 4 s: a loaded
	// machine may take longer to notice, which is no failure).
	for _, r := range replicas {
		st, body := readyzUntil(t, r.base, func(st int, body string) bool { return st == http.StatusOK && strings.Contains(body, "degraded") })
		if st != http.StatusOK || !strings.Contains(body, "degraded") {
			t.Errorf("readyz while Redis is down: %d %q", st, body)
		}
		degraded = append(degraded, strings.TrimSpace(body))
	}
	phases = append(phases, phase{"down", sim.Count("")})
	redis.Restart()
	<-done
	phases = append(phases, phase{"after", sim.Count("")})

	_, n429 := worstWindow(sim.Requests(), 2*time.Second)
	t.Logf("Redis killed at 3 s, restarted at 7 s, load until 12 s: %d queries answered, %d failed; upstream requests: %d before, %d while down, %d after; 429s %d",
		ok, len(failed), phases[0].upstream, phases[1].upstream-phases[0].upstream, phases[2].upstream-phases[1].upstream, n429)
	t.Logf("readyz while down: %q", degraded[0])
	if len(failed) > 0 {
		t.Errorf("%d queries failed; first: %v", len(failed), failed[0])
	}
	if phases[1].upstream == phases[0].upstream {
		t.Error("no upstream request while Redis was down: the replicas stalled")
	}
	for i, r := range replicas {
		back := func(st int, body string) bool { return st == http.StatusOK && !strings.Contains(body, "degraded") }
		if st, body := readyzUntil(t, r.base, back); !back(st, body) {
			t.Errorf("replica %d after Redis returned: %d %q", i, st, body)
		}
		if n := metric(t, r.base, "redis_transitions_total", `to="up"`); n < 1 {
			t.Errorf("replica %d never came back up", i)
		}
		if n := metric(t, r.base, "redis_rate_limit_reservations_total", `source="local"`); n < 1 {
			t.Errorf("replica %d never used its local share", i)
		}
	}
	// One line per transition (a loaded machine may see a slow command too,
	// which is a transition of its own), never one per failed command.
	for i, r := range replicas {
		lines := strings.Count(r.out.String(), "redis unavailable")
		downs := metric(t, r.base, "redis_transitions_total", `to="down"`)
		if lines < 1 || float64(lines) != downs {
			t.Errorf("replica %d logged the outage %d times for %v transitions:\n%s", i, lines, downs, grepLines(r.out.String(), "redis"))
		}
	}
}

// readyzUntil reads a replica's /readyz until ok says what it answers is
// what the test waits for, for up to 20 s, and returns the last answer.
func readyzUntil(t *testing.T, base string, ok func(status int, body string) bool) (int, string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st, body := get(t, base+"/readyz")
		if ok(st, body) || time.Now().After(deadline) {
			return st, body
		}
	}
}

// threeWithRedis starts three replicas sharing one redis-server over one
// simulator without a quota.
func threeWithRedis(t *testing.T) (*aspiretest.Server, []*running) {
	t.Helper()
	redis := redistest.Start(t)
	sim := aspiretest.New(aspiretest.WithRateLimit(0, 0), aspiretest.WithSizes(aspiretest.SmallSizes))
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	return sim, startReplicas(t, 3, up.URL, "-redis-url", redis.URL(), "-redis-timeout", "1s", "-log-level", "warn")
}

// TestReplicasShareCaches is (a): a query answered by replica A costs
// replicas B and C zero upstream requests — B asks another document over the
// same upstream calls (the shared upstream cache answers), C the same
// document (the shared whole-response cache answers).
func TestReplicasShareCaches(t *testing.T) {
	t.Parallel()
	sim, rs := threeWithRedis(t)
	const onA = `query($r: DateRangeInput!) { posts(range: $r, first: 5) { totalCount nodes { id member { name } } } }`
	const onB = `query($r: DateRangeInput!) { posts(range: $r, first: 5) { nodes { id } } }`
	dataA, err := ask(rs[0].base, onA, october, demoCreds, nil)
	if err != nil {
		t.Fatal(err)
	}
	costA := sim.Count("")
	if costA != 2 {
		t.Fatalf("A: %d upstream requests, want 2 (the page, then its members)", costA)
	}
	dataB, err := ask(rs[1].base, onB, october, demoCreds, nil)
	if err != nil {
		t.Fatal(err)
	}
	dataC, err := ask(rs[2].base, onA, october, demoCreds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := sim.Count(""); got != costA {
		t.Errorf("B and C made %d upstream requests, want 0", got-costA)
	}
	if string(dataC) != string(dataA) {
		t.Errorf("C's answer differs from A's:\n%s\n%s", dataC, dataA)
	}
	if !strings.Contains(string(dataB), `"id":"1`) {
		t.Errorf("B: %s", dataB)
	}
	if n := metric(t, rs[1].base, "aspire_cache_requests_total", `result="redis_hit"`); n != 1 {
		t.Errorf("B: %v upstream calls answered by Redis, want 1", n)
	}
	if n := metric(t, rs[2].base, "redis_cache_requests_total", `cache="response"`, `result="hit"`); n != 1 {
		t.Errorf("C: %v whole responses from Redis, want 1", n)
	}
	t.Logf("upstream requests: A %d, B and C together %d", costA, sim.Count("")-costA)
}

// TestReplicasSharePersistedQueries is (b): an APQ hash registered on A is
// answered by B and C.
func TestReplicasSharePersistedQueries(t *testing.T) {
	t.Parallel()
	_, rs := threeWithRedis(t)
	const q = `{ projects { totalCount } }`
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256hex(q)}}
	if _, err := ask(rs[1].base, "", nil, demoCreds, ext); err == nil || !strings.Contains(err.Error(), "PersistedQueryNotFound") {
		t.Fatalf("an unknown hash on B: %v", err)
	}
	// Only keys the upstream accepted register in Redis (graph/apq.go): the
	// key's first query on A is its check.
	if _, err := ask(rs[0].base, `{ groups { totalCount } }`, nil, demoCreds, nil); err != nil {
		t.Fatalf("first query on A: %v", err)
	}
	if _, err := ask(rs[0].base, q, nil, demoCreds, ext); err != nil {
		t.Fatalf("registering on A: %v", err)
	}
	for _, r := range rs[1:] {
		data, err := ask(r.base, "", nil, demoCreds, ext)
		if err != nil || !strings.Contains(string(data), `"totalCount":`) {
			t.Fatalf("by hash on another replica: %s %v", data, err)
		}
	}
}

// Demo ids are 1xxxxxxx, the other workspace's 2xxxxxxx (the oracle of
// server's TestTenantIsolation).
// TestReplicasKeepTenantsApart is (e): two workspaces through three replicas
// sharing every cache: no answer carries the other workspace's data.
func TestReplicasKeepTenantsApart(t *testing.T) {
	t.Parallel()
	_, rs := threeWithRedis(t)
	other := map[string]string{"Authorization": "Bearer " + aspiretest.OtherKey, "X-Aspire-Client-Id": aspiretest.OtherClientID}
	q, ranges := aspiretest.IsolationQuery, aspiretest.IsolationRanges
	var wg sync.WaitGroup
	errs := make(chan error, 120)
	for i := range 120 {
		wg.Go(func() {
			h, ws := demoCreds, 0
			if i%2 == 1 {
				h, ws = other, 1
			}
			data, err := ask(rs[i%3].base, q, ranges[i%len(ranges)], h, nil)
			if err != nil {
				errs <- fmt.Errorf("request %d: %v", i, err)
				return
			}
			foreign, all := aspiretest.ForeignIDs(data, ws)
			if all == 0 {
				errs <- fmt.Errorf("request %d: no ids in %s", i, data)
			}
			if len(foreign) > 0 {
				errs <- fmt.Errorf("request %d of workspace %d through replica %d got id %s of the other workspace", i, ws, i%3, foreign[0])
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// A key without read:social, right after the demo key warmed the same
	// URLs on every replica and in Redis: no posts.
	scopeless := map[string]string{"Authorization": "Bearer " + aspiretest.DemoMemberOnlyKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}
	for _, r := range rs {
		data, err := ask(r.base, `query($r: DateRangeInput!) { posts(range: $r, first: 20) { nodes { id } } }`, ranges[0], scopeless, nil)
		if err == nil || !strings.Contains(err.Error(), "UNAUTHENTICATED") || strings.Contains(string(data), `"id":"1`) {
			t.Fatalf("a key without read:social: %s %v", data, err)
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// TestReplicasHonourRetryAfterTogether: once one replica is told 429 with
// Retry-After, no replica sends the workspace's next request before it
// expires.
func TestReplicasHonourRetryAfterTogether(t *testing.T) {
	t.Parallel()
	sim, rs := threeWithRedis(t)
	sim.Inject(aspiretest.Fault{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second, Count: 1})
	done := make(chan error, 1)
	go func() {
		_, err := ask(rs[0].base, countQuery, distinctRange(1), demoCreds, nil)
		done <- err
	}()
	// B asks once A has the 429 (its client counted it, and tells Redis
	// next): the simulator's log has it before A does, and B asking then
	// could reach Redis before A's Retry-After did.
	for deadline := time.Now().Add(20 * time.Second); metric(t, rs[0].base, "aspire_upstream_requests_total", `status="429"`) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("replica A never got its 429")
		}
	}
	if _, err := ask(rs[1].base, countQuery, distinctRange(2), demoCreds, nil); err != nil {
		t.Fatalf("B: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("A, after its retry: %v", err)
	}
	reqs := sim.Requests()
	if len(reqs) != 3 || reqs[0].Status != http.StatusTooManyRequests {
		t.Fatalf("want the 429, A's retry and B's request; got %d requests", len(reqs))
	}
	for _, r := range reqs[1:] {
		if gap := r.At.Sub(reqs[0].At); gap < 1900*time.Millisecond {
			t.Errorf("a request %v after the 429 with Retry-After 2 s", gap.Round(time.Millisecond))
		}
	}
}
