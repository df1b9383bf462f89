package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

var demo = aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID}

// withEndpoints is the contract the simulator speaks by default (the
// built-in one with /v1/projects and /v1/groups): a client of it built
// without newEnv passes it, or projects and groups would be derived from
// the members and the counts would be another shape's.
var withEndpoints = aspire.WithContract(contract.WithEndpoints())

// env is the real stack over real sockets: GraphQL handler → loaders →
// client → simulator.
type env struct {
	sim    *aspiretest.Server
	client *aspire.Client // for reference answers; not the server's
	url    string
	creds  aspire.Creds
}

func newEnv(t testing.TB, simOpts ...aspiretest.Option) *env {
	t.Helper()
	return newEnvWire(t, aspiretest.Profiles["builtin"](), simOpts...)
}

// newEnvWire is newEnv over a simulator speaking w, the server's client
// speaking w's contract.
func newEnvWire(t testing.TB, w aspiretest.Wire, simOpts ...aspiretest.Option) *env {
	t.Helper()
	sim := aspiretest.New(append([]aspiretest.Option{aspiretest.WithRateLimit(0, 0), aspiretest.WithWire(w)}, simOpts...)...)
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	c, err := aspire.New(up.URL, aspire.WithRetry(3, time.Millisecond, 5*time.Millisecond), aspire.WithRateLimit(0, 0), aspire.WithContract(w.Contract))
	if err != nil {
		t.Fatal(err)
	}
	// The reference answers come from a client of its own with no cache, so
	// they neither warm nor read the cache of the server under test.
	rest, _ := aspire.New(up.URL, aspire.WithCache(0, 0, 0), aspire.WithRateLimit(0, 0), aspire.WithContract(w.Contract))
	e := &env{sim: sim, client: rest, creds: demo}
	h := graph.NewHandler(graph.HandlerConfig{Introspection: true})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A wait long enough that cousins (the same field under other lists)
		// batch together even under -race on a machine loaded by the other
		// packages' tests, so the counts below are exact (20 ms was not, nor 100 ms at GOMAXPROCS=1).
		h.ServeHTTP(w, r.WithContext(loaders.With(r.Context(), c.As(e.creds), loaders.WithWait(250*time.Millisecond))))
	}))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

type gqlError struct {
	Message    string
	Path       []any
	Extensions map[string]any
}

type response struct {
	Data   json.RawMessage
	Errors []gqlError
}

// do posts a query and returns the decoded response; the simulator's log is
// reset first, so sim.Count afterwards is what this query cost.
func (e *env) do(t testing.TB, query string, vars map[string]any) response {
	t.Helper()
	var r response
	if err := json.Unmarshal(e.raw(t, query, vars), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// raw is do returning the answer's bytes.
func (e *env) raw(t testing.TB, query string, vars map[string]any) []byte {
	t.Helper()
	e.sim.Reset()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(e.url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ok is do for a query that must not fail.
func (e *env) ok(t testing.TB, query string, vars map[string]any, into any) {
	t.Helper()
	r := e.do(t, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, into); err != nil {
		t.Fatal(err)
	}
}

var q1 = map[string]any{"start": "2026-01-01", "end": "2026-03-31"}

type node struct {
	ID     string
	Name   string
	Member *struct{ ID, Name string }
}

func TestPostsWithMemberIsTwoRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d struct{ Posts struct{ Nodes []node } }
	e.ok(t, `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { id name } } } }`, map[string]any{"r": q1}, &d)
	if got, want := e.sim.Count(""), 2; got != want {
		t.Fatalf("%d upstream requests, want %d (%v)", got, want, e.sim.Counts())
	}
	if len(d.Posts.Nodes) != 100 {
		t.Fatalf("%d posts", len(d.Posts.Nodes))
	}
	// Rows are mapped back by id: every post's member is its own.
	posts, _ := e.client.As(demo).Posts(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: rng(q1)}, Limit: 100})
	members, _ := e.client.As(demo).MembersByID(context.Background(), memberIDs(posts.Items), aspire.MemberQuery{})
	for i, n := range d.Posts.Nodes {
		if n.ID != posts.Items[i].ID || n.Member == nil || n.Member.ID != posts.Items[i].MemberID || n.Member.Name != members[n.Member.ID].Name {
			t.Fatalf("post %d: %+v, REST says %s by %s", i, n, posts.Items[i].ID, posts.Items[i].MemberID)
		}
	}
}

func TestPostsWithProjectsAndGroupsIsFourRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d struct {
		Posts struct {
			Nodes []struct {
				ID       string
				Member   struct{ Name string }
				Projects []struct{ ID, Name string }
				Groups   []struct{ ID, Name string }
			}
		}
	}
	e.ok(t, `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { name } projects { id name } groups { id name } } } }`,
		map[string]any{"r": q1}, &d)
	if got, want := e.sim.Count(""), 4; got != want {
		t.Fatalf("%d upstream requests, want %d (%v)", got, want, e.sim.Counts())
	}
	withBoth := 0
	for _, n := range d.Posts.Nodes {
		if len(n.Projects) > 0 && len(n.Groups) > 0 && n.Projects[0].Name != "" && n.Groups[0].Name != "" {
			withBoth++
		}
	}
	if withBoth == 0 {
		t.Fatal("no post came back with project and group names")
	}
}

