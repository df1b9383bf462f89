// Package report rolls metrics up for reports: the totals, breakdowns, time
// series and top members of a slice of the workspace (a project, a group, a
// member or the whole workspace, narrowed by the posts filters) over a range,
// each from the cheapest upstream plan. It sits under the GraphQL resolvers,
// beside the loaders, and knows no GraphQL: the resolvers and the exports
// both call Run.
//
// Decisions (and why):
//   - Two plans. The members plan pages /v1/members with the slice's
//     project_id / group_id / member_id filter and sums the member roll-ups
//     (one page of up to 500 members answers most slices). The posts plan
//     pages /v1/posts with the slice's filter, 500 posts a page, and adds
//     the posts up itself. Only the posts plan can bucket by day, so a
//     series needs it; everything else (totals, byNetwork, byPostType, top
//     members) either plan answers, and the members plan is chosen then:
//     a slice has far fewer members than posts.
//   - Several slices of one kind in one request (six projects' roll-ups)
//     share the posts plan: one paging with the ids as a list, each post
//     added to every slice it names, since posts carry their project, group
//     and member ids. The members plan cannot share a call: a member listed
//     for projects A and B carries one roll-up over its posts in both, which
//     no sum can split, so it costs one members page per slice. Without a
//     series, k slices therefore fetch the first posts page: if its total
//     says the posts cost at most k pages, they go on (six projects over a
//     quarter of the demo workspace: 4 pages, not 6 members calls);
//     otherwise they take the members plan (k calls; one probe spent).
//   - Pages are shared with the operation's other calls by the client
//     itself: identical GETs in flight are made once and pages are cached
//     per tenant (hash of key and client id) and URL, past ranges longer.
//     That is the roll-up cache too; the report keeps none of its own.
//   - The budget. A plan is refused with no call when the budget left
//     cannot pay its least cost: one /v1/posts request per batch of ids,
//     one /v1/members request per slice. Past that, only a first page says
//     how many pages a slice has: the count is the upstream's, of posts
//     under a filter no cache of ours has seen, and nothing cheaper knows
//     it (a count call, limit 1, is one request like the first page, whose
//     rows are then used; the members' postCounts are a request too, and
//     not under every posts filter). So the first page of each batch is
//     fetched, and priced, before any batch pages on: a plan past the
//     budget is refused then, naming the pages it needs and the budget,
//     having spent one request (a single slice) or one per batch priced
//     so far; a first page in the client's cache (an earlier operation
//     priced it) is free, so the same refusal again spends none.
//   - Sums only: engagementRate is engagements / reach of the sums, never a
//     sum or mean of rates; a metric no post (or member) reports stays nil;
//     TMV is rounded to the cent after summing.
//   - No partial sums: a page that fails fails the whole roll-up.
//   - Buckets are UTC days of postedAt; weeks are ISO weeks (Monday first);
//     a bucket's Start may precede the range (the first week or month is
//     partial), and empty buckets are listed. Metrics are as the filter's
//     metrics window says, over the whole range, for every bucket: points
//     add up to the totals.
//   - Only /v1/posts and /v1/members: never /v1/projects or /v1/groups.
package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// Kind says what a slice is.
type Kind int

// Slice kinds.
const (
	Workspace Kind = iota
	Project
	Group
	Member
	// Network slices by the posts' network (posts plan only).
	Network
)

// Interval is the width of a series bucket.
type Interval string

// Intervals.
const (
	Day   Interval = "DAY"
	Week  Interval = "WEEK"
	Month Interval = "MONTH"
)

// Intervals lists the intervals in order.
var Intervals = []Interval{Day, Week, Month}

// Valid reports whether i is a known interval.
func (i Interval) Valid() bool { return i == Day || i == Week || i == Month }

// DefaultMaxPoints is the most points a series may have when no setting
// says otherwise: a year of days.
const DefaultMaxPoints = 366

type maxPointsKey struct{}

// WithMaxPoints returns ctx whose series may have at most n points.
func WithMaxPoints(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, maxPointsKey{}, n)
}

