package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/server"
	"github.com/aspire-graphql/aspire-graphql/telemetry"
)

// canaryKey is an Aspire key that must appear in no span.
const canaryKey = "canary-key-0f1e2d3c4b5a-must-never-be-traced"

var canaryHeaders = map[string]string{"Authorization": "Bearer " + canaryKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}

type tracedStack struct {
	*stack
	exp *tracetest.InMemoryExporter
	mu  sync.Mutex
	tps []string // the traceparent header of each upstream request
}

func (s *tracedStack) traceparents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tps)
}

// newTracedStack is newStack with tracing to an in-memory exporter (tracer
// nil: tracing off), a canary key the simulator accepts, and an upstream
// that notes the traceparent of each request before the simulator answers.
func newTracedStack(t testing.TB, args []string, tracing bool) *tracedStack {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	var tp trace.TracerProvider
	if tracing {
		p := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
		tp = p
	}
	s := newStackWithTracer(t, args, tp)
	s.exp = exp
	return s
}

// newStackWithTracer is newTracedStack with the given tracer provider (nil:
// tracing off).
func newStackWithTracer(t testing.TB, args []string, tp trace.TracerProvider, simOpts ...aspiretest.Option) *tracedStack {
	t.Helper()
	sim := aspiretest.New(append([]aspiretest.Option{aspiretest.WithRateLimit(0, 0), aspiretest.WithKey(aspiretest.Key{Name: "canary", Token: canaryKey,
		ClientID: aspiretest.DemoClientID, Scopes: []string{"read:social", "read:member"}})}, simOpts...)...)
	ts := &tracedStack{}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.tps = append(ts.tps, r.Header.Get("traceparent"))
		ts.mu.Unlock()
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	cfg, _, err := config.Load("test", append([]string{"-upstream-url", up.URL}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := telemetry.New()
	opts := []aspire.Option{aspire.WithRetry(cfg.Retries, time.Millisecond, 5*time.Millisecond)}
	if tp != nil {
		opts = append(opts, aspire.WithTracing(cfg.TraceUpstream))
	}
	c, err := testClient(cfg, up.URL, m.Observer(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	logs := &syncBuffer{}
	h, release := server.New(server.Options{Logger: zerolog.New(logs), Config: cfg, Client: c, Metrics: m, Tracer: tp})
	t.Cleanup(release)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ts.stack = &stack{url: srv.URL, upstream: up.URL, sim: sim, logs: logs}
	return ts
}

// spanTree indexes one trace's spans.
type spanTree struct {
	spans []tracetest.SpanStub
	byID  map[trace.SpanID]tracetest.SpanStub
}

func treeOf(t testing.TB, spans tracetest.SpanStubs, id trace.TraceID) spanTree {
	t.Helper()
	tr := spanTree{byID: map[trace.SpanID]tracetest.SpanStub{}}
	for _, s := range spans {
		if s.SpanContext.TraceID() == id {
			tr.spans = append(tr.spans, s)
			tr.byID[s.SpanContext.SpanID()] = s
		}
	}
	return tr
}

func (tr spanTree) named(prefix string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range tr.spans {
		if strings.HasPrefix(s.Name, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// one returns the only span named name.
func (tr spanTree) one(t testing.TB, name string) tracetest.SpanStub {
	t.Helper()
	var out []tracetest.SpanStub
	for _, s := range tr.spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d spans named %q, want 1; the trace: %s", len(out), name, tr)
	}
	return out[0]
}

func (tr spanTree) parentName(s tracetest.SpanStub) string {
	return tr.byID[s.Parent.SpanID()].Name
}

func (tr spanTree) String() string {
	var b strings.Builder
	for _, s := range tr.spans {
		b.WriteString("\n  " + s.Name + " ← " + tr.parentName(s))
		for _, a := range s.Attributes {
			b.WriteString(" " + string(a.Key) + "=" + a.Value.String())
		}
	}
	return b.String()
}

func attr(s tracetest.SpanStub, key string) attribute.Value {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value
		}
	}
	return attribute.Value{}
}

// traceOfLastRequest is the trace id of the latest /graphql access log line.
func traceOfLastRequest(t testing.TB, s *stack) trace.TraceID {
	t.Helper()
	var id string
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var l struct {
			Route   string `json:"route"`
			TraceID string `json:"trace_id"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Route == "/graphql" {
			id = l.TraceID
		}
	}
	tid, err := trace.TraceIDFromHex(id)
	if err != nil {
		t.Fatalf("no trace_id in the access log line (%q): %s", id, s.logs.String())
	}
	return tid
}

// topPosts is the README's first query.
var topPosts = aspiretest.READMEQueries[0]

// TestTraceOfTheREADMEQueries asserts the span tree of each of the README's
// three queries, that each upstream request carried its attempt span's
// traceparent, and that no attribute holds the key or the client id.
func TestTraceOfTheREADMEQueries(t *testing.T) {
	t.Parallel()
	q := aspiretest.READMEQueries
	for _, tc := range []struct {
		aspiretest.READMEQuery
		// calls are the upstream call spans, in the order of the simulator's log
		calls []string
		// loaders are the loader batch spans, with the resolver span above each
		loaders map[string]string
	}{
		{q[0], []string{"/v1/posts", "/v1/members"}, map[string]string{"loader member": "resolve Post.member"}},
		{q[1], []string{"/v1/members"}, map[string]string{}},
		{q[2], []string{"/v1/projects", "/v1/posts", "/v1/members"},
			map[string]string{"loader posts_by_project": "resolve Project.posts", "loader member": "resolve Post.member"}},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			s := newTracedStack(t, nil, true)
			r := s.queryAs(t, canaryHeaders, tc.Query, tc.Vars)
			if len(r.Errors) > 0 || r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			tr := treeOf(t, s.exp.GetSpans(), traceOfLastRequest(t, s.stack))

			httpSpan := tr.one(t, "POST /graphql")
			if httpSpan.SpanKind != trace.SpanKindServer || httpSpan.Parent.IsValid() {
				t.Errorf("the HTTP span should be a root server span: %+v", httpSpan)
			}
			op := tr.one(t, "query "+tc.Name)
			if tr.parentName(op) != "POST /graphql" || attr(op, "graphql.operation.name").AsString() != tc.Name ||
				attr(op, "graphql.operation.type").AsString() != "query" {
				t.Errorf("operation span: %s", tr)
			}
			for _, n := range []string{"graphql.parse", "graphql.validate"} {
				if sp := tr.one(t, n); tr.parentName(sp) != op.Name {
					t.Errorf("%s under %q, want the operation", n, tr.parentName(sp))
				}
			}

			// Upstream calls: one span per call, one client span per attempt,
			// and the traceparent each request carried is its attempt's.
			reqs := s.sim.Requests()
			calls := tr.named("aspire ")
			if got, want := len(reqs), len(tc.calls); got != want {
				t.Fatalf("upstream requests: got %d, want %d", got, want)
			}
			if got, want := len(calls), len(tc.calls); got != want {
				t.Fatalf("call spans: got %d, want %d: %s", got, want, tr)
			}
			tps := s.traceparents()
			for i, req := range reqs {
				if req.Endpoint != tc.calls[i] {
					t.Errorf("request %d: %s, want %s", i, req.Endpoint, tc.calls[i])
				}
				call := tr.one(t, "aspire "+req.Endpoint)
				if got := attr(call, "aspire.cache").AsString(); got != "miss" {
					t.Errorf("%s: aspire.cache = %q, want miss", call.Name, got)
				}
				if got := attr(call, "aspire.attempts").AsInt64(); got != 1 {
					t.Errorf("%s: attempts = %d, want 1", call.Name, got)
				}
				attempt := tr.one(t, "GET "+req.Endpoint)
				if attempt.Parent.SpanID() != call.SpanContext.SpanID() || attempt.SpanKind != trace.SpanKindClient ||
					attr(attempt, "aspire.attempt").AsInt64() != 1 || attr(attempt, "http.response.status_code").AsInt64() != 200 {
					t.Errorf("attempt span of %s: %s", call.Name, tr)
				}
				want := "00-" + attempt.SpanContext.TraceID().String() + "-" + attempt.SpanContext.SpanID().String() + "-01"
				if !slices.Contains(tps, want) {
					t.Errorf("no upstream request carried %s; they carried %q", want, tps)
				}
			}
			if got, want := len(tr.named("loader ")), len(tc.loaders); got != want {
				t.Errorf("loader batch spans: got %d, want %d: %s", got, want, tr)
			}
			for name, resolver := range tc.loaders {
				l := tr.one(t, name)
				if tr.parentName(l) != resolver || tr.parentName(tr.byID[l.Parent.SpanID()]) != op.Name {
					t.Errorf("%s under %q, want %q under the operation: %s", name, tr.parentName(l), resolver, tr)
				}
				// The batch's key count is what the upstream was asked for.
				call := tr.one(t, "aspire "+map[string]string{"loader member": "/v1/members", "loader posts_by_project": "/v1/posts"}[name])
				if tr.parentName(call) != name {
					t.Errorf("%s under %q, want %s", call.Name, tr.parentName(call), name)
				}
				keys := attr(l, "loader.keys").AsInt64()
				if got := attr(call, "aspire.ids").AsInt64(); got != keys || keys < 1 {
					t.Errorf("%s: %d keys, its call asked for %d ids", name, keys, got)
				}
				if name == "loader member" && tc.Name == "TopPosts" && keys != 3 {
					t.Errorf("TopPosts: the member batch has %d keys, want 3 (first: 3)", keys)
				}
			}
			noSecretIn(t, tr, canaryKey, aspiretest.DemoClientID)
		})
	}
}

// noSecretIn fails if any span name, attribute, event, link or status of the
// trace holds one of secrets.
func noSecretIn(t *testing.T, tr spanTree, secrets ...string) {
	t.Helper()
	var all []string
	kvs := func(attrs []attribute.KeyValue) {
		for _, a := range attrs {
			all = append(all, string(a.Key), a.Value.String())
		}
	}
	for _, s := range tr.spans {
		all = append(all, s.Name, s.Status.Description)
		kvs(s.Attributes)
		kvs(s.Resource.Attributes())
		for _, e := range s.Events {
			all = append(all, e.Name)
			kvs(e.Attributes)
		}
		for _, l := range s.Links {
			kvs(l.Attributes)
		}
	}
	if len(all) < 50 {
		t.Fatalf("only %d strings in the trace: the check would prove nothing", len(all))
	}
	for _, v := range all {
		for _, secret := range secrets {
			if strings.Contains(v, secret) {
				t.Errorf("a span holds a secret: %q", v)
			}
		}
	}
}

// TestTracingJoinsTheCallersTrace: a request that arrives with a traceparent
// is traced in that trace (the HTTP span's parent is the caller's span), its
// access log line and its request-duration exemplar carry that trace id, and
// a document already parsed gets no parse or validate span.
func TestTracingJoinsTheCallersTrace(t *testing.T) {
	t.Parallel()
	s := newTracedStack(t, []string{"-response-cache-bytes", "0"}, true) // run both requests
	const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	h := map[string]string{"traceparent": caller}
	for k, v := range canaryHeaders {
		h[k] = v
	}
	for i := range 2 {
		r := s.queryAs(t, h, topPosts.Query, topPosts.Vars)
		if len(r.Errors) > 0 {
			t.Fatal(string(r.body))
		}
		id := traceOfLastRequest(t, s.stack)
		if id.String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Fatalf("access log trace_id %s, want the caller's", id)
		}
		tr := treeOf(t, s.exp.GetSpans(), id)
		var servers []tracetest.SpanStub
		for _, sp := range tr.spans {
			if sp.SpanKind == trace.SpanKindServer {
				servers = append(servers, sp)
			}
		}
		if len(servers) != i+1 || servers[i].Parent.SpanID().String() != "00f067aa0ba902b7" || !servers[i].Parent.IsRemote() {
			t.Fatalf("request %d: the HTTP span should be a child of the caller's span: %s", i+1, tr)
		}
		if got, want := len(tr.named("graphql.parse")), 1; got != want {
			t.Errorf("after request %d: %d parse spans, want %d (the second request's document is cached)", i+1, got, want)
		}
		if got, want := len(tr.named("query TopPosts")), i+1; got != want {
			t.Errorf("after request %d: %d operation spans, want %d", i+1, got, want)
		}
	}
	resp, body, _ := s.do(t, http.MethodGet, "/metrics", nil, map[string]string{"Accept": "application/openmetrics-text; version=1.0.0"})
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/openmetrics-text") {
		t.Fatalf("/metrics content type %q", resp.Header.Get("Content-Type"))
	}
	var exemplar string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, `http_request_duration_seconds_bucket{route="/graphql"`) && strings.Contains(line, "# {") {
			exemplar = line
		}
	}
	if !strings.Contains(exemplar, `trace_id="4bf92f3577b34da6a3ce929d0e0e4736"`) {
		t.Errorf("no exemplar with the trace id on the /graphql duration histogram:\n%s", body)
	}
}

// TestTracingRetriesWaitsAndSharedCalls: a retried call says why, a
// rate-limit wait is an event with its duration, and a call that joined an
// identical one in flight links to it.
func TestTracingRetriesWaitsAndSharedCalls(t *testing.T) {
	t.Parallel()
	t.Run("retry", func(t *testing.T) {
		t.Parallel()
		s := newTracedStack(t, []string{"-rate-limit", "0"}, true)
		s.sim.FailNext("/v1/posts", 1, http.StatusServiceUnavailable)
		if r := s.queryAs(t, canaryHeaders, topPosts.Query, topPosts.Vars); len(r.Errors) > 0 {
			t.Fatal(string(r.body))
		}
		tr := treeOf(t, s.exp.GetSpans(), traceOfLastRequest(t, s.stack))
		call := tr.one(t, "aspire /v1/posts")
		if got := attr(call, "aspire.attempts").AsInt64(); got != 2 {
			t.Errorf("attempts = %d, want 2", got)
		}
		var retry string
		for _, e := range call.Events {
			if e.Name == "retry" {
				for _, a := range e.Attributes {
					if a.Key == "aspire.reason" {
						retry = a.Value.AsString()
					}
				}
			}
		}
		if retry != "upstream_unavailable (HTTP 503)" && !strings.Contains(retry, "HTTP 503") {
			t.Errorf("retry reason %q, want the 503", retry)
		}
		var attempts []int64
		for _, sp := range tr.named("GET /v1/posts") {
			attempts = append(attempts, attr(sp, "aspire.attempt").AsInt64())
			if attr(sp, "aspire.attempt").AsInt64() == 2 && !strings.Contains(attr(sp, "aspire.retry.reason").AsString(), "HTTP 503") {
				t.Errorf("second attempt: retry reason %q", attr(sp, "aspire.retry.reason").AsString())
			}
		}
		slices.Sort(attempts)
		if !slices.Equal(attempts, []int64{1, 2}) {
			t.Errorf("attempt spans %v, want [1 2]: %s", attempts, tr)
		}
		noSecretIn(t, tr, canaryKey, aspiretest.DemoClientID)
	})
	t.Run("rate limit wait", func(t *testing.T) {
		t.Parallel()
		// 2 a second: the members call waits ~500 ms less the posts call's
		// own time, which stays positive on a loaded CI machine (at 20 a
		// second a posts call slower than 50 ms left nothing to wait).
		s := newTracedStack(t, []string{"-rate-limit", "2", "-rate-burst", "1"}, true)
		if r := s.queryAs(t, canaryHeaders, topPosts.Query, topPosts.Vars); len(r.Errors) > 0 {
			t.Fatal(string(r.body))
		}
		tr := treeOf(t, s.exp.GetSpans(), traceOfLastRequest(t, s.stack))
		// The posts call takes the one token; the members call waits.
		call := tr.one(t, "aspire /v1/members")
		var waited float64
		for _, e := range call.Events {
			if e.Name == "rate limit wait" {
				for _, a := range e.Attributes {
					if a.Key == "aspire.wait_ms" {
						waited = a.Value.AsFloat64()
					}
				}
			}
		}
		if waited <= 0 || waited > 510 {
			t.Errorf("rate limit wait of %v ms, want up to 500: %+v", waited, call.Events)
		}
	})
	t.Run("shared", func(t *testing.T) {
		t.Parallel()
		// Two identical requests: with merging on, the second would share the
		// first's execution, not its upstream call.
		s := newTracedStack(t, []string{"-rate-limit", "0", "-response-cache-bytes", "0", "-merge-inflight=false"}, true)
		s.sim.SetLatency(100*time.Millisecond, 0)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if r := s.queryAs(t, canaryHeaders, `{ projects(first: 2) { totalCount } }`, nil); len(r.Errors) > 0 {
					t.Error(string(r.body))
				}
			})
		}
		wg.Wait()
		if got := len(s.sim.Requests()); got != 1 {
			t.Fatalf("upstream requests: %d, want 1 (the second call joins the first)", got)
		}
		var starter, joiner tracetest.SpanStub
		for _, sp := range s.exp.GetSpans() {
			if sp.Name == "aspire /v1/projects" {
				if attr(sp, "aspire.shared").AsBool() {
					joiner = sp
				} else {
					starter = sp
				}
			}
		}
		if !starter.SpanContext.IsValid() || !joiner.SpanContext.IsValid() {
			t.Fatalf("want one call span that ran and one that joined it")
		}
		if len(joiner.Links) != 1 || joiner.Links[0].SpanContext.SpanID() != starter.SpanContext.SpanID() ||
			joiner.Links[0].SpanContext.TraceID() != starter.SpanContext.TraceID() {
			t.Errorf("the joined call should link to the call that ran: %+v", joiner.Links)
		}
		if joiner.SpanContext.TraceID() == starter.SpanContext.TraceID() {
			t.Errorf("two requests, one trace")
		}
	})
}

// TestTracingSettings: -trace-upstream=false sends no traceparent upstream;
// tracing off sends none and logs no trace id.
func TestTracingSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    []string
		tracing bool
	}{{"trace-upstream off", []string{"-trace-upstream=false"}, true}, {"tracing off", nil, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newTracedStack(t, tc.args, tc.tracing)
			h := map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
			for k, v := range canaryHeaders {
				h[k] = v
			}
			if r := s.queryAs(t, h, topPosts.Query, topPosts.Vars); len(r.Errors) > 0 {
				t.Fatal(string(r.body))
			}
			tps := s.traceparents()
			if len(tps) != 2 || tps[0] != "" || tps[1] != "" {
				t.Errorf("upstream traceparents %q, want none on 2 requests", tps)
			}
			if got := len(s.exp.GetSpans()); tc.tracing == (got == 0) {
				t.Errorf("%d spans recorded", got)
			}
			if strings.Contains(s.logs.String(), "trace_id") != tc.tracing {
				t.Errorf("trace_id in the log: %v, want %v", !tc.tracing, tc.tracing)
			}
		})
	}
}

// TestTraceOfARecordByID: a root field that waits on a loader has its
// resolver span too, with the loader's batch under it.
func TestTraceOfARecordByID(t *testing.T) {
	t.Parallel()
	s := newTracedStack(t, nil, true)
	r := s.queryAs(t, canaryHeaders, `{ post(id: "12018268") { id member { name } } }`, nil)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "12018268") {
		t.Fatal(string(r.body))
	}
	tr := treeOf(t, s.exp.GetSpans(), traceOfLastRequest(t, s.stack))
	for child, parent := range map[string]string{"resolve Query.post": "query", "loader post": "resolve Query.post",
		"aspire /v1/posts": "loader post", "resolve Post.member": "query", "loader member": "resolve Post.member"} {
		if got := tr.parentName(tr.one(t, child)); got != parent {
			t.Errorf("%s under %q, want %q: %s", child, got, parent, tr)
		}
	}
}

// TestUnsampledRequestsStillPropagate: a request the sampler drops records
// no span, yet Aspire still receives its trace context (not sampled), so the
// upstream's own traces stay joined to the caller's.
func TestUnsampledRequestsStillPropagate(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	s := newStackWithTracer(t, nil, tp)
	h := map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}
	for k, v := range canaryHeaders {
		h[k] = v
	}
	if r := s.queryAs(t, h, topPosts.Query, topPosts.Vars); len(r.Errors) > 0 {
		t.Fatal(string(r.body))
	}
	if got := len(exp.GetSpans()); got != 0 {
		t.Errorf("%d spans recorded for a request the caller did not sample", got)
	}
	tps := s.traceparents()
	if len(tps) != 2 {
		t.Fatalf("upstream requests: %d, want 2", len(tps))
	}
	for _, tp := range tps {
		if !strings.HasPrefix(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || !strings.HasSuffix(tp, "-00") {
			t.Errorf("upstream traceparent %q, want the caller's trace, not sampled", tp)
		}
	}
	if id := traceOfLastRequest(t, s.stack); id.String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("access log trace_id %s", id)
	}
}

// TestNoSecretInSpansOverAnyWire: with a contract that puts the key in the
// query string and the client id in the path, no span holds either.
func TestNoSecretInSpansOverAnyWire(t *testing.T) {
	t.Parallel()
	w := aspiretest.Profiles["envelope-token-path"]()
	file := filepath.Join(t.TempDir(), "wire.json")
	if err := os.WriteFile(file, w.Contract.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	s := newStackWithTracer(t, []string{"-contract", file}, tp, aspiretest.WithWire(w))
	if r := s.queryAs(t, canaryHeaders, topPosts.Query, topPosts.Vars); len(r.Errors) > 0 {
		t.Fatal(string(r.body))
	}
	reqs := s.sim.Requests()
	if len(reqs) != 2 || !strings.Contains(reqs[0].Path, aspiretest.DemoClientID) {
		t.Fatalf("the client id should travel in the path: %+v", reqs)
	}
	tr := treeOf(t, exp.GetSpans(), traceOfLastRequest(t, s.stack))
	if got := len(tr.named("GET ")); got != 2 {
		t.Fatalf("%d attempt spans, want 2: %s", got, tr)
	}
	noSecretIn(t, tr, canaryKey, aspiretest.DemoClientID)
}