func TestMembersWithPerformanceAndPosts(t *testing.T) {
	t.Parallel()
	const query = `query($r: DateRangeInput!, $p: DateRangeInput!) { members(range: $r, first: 50) { nodes { id name
		performance(range: $p) { postCount metrics { tmv } } posts(range: $r, first: 3) { totalCount nodes { id } } } } }`
	type result struct {
		Members struct {
			Nodes []struct {
				ID          string
				Performance struct {
					PostCount int
					Metrics   struct{ TMV *float64 }
				}
				Posts struct {
					TotalCount int
					Nodes      []struct{ ID string }
				}
			}
		}
	}
	// reference returns the member page by REST and how many 500-row pages
	// the posts of its members fill.
	reference := func(e *env) ([]aspire.Member, int) {
		ctx := context.Background()
		page, err := e.client.As(demo).Members(ctx, aspire.MemberQuery{Filter: aspire.Filter{Range: rng(q1)}, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range page.Items {
			ids = append(ids, m.ID)
		}
		theirPosts, _ := e.client.As(demo).Posts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: rng(q1), MemberIDs: ids}, Limit: 1})
		return page.Items, (theirPosts.Total + 499) / 500
	}
	t.Run("same range: roll-ups come with the page", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		members, postPages := reference(e)
		var d result
		e.ok(t, query, map[string]any{"r": q1, "p": q1}, &d)
		// The member page, no roll-up call (the page's rows carry them), and
		// the pages of one batched posts query.
		if got, want := e.sim.Count(""), 1+postPages; got != want {
			t.Fatalf("%d upstream requests, want %d (%v)", got, want, e.sim.Counts())
		}
		for i, n := range d.Members.Nodes {
			if n.Performance.PostCount != members[i].PostCount || n.Posts.TotalCount != members[i].PostCount || len(n.Posts.Nodes) != min(3, n.Posts.TotalCount) {
				t.Fatalf("member %s: %d posts rolled up, %d listed (%d shown); REST says %d", n.ID, n.Performance.PostCount, n.Posts.TotalCount, len(n.Posts.Nodes), members[i].PostCount)
			}
		}
	})
	t.Run("other range: one roll-up batch", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, postPages := reference(e)
		var d result
		e.ok(t, query, map[string]any{"r": q1, "p": map[string]any{"start": "2025-01-01", "end": "2025-12-31"}}, &d)
		if got, want := e.sim.Count(""), 1+1+postPages; got != want {
			t.Fatalf("%d upstream requests, want %d (%v)", got, want, e.sim.Counts())
		}
		for _, rq := range e.sim.Requests() {
			if rq.Endpoint == "/v1/members" && rq.Query.Get("start_date") == "2025-01-01" && len(rq.IDs("member_id")) != 50 {
				t.Fatalf("roll-up batch of %d ids, want 50", len(rq.IDs("member_id")))
			}
		}
	})
}

