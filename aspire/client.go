package aspire

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
)

// Client speaks the Aspire REST API. It holds no credentials: call As to get
// a Tenant, the credentialed view every call goes through. A Client is safe
// for concurrent use and meant to be shared by the whole process, so that its
// connection pool, cache, in-flight de-duplication and rate limiters are
// shared too.
type Client struct {
	base    string // scheme://host[/prefix], no trailing slash
	hc      *http.Client
	cfg     config
	cache   *responseCache // nil when caching is off
	flight  *flightGroup   // nil when de-duplication is off
	ids     *idFlights     // by-id look-ups in flight; nil when de-duplication is off
	l2      SharedCache    // never nil: loneReplica without a shared store
	limits  limitStage
	retry   retryPolicy
	keys    keyGate
	breaker *breaker
	drift   driftSampler
	wf      *wireFormat // the active contract, compiled
}

// Creds are the credentials of one workspace: an API key and the workspace's
// client id. Their String and GoString never print the key.
type Creds struct {
	APIKey   string
	ClientID string
}

// String implements fmt.Stringer without the key.
func (c Creds) String() string {
	return fmt.Sprintf("aspire.Creds{ClientID: %q, APIKey: [redacted]}", c.ClientID)
}

// GoString implements fmt.GoStringer without the key.
func (c Creds) GoString() string { return c.String() }

// TenantID is a one-way fingerprint of the credentials (a truncated SHA-256 of
// key and client id). It keys every per-tenant structure and can be logged.
func (c Creds) TenantID() string {
	h := sha256.New()
	h.Write([]byte(c.APIKey))
	h.Write([]byte{0})
	h.Write([]byte(c.ClientID))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Tenant is a Client bound to one set of credentials. It is cheap to make:
// make one per request.
type Tenant struct {
	c     *Client
	creds Creds
	id    string // Creds.TenantID
}

// As returns the view of c that calls with creds.
func (c *Client) As(creds Creds) *Tenant {
	return &Tenant{c: c, creds: creds, id: creds.TenantID()}
}

// ID is the tenant's fingerprint (see Creds.TenantID).
func (t *Tenant) ID() string { return t.id }

// ClientID is the workspace id the tenant calls with.
func (t *Tenant) ClientID() string { return t.creds.ClientID }

type config struct {
	attemptTimeout  time.Duration
	attempts        int
	backoffBase     time.Duration
	backoffMax      time.Duration
	maxRetryAfter   time.Duration
	rateLimit       rate.Limit // 0: off
	rateBurst       int
	dedup           bool
	cacheBytes      uint64 // 0: off
	cacheTTL        time.Duration
	cachePastTTL    time.Duration
	pageConcurrency int
	maxBody         int64
	ceilingRate     rate.Limit // 0: off
	ceilingBurst    int
	keyRecheck      time.Duration
	keyRefusedTTL   time.Duration
	breakerFailures int // 0: off
	breakerCooldown time.Duration
	observer        Observer
	transport       http.RoundTripper
	tracing         bool // WithTracing
	propagate       bool
	userAgent       string
	now             func() time.Time
	decode          func([]byte, any) error
	l2              SharedCache   // nil: in-process cache only (loneReplica)
	sharedLimiter   SharedLimiter // nil: the in-process buckets (localBuckets)
	contract        *contract.Contract
}

func defaults() config {
	return config{
		attemptTimeout:  10 * time.Second,
		attempts:        3,
		backoffBase:     100 * time.Millisecond,
		backoffMax:      2 * time.Second,
		maxRetryAfter:   5 * time.Second,
		rateLimit:       10, // 600 a minute, the simulator's default quota
		rateBurst:       20,
		dedup:           true,
		cacheBytes:      64 << 20,
		cacheTTL:        30 * time.Second,
		cachePastTTL:    10 * time.Minute,
		pageConcurrency: 4,
		maxBody:         32 << 20,
		keyRecheck:      time.Minute,
		keyRefusedTTL:   time.Minute,
		breakerFailures: 5,
		breakerCooldown: 10 * time.Second,
		userAgent:       "aspire-graphql",
		now:             time.Now,
		decode:          decodeRecords,
	}
}

// Option tunes a Client.
type Option func(*config)

// WithAttemptTimeout bounds each HTTP attempt (default 10 s). The caller's
// context bounds the whole call, retries included.
func WithAttemptTimeout(d time.Duration) Option { return func(c *config) { c.attemptTimeout = d } }

// WithRetry sets the number of attempts per call (default 3; 1 turns retries
// off) and the exponential backoff between them (default 100 ms doubling to at
// most 2 s, with jitter).
func WithRetry(attempts int, base, maxBackoff time.Duration) Option {
	return func(c *config) {
		c.attempts = max(1, attempts)
		c.backoffBase, c.backoffMax = base, maxBackoff
	}
}

// WithMaxRetryAfter caps how long the client waits on an upstream
// Retry-After (default 5 s). A longer Retry-After is not waited out: the call
// fails at once with CodeRateLimited and the RetryAfter, for the caller to
// pass on.
func WithMaxRetryAfter(d time.Duration) Option { return func(c *config) { c.maxRetryAfter = d } }

// WithRateLimit sets the client-side token bucket per tenant: perSecond
// requests a second on average with bursts of burst (default 10/s, burst 20).
// perSecond <= 0 turns it off.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) {
		c.rateLimit = rate.Limit(max(0, perSecond))
		c.rateBurst = max(1, burst)
	}
}

// WithUpstreamCeiling bounds the calls of all tenants together to perSecond
// on average with bursts of burst (default off; <= 0 turns it off): the
// upstream sees one client address, whatever the number of keys. A quarter
// of it is all that calls verifying never-accepted keys may use.
func WithUpstreamCeiling(perSecond float64, burst int) Option {
	return func(c *config) {
		c.ceilingRate = rate.Limit(max(0, perSecond))
		c.ceilingBurst = max(1, burst)
	}
}

