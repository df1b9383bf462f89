package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// The relation fields are gqlgen batch resolvers: each is called once with
// every sibling parent of a list, so their keys reach the loader together
// (one batch, whatever the scheduler does) and no goroutine is spent per
// parent. The loaders still merge cousins (the same field under other
// lists) and cache within the request.

// loadEach loads one key per parent and returns the values in parent order
// with per-parent errors. The keys are enqueued in one loop before any is
// awaited, so siblings share a batch.
func loadEach[K comparable, V any](ctx context.Context, l *loaders.Loader[K, V], keys []K) ([]V, error) {
	ctx, span := traceResolver(ctx, len(keys), len(keys))
	defer span.End()
	thunks := make([]dataloader.Thunk[V], len(keys))
	for i, k := range keys {
		thunks[i] = l.Load(ctx, k)
	}
	out := make([]V, len(keys))
	var errs graphql.BatchErrorList
	for i, th := range thunks {
		v, err := th()
		if err != nil {
			if errs == nil {
				errs = make(graphql.BatchErrorList, len(keys))
			}
			errs[i] = err
			continue
		}
		out[i] = v
	}
	if errs != nil {
		return out, errs
	}
	return out, nil
}

// loadLists loads a list of keys per parent (a post's projects, say): every
// key of every parent is enqueued first; a parent fails if one of its keys
// does (the field is nullable, so only that parent's list is lost).
func loadLists[V any](ctx context.Context, l *loaders.Loader[string, *V], lists [][]string) ([][]*V, error) {
	ctx, span := traceResolver(ctx, len(lists), countKeys(lists))
	defer span.End()
	thunks := make([][]dataloader.Thunk[*V], len(lists))
	for i, ids := range lists {
		thunks[i] = make([]dataloader.Thunk[*V], len(ids))
		for j, id := range ids {
			thunks[i][j] = l.Load(ctx, id)
		}
	}
	out := make([][]*V, len(lists))
	var errs graphql.BatchErrorList
	for i, ths := range thunks {
		row := make([]*V, len(ths))
		for j, th := range ths {
			v, err := th()
			if err != nil {
				if errs == nil {
					errs = make(graphql.BatchErrorList, len(lists))
				}
				errs[i] = err
				row = nil
				break
			}
			row[j] = v
		}
		out[i] = row
	}
	if errs != nil {
		return out, errs
	}
	return out, nil
}

func countKeys(lists [][]string) int {
	n := 0
	for _, ids := range lists {
		n += len(ids)
	}
	return n
}

// loadOne loads a single record (the by-id root fields), in a resolver span
// when traced.
func loadOne[V any](ctx context.Context, l *loaders.Loader[string, *V], id string) (*V, error) {
	ctx, span := traceResolver(ctx, 1, 1)
	defer span.End()
	return l.Load(ctx, id)()
}
