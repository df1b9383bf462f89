package loaders

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/graph-gophers/dataloader/v7"
	"golang.org/x/sync/errgroup"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// notFound is the error of a key the upstream has no row for.
func notFound(kind, id string) error {
	return &aspire.Error{Code: aspire.CodeNotFound, Message: kind + " " + id + " not found"}
}

// byID adapts a batch look-up to a batch function: results in key order, a
// missing id is NOT_FOUND for that key alone, a failed call fails its keys.
func byID[T any](lookup func(context.Context, []string) (map[string]T, error)) dataloader.BatchFunc[string, *T] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[*T] {
		rows, err := lookup(ctx, ids)
		out := make([]*dataloader.Result[*T], len(ids))
		for i, id := range ids {
			if r, ok := rows[id]; ok {
				out[i] = &dataloader.Result[*T]{Data: &r}
			} else if err != nil {
				out[i] = &dataloader.Result[*T]{Error: err}
			} else {
				out[i] = &dataloader.Result[*T]{Error: notFound("record", id)}
			}
		}
		return out
	}
}

// performance loads roll-ups: one MembersByID call per distinct query.
func (l *Loaders) performance(ctx context.Context, keys []Key) []*dataloader.Result[*aspire.Member] {
	out := make([]*dataloader.Result[*aspire.Member], len(keys))
	forEachGroup(keys, func(k Key) string { return k.Args }, func(args string, idx []int) {
		var q aspire.MemberQuery
		if err := json.Unmarshal([]byte(args), &q); err != nil {
			fill(out, idx, err)
			return
		}
		ids := make([]string, len(idx))
		for j, i := range idx {
			ids[j] = keys[i].ID
		}
		rows, err := l.tenant.MembersByID(ctx, ids, q)
		for _, i := range idx {
			if r, ok := rows[keys[i].ID]; ok {
				out[i] = &dataloader.Result[*aspire.Member]{Data: &r}
			} else if err != nil {
				out[i] = &dataloader.Result[*aspire.Member]{Error: err}
			} else if len(q.ProjectIDs)+len(q.GroupIDs) > 0 {
				// The upstream leaves out members outside the filter's projects
				// and groups; their roll-up over them is empty, not missing.
				out[i] = &dataloader.Result[*aspire.Member]{Data: &aspire.Member{ID: keys[i].ID}}
			} else {
				out[i] = &dataloader.Result[*aspire.Member]{Error: notFound("member", keys[i].ID)}
			}
		}
	})
	return out
}

// children loads pages of children of many parents (see the package doc).
type children[T any] struct {
	// page fetches one upstream page of the children of parents.
	page func(ctx context.Context, args string, parents []string, offset, limit int) (*aspire.Page[T], error)
	// parentsOf says which parents a row belongs to.
	parentsOf func(*T) []string
	// perParent, if set and true for args, skips the batched call.
	perParent func(args string) bool
}

func (c children[T]) batch(ctx context.Context, keys []ChildKey) []*dataloader.Result[*Children[T]] {
	out := make([]*dataloader.Result[*Children[T]], len(keys))
	forEachGroup(keys, func(k ChildKey) string { return k.Args }, func(args string, idx []int) {
		if c.perParent == nil || !c.perParent(args) {
			if c.batched(ctx, args, keys, idx, out) {
				return
			}
		}
		c.onePerParent(ctx, args, keys, idx, out)
	})
	return out
}

// batched answers idx with one query for all their parents, unless paging
// through its rows would cost more calls than one page per parent; it
// returns false then, having spent one call to learn that.
func (c children[T]) batched(ctx context.Context, args string, keys []ChildKey, idx []int, out []*dataloader.Result[*Children[T]]) bool {
	var parents []string
	seen := map[string]bool{}
	for _, i := range idx {
		if p := keys[i].Parent; !seen[p] {
			seen[p] = true
			parents = append(parents, p)
		}
	}
	first, err := c.page(ctx, args, parents, 0, aspire.MaxLimit)
	if err != nil {
		fill(out, idx, err)
		return true
	}
	if first.Total < 0 {
		return false // no total and counting failed: one page per parent at least gives the nodes
	}
	pages := max(1, (first.Total+aspire.MaxLimit-1)/aspire.MaxLimit) // a parent may have no children
	if pages > 1+len(idx) {
		return false
	}
	all := make([][]T, pages)
	all[0] = first.Items
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for p := 1; p < pages; p++ {
		g.Go(func() error {
			pg, err := c.page(gctx, args, parents, p*aspire.MaxLimit, aspire.MaxLimit)
			if err == nil {
				all[p] = pg.Items
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		fill(out, idx, err)
		return true
	}
	grouped := make(map[string][]*T, len(parents))
	for p := range all {
		for j := range all[p] {
			row := &all[p][j]
			for _, parent := range c.parentsOf(row) {
				if seen[parent] {
					grouped[parent] = append(grouped[parent], row)
				}
			}
		}
	}
	for _, i := range idx {
		rows := grouped[keys[i].Parent]
		lo := min(keys[i].Offset, len(rows))
		hi := min(lo+keys[i].First, len(rows))
		out[i] = &dataloader.Result[*Children[T]]{Data: &Children[T]{Items: rows[lo:hi:hi], Total: len(rows)}}
	}
	return true
}

// onePerParent answers each key with its own page, limit = first.
func (c children[T]) onePerParent(ctx context.Context, args string, keys []ChildKey, idx []int, out []*dataloader.Result[*Children[T]]) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, i := range idx {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			k := keys[i]
			// The upstream's smallest page is one row; first: 0 still needs the total.
			p, err := c.page(ctx, args, []string{k.Parent}, k.Offset, max(1, min(k.First, aspire.MaxLimit)))
			if err != nil {
				out[i] = &dataloader.Result[*Children[T]]{Error: err}
				return
			}
			n := min(k.First, len(p.Items))
			items := make([]*T, n)
			for j := range n {
				items[j] = &p.Items[j]
			}
			out[i] = &dataloader.Result[*Children[T]]{Data: &Children[T]{Items: items, Rows: min(max(p.Rows, n), k.First), Total: p.Total, TotalErr: p.TotalErr}}
		}()
	}
	wg.Wait()
}

// forEachGroup calls fn once per distinct group of keys, concurrently.
func forEachGroup[K any](keys []K, group func(K) string, fn func(g string, idx []int)) {
	groups := map[string][]int{}
	var order []string
	for i, k := range keys {
		g := group(k)
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], i)
	}
	if len(order) == 1 {
		fn(order[0], groups[order[0]])
		return
	}
	var wg sync.WaitGroup
	for _, g := range order {
		wg.Go(func() { fn(g, groups[g]) })
	}
	wg.Wait()
}

func fill[V any](out []*dataloader.Result[V], idx []int, err error) {
	for _, i := range idx {
		out[i] = &dataloader.Result[V]{Error: err}
	}
}
