package gqlexec

import (
	"context"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
)

// FieldArgs memoises a field's decoded arguments for one operation (it is a
// field of the generated executionContext, added by execpatch, which also
// rewrites every fieldContext_*'s argument decoding to go through Of). In
// one operation the variables are fixed, so the arguments of one *ast.Field
// are the same wherever it is executed: W3's performance(range: $r) decoded
// its range (two dates through time.Parse) for each of its 100 members.
// Only successes are kept: a decoding error carries the path of the field
// instance that met it, so every instance decodes (and reports) its own.
// The map is shared by the instances' field contexts; resolvers only read it.
type FieldArgs struct {
	mu sync.Mutex
	m  map[*ast.Field]map[string]any
}

func (a *FieldArgs) Of(ctx context.Context, f *ast.Field, vars map[string]any,
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
