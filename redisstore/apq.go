package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// apqTTL keeps a persisted query a day after its last registration: a hash
// names one document forever, so the TTL only bounds memory.
const apqTTL = 24 * time.Hour

// APQBytes bounds what the replicas register in Redis per apqTTL window: a
// counter of the bytes written lives as long as an entry, and past the
// budget registrations stay local. Entries of one window expire by the end
// of the next, so Redis holds at most twice this. Only keys the upstream
// accepted register here at all (graph/apq.go).
const APQBytes = 64 << 20

// apqMaxValue is the largest document read back: max-body-bytes' default.
const apqMaxValue = 1 << 20

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
	// Read back as an upstream body is: a value planted under a hash, or
	// one larger than any request could have registered, is a miss.
	if sum := sha256.Sum256(b); len(b) > apqMaxValue || hex.EncodeToString(sum[:]) != hash {
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
	if a.c.within(ctx, "bytes", int64(len(query)), APQBytes, apqTTL) {
		a.c.Set(ctx, hash, []byte(query), apqTTL)
	}
}
