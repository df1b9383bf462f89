// Package loaders batches the GraphQL resolvers' look-ups into the fewest
// upstream calls: one set of dataloaders (graph-gophers/dataloader v7) per
// request, built from the request's credentialed client, so that one tick of
// sibling resolvers asking for members, projects, groups, posts, roll-ups or
// children becomes one batched call per kind.
//
// Decisions (and why):
//   - Loaders are per request and never shared: their caches hold one
//     tenant's data.
//   - A "children of many parents" load (posts of members, projects or
//     groups; members of projects or groups) first asks the upstream for the
//     rows of every parent at once. The first page's total says what the rest
//     costs: if fetching every page would take more calls than one page per
//     parent (1 + parents < pages), it switches to one page per parent with
//     limit = first. Either way the answer is the same.
//   - Members of projects or groups sorted by a metric are always loaded per
//     parent: the upstream rolls metrics up over the posts in all the
//     projects of a call, so a batched call would rank a member of project A
//     by its posts in B too.
//   - Query arguments travel inside the keys as canonical JSON, so keys stay
//     comparable and a batch function can rebuild the query without a side
//     table.
package loaders

import (
	"context"
	"encoding/json"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/report"
)

// Wait is how long a loader collects keys before it calls upstream: long
// enough for sibling resolvers running concurrently to ask, far below the
// library's 16 ms default.
const Wait = time.Millisecond

// Key is a look-up whose answer depends on query arguments (a roll-up).
type Key struct {
	ID   string
	Args string // canonical JSON of the query
}

// ChildKey asks for one page of one parent's children.
type ChildKey struct {
	Parent string
	Args   string // canonical JSON of the query, without the parent filter
	Offset int
	First  int
}

// Children is one parent's page of children and how many it has in all.
type Children[T any] struct {
	Items []*T
	// Rows is how many upstream rows Items stand for when the upstream
	// repeated ids (dropped, aspire/dups.go); 0: one per item.
	Rows     int
	Total    int   // -1 when unknown
	TotalErr error // why Total is unknown (see aspire.Page.TotalErr)
}

// Loaders are one request's dataloaders.
type Loaders struct {
	tenant *aspire.Tenant

	Member  *Loader[string, *aspire.Member]
	Post    *Loader[string, *aspire.Post]
	Project *Loader[string, *aspire.Project]
	Group   *Loader[string, *aspire.Group]
	// Performance loads roll-ups by (member id, range and filter).
	Performance *Loader[Key, *aspire.Member]
	// Report loads report roll-ups by (slice id, report.Request as JSON).
	Report *Loader[Key, *report.Result]

	PostsByMember    *Loader[ChildKey, *Children[aspire.Post]]
	PostsByProject   *Loader[ChildKey, *Children[aspire.Post]]
	PostsByGroup     *Loader[ChildKey, *Children[aspire.Post]]
	MembersByProject *Loader[ChildKey, *Children[aspire.Member]]
	MembersByGroup   *Loader[ChildKey, *Children[aspire.Member]]
}

// Loader is a dataloader whose Load answers a key already in the request's
// cache from the cache itself: dataloader's Load makes a channel and a
// result cell on every call, hit or not, and W3's nested resolvers ask
// again for every key their outer batch resolver prefetched.
type Loader[K comparable, V any] struct {
	*dataloader.Loader[K, V]
	cache *dataloader.InMemoryCache[K, V]
}

// Load is dataloader's Load, whose first step is this same cache look-up.
func (l *Loader[K, V]) Load(ctx context.Context, key K) dataloader.Thunk[V] {
	if th, ok := l.cache.Get(ctx, key); ok {
		return th
	}
	return l.Loader.Load(ctx, key)
}

// Option tunes the loaders.
type Option func(*options)

type options struct {
	wait     time.Duration
	capacity int
	observe  func(loader string, size int)
}

// WithWait sets how long a loader collects keys before calling upstream
// (default Wait). Siblings in one list always share a batch (the resolvers
// hand their keys over together); the wait is what lets cousins (the same
// field under other lists) join them, so a slow machine may want more.
func WithWait(d time.Duration) Option { return func(o *options) { o.wait = d } }

// WithoutBatching makes every key its own upstream call, at once: the
// baseline that shows what batching buys.
func WithoutBatching() Option { return func(o *options) { o.capacity, o.wait = 1, 0 } }

// WithBatchObserver reports the size of every batch, by loader name.
func WithBatchObserver(f func(loader string, size int)) Option {
	return func(o *options) { o.observe = f }
}

