// Package telemetry holds what the server measures: the Prometheus metrics
// (on a registry of its own, not the global one), the per-request counters
// that the access log reports, and the adapter that turns the Aspire
// client's events into both. The client never imports Prometheus.
package telemetry

import (
	"context"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// Metrics are the server's Prometheus collectors.
type Metrics struct {
	Registry *prometheus.Registry

	HTTPRequests    *prometheus.CounterVec   // route, status
	HTTPDuration    *prometheus.HistogramVec // route
	Operations      *prometheus.CounterVec   // operation, outcome
	OperationTime   *prometheus.HistogramVec // operation
	Upstream        *prometheus.CounterVec   // endpoint, status
	UpstreamLatency *prometheus.HistogramVec // endpoint
	UpstreamPerOp   prometheus.Histogram
	BatchSize       *prometheus.HistogramVec // loader
	Cache           *prometheus.CounterVec   // result
	Retries         prometheus.Counter
	RateLimitWaits  prometheus.Counter
	RateLimitWait   prometheus.Counter     // seconds
	Drift           *prometheus.CounterVec // endpoint, field, kind
	APQ             *prometheus.CounterVec // result
	Shared          *prometheus.CounterVec // how: cached, merged

	opNames opNames
	drifts  sync.Map // endpoint|field|kind already logged
}

// New registers every collector on a new registry, with the Go and process
// collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total",
			Help: "HTTP requests by route and status."}, []string{"route", "status"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds",
			Help: "HTTP request latency by route.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}, []string{"route"}),
		Operations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "graphql_operations_total",
			Help: "GraphQL operations by name and outcome (ok, partial, error)."}, []string{"operation", "outcome"}),
		OperationTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "graphql_operation_duration_seconds",
			Help: "GraphQL operation latency (parse to response) by name.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}, []string{"operation"}),
		Upstream: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aspire_upstream_requests_total",
			Help: "HTTP requests to the Aspire API by endpoint and status (0: no answer)."}, []string{"endpoint", "status"}),
		UpstreamLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "aspire_upstream_request_duration_seconds",
			Help: "Latency of requests to the Aspire API.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}, []string{"endpoint"}),
		UpstreamPerOp: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "aspire_upstream_requests_per_operation",
			Help: "Requests to the Aspire API that one GraphQL request made.", Buckets: []float64{0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 50, 100}}),
		BatchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "loader_batch_size",
			Help: "Keys per dataloader batch.", Buckets: []float64{1, 2, 5, 10, 20, 50, 100}}, []string{"loader"}),
		Cache: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aspire_cache_requests_total",
			Help: "Response cache look-ups by result (hit, miss, shared: joined an identical call in flight, redis_hit: answered by the cache shared between replicas after a local miss)."}, []string{"result"}),
		Retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "aspire_upstream_retries_total",
			Help: "Attempts to the Aspire API after the first of a call."}),
		RateLimitWaits: prometheus.NewCounter(prometheus.CounterOpts{Name: "aspire_rate_limit_waits_total",
			Help: "Calls that waited for the client-side rate limit."}),
		RateLimitWait: prometheus.NewCounter(prometheus.CounterOpts{Name: "aspire_rate_limit_wait_seconds_total",
			Help: "Time spent waiting for the client-side rate limit."}),
		Drift: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aspire_contract_drift_total",
			Help: "Differences seen between the Aspire API's responses and the contract this server assumes, by endpoint, field and kind (unknown, missing)."},
			[]string{"endpoint", "field", "kind"}),
		APQ: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aspire_apq_requests_total",
			Help: "Automatic persisted query requests by result (hit: hash only, document known; miss: hash only, unknown; registered: query and hash, stored; mismatch: hash not the query's)."},
			[]string{"result"}),
		Shared: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "graphql_shared_responses_total",
			Help: "Requests answered without an execution of their own: cached (whole-response cache) or merged (an identical request's execution in flight)."},
			[]string{"how"}),
	}
	r.MustRegister(m.HTTPRequests, m.HTTPDuration, m.Operations, m.OperationTime, m.Upstream, m.UpstreamLatency, m.UpstreamPerOp,
		m.BatchSize, m.Cache, m.Retries, m.RateLimitWaits, m.RateLimitWait, m.Drift, m.APQ, m.Shared,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observer adapts the client's events to the metrics and to the counters of
// the request they belong to (see WithStats).
func (m *Metrics) Observer() aspire.Observer {
	return func(ctx context.Context, e aspire.Event) {
		s := StatsFrom(ctx)
		switch e.Kind {
		case aspire.EventRequest:
			m.Upstream.WithLabelValues(e.Endpoint, strconv.Itoa(e.Status)).Inc()
			m.UpstreamLatency.WithLabelValues(e.Endpoint).Observe(e.Duration.Seconds())
			if e.Attempt > 1 {
				m.Retries.Inc()
			}
			if s != nil {
				s.Upstream.Add(1)
			}
		case aspire.EventCacheHit:
			m.Cache.WithLabelValues("hit").Inc()
			if s != nil {
				s.CacheHits.Add(1)
			}
		case aspire.EventSharedCacheHit:
			m.Cache.WithLabelValues("redis_hit").Inc()
			if s != nil {
				s.CacheHits.Add(1)
			}
		case aspire.EventCacheMiss:
			m.Cache.WithLabelValues("miss").Inc()
		case aspire.EventShared:
			m.Cache.WithLabelValues("shared").Inc()
			if s != nil {
				s.Shared.Add(1)
			}
		case aspire.EventRateLimitWait:
			m.RateLimitWaits.Inc()
			m.RateLimitWait.Add(e.Duration.Seconds())
		case aspire.EventDrift:
			m.Drift.WithLabelValues(e.Endpoint, e.Field, e.Drift).Inc()
			// Logged once per distinct difference, without values.
			if _, seen := m.drifts.LoadOrStore(e.Endpoint+"|"+e.Field+"|"+e.Drift, true); !seen {
				zerolog.Ctx(ctx).Warn().Str("endpoint", e.Endpoint).Str("field", e.Field).Str("kind", e.Drift).
					Msg("the Aspire API's response differs from the contract this server assumes")
			}
		}
	}
}

// ObserveHTTPDuration records a request's duration; a sampled trace's id
// goes with it as an exemplar (shown by /metrics in the OpenMetrics format),
// so a slow bucket leads to a trace that was kept.
func (m *Metrics) ObserveHTTPDuration(route string, d time.Duration, sc trace.SpanContext) {
	h := m.HTTPDuration.WithLabelValues(route)
	if sc.IsSampled() {
		if eo, ok := h.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(d.Seconds(), prometheus.Labels{"trace_id": sc.TraceID().String()})
			return
		}
	}
	h.Observe(d.Seconds())
}

