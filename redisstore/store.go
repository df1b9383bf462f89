// Package redisstore keeps the state that replicas of the server share in
// Redis (7 or Valkey): a second level under each in-process cache (upstream
// responses, whole GraphQL responses, APQ documents) and the upstream rate
// budget of each workspace key.
//
// Decisions, each with its reason:
//
//   - Redis is a cache and a coordinator, never the source of truth. Every
//     command has a short timeout (redis-timeout); the first failure marks
//     the store down (logged once, counted), after which no request waits on
//     Redis: caches answer "miss", the rate budget falls back to a local
//     bucket of rate / expected-replicas, and /readyz says "degraded" with
//     200. A background PING every half second marks it up again (logged
//     once): no restart is needed.
//   - The rate budget is GCRA in one Lua script (reserve.lua below) rather
//     than github.com/go-redis/redis_rate: redis_rate answers allowed/not
//     with a retry-after, so a waiting caller has to poll and waiting callers
//     race one another (unfair, and one round trip per poll). The script
//     reserves a slot as x/time/rate's Reserve does (one round trip, waits in
//     arrival order), refuses when the wait would pass the caller's deadline,
//     and an upstream Retry-After pushes the same key forward, so every
//     replica honours it.
//   - Values are compressed with compress/flate at BestSpeed (standard
//     library, no dependency; JSON shrinks 5–10×) and prefixed with one byte
//     saying whether they are, so small values skip it.
//   - Keys are the callers' keys (already tenant fingerprints, never an API
//     key in clear) under the prefix "aspire-graphql:".
package redisstore

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Prefix starts every key the server writes.
const Prefix = "aspire-graphql:"

// Options configure a Store.
type Options struct {
	// URL is redis:// or rediss://, with password and db in the URL.
	URL string
	// Timeout bounds each command (default 100 ms).
	Timeout time.Duration
	// Logger receives one line per transition between up and down.
	Logger zerolog.Logger
	// Registerer receives the store's metrics (nil: none).
	Registerer prometheus.Registerer
}

// Store is a connection pool to Redis with a health state.
type Store struct {
	rdb     *redis.Client
	timeout time.Duration
	log     zerolog.Logger
	m       *metrics

	up      atomic.Bool
	probing atomic.Bool
	mu      sync.Mutex
	since   time.Time // of the last transition
	done    chan struct{}
	wg      sync.WaitGroup
}

// Open parses the URL and connects. An unreachable Redis is not an error:
// the store starts down and comes up when Redis answers. A malformed URL is.
func Open(ctx context.Context, o Options) (*Store, error) {
	ro, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("redis-url: %v (want redis://[user:password@]host:port[/db] or rediss://…)", scrubURL(err, o.URL))
	}
	if o.Timeout <= 0 {
		o.Timeout = 100 * time.Millisecond
	}
	// go-redis logs every failed dial to stderr; the store logs each
	// transition once instead.
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	ro.DialTimeout = max(o.Timeout, 250*time.Millisecond)
	ro.DialerRetries = 1
	ro.ReadTimeout, ro.WriteTimeout = o.Timeout, o.Timeout
	ro.PoolTimeout = o.Timeout
	ro.MaxRetries = -1 // the caller falls back; a retry would only double the wait
	ro.ContextTimeoutEnabled = true
	ro.ClientName = "aspire-graphql"
	s := &Store{rdb: redis.NewClient(ro), timeout: o.Timeout, log: o.Logger, m: newMetrics(), done: make(chan struct{}), since: time.Now()}
	s.m.up.Set(0)
	if o.Registerer != nil {
		o.Registerer.MustRegister(s.m.collectors(s.rdb)...)
	}
	pctx, cancel := context.WithTimeout(ctx, max(o.Timeout, 500*time.Millisecond))
	defer cancel()
	if err := s.rdb.Ping(pctx).Err(); err != nil {
		s.log.Warn().Str("error", scrubURL(err, o.URL)).Msg("redis does not answer: starting with local caches and a local share of the rate budget; retrying in the background")
		s.m.transitions.WithLabelValues("down").Inc()
		s.startProbe()
	} else {
		s.setUp()
	}
	return s, nil
}

// Close stops the probe and closes the pool.
func (s *Store) Close() error {
	close(s.done)
	s.wg.Wait()
	return s.rdb.Close()
}

// Up reports whether Redis is in use.
func (s *Store) Up() bool { return s.up.Load() }

// Degraded is nil while Redis is in use, else why not (for /readyz, which
// still answers 200: the replica serves from local state).
func (s *Store) Degraded() error {
	if s.up.Load() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Errorf("redis unavailable since %s: local caches and a local share of the rate budget", s.since.UTC().Format(time.RFC3339))
}

func (s *Store) setUp() {
	s.mu.Lock()
	s.since = time.Now()
	s.mu.Unlock()
	s.up.Store(true)
	s.m.up.Set(1)
}

// fail marks the store down after a command failed for a reason other than
// a missing key.
func (s *Store) fail(op string, err error) {
	s.m.errors.WithLabelValues(op).Inc()
	if !s.up.CompareAndSwap(true, false) {
		return
	}
	s.mu.Lock()
	s.since = time.Now()
	s.mu.Unlock()
	s.m.up.Set(0)
	s.m.transitions.WithLabelValues("down").Inc()
	s.log.Warn().Str("op", op).Str("error", err.Error()).
		Msg("redis unavailable: using local caches and a local share of the rate budget until it answers again")
	s.startProbe()
}