// New returns fresh loaders calling upstream as t.
func New(t *aspire.Tenant, opts ...Option) *Loaders {
	o := options{wait: Wait, capacity: aspire.MaxIDs}
	for _, f := range opts {
		f(&o)
	}
	l := &Loaders{tenant: t}
	l.Member = newLoader(o, "member", byID(func(ctx context.Context, ids []string) (map[string]aspire.Member, error) {
		return t.MembersByID(ctx, ids, aspire.MemberQuery{})
	}))
	l.Post = newLoader(o, "post", byID(t.PostsByID))
	l.Project = newLoader(o, "project", byID(t.ProjectsByID))
	l.Group = newLoader(o, "group", byID(t.GroupsByID))
	l.Performance = newLoader(o, "performance", l.performance)
	l.Report = newLoader(o, "report", l.report)

	posts := func(name string, setParents func(*aspire.PostQuery, []string), parentsOf func(*aspire.Post) []string) *Loader[ChildKey, *Children[aspire.Post]] {
		return newLoader(o, name, children[aspire.Post]{
			page: func(ctx context.Context, args string, parents []string, offset, limit int) (*aspire.Page[aspire.Post], error) {
				var q aspire.PostQuery
				if err := json.Unmarshal([]byte(args), &q); err != nil {
					return nil, err
				}
				setParents(&q, parents)
				q.Offset, q.Limit = offset, limit
				return t.Posts(ctx, q)
			},
			parentsOf: parentsOf,
		}.batch)
	}
	l.PostsByMember = posts("posts_by_member", func(q *aspire.PostQuery, p []string) { q.MemberIDs = p },
		func(p *aspire.Post) []string { return []string{p.MemberID} })
	l.PostsByProject = posts("posts_by_project", func(q *aspire.PostQuery, p []string) { q.ProjectIDs = p },
		func(p *aspire.Post) []string { return p.ProjectIDs })
	l.PostsByGroup = posts("posts_by_group", func(q *aspire.PostQuery, p []string) { q.GroupIDs = p },
		func(p *aspire.Post) []string { return p.GroupIDs })

	members := func(name string, setParents func(*aspire.MemberQuery, []string), parentsOf func(*aspire.Member) []string) *Loader[ChildKey, *Children[aspire.Member]] {
		return newLoader(o, name, children[aspire.Member]{
			page: func(ctx context.Context, args string, parents []string, offset, limit int) (*aspire.Page[aspire.Member], error) {
				var q aspire.MemberQuery
				if err := json.Unmarshal([]byte(args), &q); err != nil {
					return nil, err
				}
				setParents(&q, parents)
				q.Offset, q.Limit = offset, limit
				return t.Members(ctx, q)
			},
			parentsOf: parentsOf,
			perParent: func(args string) bool {
				var q aspire.MemberQuery
				return json.Unmarshal([]byte(args), &q) == nil && q.Sort.By != ""
			},
		}.batch)
	}
	l.MembersByProject = members("members_by_project", func(q *aspire.MemberQuery, p []string) { q.ProjectIDs = p },
		func(m *aspire.Member) []string { return m.ProjectIDs })
	l.MembersByGroup = members("members_by_group", func(q *aspire.MemberQuery, p []string) { q.GroupIDs = p },
		func(m *aspire.Member) []string { return m.GroupIDs })
	return l
}

// Tenant is the credentialed client the loaders call with, for the calls
// that need no batching (a root list's one page).
func (l *Loaders) Tenant() *aspire.Tenant { return l.tenant }

func newLoader[K comparable, V any](o options, name string, fn dataloader.BatchFunc[K, V]) *Loader[K, V] {
	fn = traced(name, fn)
	if o.observe != nil {
		inner := fn
		fn = func(ctx context.Context, keys []K) []*dataloader.Result[V] {
			o.observe(name, len(keys))
			return inner(ctx, keys)
		}
	}
	cache := dataloader.NewCache[K, V]()
	return &Loader[K, V]{dataloader.NewBatchedLoader(fn,
		dataloader.WithCache[K, V](cache),
		dataloader.WithWait[K, V](o.wait),
		dataloader.WithBatchCapacity[K, V](o.capacity)), cache}
}

// Args encodes a query for a Key or ChildKey.
func Args(q any) string {
	b, err := json.Marshal(q)
	if err != nil {
		panic(err) // queries are plain data; this cannot fail
	}
	return string(b)
}

type ctxKey struct{}

// With returns ctx carrying fresh loaders for t.
func With(ctx context.Context, t *aspire.Tenant, opts ...Option) context.Context {
	return context.WithValue(ctx, ctxKey{}, New(t, opts...))
}

// For returns the request's loaders, or nil outside a request that has them.
func For(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}