// MaxPoints is the points limit of ctx (DefaultMaxPoints unless set).
func MaxPoints(ctx context.Context) int {
	if n, ok := ctx.Value(maxPointsKey{}).(int); ok && n > 0 {
		return n
	}
	return DefaultMaxPoints
}

// Start returns the start of the bucket holding d.
func (i Interval) Start(d aspire.Date) aspire.Date {
	t := d.Time()
	switch i {
	case Week:
		wd := (int(t.Weekday()) + 6) % 7 // Monday 0
		return d.AddDays(-wd)
	case Month:
		return aspire.NewDate(t.Year(), t.Month(), 1)
	}
	return d
}

func (i Interval) next(d aspire.Date) aspire.Date {
	switch i {
	case Week:
		return d.AddDays(7)
	case Month:
		t := d.Time()
		return aspire.NewDate(t.Year(), t.Month()+1, 1)
	}
	return d.AddDays(1)
}

// Points is the number of buckets of r, computed without listing them (a
// DAY series over ten years is counted, not built).
func (i Interval) Points(r aspire.Range) int {
	switch i {
	case Week:
		return i.Start(r.Start).DaysUntil(i.Start(r.End))/7 + 1
	case Month:
		s, e := r.Start.Time(), r.End.Time()
		return (e.Year()-s.Year())*12 + int(e.Month()-s.Month()) + 1
	}
	return r.Days()
}

// Buckets lists the starts of r's buckets.
func (i Interval) Buckets(r aspire.Range) []aspire.Date {
	out := make([]aspire.Date, 0, max(i.Points(r), 0))
	for d := i.Start(r.Start); !d.After(r.End); d = i.next(d) {
		out = append(out, d)
	}
	return out
}

// index is the bucket of d in a series over r.
func (i Interval) index(r aspire.Range, d aspire.Date) int {
	switch i {
	case Week:
		return i.Start(r.Start).DaysUntil(i.Start(d)) / 7
	case Month:
		s, e := r.Start.Time(), d.Time()
		return (e.Year()-s.Year())*12 + int(e.Month()-s.Month())
	}
	return r.Start.DaysUntil(d)
}

// CheckPoints refuses a series of more than maxPoints points (0: the
// default), saying how many it would have.
func CheckPoints(r aspire.Range, i Interval, maxPoints int) error {
	if maxPoints <= 0 {
		maxPoints = DefaultMaxPoints
	}
	if n := i.Points(r); n > maxPoints {
		return fmt.Errorf("a %s series over %s…%s has %d points; at most %d are allowed (report-max-points): use a wider interval or a shorter range",
			i, r.Start, r.End, n, maxPoints)
	}
	return nil
}

// Request is what to roll up.
type Request struct {
	// Filter is the range and the posts filters; the slices' ids are added
	// to it by kind.
	Filter aspire.Filter
	Kind   Kind
	// IDs are the slices of Kind (ignored for Workspace, which is one).
	IDs []string
	// Intervals are the series wanted (each needs the posts plan).
	Intervals []Interval
	// All, with no IDs and a Kind other than Workspace, rolls up every
	// slice of Kind that the filtered posts name, found while paging them
	// (posts plan; in id order): a breakdown without knowing the ids, and
	// without /v1/projects or /v1/groups.
	All bool
}

// Plan names how a roll-up was computed.
type Plan string

// Plans.
const (
	MembersPlan Plan = "members"
	PostsPlan   Plan = "posts"
)

// Result is one slice's roll-up.
type Result struct {
	// ID is the slice's id (a network's name for Network; "" for Workspace).
	ID         string
	Plan       Plan
	Range      aspire.Range
	PostCount  int
	Metrics    aspire.Metrics
	ByNetwork  map[aspire.Network]aspire.Metrics
	ByPostType map[aspire.PostType]aspire.Metrics
	// Series holds the points of each interval asked for.
	Series map[Interval][]Point
	// Members are the members with posts in the slice, by id, each with
	// their own sums in it.
	Members []MemberTotals
}

// Point is one bucket of a series.
type Point struct {
	Start     aspire.Date
	PostCount int
	Metrics   aspire.Metrics
}

