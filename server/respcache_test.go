package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/server"
)

func TestWholeResponseCache(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithLatency(50*time.Millisecond, 0))
	const q = `query($r: DateRangeInput!) { posts(range: $r, first: 10) { nodes { id member { name } } } }`
	first := s.query(t, q, oct)
	if len(first.Errors) > 0 || s.sim.Count("") != 2 {
		t.Fatalf("first: %d upstream requests: %s", s.sim.Count(""), first.body)
	}
	s.sim.Reset()
	again := s.query(t, q, oct)
	if string(again.body) != string(first.body) || s.sim.Count("") != 0 {
		t.Fatalf("the same query again made %d upstream requests", s.sim.Count(""))
	}
	// Another workspace never gets this workspace's answer.
	other := s.queryAs(t, otherHeaders, q, oct)
	foreign, all := aspiretest.ForeignIDs(other.Data, 1)
	if string(other.body) == string(first.body) || all == 0 || len(foreign) > 0 {
		t.Fatalf("the other workspace got %s", other.body)
	}
	// Answers with errors are not kept.
	s.sim.Inject(aspiretest.Fault{Endpoint: "/v1/groups", Status: 503})
	const g = `{ group(id: "10200001") { name } }`
	s.query(t, g, nil)
	s.sim.ClearFaults()
	if r := s.query(t, g, nil); len(r.Errors) > 0 {
		t.Fatalf("an answer with errors was reused: %s", r.body)
	}
	// Identical queries in flight run once.
	s.sim.Reset()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if r := s.query(t, q, map[string]any{"r": map[string]any{"start": "2025-03-01", "end": "2025-03-31"}}); len(r.Errors) > 0 {
				t.Error(string(r.body))
			}
		})
	}
	wg.Wait()
	if n := s.sim.Count(""); n != 2 {
		t.Fatalf("20 identical concurrent queries made %d upstream requests, want 2", n)
	}
	if !has(s.logs.String(), `"operation":"(cached)"`) {
		t.Fatal("no access line says a cached answer was served")
	}
	off := newStack(t, []string{"-response-cache-bytes", "0"})
	off.query(t, q, oct)
	off.query(t, q, oct)
	if has(off.logs.String(), `"operation":"(cached)"`) {
		t.Fatal("with the response cache off, an answer was served from it")
	}
}

// TestIdenticalRequestsInFlightRunOnce: identical requests of a workspace
// that arrive while one runs share its execution, with or without the
// response cache (merge-inflight), and each runs on its own with merging
// off. The upstream is held until every request waits where it should (on
// the execution in flight, or with merging off on the upstream call in
// flight), so that they are in flight together; it was held 250 ms, and a
// loaded machine could bring some requests after the execution had ended.
// Not parallel, nor its cases: waitParked counts the whole process's
// goroutines.
func TestIdenticalRequestsInFlightRunOnce(t *testing.T) {
	const q = `query Merge($r: DateRangeInput!) { posts(range: $r, first: 10) { nodes { id member { name } } } }`
	for _, tc := range []struct {
		name    string
		args    []string
		merge   bool
		waiting *regexp.Regexp // where the n requests wait while the upstream is held
	}{
		{"without the response cache", []string{"-response-cache-bytes", "0"}, true, inMergedExecution},
		{"with the response cache", nil, true, inMergedExecution},
		{"merging off", []string{"-response-cache-bytes", "0", "-merge-inflight=false"}, false, onUpstreamCall},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gate := make(chan struct{})
			hold := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					<-gate
					next.ServeHTTP(w, r)
				})
			}
			s := newStackWith(t, tc.args, hold)
			var opened sync.Once
			open := func() { opened.Do(func() { close(gate) }) }
			t.Cleanup(open) // before the servers close, should the test stop early
			const n = 12
			bodies := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					r := s.query(t, q, oct)
					if len(r.Errors) > 0 {
						t.Error(string(r.body))
					}
					bodies[i] = string(r.body)
				})
			}
			waitParked(t, tc.waiting, n)
			open()
			wg.Wait()
			for _, b := range bodies[1:] {
				if b != bodies[0] {
					t.Fatalf("answers differ:\n%s\n%s", bodies[0], b)
				}
			}
			if got := s.sim.Count(""); got != 2 {
				t.Errorf("%d identical queries made %d upstream requests, want 2", n, got)
			}
			_, m, _ := s.do(t, http.MethodGet, "/metrics", nil, nil)
			merged := metricValue(string(m), `graphql_shared_responses_total{how="merged"}`)
			cached := metricValue(string(m), `graphql_shared_responses_total{how="cached"}`) // late arrivals, with the cache
			ran := metricValue(string(m), `graphql_operations_total{operation="Merge",outcome="ok"}`)
			logged := strings.Count(s.logs.String(), `"operation":"(merged)"`)
			t.Logf("%d requests: %v executions, %v merged", n, ran, merged)
			switch {
			case merged+ran+cached != n || float64(logged) != merged:
				t.Errorf("%v executions + %v merged + %v cached (%d access lines say merged), want %d in all", ran, merged, cached, logged, n)
			case tc.merge && merged != n-1:
				t.Errorf("%v of %d identical requests in flight were merged, want %d", merged, n, n-1)
			case !tc.merge && merged != 0:
				t.Errorf("with merging off, %v requests were merged", merged)
			}
		})
	}
}

