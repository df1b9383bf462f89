package redisstore

import (
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

type metrics struct {
	up          prometheus.Gauge
	transitions *prometheus.CounterVec   // to: up, down
	errors      *prometheus.CounterVec   // op
	latency     *prometheus.HistogramVec // op
	cache       *prometheus.CounterVec   // cache, result
	limiter     *prometheus.CounterVec   // source: redis, local
}

func newMetrics() *metrics {
	return &metrics{
		up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "redis_up",
			Help: "1 while Redis is in use; 0 while this replica runs on local state (degraded)."}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "redis_transitions_total",
			Help: "Changes of the Redis state, by the state entered (up, down)."}, []string{"to"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "redis_errors_total",
			Help: "Redis commands that failed (timeouts, refused connections), by operation."}, []string{"op"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "redis_command_duration_seconds",
			Help: "Latency of Redis commands, by operation.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14)}, []string{"op"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "redis_cache_requests_total",
			Help: "Look-ups in the shared caches by cache (upstream, response, apq) and result (hit, miss, error, skipped: Redis down)."},
			[]string{"cache", "result"}),
		limiter: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "redis_rate_limit_reservations_total",
			Help: "Upstream requests admitted by the rate budget, by where it was kept (redis: shared; local: the fallback share)."},
			[]string{"source"}),
	}
}

func (m *metrics) collectors(rdb *redis.Client) []prometheus.Collector {
	return []prometheus.Collector{m.up, m.transitions, m.errors, m.latency, m.cache, m.limiter, poolCollector{rdb}}
}

// poolCollector reports go-redis's own pool counters at scrape time.
type poolCollector struct{ rdb *redis.Client }

var (
	poolHits     = prometheus.NewDesc("redis_pool_hits_total", "Times a free connection was found in the pool.", nil, nil)
	poolMisses   = prometheus.NewDesc("redis_pool_misses_total", "Times a free connection was not found in the pool.", nil, nil)
	poolTimeouts = prometheus.NewDesc("redis_pool_timeouts_total", "Times a wait for a connection timed out.", nil, nil)
	poolConns    = prometheus.NewDesc("redis_pool_connections", "Connections in the pool, by state (total, idle).", []string{"state"}, nil)
)

func (p poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolHits
	ch <- poolMisses
	ch <- poolTimeouts
	ch <- poolConns
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := p.rdb.PoolStats()
	ch <- prometheus.MustNewConstMetric(poolHits, prometheus.CounterValue, float64(st.Hits))
	ch <- prometheus.MustNewConstMetric(poolMisses, prometheus.CounterValue, float64(st.Misses))
	ch <- prometheus.MustNewConstMetric(poolTimeouts, prometheus.CounterValue, float64(st.Timeouts))
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(st.TotalConns), "total")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(st.IdleConns), "idle")
}

// scrubURL is err's text without the password of raw, should the error
// quote the URL.
func scrubURL(err error, raw string) string {
	msg := err.Error()
	if u, perr := url.Parse(raw); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "[redacted]")
		}
	}
	return msg
}
