package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// Persisted queries (and parsed documents) are bounded in bytes, not in count: the caller decides
// a document's size (up to max-body-bytes), and 1,100 registrations of
// ~900 KB under a count bound of 1,000 held 900 MB. Registrations are split
// by whether the caller's key was accepted by the upstream (Tenant.Accepted):
// a key never accepted (in passthrough mode anyone may make one up) gets
// APQUnverifiedBytes of its own, never the accepted callers' share and never
// the shared store (Redis), so a flood of made-up keys evicts only other
// made-up keys' documents. A client whose document found no room is told
// PERSISTED_QUERY_NOT_FOUND and sends it again in full, as the protocol
// has it.
const (
	// DefaultAPQBytes bounds the accepted callers' persisted queries in process.
	DefaultAPQBytes = 8 << 20
	// APQUnverifiedBytes bounds those registered with keys not accepted.
	APQUnverifiedBytes = 512 << 10
	apqEntryOverhead   = 128
)

// NewAPQCache returns an in-process persisted-query cache holding at most
// maxBytes of hashes and documents (least recently used first out).
func NewAPQCache(maxBytes int64) graphql.Cache[string] {
	return newBytesCache(maxBytes, func(k, v string) int { return len(k) + len(v) + apqEntryOverhead })
}

// DefaultDocBytes bounds the parsed-document cache, keyed by the document's
// text: a document of 900 KB of comment is a 900 KB key. Its syntax tree is
// weighed at the text's size again (it holds names and values, not comments).
const DefaultDocBytes = 16 << 20

func newDocCache(maxBytes int64) graphql.Cache[*ast.QueryDocument] {
	return newBytesCache(maxBytes, func(k string, _ *ast.QueryDocument) int { return 2*len(k) + 1024 })
}

// bytesCache is graphql.Cache bounded by weight (bytes), not count.
type bytesCache[V any] struct {
	c     *otter.Cache[string, V]
	max   int64
	weigh func(string, V) int
}

func newBytesCache[V any](maxBytes int64, weigh func(string, V) int) bytesCache[V] {
	return bytesCache[V]{otter.Must(&otter.Options[string, V]{
		MaximumWeight: uint64(maxBytes),
		Weigher:       func(k string, v V) uint32 { return uint32(min(weigh(k, v), 1<<31)) },
	}), maxBytes, weigh}
}

func (a bytesCache[V]) Get(_ context.Context, key string) (V, bool) { return a.c.GetIfPresent(key) }

func (a bytesCache[V]) Add(_ context.Context, key string, v V) {
	if int64(a.weigh(key, v)) > a.max {
		return // would evict everything and still not fit
	}
	a.c.Set(key, v)
}

// apqShares keeps the registrations of keys the upstream has not accepted
// apart, in a small cache of their own.
type apqShares struct {
	accepted   graphql.Cache[string]
	unverified graphql.Cache[string]
}

func (s apqShares) Get(ctx context.Context, hash string) (string, bool) {
	if q, ok := s.accepted.Get(ctx, hash); ok {
		return q, true
	}
	return s.unverified.Get(ctx, hash)
}

func (s apqShares) Add(ctx context.Context, hash, query string) {
	if keyAccepted(ctx) {
		s.accepted.Add(ctx, hash, query)
		return
	}
	s.unverified.Add(ctx, hash, query)
}

// keyAccepted: the request's tenant had its key accepted lately. A handler
// used without the server's credentials middleware has no tenant to judge.
func keyAccepted(ctx context.Context) bool {
	l := loaders.For(ctx)
	if l == nil || l.Tenant() == nil {
		return true
	}
	return l.Tenant().Accepted(ctx)
}