// metricValue reads one sample of a Prometheus text exposition; 0 if absent.
func metricValue(exposition, series string) float64 {
	for line := range strings.SplitSeq(exposition, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

// TestRefusedKeyJoinsNoExecution: a request whose key the server already
// knows to be refused (a 401 met by another of its calls) gets no data from
// an identical request's execution still in flight, begun while the key was
// good, just as it gets none from the caches: it is refused. The upstream's
// answer to the first request is produced while the key is good and held
// until the second request has arrived.
func TestRefusedKeyJoinsNoExecution(t *testing.T) {
	t.Parallel()
	second := map[string]string{"Authorization": "Bearer " + aspiretest.DemoSecondKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}
	past := map[string]any{"r": map[string]any{"start": "2025-03-01", "end": "2025-03-31"}}
	const posts = `query($r: DateRangeInput!) { posts(range: $r, first: 5) { nodes { id } } }`
	for name, args := range map[string][]string{"without the response cache": {"-response-cache-bytes", "0"}, "with it": nil} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var held atomic.Bool
			answered, release := make(chan struct{}), make(chan struct{})
			hold := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !strings.HasSuffix(r.URL.Path, "/posts") || !held.CompareAndSwap(false, true) {
						next.ServeHTTP(w, r)
						return
					}
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, r) // authenticated while the key is good
					close(answered)
					<-release
					maps.Copy(w.Header(), rec.Header())
					w.WriteHeader(rec.Code)
					_, _ = w.Write(rec.Body.Bytes())
				})
			}
			s := newStackWith(t, args, hold, aspiretest.WithSizes(aspiretest.SmallSizes))
			if r := s.queryAs(t, second, `{ projects { totalCount } }`, nil); len(r.Errors) > 0 {
				t.Fatal(r.body)
			}
			first := make(chan reply, 1)
			go func() { first <- s.queryAs(t, second, posts, past) }()
			<-answered
			s.sim.Revoke(aspiretest.DemoSecondKey)
			if r := s.queryAs(t, second, `{ groups { totalCount } }`, nil); r.code() != "UNAUTHENTICATED" {
				t.Fatalf("after the revocation: %s", r.body)
			}
			late := make(chan reply, 1)
			go func() { late <- s.queryAs(t, second, posts, past) }()
			var r reply
			select {
			case r = <-late: // refused at once
				close(release)
			case <-time.After(2 * time.Second): // waiting on the first request's execution
				close(release)
				r = <-late
			}
			if r.code() != "UNAUTHENTICATED" || has(string(r.body), `"id":"`) {
				t.Errorf("a request of a key known to be refused got: %s", r.body)
			}
			if f := <-first; len(f.Errors) > 0 || !has(string(f.body), `"id":"`) {
				t.Errorf("the request that began while the key was good: %s", f.body)
			}
		})
	}
}

// gatedAPQ is a persisted-query store whose first look-up waits for open
// (a store across the network, as replicas share, takes a moment).
type gatedAPQ struct {
	mu            sync.Mutex
	docs          map[string]string
	first         atomic.Bool
	arrived, open chan struct{}
}

