package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/graph/model"
	"github.com/aspire-graphql/aspire-graphql/loaders"
	"github.com/aspire-graphql/aspire-graphql/report"
)

// maxTopMembers bounds topMembers(first).
const maxTopMembers = 100

// reportWants reads what the performance field's selection asks of the
// planner: the series intervals (a series needs the posts plan) and whether
// topMembers is selected.
func reportWants(ctx context.Context) (sel ast.SelectionSet, intervals []report.Interval, top bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, nil, false
	}
	oc := graphql.GetOperationContext(ctx)
	sel = fc.Field.Selections
	for _, f := range graphql.CollectFields(oc, sel, []string{"Performance"}) {
		switch f.Name {
		case "series":
			iv := report.Interval(fmt.Sprint(f.ArgumentMap(oc.Variables)["interval"]))
			if iv.Valid() && !contains(intervals, iv) {
				intervals = append(intervals, iv)
			}
		case "topMembers":
			top = true
		}
	}
	return sel, intervals, top
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// reportRange checks a roll-up's range: the order of its ends, then the
// points of each series (so a DAY series over ten years is refused with its
// point count, not only for its length), then what the upstream accepts.
func reportRange(ctx context.Context, in model.DateRangeInput, intervals []report.Interval) (aspire.Range, error) {
	rng := aspire.Range{Start: in.Start, End: in.End}
	if !rng.Start.IsZero() && !rng.End.IsZero() {
		if rng.End.Before(rng.Start) {
			return rng, badInput("range: end %s is before start %s; a range runs from start to end (both included), 1 to %d days", rng.End, rng.Start, aspire.MaxRangeDays)
		}
		for _, iv := range intervals {
			if err := report.CheckPoints(rng, iv, report.MaxPoints(ctx)); err != nil {
				return rng, badInput("series: %v", err)
			}
		}
	}
	return dateRange("range", in)
}

// rollUp resolves the performance field of n slices of one kind (ids; one
// nil for the workspace) through the planner.
func rollUp(ctx context.Context, kind report.Kind, ids []string, rangeArg model.DateRangeInput, filter *model.PostFilter, forbidden string) ([]*model.Performance, error) {
	sel, intervals, _ := reportWants(ctx)
	rng, err := reportRange(ctx, rangeArg, intervals)
	if err != nil {
		return nil, err
	}
	f, err := postFilter(rng, filter, forbidden)
	if err != nil {
		return nil, err
	}
	var res []*report.Result
	if kind == report.Workspace {
		res, err = report.Run(ctx, loaders.For(ctx).Tenant(), report.Request{Filter: f, Kind: kind, Intervals: intervals})
	} else {
		// Through the loader: slices of one kind asked in one tick (the
		// same field under several parents) are planned together.
		args := loaders.Args(report.Request{Filter: f, Kind: kind, Intervals: intervals})
		keys := make([]loaders.Key, len(ids))
		for i, id := range ids {
			keys[i] = loaders.Key{ID: id, Args: args}
		}
		res, err = loadEach(ctx, loaders.For(ctx).Report, keys)
	}
	out := make([]*model.Performance, len(res))
	for i, x := range res {
		if x == nil {
			continue
		}
		p := performance(&aspire.Member{PostCount: x.PostCount, Metrics: x.Metrics, ByNetwork: x.ByNetwork, ByPostType: x.ByPostType}, sel)
		p.Report = x
		out[i] = p
	}
	return out, err
}

// points is a series as the schema has it.
func points(obj *model.Performance, interval report.Interval) ([]*model.PerformancePoint, error) {
	if obj.Report == nil || obj.Report.Series[interval] == nil {
		return nil, fmt.Errorf("series %s was not planned", interval)
	}
	pts := obj.Report.Series[interval]
	out := make([]*model.PerformancePoint, len(pts))
	for i := range pts {
		out[i] = &model.PerformancePoint{Start: pts[i].Start, PostCount: pts[i].PostCount, Metrics: &pts[i].Metrics}
	}
	return out, nil
}

// topMembers ranks a roll-up's members.
func topMembers(ctx context.Context, obj *model.Performance, first *int, sort *aspire.SortField) ([]*model.MemberPerformance, error) {
	n := 5
	if first != nil {
		n = *first
	}
	if n < 1 || n > maxTopMembers {
		return nil, badInput("topMembers.first: %d is out of range; allowed 1 to %d", n, maxTopMembers)
	}
	by := aspire.SortEngagements
	if sort != nil {
		by = *sort
	}
	if obj.Report == nil {
		return nil, fmt.Errorf("topMembers was not planned")
	}
	top := obj.Report.Top(n, by)
	out := make([]*model.MemberPerformance, len(top))
	l := loaders.For(ctx)
	var missing []string
	for i := range top {
		t := &top[i]
		if t.Record != nil {
			l.Member.Prime(ctx, t.ID, t.Record)
		} else {
			missing = append(missing, t.ID)
		}
		out[i] = &model.MemberPerformance{MemberID: t.ID, Record: t.Record, PostCount: t.PostCount, Metrics: &t.Metrics}
	}
	// The posts plan knows members by id only: when their fields are
	// selected, look them all up in one batch (each member field alone
	// would be a call each).
	if len(missing) > 0 && selects(graphql.GetFieldContext(ctx).Field.Selections, "member") {
		recs, err := loadEach(ctx, l.Member, missing)
		if err != nil {
			return nil, err
		}
		j := 0
		for _, o := range out {
			if o.Record == nil {
				o.Record = recs[j]
				j++
			}
		}
	}
	return out, nil
}
