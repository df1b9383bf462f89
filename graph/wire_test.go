package graph_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
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
			var dp struct {
				Posts struct {
					Nodes []struct{ Projects, Groups []struct{ ID, Name *string } }
				}
			}
			e.ok(t, `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { name } projects { id name } groups { id name } } } }`, map[string]any{"r": q1}, &dp)
			// Without /v1/projects and /v1/groups, both come from one page
			// of all members (the workspace's 400), shared: 3 calls, not 4.
			lookups := 2
			if !w.Contract.HasEndpoint("/v1/projects") {
				lookups = 1
			}
			if got, want := e.sim.Count(""), 2+lookups+counting(q1Posts, 100); got != want {
				t.Errorf("posts+member+projects+groups: %d upstream requests, want %d", got, want)
			}
			named := 0
			for _, n := range dp.Posts.Nodes {
				for _, r := range append(n.Projects, n.Groups...) {
					if r.ID == nil || r.Name == nil || *r.Name == "" {
						t.Fatalf("a project or group without id or name: %+v", n)
					}
					named++
				}
			}
			if named == 0 {
				t.Fatal("no post in a project or group")
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

// TestREADMECountsAcrossWires runs the README's three queries against each
// wire variant, the client loading the variant's contract from a file:
// the upstream counts equal the built-in contract's where the variant sends
// totals; without totals a full first page costs the pages that count the
// rest.
func TestREADMECountsAcrossWires(t *testing.T) {
	t.Parallel()
	want := map[string][3]int{
		"builtin":             {2, 1, 3},
		"envelope-token-path": {2, 1, 3}, // a total but no has-more flag: derived from the total
		"header-client-id":    {2, 1, 3}, // the client id in a header: the built-in contract's calls
		// No totals: TopPosts counts the 837 posts past its page of 3 in 2
		// calls (500 + 337), Creators the 398 members past its 2 in 1,
		// Campaigns the 6 projects past its 2 in 1 (the batched posts page
		// is short, so its total is known).
		"array-camel-xapikey": {4, 2, 4},
		"raw-renamed-upper":   {4, 2, 4},
		// Projects from the members (one page of all 400, cached), names
		// from their embedded objects: the built-in contract's counts.
		"two-endpoints": {2, 1, 3},
	}
	for _, name := range aspiretest.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := aspiretest.Profiles[name]()
			file := filepath.Join(t.TempDir(), "contract.json")
			if err := os.WriteFile(file, w.Contract.Marshal(), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := contract.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			w.Contract = c
			for i, q := range aspiretest.READMEQueries {
				e := newEnvWire(t, w)
				var d any
				e.ok(t, q.Query, q.Vars, &d)
				got := e.sim.Count("")
				t.Logf("%-20s %-9s %d upstream requests", name, q.Name, got)
				if got != want[name][i] {
					t.Errorf("%s: %d upstream requests, want %d (%v)", q.Name, got, want[name][i], e.sim.Counts())
				}
			}
		})
	}
}
