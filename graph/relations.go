package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/graph/model"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

func postQuery(rangeArg model.DateRangeInput, filter *model.PostFilter, sort *model.PostSort, forbidden string) (aspire.PostQuery, error) {
	rng, err := dateRange("range", rangeArg)
	if err != nil {
		return aspire.PostQuery{}, err
	}
	f, err := postFilter(rng, filter, forbidden)
	if err != nil {
		return aspire.PostQuery{}, err
	}
	return aspire.PostQuery{Filter: f, Sort: postSort(sort)}, nil
}

// children resolves a connection field of many parents through a children
// loader: one key per parent, all enqueued together.
func children[T any](ctx context.Context, l *loaders.Loader[loaders.ChildKey, *loaders.Children[T]], field string, parents []string,
	args string, first *int, after *string) ([]*loaders.Children[T], []model.Window, error) {
	keys := make([]loaders.ChildKey, 0, len(parents))
	wins := make([]model.Window, len(parents))
	var argErrs graphql.BatchErrorList
	for i, parent := range parents {
		fp := fingerprint(ctx, field, parent, args)
		offset, limit, err := page(first, after, fp)
		if err != nil {
			if argErrs == nil {
				argErrs = make(graphql.BatchErrorList, len(parents))
			}
			argErrs[i] = err
			continue
		}
		wins[i] = model.Window{Offset: offset, Fingerprint: fp}
		keys = append(keys, loaders.ChildKey{Parent: parent, Args: args, Offset: offset, First: limit})
	}
	res, err := loadEach(ctx, l, keys)
	if argErrs == nil {
		return res, wins, err
	}
	// Only some parents had a good cursor: theirs were loaded, fail the others.
	var loadErrs graphql.BatchErrorList
	if err != nil {
		loadErrs, _ = err.(graphql.BatchErrorList)
	}
	out := make([]*loaders.Children[T], len(parents))
	for i, j := 0, 0; i < len(parents); i++ {
		if argErrs[i] != nil {
			continue
		}
		out[i] = res[j]
		if loadErrs != nil {
			argErrs[i] = loadErrs[j]
		}
		j++
	}
	return out, wins, argErrs
}

// childPosts resolves a posts connection of many parents.
func childPosts(ctx context.Context, l *loaders.Loader[loaders.ChildKey, *loaders.Children[aspire.Post]], field string, parents []string,
	rangeArg model.DateRangeInput, filter *model.PostFilter, sort *model.PostSort, first *int, after *string, forbidden string) ([]*model.PostConnection, error) {
	q, err := postQuery(rangeArg, filter, sort, forbidden)
	if err != nil {
		return nil, err
	}
	res, wins, err := children(ctx, l, field, parents, loaders.Args(q), first, after)
	out := make([]*model.PostConnection, len(parents))
	for i, c := range res {
		if c != nil {
			out[i] = &model.PostConnection{Nodes: c.Items, TotalCount: c.Total, TotalErr: c.TotalErr, Window: childWindow(wins[i], c.Rows),
				PageInfo: pageInfo(wins[i].Fingerprint, wins[i].Offset, max(c.Rows, len(c.Items)), c.Total)}
		}
	}
	return out, err
}

// childMembers resolves a members connection of many parents.
func childMembers(ctx context.Context, l *loaders.Loader[loaders.ChildKey, *loaders.Children[aspire.Member]], field string, parents []string,
	rangeArg model.DateRangeInput, sort *model.MemberSort, first *int, after *string) ([]*model.MemberConnection, error) {
	rng, err := dateRange("range", rangeArg)
	if err != nil {
		return nil, err
	}
	args := loaders.Args(aspire.MemberQuery{Filter: aspire.Filter{Range: rng}, Sort: memberSort(sort)})
	res, wins, err := children(ctx, l, field, parents, args, first, after)
	out := make([]*model.MemberConnection, len(parents))
	for i, c := range res {
		if c != nil {
			out[i] = &model.MemberConnection{Nodes: c.Items, TotalCount: c.Total, TotalErr: c.TotalErr, Window: childWindow(wins[i], c.Rows),
				PageInfo: pageInfo(wins[i].Fingerprint, wins[i].Offset, max(c.Rows, len(c.Items)), c.Total)}
		}
	}
	return out, err
}

// ids maps parents to their ids.
func ids[T any](objs []*T, id func(*T) string) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = id(o)
	}
	return out
}

// performance lists a roll-up's breakdowns in a fixed order, each only when
// sel (the performance field's selection) may ask for it: building both for
// every member was a tenth of W3's allocations, which asks for neither.
func performance(m *aspire.Member, sel ast.SelectionSet) *model.Performance {
	p := &model.Performance{PostCount: m.PostCount, Metrics: &m.Metrics}
	if selects(sel, "byNetwork") {
		p.ByNetwork = make([]*model.NetworkMetrics, 0, len(m.ByNetwork))
		for _, n := range aspire.Networks {
			if mt, ok := m.ByNetwork[n]; ok {
				p.ByNetwork = append(p.ByNetwork, &model.NetworkMetrics{Network: n, Metrics: &mt})
			}
		}
	}
	if selects(sel, "byPostType") {
		p.ByPostType = make([]*model.PostTypeMetrics, 0, len(m.ByPostType))
		for _, t := range aspire.PostTypes {
			if mt, ok := m.ByPostType[t]; ok {
				p.ByPostType = append(p.ByPostType, &model.PostTypeMetrics{PostType: t, Metrics: &mt})
			}
		}
	}
	return p
}

// selects reports whether sel may select the field name at its own level:
// through fragments, and whatever @skip/@include say (so a skipped field
// costs only what it did before).
func selects(sel ast.SelectionSet, name string) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == name {
				return true
			}
		case *ast.InlineFragment:
			if selects(s.SelectionSet, name) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && selects(s.Definition.SelectionSet, name) {
				return true
			}
		}
	}
	return false
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// lists maps parents to their id lists.
func lists[T any](objs []*T, ids func(*T) []string) [][]string {
	out := make([][]string, len(objs))
	for i, o := range objs {
		out[i] = ids(o)
	}
	return out
}

func memberID(m *aspire.Member) string   { return m.ID }
func projectID(p *aspire.Project) string { return p.ID }
func groupID(g *aspire.Group) string     { return g.ID }

// performanceKeys are the roll-up keys of Member.performance(range, filter)
// for members, as its resolver loads them (and prefetchMembers enqueues them).
func performanceKeys(members []*aspire.Member, rangeArg model.DateRangeInput, filter *model.PostFilter) ([]loaders.Key, error) {
	rng, err := dateRange("range", rangeArg)
	if err != nil {
		return nil, err
	}
	args, err := rollUpArgs(rng, filter)
	if err != nil {
		return nil, err
	}
	keys := make([]loaders.Key, len(members))
	for i, m := range members {
		keys[i] = loaders.Key{ID: m.ID, Args: args}
	}
	return keys, nil
}

// childWindow is a child connection's window with the upstream rows its
// nodes stand for (see loaders.Children.Rows).
func childWindow(w model.Window, rows int) model.Window {
	w.Rows = rows
	return w
}