func (g *gatedAPQ) Get(_ context.Context, hash string) (string, bool) {
	if g.first.CompareAndSwap(false, true) {
		close(g.arrived)
		<-g.open
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	doc, ok := g.docs[hash]
	return doc, ok
}

func (g *gatedAPQ) Add(_ context.Context, hash, doc string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.docs[hash] = doc
}

// TestMergedAPQMissIsCountedAsMiss: identical hash-only requests for a
// document the store does not know, merged into one execution, are each
// answered PERSISTED_QUERY_NOT_FOUND, and each counts as a miss in its
// access line and in aspire_apq_requests_total, not as the hit that
// graphqlHTTP presumes until the store answers. Not parallel: waitParked
// counts the whole process's goroutines.
func TestMergedAPQMissIsCountedAsMiss(t *testing.T) {
	store := &gatedAPQ{docs: map[string]string{}, arrived: make(chan struct{}), open: make(chan struct{})}
	s := newStackOpts(t, []string{"-response-cache-bytes", "0"}, nil, func(o *server.Options) { o.APQ = store })
	sum := sha256.Sum256([]byte(`{ projects { totalCount } }`))
	body := `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}}`
	h := map[string]string{"Content-Type": "application/json"}
	maps.Copy(h, demoHeaders)
	const n = 5
	replies := make(chan reply, n)
	send := func() { replies <- s.send(t, http.MethodPost, "/graphql", strings.NewReader(body), h) }
	go send()
	<-store.arrived
	for range n - 1 {
		go send()
	}
	// Every request waits on the one execution (a 300 ms sleep here could
	// leave all four others unmerged on a loaded machine).
	waitParked(t, inMergedExecution, n)
	close(store.open)
	for range n {
		if r := <-replies; r.code() != "PERSISTED_QUERY_NOT_FOUND" {
			t.Fatalf("a hash-only request of an unknown document: %s", r.body)
		}
	}
	_, m, _ := s.do(t, http.MethodGet, "/metrics", nil, nil)
	merged := metricValue(string(m), `graphql_shared_responses_total{how="merged"}`)
	if merged != n-1 {
		t.Fatalf("%v requests joined the first one's execution, want %d", merged, n-1)
	}
	hits, misses := metricValue(string(m), `aspire_apq_requests_total{result="hit"}`), metricValue(string(m), `aspire_apq_requests_total{result="miss"}`)
	if hits != 0 || misses != n || strings.Contains(s.logs.String(), `"apq":"hit"`) {
		t.Errorf("%d misses (%v merged) counted as %v hits and %v misses", n, merged, hits, misses)
	}
}

// TestLateJoinerOutlivesTheStartersDeadline: a request that joined an
// identical execution in flight late has time of its own left when that
// execution runs out of its starter's; it runs on its own instead of taking
// the starter's deadline error.
func TestLateJoinerOutlivesTheStartersDeadline(t *testing.T) {
	t.Parallel()
	var hung atomic.Bool
	arrived := make(chan struct{})
	hang := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/posts") && hung.CompareAndSwap(false, true) {
				close(arrived)
				<-r.Context().Done() // the first posts call never answers
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	s := newStackWith(t, []string{"-request-timeout", "1500ms", "-response-cache-bytes", "0", "-retries", "1"}, hang)
	const q = `query($r: DateRangeInput!) { posts(range: $r, first: 5) { nodes { id } } }`
	first := make(chan reply, 1)
	go func() { first <- s.query(t, q, oct) }()
	// The first is waiting on its hung call: it started the execution (a
	// 700 ms sleep from its start could, on a loaded machine, send the late
	// one first, and the late one became the starter). The late one then
	// comes 700 ms after, with that much of its own time left when the
	// starter's runs out; if the starter's has run out already, the late
	// one runs on its own and the test proves less, but does not fail.
	<-arrived
	time.Sleep(700 * time.Millisecond)
	late := s.query(t, q, oct)
	if f := <-first; f.code() != "DEADLINE_EXCEEDED" {
		t.Fatalf("the starter: %s", f.body)
	}
	if len(late.Errors) > 0 || !has(string(late.body), `"id":"`) {
		t.Errorf("the late joiner: %s", late.body)
	}
}