func (s *Store) startProbe() {
	if !s.probing.CompareAndSwap(false, true) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.probing.Store(false)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), max(s.timeout, 250*time.Millisecond))
			err := s.rdb.Ping(ctx).Err()
			cancel()
			if err == nil {
				s.setUp()
				s.m.transitions.WithLabelValues("up").Inc()
				s.log.Info().Msg("redis answers again: shared caches and the shared rate budget are back in use")
				return
			}
		}
	}()
}

var quietOnce sync.Once

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// errDown is returned, without touching the network, while the store is
// down.
var errDown = errors.New("redis is down")

// do runs one command with the store's timeout, timing it and noting
// failures. redis.Nil (no such key) is not a failure, nor is WRONGTYPE: one
// key holding another type (written by hand, or by another program in the
// same database) is that key's problem, and its callers read it as a miss;
// marking the store down for it would skip every tenant's look-ups and flap
// down and up on each use.
func (s *Store) do(ctx context.Context, op string, f func(context.Context) error) error {
	if !s.up.Load() {
		return errDown
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	start := time.Now()
	err := f(ctx)
	s.m.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
	switch {
	case err == nil, errors.Is(err, redis.Nil):
	case wrongType(err):
		s.m.errors.WithLabelValues(op).Inc()
	default:
		s.fail(op, err)
	}
	return err
}

// wrongType reports Redis's WRONGTYPE reply: the server answered, about one
// key.
func wrongType(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.HasPrefix(re.Error(), "WRONGTYPE")
}

// Cache is one named cache in Redis (its keys are Prefix+name+":"+key).
type Cache struct {
	s      *Store
	prefix string
	name   string
}

// Cache returns the cache called name ("upstream", "response", "apq").
func (s *Store) Cache(name string) *Cache {
	return &Cache{s: s, name: name, prefix: Prefix + name + ":"}
}

// Get returns the value of key, or false on a miss or any failure.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool) {
	var raw []byte
	err := c.s.do(ctx, "get", func(ctx context.Context) error {
		var err error
		raw, err = c.s.rdb.Get(ctx, c.prefix+key).Bytes()
		return err
	})
	switch {
	case errors.Is(err, redis.Nil):
		c.s.m.cache.WithLabelValues(c.name, "miss").Inc()
		return nil, false
	case errors.Is(err, errDown):
		c.s.m.cache.WithLabelValues(c.name, "skipped").Inc()
		return nil, false
	case err != nil:
		c.s.m.cache.WithLabelValues(c.name, "error").Inc()
		return nil, false
	}
	v, err := unpack(raw)
	if err != nil {
		c.s.m.cache.WithLabelValues(c.name, "error").Inc()
		return nil, false
	}
	c.s.m.cache.WithLabelValues(c.name, "hit").Inc()
	return v, true
}

// Set stores value under key for ttl; failures are counted and otherwise
// ignored (the local level still has the value).
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) {
	if ttl <= 0 || !c.s.up.Load() {
		return
	}
	packed := pack(value)
	_ = c.s.do(ctx, "set", func(ctx context.Context) error {
		return c.s.rdb.Set(ctx, c.prefix+key, packed, ttl).Err()
	})
}

// Values shorter than this are stored as they are.
const compressAbove = 512

var writers = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return w
}}

func pack(v []byte) []byte {
	if len(v) < compressAbove {
		return append([]byte{0}, v...)
	}
	var b bytes.Buffer
	b.Grow(len(v)/4 + 16)
	b.WriteByte(1)
	w := writers.Get().(*flate.Writer)
	w.Reset(&b)
	_, _ = w.Write(v)
	_ = w.Close()
	writers.Put(w)
	return b.Bytes()
}

// maxUnpacked bounds a decompressed value: a corrupt or hostile entry must
// not make a replica allocate without limit.
const maxUnpacked = 64 << 20

func unpack(raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	switch raw[0] {
	case 0:
		return raw[1:], nil
	case 1:
		r := flate.NewReader(bytes.NewReader(raw[1:]))
		defer r.Close()
		v, err := io.ReadAll(io.LimitReader(r, maxUnpacked+1))
		if err != nil {
			return nil, err
		}
		if len(v) > maxUnpacked {
			return nil, errors.New("value too large")
		}
		return v, nil
	}
	return nil, fmt.Errorf("unknown encoding %d", raw[0])
}

// within adds n to the counter key (which lives for ttl from its first
// addition) and reports whether it is still at most budget: a byte budget
// over a window, shared by the replicas. A failure reads as "no".
func (c *Cache) within(ctx context.Context, key string, n, budget int64, ttl time.Duration) bool {
	if !c.s.up.Load() {
		return false
	}
	var total int64
	err := c.s.do(ctx, "incrby", func(ctx context.Context) error {
		k := c.prefix + "budget:" + key
		p := c.s.rdb.TxPipeline()
		incr := p.IncrBy(ctx, k, n)
		p.ExpireNX(ctx, k, ttl)
		if _, err := p.Exec(ctx); err != nil {
			return err
		}
		total = incr.Val()
		return nil
	})
	return err == nil && total <= budget
}