func TestProjectPostsChoosesTheCheaperPlan(t *testing.T) {
	t.Parallel()
	const query = `query($r: DateRangeInput!) { projects { nodes { id name posts(range: $r, first: 5) { totalCount nodes { id member { name } } } } } }`
	type result struct {
		Projects struct {
			Nodes []struct {
				ID    string
				Posts struct {
					TotalCount int
					Nodes      []struct {
						ID     string
						Member struct{ Name string }
					}
				}
			}
		}
	}
	check := func(t *testing.T, e *env, d result, r aspire.Range) {
		t.Helper()
		for _, p := range d.Projects.Nodes {
			want, err := e.client.As(demo).Posts(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: r, ProjectIDs: []string{p.ID}}, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if p.Posts.TotalCount != want.Total || len(p.Posts.Nodes) != len(want.Items) {
				t.Fatalf("project %s: %d posts (%d shown), REST says %d (%d)", p.ID, p.Posts.TotalCount, len(p.Posts.Nodes), want.Total, len(want.Items))
			}
			for i, n := range p.Posts.Nodes {
				if n.ID != want.Items[i].ID || n.Member.Name == "" {
					t.Fatalf("project %s post %d: %s, REST says %s", p.ID, i, n.ID, want.Items[i].ID)
				}
			}
		}
	}
	t.Run("a week: one batched query", func(t *testing.T) {
		e := newEnv(t)
		week := map[string]any{"start": "2026-02-02", "end": "2026-02-08"}
		var d result
		e.ok(t, query, map[string]any{"r": week}, &d)
		// projects, one batched posts page, one member batch.
		if got, want := e.sim.Count(""), 3; got != want {
			t.Fatalf("%d upstream requests, want %d (%v)", got, want, e.sim.Counts())
		}
		check(t, e, d, rng(week))
	})
	t.Run("two years: one page per project", func(t *testing.T) {
		e := newEnv(t)
		all := map[string]any{"start": "2025-01-01", "end": "2026-12-31"}
		var d result
		e.ok(t, query, map[string]any{"r": all}, &d)
		// projects, the batched first page (its total says paging would cost
		// more than a page per project), a page per project, one member batch.
		n := len(d.Projects.Nodes)
		if got, want := e.sim.Count(""), 1+1+n+1; got != want {
			t.Fatalf("%d upstream requests, want %d (%v)", got, want, e.sim.Counts())
		}
		check(t, e, d, rng(all))
	})
}

func TestManyMembersBatchInHundreds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := map[string]any{"start": "2025-01-01", "end": "2025-02-28"}
	// Find a page size whose posts have 101…200 distinct members.
	first, distinct := 0, 0
	for _, n := range []int{120, 150, 200, 250, 300, 400, 500} {
		posts, _ := e.client.As(demo).Posts(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: rng(r)}, Limit: n})
		if d := len(memberIDs(posts.Items)); d > 100 && d <= 200 {
			first, distinct = n, d
			break
		}
	}
	if first == 0 {
		t.Fatal("no page size gives 101…200 distinct members")
	}
	var d struct{ Posts struct{ Nodes []node } }
	e.ok(t, `query($r: DateRangeInput!, $n: Int) { posts(range: $r, first: $n) { nodes { id member { id name } } } }`, map[string]any{"r": r, "n": first}, &d)
	if got := e.sim.Count("/v1/members"); got != 2 {
		t.Fatalf("%d member batches for %d members, want 2", got, distinct)
	}
	var sizes []int
	for _, rq := range e.sim.Requests() {
		if rq.Endpoint == "/v1/members" {
			sizes = append(sizes, len(rq.IDs("member_id")))
		}
	}
	slices.Sort(sizes)
	if sizes[0]+sizes[1] != distinct || sizes[1] != 100 {
		t.Fatalf("batch sizes %v for %d members, want 100 and the rest", sizes, distinct)
	}
	for _, n := range d.Posts.Nodes {
		if n.Member == nil || n.Member.Name == "" {
			t.Fatalf("post %s lost its member", n.ID)
		}
	}
}

