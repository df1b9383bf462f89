package aspire

import (
	"context"
	"time"
)

// State shared between replicas (see package redisstore) plugs in here,
// behind two small interfaces; without them the client uses their
// in-process implementations (loneReplica, localBuckets), chosen once in New,
// as a single server needs.

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

// WithSharedLimiter replaces the in-process rate limit (localBuckets) by l.
func WithSharedLimiter(l SharedLimiter) Option { return func(c *config) { c.sharedLimiter = l } }

// loneReplica is the SharedCache of a single server: nothing is shared, so
// every Get is a miss and Set keeps nothing. It serves the response cache's
// second level and the key admission's replica sync (keys.go) alike.
type loneReplica struct{}

func (loneReplica) Get(context.Context, string) ([]byte, bool)         { return nil, false }
func (loneReplica) Set(context.Context, string, []byte, time.Duration) {}

// sharedGet answers a call from the shared cache, filling the local one.
func sharedGet[T any](ctx context.Context, c *Client, endpoint, key string, ttl time.Duration, dec func([]byte) (T, error)) (T, bool) {
	var v T
	b, ok := c.l2.Get(ctx, key)
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
	if ttl > 0 && len(body) <= c.cache.maxEntry {
		c.l2.Set(ctx, key, body, ttl)
	}
}