// WithKeyCheck sets how often an accepted key is re-checked before cached
// data is served to it (default 1 min; 0: never, until a 401) and how long
// a refused key is refused without asking the upstream (default 1 min; 0:
// not remembered). Both 0 turn key admission off.
func WithKeyCheck(recheck, refusedTTL time.Duration) Option {
	return func(c *config) { c.keyRecheck, c.keyRefusedTTL = recheck, refusedTTL }
}

// WithCircuitBreaker makes calls fail at once for cooldown after failures
// consecutive connection failures to the upstream (default 5 and 10 s;
// failures 0 turns it off). One call is let through after the cool-down to
// probe.
func WithCircuitBreaker(failures int, cooldown time.Duration) Option {
	return func(c *config) { c.breakerFailures, c.breakerCooldown = max(0, failures), cooldown }
}

// WithDedup turns the in-flight de-duplication of identical GETs of one
// tenant on or off (default on).
func WithDedup(on bool) Option { return func(c *config) { c.dedup = on } }

// WithCache sets the response cache: at most maxBytes of responses (by body
// size; default 64 MiB; 0 turns it off), kept ttl (default 30 s), or pastTTL
// (default 10 min) for a query whose end_date is before today.
func WithCache(maxBytes int64, ttl, pastTTL time.Duration) Option {
	return func(c *config) {
		c.cacheBytes = uint64(max(0, maxBytes))
		c.cacheTTL, c.cachePastTTL = ttl, pastTTL
	}
}

// WithPageConcurrency bounds the pages or id batches fetched at once by the
// paging helpers and the by-id look-ups (default 4).
func WithPageConcurrency(n int) Option { return func(c *config) { c.pageConcurrency = max(1, n) } }

// WithMaxResponseBytes bounds an upstream body (default 32 MiB).
func WithMaxResponseBytes(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithObserver reports every upstream attempt, cache hit or miss, shared
// in-flight call and rate-limit wait to o.
func WithObserver(o Observer) Option { return func(c *config) { c.observer = o } }

// WithTransport replaces the HTTP transport (default: a shared, tuned
// *http.Transport).
func WithTransport(rt http.RoundTripper) Option { return func(c *config) { c.transport = rt } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *config) { c.userAgent = ua } }

// WithContract sets the wire format the client speaks (default: the
// built-in contract, contract.Default). c must be valid (contract.Load and
// Parse validate).
func WithContract(c *contract.Contract) Option { return func(cfg *config) { cfg.contract = c } }

// Contract returns the wire format the client speaks.
func (c *Client) Contract() *contract.Contract { return c.wf.c.Clone() }

// WithClock replaces time.Now, for tests of date-dependent behaviour.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// New returns a client of the API at baseURL (scheme and host, optionally a
// path prefix; no default host is assumed).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("aspire: base URL %q: want http(s)://host[/path]", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("aspire: base URL %q must not carry a query or fragment", baseURL)
	}
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.contract == nil {
		cfg.contract = contract.Default()
	} else if err := cfg.contract.Validate(); err != nil {
		return nil, fmt.Errorf("aspire: %w", err)
	}
	if cfg.transport == nil {
		cfg.transport = NewTransport()
	}
	if cfg.tracing {
		cfg.transport = tracedTransport{next: cfg.transport, propagate: cfg.propagate}
	}
	c := &Client{
		base: strings.TrimRight(u.String(), "/"),
		hc:   &http.Client{Transport: cfg.transport, CheckRedirect: noRedirects},
		cfg:  cfg,
		wf:   compile(cfg.contract),
	}
	if cfg.cacheBytes > 0 {
		c.cache = newResponseCache(cfg.cacheBytes)
	}
	if cfg.dedup {
		c.flight = newFlightGroup()
		c.ids = newIDFlights()
	}
	// Chosen once: the in-process implementations stand in for the shared
	// store when there is none, so no stage asks whether there is one.
	c.l2 = cfg.l2
	if c.l2 == nil {
		c.l2 = loneReplica{}
	}
	c.limits = limitStage{tenants: cfg.sharedLimiter, retry: cfg.backoffBase, now: time.Now, sleep: sleep, observe: c.observe}
	if c.limits.tenants == nil {
		c.limits.tenants = newLocalBuckets(cfg.rateLimit, cfg.rateBurst)
	}
	if cfg.ceilingRate > 0 {
		c.limits.ceiling = rate.NewLimiter(cfg.ceilingRate, cfg.ceilingBurst)
	}
	c.retry = newRetryPolicy(cfg)
	c.keys = keyGate{book: newKeyBook(cfg.keyRecheck, cfg.keyRefusedTTL, cfg.now),
		unverified: newUnverifiedAllowance(cfg.ceilingRate, cfg.ceilingBurst), l2: c.l2, evict: c.evictTenant}
	c.breaker = newBreaker(cfg.breakerFailures, cfg.breakerCooldown, cfg.now)
	return c, nil
}

// NewTransport returns the tuned transport a Client uses by default: keep-alive
// with enough idle connections per host for a busy facade.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// The API key travels in a header; a redirect could carry it to another host.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// CloseIdleConnections closes the pool's idle connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Close releases the client: its idle connections and the background
// goroutines of its caches. Calls after Close still work, uncached.
func (c *Client) Close() {
	c.hc.CloseIdleConnections()
	c.drift.close()
	if c.cache != nil {
		c.cache.c.StopAllGoroutines()
	}
	if b, ok := c.limits.tenants.(*localBuckets); ok {
		b.close()
	}
	c.keys.close()
}
