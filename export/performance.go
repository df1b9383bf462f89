package export

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/report"
)

// A performance export is a report's time series as a table: one row per
// bucket of the range and key of group_by (every bucket, empty ones
// included, for every key that has posts in the range), computed by package
// report's planner (the posts plan: a series needs it), so its numbers are
// the GraphQL roll-up's. Its parameters are the posts export's filters plus
// interval (day, week — the default — or month) and group_by (project,
// group, member, network; absent: the whole slice the filters leave, key
// empty). With group_by and that kind's ids in the filter, the keys are
// those ids (rows for them even without posts); without ids, every key the
// posts name. Keys are ids, not names: a roll-up does not depend on
// /v1/projects or /v1/groups (issue 17's two-endpoint API), and a BI tool
// joins names from the posts or members export.

// groupKinds maps group_by to the report's slice kinds.
var groupKinds = map[string]report.Kind{"project": report.Project, "group": report.Group, "member": report.Member, "network": report.Network}

// perfRow is one bucket of one key.
type perfRow struct {
	start    aspire.Date
	interval report.Interval
	groupBy  string
	key      string
	p        *report.Point
}

func performanceColumns() []column[perfRow] {
	cols := []column[perfRow]{
		{"bucket_start", func(r *perfRow, _ *names) any { return timestamp(r.start.Time()) }},
		{"interval", func(r *perfRow, _ *names) any { return strings.ToLower(string(r.interval)) }},
		{"group_by", func(r *perfRow, _ *names) any { return optional(r.groupBy) }},
		{"key", func(r *perfRow, _ *names) any { return optional(r.key) }},
		{"post_count", func(r *perfRow, _ *names) any { return r.p.PostCount }},
	}
	for _, mc := range metricColumns {
		cols = append(cols, column[perfRow]{mc.name, func(r *perfRow, _ *names) any { return mc.get(&r.p.Metrics) }})
	}
	return cols
}

// PerformanceRequest reads a performance export's parameters into the
// report request it runs and the group_by it names ("" for none).
func PerformanceRequest(v url.Values) (report.Request, string, error) {
	f, err := parseFilter(v)
	if err != nil {
		return report.Request{}, "", err
	}
	iv := report.Week
	if s := v.Get("interval"); s != "" {
		iv = report.Interval(strings.ToUpper(s))
		if !iv.Valid() {
			return report.Request{}, "", fmt.Errorf("interval: %q is not day, week or month", s)
		}
	}
	req := report.Request{Filter: f, Kind: report.Workspace, Intervals: []report.Interval{iv}}
	by := strings.ToLower(v.Get("group_by"))
	if by != "" {
		k, ok := groupKinds[by]
		if !ok {
			return report.Request{}, "", fmt.Errorf("group_by: %q is not project, group, member or network", by)
		}
		req.Kind, req.All = k, true
		switch k { // the filter's ids of that kind are the keys
		case report.Project:
			req.IDs, req.Filter.ProjectIDs = f.ProjectIDs, nil
		case report.Group:
			req.IDs, req.Filter.GroupIDs = f.GroupIDs, nil
		case report.Member:
			req.IDs, req.Filter.MemberIDs = f.MemberIDs, nil
		case report.Network:
			for _, n := range f.Networks {
				req.IDs = append(req.IDs, string(n))
			}
			req.Filter.Networks = nil
		}
	}
	return req, by, nil
}

// Performance writes the rows of req's series, grouped by groupBy. The
// series is checked against the points limit of ctx before any call.
func Performance(ctx context.Context, t *aspire.Tenant, req report.Request, groupBy string, w io.Writer, o Options) (int, error) {
	iv := req.Intervals[0]
	if err := report.CheckPoints(req.Filter.Range, iv, report.MaxPoints(ctx)); err != nil {
		return 0, &aspire.Error{Code: aspire.CodeInvalid, Message: err.Error()}
	}
	res, err := report.Run(ctx, t, req)
	if err != nil {
		return 0, err
	}
	var rows []perfRow
	for _, r := range res {
		pts := r.Series[iv]
		for i := range pts {
			rows = append(rows, perfRow{start: pts[i].Start, interval: iv, groupBy: groupBy, key: r.ID, p: &pts[i]})
		}
	}
	// One page of rows: the sums are whole before anything is written (no
	// partial sums), so a failure is always an ordinary error answer.
	page := &aspire.Page[perfRow]{Items: rows, Rows: len(rows), Total: len(rows)}
	return write(ctx, func(yield func(*aspire.Page[perfRow], error) bool) { yield(page, nil) },
		performanceColumns(), &names{}, w, o, nil)
}
