package aspiretest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// query is a parsed, validated request.
type query struct {
	rng                              aspire.Range // zero when absent
	networks                         []aspire.Network
	projects, groups, members, posts []string
	types                            []aspire.PostType
	sources                          []aspire.MentionSource
	statuses                         []aspire.PostStatus
	window                           aspire.MetricsWindow
	sortBy                           aspire.SortField
	order                            aspire.SortOrder
	offset, limit                    int
	quietFrom                        time.Time // non-zero: posts from then on are not there (Wire.QuietDays)
}

type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func bad(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

// parse validates v as the endpoint allows, like a real API: every malformed
// value is a 400 naming the parameter.
func parse(base string, v url.Values, one bool) (query, error) {
	q := query{window: aspire.Lifetime, order: aspire.Desc, limit: wire.DefaultLimit}
	var err error
	intParam := func(name string, lo, hi int, dst *int) {
		if s := v.Get(name); s != "" && err == nil {
			n, e := strconv.Atoi(s)
			if e != nil || n < lo || n > hi {
				err = bad("%s must be an integer from %d to %d, got %q", name, lo, hi, s)
				return
			}
			*dst = n
		}
	}
	intParam(wire.ParamOffset, 0, 1<<31-1, &q.offset)
	intParam(wire.ParamLimit, 1, wire.MaxLimit, &q.limit)
	if err != nil {
		return q, err
	}
	ids := func(name string) ([]string, error) {
		l := splitList(v[name])
		if len(l) > wire.MaxIDsPerCall {
			return nil, bad("%s: at most %d ids per call, got %d", name, wire.MaxIDsPerCall, len(l))
		}
		if slices.Contains(l, "") {
			return nil, bad("%s: empty id in list", name)
		}
		return l, nil
	}
	switch base {
	case wire.PathProjects:
		q.projects, err = ids(wire.ParamProjectID)
		return q, err
	case wire.PathGroups:
		q.groups, err = ids(wire.ParamGroupID)
		return q, err
	}
	for _, l := range []struct {
		name string
		dst  *[]string
	}{{wire.ParamProjectID, &q.projects}, {wire.ParamGroupID, &q.groups}, {wire.ParamMemberID, &q.members}, {wire.ParamPostID, &q.posts}} {
		if *l.dst, err = ids(l.name); err != nil {
			return q, err
		}
	}
	if q.networks, err = enums(v, wire.ParamNetwork, aspire.ParseNetwork); err != nil {
		return q, err
	}
	if q.types, err = enums(v, wire.ParamPostType, aspire.ParsePostType); err != nil {
		return q, err
	}
	if q.sources, err = enums(v, wire.ParamMentionSource, aspire.ParseMentionSource); err != nil {
		return q, err
	}
	if q.statuses, err = enums(v, wire.ParamPostStatus, aspire.ParsePostStatus); err != nil {
		return q, err
	}
	if s := v.Get(wire.ParamMetricsWindow); s != "" {
		if q.window, err = aspire.ParseMetricsWindow(s); err != nil {
			return q, bad("%v", err)
		}
	}
	if s := v.Get(wire.ParamSortBy); s != "" {
		if q.sortBy, err = aspire.ParseSortField(s); err != nil || (base == wire.PathMembers && q.sortBy == aspire.SortPostedAt) {
			return q, bad("sort_by %q is not supported here", s)
		}
	}
	if s := v.Get(wire.ParamSortOrder); s != "" {
		if q.order, err = aspire.ParseSortOrder(s); err != nil {
			return q, bad("%v", err)
		}
	}
	start, end := v.Get(wire.ParamStartDate), v.Get(wire.ParamEndDate)
	byIDs := one || (base == wire.PathPosts && len(q.posts) > 0) || (base == wire.PathMembers && len(q.members) > 0)
	switch {
	case start == "" && end == "" && byIDs:
	case start == "" || end == "":
		return q, bad("start_date and end_date are required (YYYY-MM-DD)")
	default:
		if q.rng.Start, err = aspire.ParseDate(start); err != nil {
			return q, bad("start_date: %v", err)
		}
		if q.rng.End, err = aspire.ParseDate(end); err != nil {
			return q, bad("end_date: %v", err)
		}
		if err := q.rng.Validate(); err != nil {
			return q, bad("%v", err)
		}
	}
	if q.window == aspire.DateRange && q.rng.Start.IsZero() {
		return q, bad("metrics_window=date_range needs start_date and end_date")
	}
	return q, nil
}

func enums[E ~string](v url.Values, name string, parse func(string) (E, error)) ([]E, error) {
	var out []E
	for _, s := range splitList(v[name]) {
		e, err := parse(s)
		if err != nil {
			return nil, bad("%v", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// splitList reads a list given as comma lists, repeats, or both.
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for s := range strings.SplitSeq(v, ",") {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

// answer computes the body of a valid request, or an error with its status.
func (s *Server) answer(w *workspace, base, id string, v url.Values) ([]byte, int, error) {
	q, err := parse(base, v, id != "")
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	if d := s.sp.w.QuietDays; d > 0 {
		q.quietFrom = aspire.DateOf(s.now().UTC()).AddDays(-d).Time() // the doctor's "last 30 days" start there
	}
	if id != "" {
		return s.answerOne(w, base, id, q)
	}
	var body any
	switch base {
	case wire.PathPosts:
		body = w.selectPosts(q)
	case wire.PathMembers:
		body = page(w.selectMembers(q), q)
	case wire.PathProjects:
		body = page(byIDs(w.projects, w.projectAt, q.projects), q)
	case wire.PathGroups:
		body = page(byIDs(w.groups, w.groupAt, q.groups), q)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	return b, http.StatusOK, nil
}

var errNotFound = errors.New("no record with that id")

func (s *Server) answerOne(w *workspace, base, id string, q query) ([]byte, int, error) {
	var rec any
	switch base {
	case wire.PathPosts:
		if i, ok := w.postAt[id]; ok {
			rec = w.posts[i]
		}
	case wire.PathMembers:
		if _, ok := w.memberAt[id]; ok {
			q.members = []string{id}
			rec = w.selectMembers(q)[0]
		}
	case wire.PathProjects:
		if i, ok := w.projectAt[id]; ok {
			rec = w.projects[i]
		}
	case wire.PathGroups:
		if i, ok := w.groupAt[id]; ok {
			rec = w.groups[i]
		}
	}
	if rec == nil {
		return nil, http.StatusNotFound, errNotFound
	}
	b, err := json.Marshal(wire.One[any]{Data: rec})
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	return b, http.StatusOK, nil
}

func page[T any](all []T, q query) wire.List[T] {
	lo := min(q.offset, len(all))
	hi := min(lo+q.limit, len(all))
	data := all[lo:hi]
	if data == nil {
		data = []T{}
	}
	return wire.List[T]{Data: data, Pagination: wire.Pagination{Offset: q.offset, Limit: q.limit, Total: len(all), HasMore: hi < len(all)}}
}

// byIDs returns the records with the given ids (all when none), in id order;
// unknown ids are left out, as a list endpoint does.
func byIDs[T any](all []T, at map[string]int, ids []string) []T {
	if len(ids) == 0 {
		return all
	}
	var out []T
	for _, id := range uniqueSorted(ids) {
		if i, ok := at[id]; ok {
			out = append(out, all[i])
		}
	}
	return out
}

func uniqueSorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// postMatch reports whether post p passes q's filters other than the ids
// used to pick the candidates.
func (q *query) postMatch(p *aspire.Post) bool {
	return (q.quietFrom.IsZero() || p.PostedAt.Before(q.quietFrom)) &&
		(q.rng.Start.IsZero() || q.rng.Contains(p.PostedAt)) &&
		(len(q.networks) == 0 || slices.Contains(q.networks, p.Network)) &&
		(len(q.types) == 0 || slices.Contains(q.types, p.PostType)) &&
		(len(q.sources) == 0 || slices.Contains(q.sources, p.MentionSource)) &&
		(len(q.statuses) == 0 || slices.Contains(q.statuses, p.Status)) &&
		(len(q.projects) == 0 || overlaps(q.projects, p.ProjectIDs)) &&
		(len(q.groups) == 0 || overlaps(q.groups, p.GroupIDs))
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// metricsOf returns the metrics q asks for: lifetime, or accrued by the end
// of the range.
func (q *query) metricsOf(p *aspire.Post) aspire.Metrics {
	if q.window == aspire.DateRange {
		return windowed(p, q.rng)
	}
	return p.Metrics
}

// selectPosts returns one page of the posts q selects, sorted, with q's
// metrics, and how many it selects in all. It sorts indexes and copies only
// the page: a 100,000-post workspace is paged through without copying it
// on every request.
func (w *workspace) selectPosts(q query) wire.List[aspire.Post] {
	var cand []int
	switch {
	case len(q.posts) > 0:
		for _, id := range uniqueSorted(q.posts) {
			if i, ok := w.postAt[id]; ok {
				cand = append(cand, i)
			}
		}
	case len(q.members) > 0:
		for _, id := range uniqueSorted(q.members) {
			if mi, ok := w.memberAt[id]; ok {
				cand = append(cand, w.postsOfMember[mi]...)
			}
		}
	case !q.rng.Start.IsZero():
		// Posts are ordered by time: the range is one slice of them.
		lo, _ := slices.BinarySearchFunc(w.posts, q.rng.Start.Time(), func(p aspire.Post, t time.Time) int { return p.PostedAt.Compare(t) })
		hi, _ := slices.BinarySearchFunc(w.posts, q.rng.End.AddDays(1).Time(), func(p aspire.Post, t time.Time) int { return p.PostedAt.Compare(t) })
		cand = make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			cand = append(cand, i)
		}
	}
	idx := cand[:0:0]
	for _, i := range cand {
		p := &w.posts[i]
		if len(q.members) > 0 && len(q.posts) > 0 && !slices.Contains(q.members, p.MemberID) {
			continue
		}
		if q.postMatch(p) {
			idx = append(idx, i)
		}
	}
	// Metrics for sorting: lifetime ones are the posts' own; date_range ones
	// are computed once per candidate.
	metricsAt := func(i int) *aspire.Metrics { return &w.posts[i].Metrics }
	if q.window == aspire.DateRange && q.sortBy != "" && q.sortBy != aspire.SortPostedAt {
		windowedM := make(map[int]*aspire.Metrics, len(idx))
		for _, i := range idx {
			m := q.metricsOf(&w.posts[i])
			windowedM[i] = &m
		}
		metricsAt = func(i int) *aspire.Metrics { return windowedM[i] }
	}
	sortBy(idx, q, metricsAt, func(a, b int) int {
		pa, pb := &w.posts[a], &w.posts[b]
		if c := pa.PostedAt.Compare(pb.PostedAt); c != 0 {
			return c
		}
		return strings.Compare(pa.ID, pb.ID)
	}, -1, func(i int) string { return w.posts[i].ID })
	pg := page(idx, q)
	out := wire.List[aspire.Post]{Data: make([]aspire.Post, len(pg.Data)), Pagination: pg.Pagination}
	for j, i := range pg.Data {
		out.Data[j] = w.posts[i]
		out.Data[j].Metrics = q.metricsOf(&w.posts[i])
	}
	return out
}

// selectMembers returns the members q selects with metrics rolled up over
// their posts that pass q's filters. The project and group filters select
// the members in them and, for the roll-up, their posts in them.
func (w *workspace) selectMembers(q query) []aspire.Member {
	var cand []int
	if len(q.members) > 0 {
		for _, id := range uniqueSorted(q.members) {
			if mi, ok := w.memberAt[id]; ok {
				cand = append(cand, mi)
			}
		}
	} else {
		cand = make([]int, len(w.members))
		for i := range cand {
			cand[i] = i
		}
	}
	lifetime := q.rng.Start.IsZero() && len(q.networks)+len(q.types)+len(q.sources)+len(q.statuses)+len(q.projects)+len(q.groups) == 0
	out := make([]aspire.Member, 0, len(cand))
	for _, mi := range cand {
		m := &w.members[mi]
		if len(q.projects) > 0 && !overlaps(q.projects, m.ProjectIDs) || len(q.groups) > 0 && !overlaps(q.groups, m.GroupIDs) {
			continue
		}
		if lifetime {
			out = append(out, m.lifetime)
			continue
		}
		var idx []int
		for _, i := range w.postsOfMember[mi] {
			if q.postMatch(&w.posts[i]) {
				idx = append(idx, i)
			}
		}
		out = append(out, w.rollup(mi, idx, q.metricsOf))
	}
	sortBy(out, q, func(m aspire.Member) *aspire.Metrics { return &m.Metrics }, func(a, b aspire.Member) int {
		return strings.Compare(a.ID, b.ID)
	}, 1, func(m aspire.Member) string { return m.ID })
	return out
}

// sortBy sorts rows by q's metric (nulls last whatever the order) or, with
// no sort_by, in natural order, naturalDir (posts: newest first; members:
// by id; sort_order applies only with sort_by). Ties break by id, so pages
// are stable.
func sortBy[T any](rows []T, q query, metrics func(T) *aspire.Metrics, natural func(a, b T) int, naturalDir int, id func(T) string) {
	if q.sortBy == "" || q.sortBy == aspire.SortPostedAt {
		dir := naturalDir
		if q.sortBy != "" {
			dir = -1 // sort_order defaults to desc
		}
		if q.order == aspire.Asc && q.sortBy != "" {
			dir = 1
		}
		slices.SortStableFunc(rows, func(a, b T) int { return dir * natural(a, b) })
		return
	}
	key := func(m *aspire.Metrics) (float64, bool) { return m.Value(q.sortBy) }
	slices.SortStableFunc(rows, func(a, b T) int {
		ka, oka := key(metrics(a))
		kb, okb := key(metrics(b))
		switch {
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		case ka != kb:
			if q.order == aspire.Asc {
				return cmp.Compare(ka, kb)
			}
			return cmp.Compare(kb, ka)
		}
		return strings.Compare(id(a), id(b))
	})
}