// MemberTotals are one member's sums in a slice.
type MemberTotals struct {
	ID string
	// Record is the member as /v1/members sent it (members plan only).
	Record    *aspire.Member
	PostCount int
	Metrics   aspire.Metrics
}

// Top returns the n members with the most of the metric by (nulls last,
// ties by id).
func (r *Result) Top(n int, by aspire.SortField) []MemberTotals {
	ms := slices.Clone(r.Members)
	slices.SortStableFunc(ms, func(a, b MemberTotals) int {
		va, oka := a.Metrics.Value(by)
		vb, okb := b.Metrics.Value(by)
		switch {
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		case oka && va != vb:
			if va > vb {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ms[:min(n, len(ms))]
}

// ChoosePlan is the plan Run takes for req.
// (the first step: several slices without a series try the posts first
// and keep them when their first page shows they cost no more).
func ChoosePlan(req Request) Plan {
	if len(req.Intervals) > 0 || req.Kind == Network || (req.All && req.Kind != Workspace) {
		return PostsPlan
	}
	return MembersPlan
}

// Run computes one Result per slice (one for Workspace), in the order of
// req.IDs. An error fails every slice: no partial sums.
func Run(ctx context.Context, t *aspire.Tenant, req Request) ([]*Result, error) {
	if err := req.Filter.Range.Validate(); err != nil {
		return nil, &aspire.Error{Code: aspire.CodeInvalid, Message: err.Error()}
	}
	for _, iv := range req.Intervals {
		if !iv.Valid() {
			return nil, &aspire.Error{Code: aspire.CodeInvalid, Message: fmt.Sprintf("unknown interval %q", iv)}
		}
	}
	ids := req.IDs
	switch {
	case req.Kind == Workspace:
		ids = []string{""}
	case req.All && len(ids) == 0:
		return runPosts(ctx, t, req, nil, 0)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if ChoosePlan(req) == PostsPlan {
		return runPosts(ctx, t, req, ids, 0)
	}
	if len(ids) > 1 && len(ids) <= aspire.MaxIDs {
		// k slices cost k members pages, or one paging of their posts: its
		// first page says how many pages. Cheaper (or as cheap): go on with
		// it; dearer: the members, one probe page spent.
		res, err := runPosts(ctx, t, req, ids, len(ids))
		if err != errDearer {
			return res, err
		}
	}
	return runMembers(ctx, t, req, ids)
}

// errDearer stops a posts plan that would cost more pages than its bound.
var errDearer = errors.New("report: the posts plan is dearer")

// withSlice narrows f to the slices ids of kind k.
func withSlice(f aspire.Filter, k Kind, ids []string) aspire.Filter {
	switch k {
	case Project:
		f.ProjectIDs = ids
	case Group:
		f.GroupIDs = ids
	case Member:
		f.MemberIDs = ids
	case Network:
		f.Networks = make([]aspire.Network, len(ids))
		for i, id := range ids {
			f.Networks[i] = aspire.Network(id)
		}
	}
	return f
}

// budgetError refuses a plan that needs more requests than the budget has
// left.
func budgetError(ctx context.Context, what string, need int) error {
	used, limit := aspire.BudgetUsed(ctx)
	if limit == 0 || used+need <= limit {
		return nil
	}
	return &aspire.Error{Code: aspire.CodeBudgetExceeded, Message: fmt.Sprintf(
		"this roll-up needs %d more upstream pages (%s); the operation's budget is %d upstream requests and %d are spent (upstream-budget): ask for a shorter range, a narrower filter, or no series",
		need, what, limit, used)}
}

func runMembers(ctx context.Context, t *aspire.Tenant, req Request, ids []string) ([]*Result, error) {
	if err := budgetError(ctx, fmt.Sprintf("at least one /v1/members page for each of %d slices", len(ids)), len(ids)); err != nil {
		return nil, err
	}
	out := make([]*Result, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			f := req.Filter
			if req.Kind != Workspace {
				f = withSlice(f, req.Kind, []string{id})
			}
			q := aspire.MemberQuery{Filter: f, Limit: aspire.MaxLimit}
			first, err := t.Members(ctx, q)
			if err != nil {
				errs[i] = err
				return
			}
			rows := first.Items
			if first.HasMore {
				if first.Total > 0 {
					if err := budgetError(ctx, fmt.Sprintf("%d members of /v1/members, %d a page", first.Total, aspire.MaxLimit),
						pagesFor(first.Total, aspire.MaxLimit)-1); err != nil {
						errs[i] = err
						return
					}
				}
				q.Offset = len(first.Items)
				rest, err := t.AllMembers(ctx, q)
				if err != nil {
					errs[i] = err
					return
				}
				rows = append(slices.Clip(rows), rest...)
			}
			out[i] = sumMembers(req.Filter.Range, rows)
			out[i].ID = id
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func sumMembers(r aspire.Range, rows []aspire.Member) *Result {
	res := &Result{Plan: MembersPlan, Range: r}
	var all acc
	byNet := map[aspire.Network]*acc{}
	byType := map[aspire.PostType]*acc{}
	for i := range rows {
		m := &rows[i]
		if m.PostCount == 0 {
			continue
		}
		res.PostCount += m.PostCount
		all.Add(&m.Metrics)
		for n, mt := range m.ByNetwork {
			accOf(byNet, n).Add(&mt)
		}
		for pt, mt := range m.ByPostType {
			accOf(byType, pt).Add(&mt)
		}
		res.Members = append(res.Members, MemberTotals{ID: m.ID, Record: m, PostCount: m.PostCount, Metrics: m.Metrics})
	}
	res.Metrics = all.Metrics()
	res.ByNetwork, res.ByPostType = metricsOf(byNet), metricsOf(byType)
	slices.SortFunc(res.Members, func(a, b MemberTotals) int { return strings.Compare(a.ID, b.ID) })
	return res
}

func pagesFor(n, per int) int { return (n + per - 1) / per }

// slice is a posts-plan accumulator of one slice.
type slice struct {
	n       int
	all     acc
	byNet   map[aspire.Network]*acc
	byType  map[aspire.PostType]*acc
	series  map[Interval][]bucket
	members map[string]*bucket
}

type bucket struct {
	n int
	a acc
}

// runPosts runs the posts plan; with maxPages > 0 it stops with errDearer
// once the first page shows more pages than that.
func runPosts(ctx context.Context, t *aspire.Tenant, req Request, ids []string, maxPages int) ([]*Result, error) {
	r := req.Filter.Range
	sl := make([]*slice, 0, len(ids))
	at := make(map[string]int, len(ids))
	newSlice := func(id string) int {
		s := &slice{byNet: map[aspire.Network]*acc{}, byType: map[aspire.PostType]*acc{}, series: map[Interval][]bucket{}, members: map[string]*bucket{}}
		for _, iv := range req.Intervals {
			s.series[iv] = make([]bucket, iv.Points(r))
		}
		sl = append(sl, s)
		at[id] = len(sl) - 1
		return len(sl) - 1
	}
	for _, id := range ids {
		newSlice(id)
	}
	discover := len(ids) == 0 // req.All: a slice for every id the posts name
	add := func(p *aspire.Post) {
		if !r.Contains(p.PostedAt) {
			return // the upstream was asked for the range: keep totals and points equal
		}
		each := func(i int) {
			s := sl[i]
			s.n++
			s.all.Add(&p.Metrics)
			accOf(s.byNet, p.Network).Add(&p.Metrics)
			accOf(s.byType, p.PostType).Add(&p.Metrics)
			d := aspire.DateOf(p.PostedAt)
			for iv, b := range s.series {
				k := iv.index(r, d)
				b[k].n++
				b[k].a.Add(&p.Metrics)
			}
			m := s.members[p.MemberID]
			if m == nil {
				m = &bucket{}
				s.members[p.MemberID] = m
			}
			m.n++
			m.a.Add(&p.Metrics)
		}
		var slIDs []string
		switch req.Kind {
		case Workspace:
			each(0)
			return
		case Project:
			slIDs = p.ProjectIDs
		case Group:
			slIDs = p.GroupIDs
		case Member:
			slIDs = []string{p.MemberID}
		case Network:
			slIDs = []string{string(p.Network)}
		}
		for _, id := range slices.Compact(slices.Sorted(slices.Values(slIDs))) {
			if i, ok := at[id]; ok {
				each(i)
			} else if discover && id != "" {
				each(newSlice(id))
			}
		}
	}
	// Batches of at most MaxIDs ids per paging.
	var batches [][]string
	if req.Kind == Workspace || discover {
		batches = [][]string{nil}
	} else {
		for b := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(ids))), aspire.MaxIDs) {
			batches = append(batches, b)
		}
	}
	// At least one request per batch: refused before any call when even
	// that is past the budget.
	if err := budgetError(ctx, fmt.Sprintf("at least one /v1/posts page for each of %d batches of ids", len(batches)), len(batches)); err != nil {
		return nil, err
	}
	// Every batch's first page before any batch pages on: the first pages
	// price the whole plan, so a refusal spends at most one request per
	// batch priced so far (one, for a single slice) and no more pages.
	qs := make([]aspire.PostQuery, len(batches))
	firsts := make([]*aspire.Page[aspire.Post], len(batches))
	rest := 0 // pages still to fetch after the first pages fetched so far
	for k, b := range batches {
		q := aspire.PostQuery{Filter: req.Filter, Limit: aspire.MaxLimit}
		if req.Kind != Workspace && !discover {
			q.Filter = withSlice(q.Filter, req.Kind, b)
		}
		first, err := t.Posts(ctx, q)
		if err != nil {
			return nil, err
		}
		if maxPages > 0 && (first.Total < 0 || pagesFor(first.Total, aspire.MaxLimit) > maxPages) {
			return nil, errDearer
		}
		if first.HasMore && len(first.Items) > 0 && first.Total > 0 {
			rest += pagesFor(first.Total, aspire.MaxLimit) - 1
			what := fmt.Sprintf("%d posts of /v1/posts, %d a page", first.Total, aspire.MaxLimit)
			if left := len(batches) - k - 1; left > 0 {
				what += fmt.Sprintf(", and at least one page for each of the %d batches of ids left", left)
			}
			if err := budgetError(ctx, what, rest+len(batches)-k-1); err != nil {
				return nil, err
			}
		}
		qs[k], firsts[k] = q, first
	}
	for k, first := range firsts {
		for i := range first.Items {
			add(&first.Items[i])
		}
		if !first.HasMore || len(first.Items) == 0 {
			continue
		}
		q := qs[k]
		q.Offset = len(first.Items)
		for p, err := range t.PostPages(ctx, q) {
			if err != nil {
				return nil, err
			}
			for i := range p.Items {
				add(&p.Items[i])
			}
		}
	}
	if discover {
		for id := range at {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	out := make([]*Result, len(ids))
	for i, id := range ids {
		s := sl[at[id]]
		res := &Result{ID: id, Plan: PostsPlan, Range: r, PostCount: s.n, Metrics: s.all.Metrics(),
			ByNetwork: metricsOf(s.byNet), ByPostType: metricsOf(s.byType), Series: map[Interval][]Point{}}
		for _, iv := range req.Intervals {
			starts := iv.Buckets(r)
			pts := make([]Point, len(starts))
			for k, d := range starts {
				b := s.series[iv][k]
				pts[k] = Point{Start: d, PostCount: b.n, Metrics: b.a.Metrics()}
			}
			res.Series[iv] = pts
		}
		for id, m := range s.members {
			res.Members = append(res.Members, MemberTotals{ID: id, PostCount: m.n, Metrics: m.a.Metrics()})
		}
		slices.SortFunc(res.Members, func(a, b MemberTotals) int { return strings.Compare(a.ID, b.ID) })
		out[i] = res
	}
	return out, nil
}

func accOf[K comparable](m map[K]*acc, k K) *acc {
	a := m[k]
	if a == nil {
		a = &acc{}
		m[k] = a
	}
	return a
}

func metricsOf[K comparable](m map[K]*acc) map[K]aspire.Metrics {
	out := make(map[K]aspire.Metrics, len(m))
	for k, a := range m {
		out[k] = a.Metrics()
	}
	return out
}

// acc sums metrics (aspire.MetricsSum: nil until reported, rate from the sums).
type acc = aspire.MetricsSum
