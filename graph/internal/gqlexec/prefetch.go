package gqlexec

import (
	"context"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
)

// ResolveConcurrently replaces FieldSet.ResolveConcurrently in the objects'
// marshallers (go generate rewrites the calls). A relation whose keys the
// enclosing relation has prefetched has nothing to wait for that another
// goroutine could join, so it resolves here, in order, instead of on a
// goroutine of Dispatch; anything else is gqlgen's.
func ResolveConcurrently(ctx context.Context, out *graphql.FieldSet, field graphql.CollectedField, oc *graphql.OperationContext,
	deferred *graphql.DeferredGroup, i int, recoverFromPanic, nonNull bool, resolve func(ctx context.Context) graphql.Marshaler) {
	if field.IsDeferred() || !prefetchedHere(ctx, field) {
		out.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
		return
	}
	v := resolveRecovering(ctx, oc, recoverFromPanic, resolve)
	out.Values[i] = v
	// FieldSet counts the value that makes the object invalid the same way.
	invalid := graphql.RequiredNull
	if nonNull {
		invalid = graphql.Null
	}
	if v == invalid {
		atomic.AddUint32(&out.Invalids, 1)
	}
}

func resolveRecovering(ctx context.Context, oc *graphql.OperationContext, recoverFromPanic bool, resolve func(ctx context.Context) graphql.Marshaler) (ret graphql.Marshaler) {
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				oc.Error(ctx, oc.Recover(ctx, r))
				ret = graphql.Null
			}
		}()
	}
	return resolve(ctx)
}

// prefetchedHere reports whether field, of the object marshalled under ctx,
// is a relation the object's own relation prefetched.
func prefetchedHere(ctx context.Context, field graphql.CollectedField) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || field.ObjectDefinition == nil {
		return false
	}
	inner := schema.Prefetched[fc.Object+"."+fc.Field.Name]
	return inner != nil && inner[field.ObjectDefinition.Name+"."+field.Name]
}