func TestPartialFailureNullsOnlyTheBranch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.Inject(aspiretest.Fault{Endpoint: "/v1/members", Status: 503})
	r := e.do(t, `query($r: DateRangeInput!) { posts(range: $r, first: 20) { nodes { id caption member { id name } } } }`, map[string]any{"r": q1})
	var d struct{ Posts struct{ Nodes []node } }
	if err := json.Unmarshal(r.Data, &d); err != nil || len(d.Posts.Nodes) != 20 {
		t.Fatalf("posts lost with the members: %s (%v)", r.Data, err)
	}
	if len(r.Errors) != 20 {
		t.Fatalf("%d errors, want one per member field (20)", len(r.Errors))
	}
	for i, n := range d.Posts.Nodes {
		if n.Member != nil || n.ID == "" {
			t.Fatalf("post %d: member %+v", i, n.Member)
		}
	}
	paths := map[string]bool{}
	for _, er := range r.Errors {
		if er.Extensions["code"] != graph.CodeUpstreamUnavailable {
			t.Fatalf("error %+v, want UPSTREAM_UNAVAILABLE", er)
		}
		paths[fmt.Sprint(er.Path)] = true
	}
	for i := range 20 {
		if !paths[fmt.Sprintf("[posts nodes %d member]", i)] {
			t.Fatalf("no error at posts.nodes.%d.member: %v", i, paths)
		}
	}
	// One member batch, retried: 3 attempts.
	if got := e.sim.Count("/v1/members"); got != 3 {
		t.Fatalf("%d member requests, want 3 (one batch, 3 attempts)", got)
	}
}

func TestAnswersEqualTheRESTAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	tn := e.client.As(demo)
	t.Run("posts filtered and sorted", func(t *testing.T) {
		var d struct {
			Posts struct {
				TotalCount int
				Nodes      []struct {
					ID, Network, Type string
					Metrics           struct {
						TMV         *float64
						Engagements *int64
						Impressions *int64
					}
				}
			}
		}
		e.ok(t, `query($r: DateRangeInput!) { posts(range: $r, filter: {networks: [TIKTOK, YOUTUBE], statuses: [LIVE]}, sort: {field: TMV, order: ASC}, first: 40) {
			totalCount nodes { id network type metrics { tmv engagements impressions } } } }`, map[string]any{"r": q1}, &d)
		want, err := tn.Posts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: rng(q1), Networks: []aspire.Network{aspire.TikTok, aspire.YouTube},
			Statuses: []aspire.PostStatus{aspire.Live}}, Sort: aspire.Sort{By: aspire.SortTMV, Order: aspire.Asc}, Limit: 40})
		if err != nil {
			t.Fatal(err)
		}
		if d.Posts.TotalCount != want.Total || len(d.Posts.Nodes) != 40 {
			t.Fatalf("total %d, want %d", d.Posts.TotalCount, want.Total)
		}
		for i, n := range d.Posts.Nodes {
			w := want.Items[i]
			if n.ID != w.ID || *n.Metrics.TMV != *w.Metrics.TMV || *n.Metrics.Engagements != *w.Metrics.Engagements ||
				(n.Metrics.Impressions == nil) != (w.Metrics.Impressions == nil) || n.Network != strings.ToUpper(string(w.Network)) || n.Type != strings.ToUpper(string(w.PostType)) {
				t.Fatalf("post %d: %+v, REST says %+v", i, n, w)
			}
		}
	})
	t.Run("members sorted, with performance by network", func(t *testing.T) {
		var d struct {
			Members struct {
				Nodes []struct {
					ID          string
					Handles     map[string]*string
					Performance struct {
						PostCount int
						Metrics   struct{ Engagements int64 }
						ByNetwork []struct {
							Network string
							Metrics struct{ Engagements int64 }
						}
					}
				}
			}
		}
		e.ok(t, `query($r: DateRangeInput!) { members(range: $r, sort: {field: ENGAGEMENTS}, first: 10) { nodes { id handles { instagram tiktok youtube pinterest }
			performance(range: $r) { postCount metrics { engagements } byNetwork { network metrics { engagements } } } } } }`, map[string]any{"r": q1}, &d)
		want, _ := tn.Members(ctx, aspire.MemberQuery{Filter: aspire.Filter{Range: rng(q1)}, Sort: aspire.Sort{By: aspire.SortEngagements}, Limit: 10})
		for i, n := range d.Members.Nodes {
			w := want.Items[i]
			if n.ID != w.ID || n.Performance.PostCount != w.PostCount || n.Performance.Metrics.Engagements != *w.Metrics.Engagements {
				t.Fatalf("member %d: %+v, REST says %s with %d posts", i, n, w.ID, w.PostCount)
			}
			var sum int64
			for _, bn := range n.Performance.ByNetwork {
				sum += bn.Metrics.Engagements
				if *w.ByNetwork[aspire.Network(strings.ToLower(bn.Network))].Engagements != bn.Metrics.Engagements {
					t.Fatalf("member %s %s engagements differ", w.ID, bn.Network)
				}
			}
			if sum != n.Performance.Metrics.Engagements {
				t.Fatalf("member %s: by-network engagements sum to %d, total %d", w.ID, sum, n.Performance.Metrics.Engagements)
			}
			if (n.Handles["tiktok"] == nil) != (w.Handles.TikTok == "") {
				t.Fatalf("member %s tiktok handle %v, REST %q", w.ID, n.Handles["tiktok"], w.Handles.TikTok)
			}
		}
	})
	t.Run("a project's members, batched", func(t *testing.T) {
		var d struct {
			Projects struct {
				Nodes []struct {
					ID          string
					MemberCount int
					Members     struct {
						TotalCount int
						Nodes      []struct{ ID string }
					}
				}
			}
		}
		e.ok(t, `query($r: DateRangeInput!) { projects { nodes { id memberCount members(range: $r, first: 500) { totalCount nodes { id } } } } }`, map[string]any{"r": q1}, &d)
		if got, want := e.sim.Count("/v1/members"), 1; got != want {
			t.Fatalf("%d member requests, want %d", got, want)
		}
		for _, p := range d.Projects.Nodes {
			if p.Members.TotalCount != p.MemberCount || len(p.Members.Nodes) != p.MemberCount {
				t.Fatalf("project %s: %d members listed, member_count %d", p.ID, p.Members.TotalCount, p.MemberCount)
			}
		}
	})
}

