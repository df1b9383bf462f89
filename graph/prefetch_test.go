package graph_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestW3ColdUpstreamCalls: W3's nested relations (posts[i].member.projects,
// groups, performance) are prefetched by the Post.member batch resolver and
// its posts marshalled in order; a cold W3 still makes one call per level,
// as it did when the posts were marshalled concurrently and cousins met in
// the loaders' wait: 5 (posts, members, projects, groups, roll-ups). Only
// what the executor asks for is prefetched: a skipped relation costs no call,
// an aliased second roll-up more (4 member calls where
// the concurrent path made 5: the loader's batches of 100 keys split the
// second range's 77 members in two either way), a fragment the same as the field (and a list's relation
// only in a fragment is still one batch), and a
// roll-up whose arguments fail costs none and reports its error once per
// member.
func TestW3ColdUpstreamCalls(t *testing.T) {
	t.Parallel()
	const member = `id name projects { id name } groups { id name } performance(range: $r) { postCount metrics { tmv engagements } }`
	for _, tc := range []struct {
		name, query string
		want        map[string]int
		errors      int
	}{
		{"W3", `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { ` + member + ` } } } }`,
			map[string]int{"/v1/posts": 1, "/v1/members": 2, "/v1/projects": 1, "/v1/groups": 1}, 0},
		{"skipped", `query($r: DateRangeInput!, $no: Boolean!) { posts(range: $r, first: 100) { nodes { id member { id projects @include(if: $no) { id } groups @skip(if: true) { id } performance(range: $r) @skip(if: $no) { postCount } } } } }`,
			map[string]int{"/v1/posts": 1, "/v1/members": 2}, 0},
		{"aliases", `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { id a: performance(range: $r) { postCount } b: performance(range: {start: "2026-02-01", end: "2026-02-28"}) { postCount } } } } }`,
			map[string]int{"/v1/posts": 1, "/v1/members": 4}, 0}, // 77 members by id; 154 roll-up keys in batches of 100 split the second range (before: 5)
		{"fragments", `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { ...M } } } } fragment M on Member { ... on Member { ` + member + ` performance(range: $r) { ...T } } } fragment T on Performance { byPostType { postType } }`,
			map[string]int{"/v1/posts": 1, "/v1/members": 2, "/v1/projects": 1, "/v1/groups": 1}, 0},
		{"relation in a fragment", `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { ... on Post { ...P } } } } fragment P on Post { id member { id } }`,
			map[string]int{"/v1/posts": 1, "/v1/members": 1}, 0},
		{"bad arguments", `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { id projects { id } performance(range: {start: "2026-02-28", end: "2026-02-01"}) { postCount } } } } }`,
			map[string]int{"/v1/posts": 1, "/v1/members": 1, "/v1/projects": 1}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.do(t, tc.query, map[string]any{"r": q1, "no": false})
			counts := e.sim.Counts()
			for ep, n := range tc.want {
				if counts[ep] != n {
					t.Errorf("%s: %d calls, want %d (all: %v)", ep, counts[ep], n, counts)
				}
			}
			for ep, n := range counts {
				if tc.want[ep] == 0 && n > 0 {
					t.Errorf("%s: %d calls, want none (all: %v)", ep, n, counts)
				}
			}
			if tc.errors == 0 && len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			if tc.name == "fragments" && !strings.Contains(string(r.Data), `"byPostType":[{"postType":"`) {
				t.Errorf("byPostType asked for through a fragment, not answered: %.300s", r.Data)
			}
			if tc.errors < 0 {
				// One error per post, at its own member's performance, not two.
				members := strings.Count(string(r.Data), `"member":{`)
				if members != 100 || len(r.Errors) != 100 {
					t.Fatalf("%d errors for %d members: %+v", len(r.Errors), members, r.Errors[:min(3, len(r.Errors))])
				}
				seen := map[string]bool{}
				for _, er := range r.Errors {
					n, p := len(er.Path), fmt.Sprint(er.Path)
					if n < 2 || er.Path[n-2] != "member" || er.Path[n-1] != "performance" || seen[p] {
						t.Fatalf("error at %v (%s)", er.Path, er.Message)
					}
					seen[p] = true
				}
			}
		})
	}
}
