package graph

import (
	"context"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/graph/model"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// fieldArgs memoises a field's decoded arguments for one operation (it is a
// field of the generated executionContext, added by execpatch, which also
// rewrites every fieldContext_*'s argument decoding to go through of). In
// one operation the variables are fixed, so the arguments of one *ast.Field
// are the same wherever it is executed: W3's performance(range: $r) decoded
// its range (two dates through time.Parse) for each of its 100 members.
// Only successes are kept: a decoding error carries the path of the field
// instance that met it, so every instance decodes (and reports) its own.
// The map is shared by the instances' field contexts; resolvers only read it.
type fieldArgs struct {
	mu sync.Mutex
	m  map[*ast.Field]map[string]any
}

func (a *fieldArgs) of(ctx context.Context, f *ast.Field, vars map[string]any,
	decode func(ctx context.Context, raw map[string]any) (map[string]any, error)) (map[string]any, error) {
	a.mu.Lock()
	args, ok := a.m[f]
	a.mu.Unlock()
	if ok {
		return args, nil
	}
	args, err := decode(ctx, f.ArgumentMap(vars))
	if err != nil {
		return args, err
	}
	a.mu.Lock()
	if a.m == nil {
		a.m = make(map[*ast.Field]map[string]any, 4)
	}
	a.m[f] = args
	a.mu.Unlock()
	return args, nil
}

// rangeArgs memoises the loader arguments of a roll-up over a range with no
// filter (performance(range: …), the common case): the canonical JSON
// (loaders.Args) was encoded again for every member. A pure function of
// the range, so shared by all requests; bounded by starting over.
var rangeArgs struct {
	sync.Mutex
	m map[aspire.Range]string
}

func rollUpArgs(rng aspire.Range, filter *model.PostFilter) (string, error) {
	if filter != nil {
		f, err := postFilter(rng, filter, "memberIds")
		if err != nil {
			return "", err
		}
		return loaders.Args(aspire.MemberQuery{Filter: f}), nil
	}
	rangeArgs.Lock()
	defer rangeArgs.Unlock()
	if s, ok := rangeArgs.m[rng]; ok {
		return s, nil
	}
	f, err := postFilter(rng, nil, "memberIds")
	if err != nil {
		return "", err
	}
	if rangeArgs.m == nil || len(rangeArgs.m) >= 1024 {
		rangeArgs.m = make(map[aspire.Range]string)
	}
	s := loaders.Args(aspire.MemberQuery{Filter: f})
	rangeArgs.m[rng] = s
	return s, nil
}