// ObserveBatch records a dataloader batch's size.
func (m *Metrics) ObserveBatch(loader string, size int) {
	m.BatchSize.WithLabelValues(loader).Observe(float64(size))
}

// ObserveOperationDuration records how long an operation took, under the
// same bounded label as ObserveOperation.
func (m *Metrics) ObserveOperationDuration(name string, d time.Duration) {
	m.OperationTime.WithLabelValues(m.opNames.label(name)).Observe(d.Seconds())
}

// ObserveOperation counts a finished GraphQL operation. Operation names come
// from clients, so only the first 200 distinct well-formed names get a label
// of their own; the rest are "other", and the label set stays bounded.
func (m *Metrics) ObserveOperation(name, outcome string) {
	m.Operations.WithLabelValues(m.opNames.label(name), outcome).Inc()
}

type opNames struct {
	mu   sync.Mutex
	seen map[string]bool
}

var opName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func (o *opNames) label(name string) string {
	if name == "" {
		return "anonymous"
	}
	if !opName.MatchString(name) {
		return "other"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	if o.seen[name] {
		return name
	}
	if len(o.seen) >= 200 {
		return "other"
	}
	o.seen[name] = true
	return name
}

// Stats are one request's counters, for its access log line.
type Stats struct {
	Upstream  atomic.Int64 // HTTP requests to the Aspire API
	CacheHits atomic.Int64
	Shared    atomic.Int64 // calls that joined an identical one in flight

	mu        sync.Mutex
	operation string
	apq       string
}

// SetAPQ records what became of the request's persisted query (hit, miss,
// registered, mismatch).
func (s *Stats) SetAPQ(result string) {
	s.mu.Lock()
	s.apq = result
	s.mu.Unlock()
}

// APQ is the request's persisted-query result, or "" for none.
func (s *Stats) APQ() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apq
}

// SetOperation records the request's operation name.
func (s *Stats) SetOperation(name string) {
	s.mu.Lock()
	s.operation = name
	s.mu.Unlock()
}

// Operation is the request's operation name, if any.
func (s *Stats) Operation() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.operation
}

type statsKey struct{}

// WithStats returns ctx carrying s.
func WithStats(ctx context.Context, s *Stats) context.Context {
	return context.WithValue(ctx, statsKey{}, s)
}

// StatsFrom returns the request's Stats, or nil.
func StatsFrom(ctx context.Context) *Stats {
	s, _ := ctx.Value(statsKey{}).(*Stats)
	return s
}
