package graph

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/graph/model"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// Paging bounds of every connection.
const (
	DefaultFirst = 50
	MaxFirst     = aspire.MaxLimit
)

// minYear bounds dates from below: no post is older, and far dates are
// mistakes (a zero date, a two-digit year).
const minYear = 1900

// dateRange validates a range argument.
func dateRange(arg string, in model.DateRangeInput) (aspire.Range, error) {
	r := aspire.Range{Start: in.Start, End: in.End}
	// 0001-01-01 is the zero Date, which Validate reads as "not given".
	for _, d := range []struct {
		name string
		at   aspire.Date
	}{{"start", in.Start}, {"end", in.End}} {
		if y := d.at.Time().Year(); y < minYear {
			return r, badInput("%s.%s: %s is before %d-01-01, the earliest date accepted", arg, d.name, d.at.Time().Format(time.DateOnly), minYear)
		}
	}
	if err := r.Validate(); err != nil {
		return r, badInput("%s: %v", arg, err)
	}
	return r, nil
}

// checkID refuses an id longer than the contract allows, quoting only its
// start: a caller's megabyte is neither sent upstream nor echoed.
func checkID(arg, id string) error {
	if len(id) <= aspire.MaxIDLength {
		return nil
	}
	return badInput("%s: an id has at most %d characters; got one of %d starting %q…", arg, aspire.MaxIDLength, len(id), strings.ToValidUTF8(id[:8], ""))
}

// postFilter turns a PostFilter into the upstream filter. forbidden names an
// id list the parent already fixes ("memberIds" under Member.posts).
func postFilter(r aspire.Range, f *model.PostFilter, forbidden string) (aspire.Filter, error) {
	out := aspire.Filter{Range: r}
	if f == nil {
		return out, nil
	}
	for name, ids := range map[string][]string{"memberIds": f.MemberIds, "projectIds": f.ProjectIds, "groupIds": f.GroupIds} {
		if name == forbidden && len(ids) > 0 {
			return out, badInput("filter.%s is not allowed here: the parent already selects them", name)
		}
		if len(ids) > aspire.MaxIDs {
			return out, badInput("filter.%s: at most %d ids, got %d", name, aspire.MaxIDs, len(ids))
		}
		for _, id := range ids {
			if err := checkID("filter."+name, id); err != nil {
				return out, err
			}
		}
	}
	out.Networks, out.ProjectIDs, out.GroupIDs, out.MemberIDs = f.Networks, f.ProjectIds, f.GroupIds, f.MemberIds
	out.PostTypes, out.MentionSources, out.Statuses = f.PostTypes, f.MentionSources, f.Statuses
	if f.MetricsWindow != nil {
		out.MetricsWindow = *f.MetricsWindow
	}
	return canonical(out), nil
}

// memberFilter turns a MemberFilter into the upstream filter.
func memberFilter(r aspire.Range, f *model.MemberFilter) (aspire.Filter, error) {
	if f == nil {
		return aspire.Filter{Range: r}, nil
	}
	return postFilter(r, &model.PostFilter{
		Networks: f.Networks, ProjectIds: f.ProjectIds, GroupIds: f.GroupIds, MemberIds: f.Ids,
		PostTypes: f.PostTypes, MentionSources: f.MentionSources, Statuses: f.Statuses, MetricsWindow: f.MetricsWindow,
	}, "")
}

// canonical makes equal filters equal values (and equal loader keys and
// URLs): sorted, de-duplicated lists, nil for empty, "" for defaults.
func canonical(f aspire.Filter) aspire.Filter {
	f.Networks = sortedSet(f.Networks)
	f.ProjectIDs = sortedSet(f.ProjectIDs)
	f.GroupIDs = sortedSet(f.GroupIDs)
	f.MemberIDs = sortedSet(f.MemberIDs)
	f.PostTypes = sortedSet(f.PostTypes)
	f.MentionSources = sortedSet(f.MentionSources)
	f.Statuses = sortedSet(f.Statuses)
	if f.MetricsWindow == aspire.Lifetime {
		f.MetricsWindow = ""
	}
	return f
}

