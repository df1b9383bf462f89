package graph_test

import (
	"context"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// TestExactCountsAcrossWires runs the exact-count scenarios against every
// wire variant. Where the variant sends totals the counts are the built-in
// contract's; where it sends none, a full first page costs the pages that
// count the rest (500 rows each, until a short one).
func TestExactCountsAcrossWires(t *testing.T) {
	t.Parallel()
	for _, name := range aspiretest.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := aspiretest.Profiles[name]()
			totals := w.Contract.List.Total != ""
			e := newEnvWire(t, w)
			// Pages that count the rows past a full first page of `first`.
			counting := func(q aspire.PostQuery, first int) int {
				if totals {
					return 0
				}
				all, err := e.client.As(demo).AllPosts(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				if len(all) < first {
					return 0
				}
				return (len(all)-first)/aspire.MaxLimit + 1
			}
			q1Posts := aspire.PostQuery{Filter: aspire.Filter{Range: rng(q1)}}

			var d struct{ Posts struct{ Nodes []node } }
			e.ok(t, `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { id name } } } }`, map[string]any{"r": q1}, &d)
			if got, want := e.sim.Count(""), 2+counting(q1Posts, 100); got != want || len(d.Posts.Nodes) != 100 || d.Posts.Nodes[0].Member.Name == "" {
				t.Errorf("posts+member: %d upstream requests, want %d; %d posts", got, want, len(d.Posts.Nodes))
			}
			e = newEnvWire(t, w) // a cold cache
			e.ok(t, `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { name } projects { id name } groups { id name } } } }`, map[string]any{"r": q1}, &d)
			if got, want := e.sim.Count(""), 4+counting(q1Posts, 100); got != want {
				t.Errorf("posts+member+projects+groups: %d upstream requests, want %d", got, want)
			}
			e = newEnvWire(t, w)
			week := map[string]any{"start": "2026-02-02", "end": "2026-02-08"}
			e.ok(t, `query($r: DateRangeInput!) { projects { nodes { id name posts(range: $r, first: 5) { totalCount nodes { id member { name } } } } } }`, map[string]any{"r": week}, &d)
			if got, want := e.sim.Count(""), 3; got != want {
				t.Errorf("projects→posts→member over a week: %d upstream requests, want %d", got, want)
			}
		})
	}
}
