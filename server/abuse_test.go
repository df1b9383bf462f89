package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/server"
)

// invalidKeyFlood sends n requests, 16 at a time, each with a made-up key
// of its own (or the same one), while the demo tenant keeps querying; it
// returns the upstream requests the made-up keys caused and how long the
// flood took, and fails the test if the demo tenant was not served.
func invalidKeyFlood(t *testing.T, s *stack, n int, distinct bool) (upstream int, took time.Duration) {
	t.Helper()
	if r := s.query(t, `{ projects { totalCount } }`, nil); len(r.Errors) > 0 { // the demo key is known
		t.Fatal(r.body)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				key := "made-up-key"
				if distinct {
					key = fmt.Sprintf("made-up-key-%d", i)
				}
				r := s.queryAs(t, map[string]string{"Authorization": "Bearer " + key, "X-Aspire-Client-Id": aspiretest.DemoClientID},
					`{ projects { totalCount } groups { totalCount } }`, nil)
				if c := r.code(); c != "UNAUTHENTICATED" && c != "RATE_LIMITED" {
					t.Errorf("a made-up key got %d %s", r.status, r.body)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	served := make(chan int)
	go func() {
		ok := 0
		for i := 0; ; i++ {
			select {
			case <-done:
				served <- ok
				return
			default:
			}
			// A query the caches cannot answer: the tenant needs the upstream.
			r := s.query(t, fmt.Sprintf(`{ projects(first: %d) { totalCount } }`, 1+i%50), nil)
			if len(r.Errors) > 0 {
				t.Errorf("the demo tenant was refused during the flood: %s", r.body)
			}
			ok++
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wg.Wait()
	took = time.Since(start)
	close(done)
	if ok := <-served; ok == 0 {
		t.Error("the demo tenant was not served during the flood")
	}
	for _, r := range s.sim.Requests() {
		if r.Key == "" {
			upstream++
		}
	}
	return upstream, took
}

// TestNoUpstreamAmplification: made-up keys cannot multiply the calls the
// upstream sees. Before, 2,000 requests with distinct made-up keys made
// 4,000 upstream calls, and one made-up key 258 in 24 s.
func TestNoUpstreamAmplification(t *testing.T) {
	t.Parallel()
	t.Run("distinct keys from one address: unverified-rate", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
		n, took := invalidKeyFlood(t, s, 2000, true)
		// unverified-rate 2/s with a burst of 10.
		if limit := 10 + int(2*took.Seconds()) + 1; n > limit {
			t.Fatalf("%d upstream calls in %v, want at most %d", n, took, limit)
		}
		t.Logf("%d upstream calls in %v", n, took)
	})
	t.Run("distinct keys, no per-address limit: the ceiling's share for unknown keys", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, []string{"-unverified-rate", "0"}, aspiretest.WithSizes(aspiretest.SmallSizes))
		n, took := invalidKeyFlood(t, s, 1000, true)
		// The ceiling is 4 × rate-limit (10/s, burst 20); keys never
		// accepted get a quarter of it: 10/s, burst 20.
		if limit := 20 + int(10*took.Seconds()) + 1; n > limit {
			t.Fatalf("%d upstream calls in %v, want at most %d", n, took, limit)
		}
		t.Logf("%d upstream calls in %v", n, took)
	})
	t.Run("one key: refused once, then remembered", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
		n, took := invalidKeyFlood(t, s, 500, false)
		if n != 1 {
			t.Fatalf("%d upstream calls for one made-up key, want 1", n)
		}
		// Waiting on the client's rate limiter (10/s) would take 50 s; the
		// bound leaves a loaded machine room (it was 5 s).
		if took > 25*time.Second {
			t.Fatalf("500 refusals took %v: refused keys should not wait on the rate limiter", took)
		}
	})
}

