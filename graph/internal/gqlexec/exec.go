// Package gqlexec holds cheaper stand-ins for the gqlgen runtime calls in
// graph/generated.go; graph/internal/execpatch rewrites the generated calls
// to them right after gqlgen runs (go generate). Each keeps the signature
// and result of the call it replaces, and says what it saves and why that
// is safe; graph's tests pin each to gqlgen's (TestCollectFieldsIsGqlgens,
// TestObjectJSONIsFieldSet, TestParentIndexIsBatchParentIndex, …).
//
// What they need to know of the schema (which fields are relations, which
// relations a batch resolver prefetches, the edge types) reaches them once,
// from graph's init (graph/runtime.go: Use). What needs the generated
// types stays in graph/runtime.go: the resolver getters, the four edge
// wrappers and the Metrics marshaller.
package gqlexec

import (
	"context"
	"reflect"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// gqlgen marshals every list of objects with one goroutine per element
// (graphql.MarshalSliceConcurrently), which made goroutine start-up, stack
// growth and stack scanning about a third of the CPU of a 100-post query.
// go generate rewrites those calls to MarshalSlice (graph/internal/execpatch), which
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
// the elements to ask at the same time, unless the outer relation's batch
// resolver has already enqueued every cousin's keys (prefetch.go). So a list
// whose element selection nests a relation under a relation that does not
// prefetch it stays concurrent.

// MarshalSlice has graphql.MarshalSliceConcurrently's signature and result.
func MarshalSlice(ctx context.Context, length int, workerLimit int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if length > 1 {
		if fc := graphql.GetFieldContext(ctx); fc == nil || NestsRelations(fc.Field.Selections, nil, false) {
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

// NestsRelations reports whether sel holds a relation under a relation
// that the outer one does not prefetch (see Schema.Prefetched); outer is the
// nearest relation above sel (nil for none), deep says sel is under a
// relation that was prefetched, where any relation would nest a third
// level. Fragments are followed (validation has already refused cycles);
// @skip and @include are ignored, which can only choose the concurrent path
// more often. (Names are joined only as map keys, on the stack: this runs
// for every list.)
func NestsRelations(sel ast.SelectionSet, outer *ast.Field, deep bool) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			inner, innerDeep := outer, deep
			if s.ObjectDefinition != nil && schema.Relations[s.ObjectDefinition.Name+"."+s.Name] {
				switch {
				case deep:
					return true
				case outer == nil:
					inner = s
				case schema.Prefetched[outer.ObjectDefinition.Name+"."+outer.Name][s.ObjectDefinition.Name+"."+s.Name]:
					inner, innerDeep = nil, true
				default:
					return true
				}
			}
			if len(s.SelectionSet) > 0 && NestsRelations(s.SelectionSet, inner, innerDeep) {
				return true
			}
		case *ast.InlineFragment:
			if NestsRelations(s.SelectionSet, outer, deep) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && NestsRelations(s.Definition.SelectionSet, outer, deep) {
				return true
			}
		}
	}
	return false
}

// WithBatchParents replaces graphql.WithBatchParents in the lists' marshallers:
// it hands the list to the elements' batch resolvers, at the cost of a
// group, a copy of the context's map of groups and a context per list (W3
// has two lists per post, each member's projects and groups). Only a
// relation among the elements' own fields reads it, so a list whose
// selection has none (fragments followed, @skip ignored) skips it.
func WithBatchParents(ctx context.Context, sel ast.SelectionSet, typeName string, parents any, indexMap map[int]int) context.Context {
	if !selectsRelation(sel) {
		return ctx
	}
	return graphql.WithBatchParents(ctx, typeName, parents, indexMap)
}

func selectsRelation(sel ast.SelectionSet) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.ObjectDefinition != nil && schema.Relations[s.ObjectDefinition.Name+"."+s.Name] {
				return true
			}
		case *ast.InlineFragment:
			if selectsRelation(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && selectsRelation(s.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
}

// NewDeferredGroup replaces graphql.NewDeferredGroup, which every object's
// marshaller calls: it builds the object's whole response path, a field set
// and a map (a tenth of a W3 query's allocations) for @defer, which only a
// field marked deferred uses. Without one, the zero group is what the
// generated code reads: it touches the group only for deferred fields and
// when len(Defers) > 0.
func NewDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}

// BatchParents is graphql.BatchParents, found without building the field's
// whole response path for each parent: gqlgen's BatchParentsFor calls
// GetPath for every parent of every batch resolver only to read the parent's
// index, the second-to-last element. go generate rewrites the generated
// calls to BatchParentsFor; the generated code uses only these fields and
// FieldResult.
type BatchParents[P any] struct {
	Parents  []P
	Index    ast.PathIndex
	IndexMap map[int]int
	group    *graphql.BatchParentGroup
	prefix   string // the edge node's alias and a dot, when it is not "node"
}

// FieldResult resolves the field once for the whole group, memoized on the
// field's response key, as graphql.BatchParents.FieldResult does. Under an
// aliased edge node the key is prefixed with the node's alias: `a: node` and
// `b: node` share the edges' group but may select the same response key
// with other arguments.
func (b BatchParents[P]) FieldResult(field graphql.CollectedField, resolve func() (any, error)) *graphql.BatchFieldResult {
	key := field.Alias
	if key == "" {
		key = field.Name
	}
	if b.prefix != "" {
		key = b.prefix + key
	}
	return b.group.GetFieldResult(key, resolve)
}

// BatchParentsFor is graphql.BatchParentsFor with a cheaper parent index,
// and the edges' nodes as parents: a relation of edges[i].node finds the
// group WithEdgeParents made (typeName+"Edge.node") and index i, so
// `edges { node { member } }` resolves every sibling at once, as
// `nodes { member }` does. gqlgen sees no parent index there (the path's
// second-to-last element is "node") and would resolve each node alone: one
// loader load per element, marshalled in order, one upstream call each.
func BatchParentsFor[P any](ctx context.Context, typeName string) (BatchParents[P], bool) {
	name, prefix := typeName, ""
	idx, ok := ParentIndex(ctx)
	if !ok {
		var alias string
		if idx, alias, ok = edgeNodeIndex(ctx); !ok {
			return BatchParents[P]{}, false
		}
		name = schema.EdgeGroup[typeName]
		if alias != "node" {
			prefix = alias + "." // a GraphQL name has no dot: no clash with an unprefixed key
		}
	}
	group := graphql.GetBatchParentGroup(ctx, name)
	if group == nil {
		return BatchParents[P]{}, false
	}
	parents, ok := group.Parents.([]P)
	if !ok || int(idx) >= len(parents) {
		return BatchParents[P]{}, false
	}
	return BatchParents[P]{Parents: parents, Index: idx, IndexMap: group.IndexMap, group: group, prefix: prefix}, true
}

// ParentIndex is graphql.BatchParentIndex: the second-to-last element of
// the path, if it is an index. It walks the field contexts the way
// FieldContext.Path does, stopping at that element.
func ParentIndex(ctx context.Context) (ast.PathIndex, bool) {
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

// edgeNodeIndex reads a path that ends …, i, node, field where node is an
// edge's node field: it returns i and the alias of node.
func edgeNodeIndex(ctx context.Context) (ast.PathIndex, string, bool) {
	if graphql.GetPathContext(ctx) != nil {
		return 0, "", false
	}
	n, alias := 0, ""
	for it := graphql.GetFieldContext(ctx); it != nil; it = it.Parent {
		switch {
		case it.Index != nil:
			if n == 2 {
				return ast.PathIndex(*it.Index), alias, true
			}
			return 0, "", false
		case it.Field.Field != nil:
			switch n {
			case 0:
			case 1:
				if it.Field.Name != "node" || !schema.EdgeTypes[it.Object] {
					return 0, "", false
				}
				alias = it.Field.Alias
			default:
				return 0, "", false
			}
		default:
			continue
		}
		n++
	}
	return 0, "", false
}

// WithEdgeParents is WithBatchParents for a list of edges (execpatch inserts
// the calls, one function per edge type, in the lists' marshallers): the
// nodes become the parents of the relations under edges[i].node. Like
// WithBatchParents it costs nothing to a list whose nodes select no
// relation.
func WithEdgeParents[E comparable, N any](ctx context.Context, sel ast.SelectionSet, typeName string, edges []E, node func(E) N) context.Context {
	if !nodeSelectsRelation(sel) {
		return ctx
	}
	nodes := make([]N, len(edges))
	var none E
	for i, e := range edges {
		if e != none { // a nil edge is the list marshaller's to report
			nodes[i] = node(e)
		}
	}
	return graphql.WithBatchParents(ctx, schema.EdgeGroup[typeName], nodes, nil)
}

// nodeSelectsRelation reports whether an edge's selection has a node field
// that selects a relation (fragments followed, @skip ignored).
func nodeSelectsRelation(sel ast.SelectionSet) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "node" && selectsRelation(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if nodeSelectsRelation(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && nodeSelectsRelation(s.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
}

// ResolveField replaces graphql.ResolveField for every field (go generate
// rewrites the calls; execpatch refuses a schema whose fields carry
// directives, so middlewareChain is always nil). gqlgen's version hands the
// field's resolver to the operation's field middleware, so the resolver's
// closure, a closure around it and the caller's context all move to the
// heap: three of its six allocations per field, for every field of every
// object. No extension here intercepts fields, so this one calls the
// resolver directly and lets those closures stay on the stack. Were a field
// interceptor ever installed, every field fails loudly (a panic, recovered
// into an error) rather than skipping it in silence.
func ResolveField[T any](
	ctx context.Context,
	oc *graphql.OperationContext,
	field graphql.CollectedField,
	initializeFieldContext func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error),
	fieldResolver func(ctx context.Context) (any, error),
	middlewareChain func(ctx context.Context, next graphql.Resolver) graphql.Resolver,
	marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler,
	recoverFromPanic bool,
	nonNull bool,
) (ret graphql.Marshaler) {
	if len(field.Selections) == 0 && middlewareChain == nil && plainLeaf[T](ctx, field, initializeFieldContext) &&
		!aspire.Drifting() && !aspire.SawUnreadable() && plainFieldMiddleware(oc) {
		// A struct field read into a String, ID, Int or Boolean: it cannot
		// fail, nothing reads its FieldContext, and its marshaller never
		// reports an error, so it needs neither a FieldContext (with its
		// Child closure) nor a context: three allocations per scalar, a
		// sixth of W3's. Anything unexpected takes the full path below.
		if res, err := fieldResolver(ctx); err == nil && res != nil {
			if v, ok := res.(T); ok {
				return marshal(ctx, field.Selections, v)
			}
		}
	}
	fc, err := initializeFieldContext(ctx, field)
	if err != nil {
		return graphql.Null
	}
	ctx = graphql.WithFieldContext(ctx, fc)
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				oc.Error(ctx, oc.Recover(ctx, r))
				ret = graphql.Null
			}
		}()
	}
	if middlewareChain != nil || !plainFieldMiddleware(oc) {
		panic("graph: field middleware is installed but ResolveField (graph/internal/gqlexec) does not run it; see docs/decisions.md")
	}
	res, err := fieldResolver(ctx)
	if err != nil {
		oc.Error(ctx, graphql.AddFieldLocationToError(ctx, err))
		if fc.NonNull && !nonNull {
			return graphql.RequiredNull
		}
		return graphql.Null
	}
	if aspire.Drifting() || aspire.SawUnreadable() { // two atomic loads: false unless the upstream dropped a field or sent one it could not read
		if err := schema.DriftError(ctx, fc, res); err != nil {
			oc.Error(ctx, graphql.AddFieldLocationToError(ctx, err))
		}
	}
	if res == nil {
		if nonNull || fc.NonNull {
			graphql.AddInvalidNullError(ctx, "")
		}
		if fc.NonNull && !nonNull {
			return graphql.RequiredNull
		}
		return graphql.Null
	}
	if v, ok := res.(T); ok {
		// Result is what the fields below read of their parent; a leaf has
		// none (and no field middleware runs), so a scalar is not boxed
		// into it again.
		if len(field.Selections) > 0 {
			fc.Result = v
		}
		return marshal(ctx, field.Selections, v)
	}
	if m, ok := res.(graphql.Marshaler); ok {
		fc.Result = m
		return m
	}
	var t T
	graphql.AddErrorf(ctx, "unexpected type %T from field resolver, should be %T", res, t)
	return graphql.Null
}

