package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// gqlgen marshals every list of objects with one goroutine per element
// (graphql.MarshalSliceConcurrently), which made goroutine start-up, stack
// growth and stack scanning about a third of the CPU of a 100-post query.
// go generate rewrites those calls to marshalSlice (internal/execpatch), which
// marshals the elements in order on the caller's goroutine when that cannot
// cost an upstream call, and falls back to gqlgen's concurrent version when
// it could.
//
// When it cannot: relations are batch resolvers, so the first element's
// relation field resolves it for every sibling at once (one loader batch) and
// the other elements read the memoized result; in order or not, the upstream
// sees the same calls. A relation under another relation is different: the
// inner one has a single parent per element (posts[i].member.projects), and
// only the loaders' wait merges those cousins into one batch, which needs
// the elements to ask at the same time. So a list whose element selection
// nests a relation under a relation stays concurrent.

// relations are the fields that can wait on a loader, by "Type.field": the
// batch resolvers of gqlgen.yml (TestRelationsAreTheBatchResolvers keeps the
// two in step). The other resolvers (handles, edges) compute from their
// parent and never wait.
var relations = map[string]bool{
	"Post.member": true, "Post.projects": true, "Post.groups": true,
	"Member.projects": true, "Member.groups": true, "Member.posts": true, "Member.performance": true,
	"Project.members": true, "Project.posts": true,
	"Group.members": true, "Group.posts": true,
}

// marshalSlice has graphql.MarshalSliceConcurrently's signature and result.
func marshalSlice(ctx context.Context, length int, workerLimit int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if length > 1 {
		if fc := graphql.GetFieldContext(ctx); fc == nil || nestsRelations(fc.Field.Selections, false) {
			return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
		}
	}
	ret := make(graphql.Array, length)
	for i := range length {
		ret[i] = marshalElementAt(ctx, i, omitPanicHandler, marshalElement)
	}
	return ret
}

// marshalElementAt marshals element i under its own field context (the index
// is part of its path), recovering a panic into a null element with an
// error, as gqlgen's version does.
func marshalElementAt(ctx context.Context, i int, omitPanicHandler bool, marshal func(ctx context.Context, i int) graphql.Marshaler) (ret graphql.Marshaler) {
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
	if !omitPanicHandler {
		defer func() {
			if r := recover(); r != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, r))
				ret = graphql.Null
			}
		}()
	}
	return marshal(ctx, i)
}

// nestsRelations reports whether sel holds a relation under a relation;
// underRelation says whether sel itself is under one. Fragments are followed
// (validation has already refused cycles); @skip and @include are ignored,
// which can only choose the concurrent path more often.
func nestsRelations(sel ast.SelectionSet, underRelation bool) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			rel := s.ObjectDefinition != nil && relations[s.ObjectDefinition.Name+"."+s.Name]
			if rel && underRelation {
				return true
			}
			if len(s.SelectionSet) > 0 && nestsRelations(s.SelectionSet, underRelation || rel) {
				return true
			}
		case *ast.InlineFragment:
			if nestsRelations(s.SelectionSet, underRelation) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && nestsRelations(s.Definition.SelectionSet, underRelation) {
				return true
			}
		}
	}
	return false
}

// newDeferredGroup replaces graphql.NewDeferredGroup, which every object's
// marshaller calls: it builds the object's whole response path, a field set
// and a map (a tenth of a W3 query's allocations) for @defer, which only a
// field marked deferred uses. Without one, the zero group is what the
// generated code reads: it touches the group only for deferred fields and
// when len(Defers) > 0.
func newDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}

// batchParents is graphql.BatchParents, found without building the field's
// whole response path for each parent: gqlgen's BatchParentsFor calls
// GetPath for every parent of every batch resolver only to read the parent's
// index, the second-to-last element. go generate rewrites the generated
// calls to batchParentsFor; the generated code uses only these fields and
// FieldResult.
type batchParents[P any] struct {
	Parents  []P
	Index    ast.PathIndex
	IndexMap map[int]int
	group    *graphql.BatchParentGroup
}

// FieldResult resolves the field once for the whole group, memoized on the
// field's response key, as graphql.BatchParents.FieldResult does.
func (b batchParents[P]) FieldResult(field graphql.CollectedField, resolve func() (any, error)) *graphql.BatchFieldResult {
	key := field.Alias
	if key == "" {
		key = field.Name
	}
	return b.group.GetFieldResult(key, resolve)
}

// batchParentsFor is graphql.BatchParentsFor with a cheaper parent index.
func batchParentsFor[P any](ctx context.Context, typeName string) (batchParents[P], bool) {
	group := graphql.GetBatchParentGroup(ctx, typeName)
	if group == nil {
		return batchParents[P]{}, false
	}
	parents, ok := group.Parents.([]P)
	if !ok {
		return batchParents[P]{}, false
	}
	idx, ok := parentIndex(ctx)
	if !ok {
		return batchParents[P]{}, false
	}
	return batchParents[P]{Parents: parents, Index: idx, IndexMap: group.IndexMap, group: group}, true
}

// parentIndex is graphql.BatchParentIndex: the second-to-last element of
// the path, if it is an index. It walks the field contexts the way
// FieldContext.Path does, stopping at that element.
func parentIndex(ctx context.Context) (ast.PathIndex, bool) {
	if graphql.GetPathContext(ctx) != nil {
		// The path starts in an input value: gqlgen's own reading.
		return graphql.BatchParentIndex(ctx)
	}
	n := 0
	for it := graphql.GetFieldContext(ctx); it != nil; it = it.Parent {
		switch {
		case it.Index != nil:
			if n == 1 {
				return ast.PathIndex(*it.Index), true
			}
		case it.Field.Field != nil:
			if n == 1 {
				return 0, false
			}
		default:
			continue
		}
		n++
	}
	return 0, false
}