// TestKeyRevocation: a key revoked upstream reads nothing more once its
// re-check is due (key-recheck), cached past ranges included; and a 401
// met by any call evicts what the key had cached at once.
func TestKeyRevocation(t *testing.T) {
	t.Parallel()
	second := map[string]string{"Authorization": "Bearer " + aspiretest.DemoSecondKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}
	past := map[string]any{"r": map[string]any{"start": "2025-03-01", "end": "2025-03-31"}}
	const posts = `query($r: DateRangeInput!) { posts(range: $r, first: 5) { nodes { id member { name } } } }`
	const members = `query($r: DateRangeInput!) { members(range: $r, first: 5) { nodes { id } } }`
	t.Run("within key-recheck", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, []string{"-key-recheck", "300ms"}, aspiretest.WithSizes(aspiretest.SmallSizes))
		for _, q := range []string{posts, members} {
			if r := s.queryAs(t, second, q, past); len(r.Errors) > 0 {
				t.Fatal(r.body)
			}
		}
		s.sim.Revoke(aspiretest.DemoSecondKey)
		time.Sleep(350 * time.Millisecond)
		for _, q := range []string{posts, members, posts} {
			if r := s.queryAs(t, second, q, past); r.code() != "UNAUTHENTICATED" || has(string(r.body), `"id":"1`) {
				t.Fatalf("a revoked key past key-recheck: %s", r.body)
			}
		}
		if r := s.query(t, posts, past); len(r.Errors) > 0 {
			t.Fatalf("another key of the workspace: %s", r.body)
		}
	})
	t.Run("a 401 evicts the key's cache", func(t *testing.T) {
		t.Parallel()
		// No re-check within the test and no memory of refusals: only the eviction stands
		// between the revoked key and the cached past range.
		s := newStack(t, []string{"-key-recheck", "1h", "-key-refused-ttl", "0", "-response-cache-ttl", "0"}, aspiretest.WithSizes(aspiretest.SmallSizes))
		if r := s.queryAs(t, second, posts, past); len(r.Errors) > 0 {
			t.Fatal(r.body)
		}
		s.sim.Revoke(aspiretest.DemoSecondKey)
		if r := s.queryAs(t, second, members, past); r.code() != "UNAUTHENTICATED" {
			t.Fatalf("members after the revocation: %s", r.body)
		}
		if r := s.queryAs(t, second, posts, past); r.code() != "UNAUTHENTICATED" || has(string(r.body), `"id":"1`) {
			t.Fatalf("the cached posts after a 401: %s", r.body)
		}
	})
}

// TestRequestContentNeverLogged: whatever a body holds, and however it is
// wrong, none of it reaches a log line or a response; every log line is
// bounded.
func TestRequestContentNeverLogged(t *testing.T) {
	t.Parallel()
	s := newStack(t, []string{"-max-body-bytes", "2000000"}, aspiretest.WithSizes(aspiretest.SmallSizes))
	const canary = "CANARY-b1e7c0de"
	pad := strings.Repeat("x", 1_000_000)
	big := canary + pad + canary
	for _, body := range []string{
		`{"query": "` + big,          // not JSON
		`{"query": ["` + big + `"]}`, // query of the wrong type
		`{"query": "{ projects { totalCount } }", "variables": "` + big + `"}`, // variables of the wrong type
		`{"query": "{ projects { totalCount } }", "operationName": {"a": "` + big + `"}}`,
		`{"query": "{ projects { totalCount } }", "extensions": "` + big + `"}`,
		`{"query": "query($r: DateRangeInput!) { posts(range: $r) { totalCount } }", "variables": {"r": "` + big + `"}}`,
		`{"query": "query($id: ID!) { post(id: $id) { id } }", "variables": {"id": "` + big + `"}}`,
		`{"query": "{ post(id: \"` + big + `\") { id } }"}`,
		`{"query": "{ ` + big + ` }"}`,
		`{"query": "# ` + big + `\n{ nope }"}`,
		`{"query": "{ projects { totalCount } }"}` + big,
		`{"query": "{ projects { totalCount } }", "variables": {"x": "` + big + `"}}`,
	} {
		r := s.send(t, "POST", "/graphql", strings.NewReader(body), map[string]string{"Content-Type": "application/json",
			"Authorization": "Bearer " + aspiretest.DemoKey, "X-Aspire-Client-Id": aspiretest.DemoClientID})
		if r.status >= 500 || strings.Contains(string(r.body), canary) {
			t.Errorf("body %.60q…: %d %.300s", body, r.status, r.body)
		}
	}
	for line := range strings.Lines(s.logs.String()) {
		if strings.Contains(line, canary) {
			t.Errorf("the canary is in a log line: %.300s", line)
		}
		if len(line) > 4096 {
			t.Errorf("a log line of %d bytes: %.300s", len(line), line)
		}
	}
}

