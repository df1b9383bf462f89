package graph

import (
	"context"

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
