package aspire

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// Projects and groups without their endpoints. Aspire's FAQ documents two
// endpoints, /v1/posts and /v1/members; where the contract has no
// /v1/projects (or /v1/groups), projects and groups are what the
// workspace's members carry: the distinct ids of all members (every page of
// /v1/members over the longest range the API takes, ending today; each page
// cached like any other), the name where members send one (embedded
// objects, parallel arrays or a single name; "" where none is sent), and
// memberCount counted from the same members. Status and creation date only
// an endpoint could give: they stay zero (graph answers null).
//
// Decisions:
//   - Members, not posts: one page of members covers up to 500 creators of
//     the whole workspace, where posts would take a page per 500 posts.
//   - Two members naming one id differently: the name most members send
//     wins, and on a tie the one that sorts first (byte order). Members
//     carry no date, so "the newest name" cannot be told from them; a rule
//     on the API's order (the member listed last, as before) would let the
//     name flip whenever the members' sort moves one across a page (their
//     order follows their metrics), where counting depends only on which
//     members carry which name: the same pages, fresh or cached, in
//     whatever order, give the same name. The client counts the
//     disagreement once per listing (one derivedRefs call, however many
//     records disagree) as drift (field "project_names" or "group_names",
//     kind "conflict").
//   - Names embedded in posts (Post.ProjectNames) are read but not used for
//     names: Post.projects resolves through the same loader as project(id),
//     so one answer never names one id two ways, and picking the newest
//     post's name would take every post of the workspace (a page per 500
//     posts) where one page of members names them all.
//   - Past the operation's upstream budget, the list is what the pages read
//     so far carry, with the budget error as the page's TotalErr (graph
//     reports it at totalCount); a by-id look-up fails with it.

// ref is a project or group as members mention it.
type ref struct {
	id, name string
	members  int
	votes    map[string]int // members per name, once members disagree; nil before
	named    int            // members that sent name, while votes is nil
}

// vote counts one member's name for r; it reports a disagreement.
func (r *ref) vote(n string) (conflict bool) {
	switch {
	case r.votes != nil:
		r.votes[n]++
		return len(r.votes) > 1
	case r.name == "" || r.name == n:
		r.name = n
		r.named++
		return false
	}
	r.votes = map[string]int{r.name: r.named, n: 1}
	return true
}

// settle picks the name of a ref whose members disagreed: the most sent,
// then the first in byte order.
func (r *ref) settle() {
	best := 0
	for n, k := range r.votes {
		if k > best || k == best && n < r.name {
			r.name, best = n, k
		}
	}
}

// derivedRefs lists the projects (rel "project") or groups of the
// workspace's members, by id; partial is the error that stopped the paging
// after some pages (the budget), nil when complete.
func (t *Tenant) derivedRefs(ctx context.Context, rel string) (refs []ref, partial error, err error) {
	end := DateOf(t.c.cfg.now().UTC())
	q := MemberQuery{Filter: Filter{Range: Range{Start: end.AddDays(-(wire.MaxRangeDays - 1)), End: end}}, Limit: MaxLimit}
	at := map[string]int{}
	conflict := false
	for p, err := range t.MemberPages(ctx, q) {
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Code == CodeBudgetExceeded && len(at) > 0 {
				partial = err
				break
			}
			return nil, nil, err
		}
		for i := range p.Items {
			m := &p.Items[i]
			ids, names := m.ProjectIDs, m.ProjectNames
			if rel == "group" {
				ids, names = m.GroupIDs, m.GroupNames
			}
			for _, id := range uniqueSorted(slices.Clone(ids)) {
				k, ok := at[id]
				if !ok {
					k = len(refs)
					at[id] = k
					refs = append(refs, ref{id: id})
				}
				refs[k].members++
				if n := nameOf(ids, names, id); n != "" && refs[k].vote(n) {
					conflict = true
				}
			}
		}
	}
	if conflict {
		for i := range refs {
			if refs[i].votes != nil {
				refs[i].settle()
			}
		}
		t.c.observe(ctx, Event{Kind: EventDrift, Endpoint: wire.PathMembers, Field: rel + "_names", Drift: "conflict"})
	}
	slices.SortFunc(refs, func(a, b ref) int { return strings.Compare(a.id, b.id) })
	return refs, partial, nil
}

// nameOf returns the name parallel to id in names ("" where none).
func nameOf(ids, names []string, id string) string {
	if len(ids) == 1 && len(names) == 1 {
		return names[0]
	}
	if i := slices.Index(ids, id); i >= 0 && i < len(names) {
		return names[i]
	}
	return ""
}

func projectOf(r ref) Project {
	return Project{ID: r.id, Name: nonEmpty(r.name), MemberCount: r.members}
}
func groupOf(r ref) Group { return Group{ID: r.id, Name: nonEmpty(r.name), MemberCount: r.members} }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// derivedPage is one page of derived refs.
func derivedPage[T any](refs []ref, partial error, q ListQuery, of func(ref) T) (*Page[T], error) {
	if err := checkPaging(wire.PathMembers, q.Offset, q.Limit); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	p := &Page[T]{Offset: q.Offset, Limit: limit, Total: len(refs)}
	for _, r := range refs[min(q.Offset, len(refs)):min(q.Offset+limit, len(refs))] {
		p.Items = append(p.Items, of(r))
	}
	p.Rows = len(p.Items)
	p.HasMore = q.Offset+p.Rows < len(refs)
	if partial != nil {
		p.Total, p.TotalErr = -1, partial
	}
	return p, nil
}

// derivedByID looks ids up among the derived refs; an id no member carries
// is left out (the loaders answer NOT_FOUND for it).
func derivedByID[T any](refs []ref, partial error, ids []string, of func(ref) T) (map[string]T, error) {
	out := make(map[string]T, len(ids))
	for _, id := range ids {
		if i, ok := slices.BinarySearchFunc(refs, id, func(r ref, id string) int { return strings.Compare(r.id, id) }); ok {
			out[id] = of(refs[i])
		}
	}
	if partial != nil && len(out) < len(uniqueSorted(slices.Clone(ids))) {
		return out, partial
	}
	return out, nil
}

// derivedOne looks one id up among the derived refs.
func derivedOne[T any](refs []ref, partial error, id, endpoint string, of func(ref) T) (*T, error) {
	m, err := derivedByID(refs, partial, []string{id}, of)
	if v, ok := m[id]; ok {
		return &v, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, &Error{Code: CodeNotFound, Endpoint: endpoint, Status: 404, Message: "no member of the workspace is in " + strings.TrimPrefix(endpoint, "/v1/") + " " + id}
}