// TestLogLinesBounded: a log event of any size becomes a line of at most
// server.MaxLogLine bytes that keeps its level, request id and message.
func TestLogLinesBounded(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	log := zerolog.New(server.LogWriter(&out))
	const canary = "CANARY-5ca1ab1e"
	log.Error().Str("request_id", "r1").Str("error", canary+strings.Repeat("y", 1<<20)).Msg("internal error")
	log.Info().Str("request_id", "r2").Msg("short")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	if l := lines[0]; len(l) > server.MaxLogLine || strings.Contains(l, canary) || !has(l, `"level":"error"`, `"request_id":"r1"`, `"message":"internal error"`, `"truncated_from"`) {
		t.Fatalf("%.500s", l)
	}
	if lines[1] != `{"level":"info","request_id":"r2","message":"short"}` {
		t.Fatalf("a short line was changed: %s", lines[1])
	}
}

// TestInputExtremes: dates at the ends of the calendar and ids longer than
// the contract are refused with what is wrong, and nothing whole is echoed.
func TestInputExtremes(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	const q = `query($r: DateRangeInput!) { posts(range: $r, first: 1) { totalCount } }`
	for _, tc := range []struct{ start, end, want string }{
		{"0001-01-01", "2026-01-31", "0001-01-01 is outside the dates this server accepts (2000-01-01 to 2100-12-31)"},
		{"2026-01-01", "0001-01-01", "0001-01-01 is outside the dates"},
		{"1900-01-01", "9999-12-31", "1900-01-01 is outside the dates"},
		{"2000-01-01", "2100-12-31", "spans 36890 days; at most 731"},
		{"2026-02-01", "2026-01-01", "before"},
	} {
		r := s.query(t, q, map[string]any{"r": map[string]any{"start": tc.start, "end": tc.end}})
		if r.code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, tc.want) {
			t.Errorf("%s…%s: %s", tc.start, tc.end, r.body)
		}
	}
	long := strings.Repeat("9", 10_000)
	before := s.sim.Count("")
	for _, q := range []string{
		`query($id: ID!) { post(id: $id) { id } }`,
		`query($id: ID!) { member(id: $id) { id } }`,
		`query($id: ID!) { project(id: $id) { id } }`,
		`query($id: ID!) { group(id: $id) { id } }`,
		`query($id: ID!) { posts(range: {start: "2026-01-01", end: "2026-01-31"}, filter: {memberIds: [$id]}) { totalCount } }`,
	} {
		r := s.query(t, q, map[string]any{"id": long})
		if r.code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "at most 64 characters") || strings.Contains(string(r.body), long[:100]) {
			t.Errorf("%s: %.300s", q, r.body)
		}
	}
	if n := s.sim.Count("") - before; n != 0 {
		t.Errorf("%d upstream calls with over-long ids", n)
	}
}

// TestGzipBodies: Content-Encoding: gzip is decoded, bounded by
// max-body-bytes after decompression; other encodings are refused.
func TestGzipBodies(t *testing.T) {
	t.Parallel()
	s := newStack(t, []string{"-max-body-bytes", "100000"}, aspiretest.WithSizes(aspiretest.SmallSizes))
	gz := func(b []byte) *bytes.Reader {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return bytes.NewReader(buf.Bytes())
	}
	const ok = `{"query":"{ projects { totalCount } }"}`
	h := func(enc string) map[string]string {
		m := map[string]string{"Content-Type": "application/json", "Content-Encoding": enc}
		for k, v := range demoHeaders {
			m[k] = v
		}
		return m
	}
	if r := s.send(t, "POST", "/graphql", gz([]byte(ok)), h("gzip")); r.status != 200 || len(r.Errors) > 0 {
		t.Fatalf("a gzip body: %d %s", r.status, r.body)
	}
	if r := s.send(t, "POST", "/graphql", strings.NewReader(ok), h("gzip")); r.status != 400 || r.code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "not valid gzip") {
		t.Fatalf("a plain body labelled gzip: %d %s", r.status, r.body)
	}
	// 10 MB of spaces inside a JSON object compress to about 10 KB.
	bomb := append(append([]byte(`{"query":"{ projects { totalCount } }"`), bytes.Repeat([]byte(" "), 10<<20)...), '}')
	if r := s.send(t, "POST", "/graphql", gz(bomb), h("gzip")); r.status != 413 || !strings.Contains(r.Errors[0].Message, "max-body-bytes") {
		t.Fatalf("a zip bomb: %d %.300s", r.status, r.body)
	}
	if r := s.send(t, "POST", "/graphql", strings.NewReader(ok), h("br")); r.status != 415 {
		t.Fatalf("Content-Encoding br: %d %s", r.status, r.body)
	}
	if r := s.send(t, "POST", "/graphql", strings.NewReader(ok), h("identity")); r.status != 200 || len(r.Errors) > 0 {
		t.Fatalf("identity: %d %s", r.status, r.body)
	}
}

