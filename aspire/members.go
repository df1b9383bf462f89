package aspire

import (
	"context"
	"iter"
	"net/url"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// MemberQuery selects members with their metrics rolled up over the posts the
// filter selects: GET /v1/members. The project and group filters select the
// members in those projects or groups and, for the roll-up, their posts in
// them.
type MemberQuery struct {
	Filter
	Sort   Sort // by a metric; PostedAt is not allowed
	Offset int
	Limit  int // 0: the upstream's default (100); at most 500
}

func (q MemberQuery) values(byIDs bool) (url.Values, error) {
	v, err := q.Filter.values(wire.PathMembers, !byIDs && len(q.MemberIDs) == 0)
	if err != nil {
		return nil, err
	}
	return v, q.Sort.set(v, wire.PathMembers, false)
}

// Members fetches one page of members.
func (t *Tenant) Members(ctx context.Context, q MemberQuery) (*Page[Member], error) {
	v, err := q.values(false)
	if err != nil {
		return nil, err
	}
	return list[Member](ctx, t, wire.PathMembers, v, q.Offset, q.Limit, true)
}

// MemberPages yields every page of members from q.Offset on.
func (t *Tenant) MemberPages(ctx context.Context, q MemberQuery) iter.Seq2[*Page[Member], error] {
	v, err := q.values(false)
	if err != nil {
		return func(yield func(*Page[Member], error) bool) { yield(nil, err) }
	}
	return pages[Member](ctx, t, wire.PathMembers, v, q.Offset, q.Limit)
}

// AllMembers returns every member q selects.
func (t *Tenant) AllMembers(ctx context.Context, q MemberQuery) ([]Member, error) {
	return collect(t.MemberPages(ctx, q))
}

// Member fetches one member with metrics over r (lifetime when r is zero).
func (t *Tenant) Member(ctx context.Context, id string, r Range) (*Member, error) {
	v, err := MemberQuery{Filter: Filter{Range: r}}.values(true)
	if err != nil {
		return nil, err
	}
	return one[Member](ctx, t, wire.PathMembers, id, v)
}

// MembersByID looks members up by id, with metrics rolled up as q says (its
// MemberIDs, Offset, Limit and Sort are ignored), in batches of MaxIDs.
func (t *Tenant) MembersByID(ctx context.Context, ids []string, q MemberQuery) (map[string]Member, error) {
	q.MemberIDs, q.Sort = nil, Sort{}
	v, err := q.values(true)
	if err != nil {
		return nil, err
	}
	return byID[Member](ctx, t, wire.PathMembers, wire.ParamMemberID, ids, v)
}
