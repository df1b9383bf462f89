package aspire

import (
	"time"

	"github.com/maypok86/otter/v2"
)

// responseCache holds decoded upstream responses keyed by tenant fingerprint
// and canonical URL (see Tenant.get), bounded by the summed size of the
// bodies they came from. It stores decoded values, not bytes, so that a hit
// costs no JSON decoding; the body size is the weight because it is known
// exactly and tracks the decoded size closely enough for a bound.
type responseCache struct {
	c        *otter.Cache[string, cached]
	maxEntry int // larger bodies are not cached: one must not evict all others
}

type cached struct {
	v      any
	weight uint32
	ttl    time.Duration
}

func newResponseCache(maxBytes uint64) *responseCache {
	return &responseCache{maxEntry: int(min(maxBytes/4, 1<<31)), c: otter.Must(&otter.Options[string, cached]{
		MaximumWeight: maxBytes,
		Weigher:       func(k string, v cached) uint32 { return v.weight + uint32(len(k)) },
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, cached]) time.Duration {
			return e.Value.ttl
		}),
	})}
}

func (rc *responseCache) get(key string) (any, bool) {
	e, ok := rc.c.GetIfPresent(key)
	return e.v, ok
}

func (rc *responseCache) set(key string, v any, bodyLen int, ttl time.Duration) {
	if ttl <= 0 || bodyLen > rc.maxEntry {
		return
	}
	rc.c.Set(key, cached{v: v, weight: uint32(bodyLen), ttl: ttl})
}

// Purge drops every cached response (tests, and an operator's escape hatch).
func (c *Client) Purge() {
	if c.cache != nil {
		c.cache.c.InvalidateAll()
	}
}