// withClientClock gives the server a client (as newStackOpts makes it) whose
// clock runs skew ahead of time.Now: a test moves past a cool-down or a
// TTL at once, and nothing expires before it says so however slow the
// machine.
func withClientClock(t *testing.T, skew *atomic.Int64) func(*server.Options) {
	return func(o *server.Options) {
		c, err := testClient(o.Config, o.Config.UpstreamURL, o.Metrics.Observer(), aspire.WithRetry(o.Config.Retries, time.Millisecond, 5*time.Millisecond),
			aspire.WithClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		o.Client = c
	}
}

// TestCircuitBreaker: when the upstream stops answering, calls fail at once
// after breaker-failures connection failures, /readyz says why, and calls
// go through again after the cool-down. The cool-down passes on the
// client's clock: with a real 1 s one, a loaded machine could take longer
// than that over the 20 refused queries, and the circuit half-opened
// under them.
func TestCircuitBreaker(t *testing.T) {
	t.Parallel()
	var skew atomic.Int64
	var down atomic.Bool
	var cut atomic.Int64
	drop := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				cut.Add(1)
				if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
					conn.Close() // no answer at all
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	s := newStackOpts(t, []string{"-breaker-failures", "3", "-breaker-cooldown", "1m", "-retries", "1", "-response-cache-ttl", "0"}, drop,
		withClientClock(t, &skew), aspiretest.WithSizes(aspiretest.SmallSizes))
	if r := s.query(t, `{ projects { totalCount } }`, nil); len(r.Errors) > 0 {
		t.Fatal(r.body)
	}
	down.Store(true)
	for i := range 3 {
		if r := s.query(t, fmt.Sprintf(`{ projects(first: %d) { totalCount } }`, i+1), nil); r.code() != "UPSTREAM_UNAVAILABLE" {
			t.Fatalf("with the upstream down: %s", r.body)
		}
	}
	tried := cut.Load()
	for i := range 20 {
		r := s.query(t, fmt.Sprintf(`{ groups(first: %d) { totalCount } }`, i+1), nil)
		if r.code() != "UPSTREAM_UNAVAILABLE" || !strings.Contains(r.Errors[0].Message, "not trying again") {
			t.Fatalf("with the circuit open: %s", r.body)
		}
	}
	// No upstream attempt is what "at once" means: nothing waits on a
	// connection, a backoff or the rate limiter (a wall-clock bound here
	// failed on a loaded machine, not on a slow refusal).
	if n := cut.Load() - tried; n != 0 {
		t.Errorf("%d upstream attempts with the circuit open", n)
	}
	resp, body, _ := s.do(t, "GET", "/readyz", nil, nil)
	if resp.StatusCode != 503 || !strings.Contains(string(body), "circuit breaker") {
		t.Fatalf("/readyz with the circuit open: %d %s", resp.StatusCode, body)
	}
	down.Store(false)
	skew.Store(int64(time.Minute + time.Second)) // the cool-down is over
	if r := s.query(t, `{ groups { totalCount } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("after the cool-down: %s", r.body)
	}
	if resp, body, _ := s.do(t, "GET", "/readyz", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("/readyz after the cool-down: %d %s", resp.StatusCode, body)
	}
}

// TestCursorBoundToTenant: a cursor is refused by any other key or
// workspace, like a cursor of another list.
func TestCursorBoundToTenant(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	const q = `query($after: String) { projects(first: 1, after: $after) { nodes { id } pageInfo { endCursor } } }`
	r := s.query(t, q, nil)
	var d struct {
		Projects struct{ PageInfo struct{ EndCursor string } }
	}
	if err := json.Unmarshal(r.Data, &d); err != nil || d.Projects.PageInfo.EndCursor == "" {
		t.Fatalf("%s (%v)", r.body, err)
	}
	after := map[string]any{"after": d.Projects.PageInfo.EndCursor}
	if r := s.query(t, q, after); len(r.Errors) > 0 {
		t.Fatalf("the cursor with its own key: %s", r.body)
	}
	second := map[string]string{"Authorization": "Bearer " + aspiretest.DemoSecondKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}
	for name, h := range map[string]map[string]string{"other workspace": otherHeaders, "other key of the workspace": second} {
		if r := s.queryAs(t, h, q, after); r.code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "another key or workspace") {
			t.Errorf("%s: %s", name, r.body)
		}
	}
}