func TestPagingAndCursors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	type conn struct {
		Posts struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
			Edges []struct {
				Cursor string
				Node   struct{ ID string }
			}
		}
	}
	const query = `query($r: DateRangeInput!, $f: PostFilter, $after: String, $first: Int) { posts(range: $r, filter: $f, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`
	var p1, p2 conn
	e.ok(t, query, map[string]any{"r": q1, "first": 10}, &p1)
	e.ok(t, query, map[string]any{"r": q1, "first": 10, "after": *p1.Posts.PageInfo.EndCursor}, &p2)
	want, _ := e.client.As(demo).Posts(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: rng(q1)}, Offset: 10, Limit: 10})
	for i, ed := range p2.Posts.Edges {
		if ed.Node.ID != want.Items[i].ID {
			t.Fatalf("page 2 row %d: %s, REST offset 10 says %s", i, ed.Node.ID, want.Items[i].ID)
		}
	}
	if !p1.Posts.PageInfo.HasNextPage || p1.Posts.PageInfo.HasPreviousPage || !p2.Posts.PageInfo.HasPreviousPage ||
		*p2.Posts.PageInfo.StartCursor != p2.Posts.Edges[0].Cursor || p1.Posts.Edges[9].Cursor != *p1.Posts.PageInfo.EndCursor {
		t.Fatalf("page info: %+v then %+v", p1.Posts.PageInfo, p2.Posts.PageInfo)
	}
	bad := []struct {
		name string
		vars map[string]any
		want string
	}{
		{"cursor of other arguments", map[string]any{"r": q1, "after": *p1.Posts.PageInfo.EndCursor, "f": map[string]any{"networks": []string{"TIKTOK"}}}, "other arguments"},
		{"malformed cursor", map[string]any{"r": q1, "after": "not-a-cursor!"}, "malformed cursor"},
		{"first over 500", map[string]any{"r": q1, "first": 501}, "first must be between 0 and 500"},
		{"first negative", map[string]any{"r": q1, "first": -1}, "first must be between 0 and 500"},
		{"end before start", map[string]any{"r": map[string]any{"start": "2026-03-01", "end": "2026-02-01"}}, "range: range end 2026-02-01 is before start 2026-03-01"},
		{"range too long", map[string]any{"r": map[string]any{"start": "2020-01-01", "end": "2026-02-01"}}, "at most 731 are allowed"},
		{"bad date", map[string]any{"r": map[string]any{"start": "2026-02-30", "end": "2026-03-01"}}, "invalid date"},
		{"too many ids", map[string]any{"r": q1, "f": map[string]any{"memberIds": make([]string, 101)}}, "at most 100 ids"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, query, tc.vars)
			if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, tc.want) {
				t.Fatalf("errors %+v, want one containing %q", r.Errors, tc.want)
			}
			if code := r.Errors[0].Extensions["code"]; code != graph.CodeBadUserInput && code != "GRAPHQL_VALIDATION_FAILED" {
				t.Fatalf("code %v", code)
			}
			if e.sim.Count("") != 0 {
				t.Fatal("a refused argument still went upstream")
			}
		})
	}
	t.Run("first 0 gives the count", func(t *testing.T) {
		var d conn
		e.ok(t, query, map[string]any{"r": q1, "first": 0}, &d)
		if d.Posts.TotalCount != p1.Posts.TotalCount || len(d.Posts.Edges) != 0 || !d.Posts.PageInfo.HasNextPage || d.Posts.PageInfo.EndCursor != nil {
			t.Fatalf("first 0: %+v", d.Posts)
		}
	})
	t.Run("nested connections page too", func(t *testing.T) {
		const nested = `query($id: ID!, $r: DateRangeInput!, $after: String) { member(id: $id) { posts(range: $r, first: 2, after: $after) {
			totalCount pageInfo { hasNextPage endCursor } nodes { id } } } }`
		var a, b struct {
			Member struct {
				Posts struct {
					TotalCount int
					PageInfo   struct {
						HasNextPage bool
						EndCursor   *string
					}
					Nodes []struct{ ID string }
				}
			}
		}
		all := map[string]any{"start": "2025-01-01", "end": "2026-12-31"}
		e.ok(t, nested, map[string]any{"id": "11000002", "r": all}, &a)
		e.ok(t, nested, map[string]any{"id": "11000002", "r": all, "after": *a.Member.Posts.PageInfo.EndCursor}, &b)
		want, _ := e.client.As(demo).Posts(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: rng(all), MemberIDs: []string{"11000002"}}, Limit: 4})
		got := []string{a.Member.Posts.Nodes[0].ID, a.Member.Posts.Nodes[1].ID, b.Member.Posts.Nodes[0].ID, b.Member.Posts.Nodes[1].ID}
		if !slices.Equal(got, []string{want.Items[0].ID, want.Items[1].ID, want.Items[2].ID, want.Items[3].ID}) {
			t.Fatalf("nested pages %v, REST %v", got, want.Items[:4])
		}
		r := e.do(t, nested, map[string]any{"id": "11000003", "r": all, "after": *a.Member.Posts.PageInfo.EndCursor})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeBadUserInput {
			t.Fatalf("a cursor of another member's list: %+v", r.Errors)
		}
	})
	t.Run("parent's ids are not a filter of its children", func(t *testing.T) {
		r := e.do(t, `query($r: DateRangeInput!) { member(id: "11000002") { posts(range: $r, filter: {memberIds: ["11000003"]}) { totalCount } } }`, map[string]any{"r": q1})
		if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "filter.memberIds is not allowed here") {
			t.Fatalf("%+v", r.Errors)
		}
	})
}

