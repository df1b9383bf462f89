package redisstore

import (
	"context"
	"time"
)

// apqTTL keeps a persisted query a day after its last registration: a hash
// names one document forever, so the TTL only bounds memory.
const apqTTL = 24 * time.Hour

// localCache is gqlgen's graphql.Cache[string] (the APQ cache interface),
// restated so that this package does not import gqlgen.
type localCache interface {
	Get(ctx context.Context, key string) (string, bool)
	Add(ctx context.Context, key string, value string)
}

// APQ is gqlgen's APQ cache in two levels: local first, then Redis, so a
// hash registered on one replica is known to all.
type APQ struct {
	local localCache
	c     *Cache
}

// APQ returns the APQ cache over local.
func (s *Store) APQ(local localCache) *APQ { return &APQ{local: local, c: s.Cache("apq")} }

// Get implements graphql.Cache.
func (a *APQ) Get(ctx context.Context, hash string) (string, bool) {
	if q, ok := a.local.Get(ctx, hash); ok {
		return q, true
	}
	b, ok := a.c.Get(ctx, hash)
	if !ok {
		return "", false
	}
	q := string(b)
	a.local.Add(ctx, hash, q)
	return q, true
}

// Add implements graphql.Cache. gqlgen calls it only after checking that
// the hash is the document's SHA-256.
func (a *APQ) Add(ctx context.Context, hash, query string) {
	a.local.Add(ctx, hash, query)
	a.c.Set(ctx, hash, []byte(query), apqTTL)
}