func sortedSet[E ~string](s []E) []E {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func postSort(s *model.PostSort) aspire.Sort {
	if s == nil {
		return aspire.Sort{}
	}
	return sortOf(s.Field, s.Order)
}

func memberSort(s *model.MemberSort) aspire.Sort {
	if s == nil {
		return aspire.Sort{}
	}
	return sortOf(s.Field, s.Order)
}

func sortOf(by aspire.SortField, order *aspire.SortOrder) aspire.Sort {
	s := aspire.Sort{By: by}
	if order != nil && *order != aspire.Desc {
		s.Order = *order
	}
	return s
}

// page reads first and after. fp fingerprints the list's other arguments: a
// cursor is only good for the list it came from.
func page(first *int, after *string, fp string) (offset, limit int, err error) {
	limit = DefaultFirst
	if first != nil {
		limit = *first
	}
	if limit < 0 || limit > MaxFirst {
		return 0, 0, badInput("first must be between 0 and %d, got %d", MaxFirst, limit)
	}
	if after != nil {
		i, err := decodeCursor(*after, fp)
		if err != nil {
			return 0, 0, err
		}
		offset = i + 1
	}
	return offset, limit, nil
}

// fingerprint identifies a list by the caller's tenant (key and
// workspace), its field and arguments: a cursor holds only an offset, but
// one tenant's cursor is refused by another like any foreign cursor.
func fingerprint(ctx context.Context, parts ...string) string {
	tenant := ""
	if l := loaders.For(ctx); l != nil {
		tenant = l.Tenant().ID()
	}
	h := sha256.Sum256([]byte(tenant + "\x00" + strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:6])
}

const cursorPrefix = "c1:"

// encodeCursor makes the opaque cursor of the row at index in list fp.
func encodeCursor(fp string, index int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + fp + ":" + strconv.Itoa(index)))
}

// decodeCursor reads a cursor of list fp.
func decodeCursor(s, fp string) (int, error) {
	if len(s) > 64 {
		return 0, badInput("after: malformed cursor")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	// The decoder skips newlines and forgives other spellings: only the
	// canonical spelling of a cursor is one.
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != s {
		return 0, badInput("after: malformed cursor")
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	sep := strings.LastIndexByte(rest, ':')
	if !ok || sep < 0 {
		return 0, badInput("after: malformed cursor")
	}
	cfp, idx := rest[:sep], rest[sep+1:]
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i > 1<<30 || strconv.Itoa(i) != idx { // "04" and "+4" are not ours
		return 0, badInput("after: malformed cursor")
	}
	if cfp != fp {
		return 0, badInput("after: the cursor belongs to another list (other arguments, or another key or workspace); cursors are only valid where they came from")
	}
	return i, nil
}

// pageInfo describes items at offset in a list of total rows.
func pageInfo(fp string, offset, n, total int) *model.PageInfo {
	if total < 0 { // unknown (counting failed): the page was full, so more may follow
		total = offset + n + 1
	}
	pi := &model.PageInfo{HasNextPage: offset+n < total, HasPreviousPage: offset > 0}
	if n > 0 {
		s, e := encodeCursor(fp, offset), encodeCursor(fp, offset+n-1)
		pi.StartCursor, pi.EndCursor = &s, &e
	}
	return pi
}

// pointers returns pointers to the first n items (shared, read-only).
func pointers[T any](items []T, n int) []*T {
	n = min(n, len(items))
	out := make([]*T, n)
	for i := range n {
		out[i] = &items[i]
	}
	return out
}

// edges builds the edges of a page only when a query asks for them.
func edges[T, E any](nodes []*T, w model.Window, mk func(cursor string, node *T) *E) []*E {
	out := make([]*E, len(nodes))
	for i, n := range nodes {
		pos := w.Offset + i
		if i == len(nodes)-1 && w.Rows > len(nodes) {
			pos = w.Offset + w.Rows - 1 // the end cursor: paging on skips no row
		}
		out[i] = mk(encodeCursor(w.Fingerprint, pos), n)
	}
	return out
}

// rowsOf is how many upstream rows a page's nodes stand for: more than the
// nodes when the upstream repeated ids (dropped, aspire/dups.go), at most the
// limit asked. Cursors and hasNextPage run on it.
func rowsOf[T any](rows int, nodes []*T, limit int) int {
	return min(max(rows, len(nodes)), limit)
}

// totalCount is a connection's totalCount: null with the reason when the
// upstream sent no total and counting failed (see aspire.Page.TotalErr).
func totalCount(total int, err error) (*int, error) {
	if err != nil || total < 0 {
		return nil, err
	}
	return &total, nil
}

// rangeArgs memoises the loader arguments of a roll-up over a range with no
// filter (performance(range: …), the common case): the canonical JSON
// (loaders.Args) was encoded again for every member. A pure function of
// the range, so shared by all requests; bounded by starting over.
var rangeArgs struct {
	sync.Mutex
	m map[aspire.Range]string
}

func rollUpArgs(rng aspire.Range, filter *model.PostFilter) (string, error) {
	if filter != nil {
		f, err := postFilter(rng, filter, "memberIds")
		if err != nil {
			return "", err
		}
		return loaders.Args(aspire.MemberQuery{Filter: f}), nil
	}
	rangeArgs.Lock()
	defer rangeArgs.Unlock()
	if s, ok := rangeArgs.m[rng]; ok {
		return s, nil
	}
	f, err := postFilter(rng, nil, "memberIds")
	if err != nil {
		return "", err
	}
	if rangeArgs.m == nil || len(rangeArgs.m) >= 1024 {
		rangeArgs.m = make(map[aspire.Range]string)
	}
	s := loaders.Args(aspire.MemberQuery{Filter: f})
	rangeArgs.m[rng] = s
	return s, nil
}