func TestUpstreamErrorsBecomeCodes(t *testing.T) {
	t.Parallel()
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		r := e.do(t, `{ post(id: "12999999") { id } p2: post(id: "12000001") { id } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeNotFound || fmt.Sprint(r.Errors[0].Path) != "[post]" {
			t.Fatalf("%+v", r.Errors)
		}
		if !strings.Contains(string(r.Data), `"p2":{"id":"12000001"}`) || e.sim.Count("") != 1 {
			t.Fatalf("data %s after %d requests (want the found post, one batched request)", r.Data, e.sim.Count(""))
		}
	})
	t.Run("unauthenticated", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.creds = aspire.Creds{APIKey: "a-wrong-key-123", ClientID: aspiretest.DemoClientID}
		r := e.do(t, `{ projects { totalCount } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeUnauthenticated || strings.Contains(r.Errors[0].Message, "a-wrong-key-123") {
			t.Fatalf("%+v", r.Errors)
		}
	})
	t.Run("forbidden", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.creds = aspire.Creds{APIKey: aspiretest.OtherKey, ClientID: aspiretest.DemoClientID}
		r := e.do(t, `{ groups { totalCount } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeForbidden {
			t.Fatalf("%+v", r.Errors)
		}
	})
	t.Run("rate limited with retryAfter, the rest kept", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.Inject(aspiretest.Fault{Endpoint: "/v1/groups", Status: 429, RetryAfter: 42 * time.Second})
		r := e.do(t, `{ group(id: "10200001") { name } projects { totalCount } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeRateLimited || r.Errors[0].Extensions["retryAfter"] != float64(42) {
			t.Fatalf("%+v", r.Errors)
		}
		if !strings.Contains(string(r.Data), `"group":null`) || !strings.Contains(string(r.Data), `"projects":{"totalCount":8}`) {
			t.Fatalf("data %s: want group null and projects kept", r.Data)
		}
	})
	t.Run("an id that would smuggle a list is not sent", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		r := e.do(t, `{ post(id: "12000001,12000002") { id } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeNotFound || e.sim.Count("") != 0 {
			t.Fatalf("%+v after %d requests", r.Errors, e.sim.Count(""))
		}
	})
}

func rng(m map[string]any) aspire.Range {
	s, _ := aspire.ParseDate(m["start"].(string))
	e, _ := aspire.ParseDate(m["end"].(string))
	return aspire.Range{Start: s, End: e}
}

func memberIDs(posts []aspire.Post) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range posts {
		if !seen[p.MemberID] {
			seen[p.MemberID] = true
			out = append(out, p.MemberID)
		}
	}
	return out
}

func TestParentWithoutChildren(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A one-day range: most members have no posts in it.
	day := map[string]any{"start": "2026-02-03", "end": "2026-02-03"}
	var d struct {
		Members struct {
			Nodes []struct {
				ID    string
				Posts struct {
					TotalCount int
					Nodes      []struct{ ID string }
				}
			}
		}
	}
	e.ok(t, `query($r: DateRangeInput!, $id: [ID!]) { members(range: $r, first: 3, filter: {ids: $id}) { nodes { id posts(range: $r, first: 3) { totalCount nodes { id } } } } }`,
		map[string]any{"r": day, "id": []string{"11000001"}}, &d)
	if len(d.Members.Nodes) != 1 || d.Members.Nodes[0].Posts.TotalCount != 0 || len(d.Members.Nodes[0].Posts.Nodes) != 0 {
		t.Fatalf("%+v", d)
	}
}

func TestHints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body, _ := json.Marshal(map[string]any{"query": `{ posts(range: {start: "2024-01-01", end: "2024-01-31"}, filter: {networks: [TIKTOK]}) { totalCount } }`})
	resp, err := http.Post(e.url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Extensions map[string]string }
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if h := r.Extensions["hint:posts"]; !strings.Contains(h, "2024-01-01…2024-01-31") || !strings.Contains(h, "networks [tiktok]") || !strings.Contains(h, "may hold no posts") {
		t.Fatalf("extensions %v", r.Extensions)
	}
	for _, tc := range []struct {
		creds aspire.Creds
		want  string
	}{
		{aspire.Creds{APIKey: "k3y-not-valid-991", ClientID: aspiretest.DemoClientID}, "wrong, has extra spaces, or has expired"},
		{aspire.Creds{APIKey: aspiretest.DemoExpiredKey, ClientID: aspiretest.DemoClientID}, "has expired"},
		{aspire.Creds{APIKey: aspiretest.DemoMemberOnlyKey, ClientID: aspiretest.DemoClientID}, "read:social"},
		{aspire.Creds{APIKey: aspiretest.OtherKey, ClientID: aspiretest.DemoClientID}, "after /client/"},
	} {
		e := newEnv(t)
		e.creds = tc.creds
		r := e.do(t, `{ posts(range: {start: "2026-01-01", end: "2026-01-31"}) { totalCount } }`, nil)
		if len(r.Errors) != 1 || !strings.Contains(fmt.Sprint(r.Errors[0].Extensions["hint"]), tc.want) || strings.Contains(fmt.Sprint(r.Errors[0].Extensions["hint"]), tc.creds.APIKey) {
			t.Errorf("%s: %+v", tc.creds.APIKey, r.Errors)
		}
	}
}

// TestRootFieldFailsAlone: with a key that lacks read:social, the posts and
// members lists fail and the projects list still answers: a root connection
// is nullable, so its error (the simulator answers a missing scope 401, as
// Aspire does) nulls that field, not the whole answer.
func TestRootFieldFailsAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.creds = aspire.Creds{APIKey: aspiretest.DemoMemberOnlyKey, ClientID: aspiretest.DemoClientID}
	r := e.do(t, `query($r: DateRangeInput!) { projects(first: 3) { totalCount nodes { id name } } posts(range: $r, first: 5) { totalCount nodes { id } } members(range: $r, first: 2) { nodes { id } } }`,
		map[string]any{"r": q1})
	var d struct {
		Projects *struct {
			TotalCount int
			Nodes      []struct{ ID, Name string }
		}
		Posts   *struct{ TotalCount int }
		Members *struct{ Nodes []struct{ ID string } }
	}
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatal(err)
	}
	if d.Projects == nil || len(d.Projects.Nodes) != 3 || d.Projects.Nodes[0].Name == "" {
		t.Fatalf("projects lost with the posts: data %s, errors %+v", r.Data, r.Errors)
	}
	if d.Posts != nil || d.Members != nil {
		t.Fatalf("posts or members answered with a key lacking read:social: %s", r.Data)
	}
	paths := map[string]string{}
	for _, er := range r.Errors {
		paths[fmt.Sprint(er.Path)] = fmt.Sprint(er.Extensions["code"])
	}
	if want := map[string]string{"[posts]": graph.CodeUnauthenticated, "[members]": graph.CodeUnauthenticated}; !reflect.DeepEqual(paths, want) {
		t.Fatalf("errors by path %v, want %v", paths, want)
	}
	if got, want := e.sim.Count(""), 3; got != want {
		t.Fatalf("%d upstream requests, want %d (%v)", got, want, e.sim.Counts())
	}
}
