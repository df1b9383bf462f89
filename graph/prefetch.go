package graph

import (
	"context"
	"sync/atomic"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/graph/model"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// A relation under a relation (posts[i].member.projects) has one parent per
// element, so its cousins used to meet only in the loaders' 1 ms wait, which
// needed a goroutine per element (and per extra relation of each member).
// Instead the outer batch resolver, once it has every row, enqueues the loads
// its rows' selected relations will make (prefetchMembers): their keys are
// all in the loaders before any element asks, so the elements can be
// marshalled in order and each nested resolver finds its key already loading
// or loaded in the request's loader cache. Only what the executor will ask
// for is enqueued: the fields gqlgen's CollectFields selects (fragments,
// aliases, @skip/@include), with the arguments their resolvers will decode,
// for the rows that will be marshalled (not the failed ones).
//
// prefetched lists, by outer relation, the inner relations it enqueues.
// marshalSlice and resolveConcurrently rely on it: what is listed here must
// be enqueued, or the in-order path would cost an upstream call per element.
var prefetched = map[string]map[string]bool{
	"Post.member": {"Member.projects": true, "Member.groups": true, "Member.performance": true},
}

// prefetchMembers enqueues the projects, groups and performance loads of the
// members a Post.member batch resolver returned (see prefetched). It does not
// wait for them.
func prefetchMembers(ctx context.Context, members []*aspire.Member) {
	fc := graphql.GetFieldContext(ctx)
	l := loaders.For(ctx)
	if fc == nil || fc.Child == nil || l == nil || !graphql.HasOperationContext(ctx) {
		return
	}
	rows := make([]*aspire.Member, 0, len(members))
	for _, m := range members {
		if m != nil {
			rows = append(rows, m)
		}
	}
	if len(rows) == 0 {
		return
	}
	var scratch context.Context // errors of the arguments are the field's to report, not ours
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, memberImplementors) {
		switch f.Name {
		case "projects":
			for _, m := range rows {
				for _, id := range m.ProjectIDs {
					l.Project.Load(ctx, id)
				}
			}
		case "groups":
			for _, m := range rows {
				for _, id := range m.GroupIDs {
					l.Group.Load(ctx, id)
				}
			}
		case "performance":
			if scratch == nil {
				scratch = graphql.WithResponseContext(ctx, graphql.DefaultErrorPresenter, graphql.DefaultRecover)
			}
			cfc, err := fc.Child(scratch, f)
			if err != nil {
				continue // the field reports it and loads nothing
			}
			rng, _ := cfc.Args["range"].(model.DateRangeInput)
			filter, _ := cfc.Args["filter"].(*model.PostFilter)
			keys, err := performanceKeys(rows, rng, filter)
			if err != nil {
				continue
			}
			for _, k := range keys {
				l.Performance.Load(ctx, k)
			}
		}
	}
}

// resolveConcurrently replaces FieldSet.ResolveConcurrently in the objects'
// marshallers (go generate rewrites the calls). A relation whose keys the
// enclosing relation has prefetched has nothing to wait for that another
// goroutine could join, so it resolves here, in order, instead of on a
// goroutine of Dispatch; anything else is gqlgen's.
func resolveConcurrently(ctx context.Context, out *graphql.FieldSet, field graphql.CollectedField, oc *graphql.OperationContext,
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
	inner := prefetched[fc.Object+"."+fc.Field.Name]
	return inner != nil && inner[field.ObjectDefinition.Name+"."+field.Name]
}

// memberResolverOf and postResolverOf replace ec.Resolvers.Member() and
// .Post() (execpatch): gqlgen's getters, which it rewrites on every
// generate, allocate a resolver on every relation field of every member and
// post. Resolver holds nothing (the array below fails to compile if it
// gets a field), so one of each serves every *Resolver; another
// ResolverRoot keeps its own getters.
func memberResolverOf(r ResolverRoot) MemberResolver {
	if _, ok := r.(*Resolver); ok {
		return theMemberResolver
	}
	return r.Member()
}

func postResolverOf(r ResolverRoot) PostResolver {
	if _, ok := r.(*Resolver); ok {
		return thePostResolver
	}
	return r.Post()
}

var (
	theMemberResolver = &memberResolver{&Resolver{}}
	thePostResolver   = &postResolver{&Resolver{}}
	_                 = [1]struct{}{}[unsafe.Sizeof(Resolver{})]
)
