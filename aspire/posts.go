package aspire

import (
	"context"
	"iter"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// PostQuery selects posts: GET /v1/posts.
type PostQuery struct {
	Filter
	PostIDs []string
	Sort    Sort
	Offset  int
	Limit   int // 0: the upstream's default (100); at most 500
}

func (q PostQuery) values() (map[string][]string, error) {
	v, err := q.Filter.values(wire.PathPosts, len(q.PostIDs) == 0)
	if err != nil {
		return nil, err
	}
	if err := setIDs(v, wire.PathPosts, wire.ParamPostID, q.PostIDs); err != nil {
		return nil, err
	}
	return v, q.Sort.set(v, wire.PathPosts, true)
}

// Posts fetches one page of posts.
func (t *Tenant) Posts(ctx context.Context, q PostQuery) (*Page[Post], error) {
	v, err := q.values()
	if err != nil {
		return nil, err
	}
	return list[Post](ctx, t, wire.PathPosts, v, q.Offset, q.Limit, true)
}

// PostPages yields every page of posts from q.Offset on (q.Limit per page,
// 500 when 0), fetching ahead with bounded concurrency.
func (t *Tenant) PostPages(ctx context.Context, q PostQuery) iter.Seq2[*Page[Post], error] {
	v, err := q.values()
	if err != nil {
		return func(yield func(*Page[Post], error) bool) { yield(nil, err) }
	}
	return pages[Post](ctx, t, wire.PathPosts, v, q.Offset, q.Limit)
}

// AllPosts returns every post q selects.
func (t *Tenant) AllPosts(ctx context.Context, q PostQuery) ([]Post, error) {
	return collect(t.PostPages(ctx, q))
}

// Post fetches one post, with lifetime metrics.
func (t *Tenant) Post(ctx context.Context, id string) (*Post, error) {
	return one[Post](ctx, t, wire.PathPosts, id, map[string][]string{})
}

// PostsByID looks posts up by id (lifetime metrics), in batches of MaxIDs.
// Ids not in the map do not exist, unless err says a batch failed.
func (t *Tenant) PostsByID(ctx context.Context, ids []string) (map[string]Post, error) {
	return byID[Post](ctx, t, wire.PathPosts, wire.ParamPostID, ids, map[string][]string{})
}
