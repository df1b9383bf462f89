package export

import (
	"strings"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// The columns are stable: adding one goes at the end; none is renamed or
// removed without a major version. docs/bi.md lists them.

// metricColumns are the metrics, in this order, everywhere.
var metricColumns = []struct {
	name string
	get  func(*aspire.Metrics) any
}{
	{"impressions", func(m *aspire.Metrics) any { return m.Impressions }},
	{"reach", func(m *aspire.Metrics) any { return m.Reach }},
	{"views", func(m *aspire.Metrics) any { return m.Views }},
	{"view_time_seconds", func(m *aspire.Metrics) any { return m.ViewTimeSeconds }},
	{"likes", func(m *aspire.Metrics) any { return m.Likes }},
	{"comments", func(m *aspire.Metrics) any { return m.Comments }},
	{"shares", func(m *aspire.Metrics) any { return m.Shares }},
	{"saves", func(m *aspire.Metrics) any { return m.Saves }},
	{"clicks", func(m *aspire.Metrics) any { return m.Clicks }},
	{"engagements", func(m *aspire.Metrics) any { return m.Engagements }},
	{"engagement_rate", func(m *aspire.Metrics) any { return m.EngagementRate }},
	{"tmv", func(m *aspire.Metrics) any { return m.TMV }},
}

// names resolves ids to names for the joined columns.
type names struct {
	projects, groups map[string]string
	members          map[string]*aspire.Member
}

// optional is a text value that may be absent: "" becomes nil, which is an
// empty cell in CSV and null in NDJSON (as in GraphQL), never "".
func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// webURL is s when it is an absolute http(s) URL, else an empty cell: the
// upstream's links are written by creators (aspire.WebURL).
func webURL(s string) any {
	if !aspire.WebURL(s) {
		return nil
	}
	return s
}

// timestamp is RFC 3339 in UTC with the offset written out as +00:00: a
// trailing Z is read as a zone-less timestamp by some readers (DuckDB's
// JSON reader), so CSV and NDJSON would not agree.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

func joinIDs(ids []string) any { return optional(strings.Join(ids, ";")) }

func (n *names) join(ids []string, m map[string]string) any {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return optional(strings.Join(out, ";"))
}

type column[T any] struct {
	name string
	get  func(row *T, n *names) any
}

// PostColumns are the columns of a posts export.
func postColumns() []column[aspire.Post] {
	member := func(p *aspire.Post, n *names) *aspire.Member {
		if m := n.members[p.MemberID]; m != nil {
			return m
		}
		return &aspire.Member{}
	}
	cols := []column[aspire.Post]{
		{"id", func(p *aspire.Post, _ *names) any { return p.ID }},
		{"posted_at", func(p *aspire.Post, _ *names) any { return timestamp(p.PostedAt) }},
		{"network", func(p *aspire.Post, _ *names) any { return string(p.Network) }},
		{"post_type", func(p *aspire.Post, _ *names) any { return string(p.PostType) }},
		{"mention_source", func(p *aspire.Post, _ *names) any { return string(p.MentionSource) }},
		{"status", func(p *aspire.Post, _ *names) any { return string(p.Status) }},
		{"is_estimated", func(p *aspire.Post, _ *names) any { return p.IsEstimated }},
		{"url", func(p *aspire.Post, _ *names) any { return webURL(p.URL) }},
		{"caption", func(p *aspire.Post, _ *names) any { return p.Caption }},
		{"thumbnail_url", func(p *aspire.Post, _ *names) any { return webURL(p.ThumbnailURL) }},
		{"member_id", func(p *aspire.Post, _ *names) any { return p.MemberID }},
		{"member_name", func(p *aspire.Post, n *names) any { return optional(member(p, n).Name) }},
	}
	for _, net := range aspire.Networks {
		cols = append(cols, column[aspire.Post]{"member_" + string(net), func(p *aspire.Post, n *names) any { return optional(member(p, n).Handles.Of(net)) }})
	}
	cols = append(cols,
		column[aspire.Post]{"project_ids", func(p *aspire.Post, _ *names) any { return joinIDs(p.ProjectIDs) }},
		column[aspire.Post]{"project_names", func(p *aspire.Post, n *names) any { return n.join(p.ProjectIDs, n.projects) }},
		column[aspire.Post]{"group_ids", func(p *aspire.Post, _ *names) any { return joinIDs(p.GroupIDs) }},
		column[aspire.Post]{"group_names", func(p *aspire.Post, n *names) any { return n.join(p.GroupIDs, n.groups) }},
	)
	for _, mc := range metricColumns {
		cols = append(cols, column[aspire.Post]{mc.name, func(p *aspire.Post, _ *names) any { return mc.get(&p.Metrics) }})
	}
	return cols
}

// memberColumns are the columns of a members export: one column per
// metric, then one per network × metric for the per-network roll-up.
func memberColumns() []column[aspire.Member] {
	cols := []column[aspire.Member]{
		{"id", func(m *aspire.Member, _ *names) any { return m.ID }},
		{"name", func(m *aspire.Member, _ *names) any { return m.Name }},
		{"email", func(m *aspire.Member, _ *names) any { return m.Email }},
	}
	for _, net := range aspire.Networks {
		cols = append(cols, column[aspire.Member]{string(net), func(m *aspire.Member, _ *names) any { return optional(m.Handles.Of(net)) }})
	}
	cols = append(cols,
		column[aspire.Member]{"project_ids", func(m *aspire.Member, _ *names) any { return joinIDs(m.ProjectIDs) }},
		column[aspire.Member]{"project_names", func(m *aspire.Member, n *names) any { return n.join(m.ProjectIDs, n.projects) }},
		column[aspire.Member]{"group_ids", func(m *aspire.Member, _ *names) any { return joinIDs(m.GroupIDs) }},
		column[aspire.Member]{"group_names", func(m *aspire.Member, n *names) any { return n.join(m.GroupIDs, n.groups) }},
		column[aspire.Member]{"post_count", func(m *aspire.Member, _ *names) any { return m.PostCount }},
	)
	for _, mc := range metricColumns {
		cols = append(cols, column[aspire.Member]{mc.name, func(m *aspire.Member, _ *names) any { return mc.get(&m.Metrics) }})
	}
	for _, net := range aspire.Networks {
		for _, mc := range metricColumns {
			cols = append(cols, column[aspire.Member]{string(net) + "_" + mc.name, func(m *aspire.Member, _ *names) any {
				nm, ok := m.ByNetwork[net]
				if !ok {
					return nil
				}
				return mc.get(&nm)
			}})
		}
	}
	return cols
}

// ColumnNames lists the columns of an entity ("posts" or "members").
func ColumnNames(entity string) []string {
	var out []string
	if entity == "members" {
		for _, c := range memberColumns() {
			out = append(out, c.name)
		}
		return out
	}
	for _, c := range postColumns() {
		out = append(out, c.name)
	}
	return out
}