// plainLeaf reports whether field, resolved into a T, is a plain struct
// field (neither a method nor a resolver, no arguments) whose T is string,
// int or bool: the types of String, ID, Int and Boolean here, whose
// marshallers cannot fail (enums, dates, times and floats have types of
// their own). Whether a field is plain is a property of the schema,
// learnt from its FieldContext once per field definition.
func plainLeaf[T any](ctx context.Context, field graphql.CollectedField,
	initializeFieldContext func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error)) bool {
	var zero T
	switch any(zero).(type) {
	case string, int, bool:
	default:
		return false
	}
	def := field.Definition
	if def == nil || len(def.Arguments) > 0 {
		return false
	}
	if plain, ok := plainFields.Load(def); ok {
		return plain.(bool)
	}
	fc, err := initializeFieldContext(ctx, field) // no arguments: cannot fail
	if err != nil {
		return false
	}
	plain := !fc.IsMethod && !fc.IsResolver
	plainFields.Store(def, plain)
	return plain
}

// plainFields: *ast.FieldDefinition → whether it is a plain struct field.
var plainFields sync.Map

// plainFieldMiddleware reports whether oc's field middleware is gqlgen's
// pass-through, the one an executor without field interceptors has (same
// code pointer: every instance of that closure shares it).
func plainFieldMiddleware(oc *graphql.OperationContext) bool {
	passThroughOnce.Do(func() {
		oc, errs := executor.New(schema.PassThrough()).
			CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: "{ __typename }"})
		if errs != nil {
			panic(errs)
		}
		passThrough = reflect.ValueOf(oc.ResolverMiddleware).Pointer()
	})
	return reflect.ValueOf(oc.ResolverMiddleware).Pointer() == passThrough
}

var (
	passThroughOnce sync.Once
	passThrough     uintptr
)
