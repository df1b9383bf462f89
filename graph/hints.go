package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// emptyHint puts the Aspire guide's advice for an empty list into the
// response's extensions, under "hint:<path>": which filters were applied
// and that the range may hold no posts.
func emptyHint(ctx context.Context, what string, f aspire.Filter) {
	var applied []string
	add := func(name string, n int, vals string) {
		if n > 0 {
			applied = append(applied, name+" "+vals)
		}
	}
	add("networks", len(f.Networks), fmt.Sprint(f.Networks))
	add("projectIds", len(f.ProjectIDs), fmt.Sprint(f.ProjectIDs))
	add("groupIds", len(f.GroupIDs), fmt.Sprint(f.GroupIDs))
	add("memberIds", len(f.MemberIDs), fmt.Sprint(f.MemberIDs))
	add("postTypes", len(f.PostTypes), fmt.Sprint(f.PostTypes))
	add("mentionSources", len(f.MentionSources), fmt.Sprint(f.MentionSources))
	add("statuses", len(f.Statuses), fmt.Sprint(f.Statuses))
	filters := "no filters"
	if len(applied) > 0 {
		filters = "filters " + strings.Join(applied, ", ")
	}
	msg := fmt.Sprintf("No %s matched the range %s…%s with %s. The range may hold no posts: widen it, drop filters, or check that the client id is your workspace's (the id after /client/ in your Aspire URL).",
		what, f.Range.Start, f.Range.End, filters)
	path := "query"
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		path = fc.Path().String()
	}
	graphql.RegisterExtension(ctx, "hint:"+path, msg)
}
