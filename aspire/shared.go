package aspire

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// State shared between replicas (see package redisstore) plugs in here,
// behind two small interfaces; without them the client keeps everything in
// process, as a single server needs.

// SharedCache is a second cache level under the in-process one, shared by
// every replica. Keys are the local cache's (tenant fingerprint and
// canonical URL); values are raw response bodies. Failures read as misses.
type SharedCache interface {
	Get(ctx context.Context, key string) ([]byte, bool)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration)
}

// SharedLimiter is the upstream rate budget of each tenant, shared by every
// replica. It replaces the in-process bucket.
type SharedLimiter interface {
	// Reserve takes one request from tenant's budget and returns how long to
	// wait before sending it; when the wait would exceed maxWait (< 0: no
	// bound) it takes nothing and returns ok false with the wait needed.
	Reserve(ctx context.Context, tenant string, maxWait time.Duration) (wait time.Duration, ok bool)
	// Defer holds every replica's requests of tenant for d: the upstream
	// answered 429 with Retry-After d.
	Defer(ctx context.Context, tenant string, d time.Duration)
}

// WithSharedCache adds l2 under the in-process response cache (which must
// be on: see WithCache).
func WithSharedCache(l2 SharedCache) Option { return func(c *config) { c.l2 = l2 } }

// WithSharedLimiter replaces the in-process rate limit by l.
func WithSharedLimiter(l SharedLimiter) Option { return func(c *config) { c.sharedLimiter = l } }

// waitShared is waitForToken with the shared budget.
func (c *Client) waitShared(ctx context.Context, t *Tenant, endpoint string) error {
	maxWait := time.Duration(-1)
	if dl, ok := ctx.Deadline(); ok {
		maxWait = max(0, time.Until(dl))
	}
	d, ok := c.cfg.sharedLimiter.Reserve(ctx, t.id, maxWait)
	if !ok {
		return &Error{Code: CodeRateLimited, Endpoint: endpoint, RetryAfter: d,
			Message: "too many requests to the Aspire API from this workspace; the shared rate limit would wait past the deadline"}
	}
	if d == 0 {
		return nil
	}
	c.observe(ctx, Event{Kind: EventRateLimitWait, Endpoint: endpoint, Duration: d})
	if err := sleep(ctx, d); err != nil {
		return contextError(endpoint, err)
	}
	return nil
}

// sawRateLimit passes an upstream 429's Retry-After to the shared budget,
// so that the other replicas hold back too.
func (c *Client) sawRateLimit(ctx context.Context, t *Tenant, err error) {
	var ae *Error
	if c.cfg.sharedLimiter == nil || !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests {
		return
	}
	d := ae.RetryAfter
	if d <= 0 {
		d = c.cfg.backoffBase
	}
	c.cfg.sharedLimiter.Defer(ctx, t.id, d)
}

// sharedGet answers a call from the shared cache, filling the local one.
func sharedGet[T any](ctx context.Context, c *Client, endpoint, key string, ttl time.Duration, dec func([]byte) (T, error)) (T, bool) {
	var v T
	if c.cfg.l2 == nil {
		return v, false
	}
	b, ok := c.cfg.l2.Get(ctx, key)
	if !ok || int64(len(b)) > c.cfg.maxBody {
		return v, false // checked as an upstream body is: over max-body, a miss
	}
	v, err := dec(b) // the upstream's body, read as the contract says (and its page checked: pagecheck.go)
	if err != nil {
		return v, false // written by another version, say: fetch afresh
	}
	c.cache.set(key, v, len(b), ttl)
	c.observe(ctx, Event{Kind: EventSharedCacheHit, Endpoint: endpoint})
	return v, true
}

func (c *Client) sharedSet(ctx context.Context, key string, body []byte, ttl time.Duration) {
	if c.cfg.l2 != nil && ttl > 0 && len(body) <= c.cache.maxEntry {
		c.cfg.l2.Set(ctx, key, body, ttl)
	}
}
