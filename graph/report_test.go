package graph_test

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// The tests of the report planner: exact upstream counts per plan, and sums
// equal to the simulator's own posts added up here, not through a client.

type perfMetrics struct {
	Impressions, Reach, Views, Likes, Engagements *int64
	EngagementRate, Tmv                           *float64
}

type perfPoint struct {
	Start     string
	PostCount int
	Metrics   perfMetrics
}

type perf struct {
	PostCount int
	Metrics   perfMetrics
	ByNetwork []struct {
		Network string
		Metrics perfMetrics
	}
	Week, Day, Month []perfPoint
	Top              []struct {
		Member    struct{ ID, Name string }
		PostCount int
		Metrics   perfMetrics
	}
}

const perfFields = `postCount metrics { impressions reach views likes engagements engagementRate tmv }`

// want is the sum over the simulator's posts that pass keep.
type want struct {
	n                                int
	impressions, reach, views, likes *int64
	engagements                      *int64
	tmv                              *float64
}

func addp(dst **int64, v *int64) {
	if v == nil {
		return
	}
	if *dst == nil {
		*dst = new(int64)
	}
	**dst += *v
}

func sumPosts(posts []aspire.Post, keep func(*aspire.Post) bool) want {
	var w want
	for i := range posts {
		p := &posts[i]
		if !keep(p) {
			continue
		}
		w.n++
		addp(&w.impressions, p.Metrics.Impressions)
		addp(&w.reach, p.Metrics.Reach)
		addp(&w.views, p.Metrics.Views)
		addp(&w.likes, p.Metrics.Likes)
		addp(&w.engagements, p.Metrics.Engagements)
		if p.Metrics.TMV != nil {
			if w.tmv == nil {
				w.tmv = new(float64)
			}
			*w.tmv += *p.Metrics.TMV
		}
	}
	return w
}

func eqp(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func fmtp(v *int64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

// check compares a roll-up with the sums; tmvSlack is how far TMV may be
// (the members plan adds members' TMVs, each rounded to the cent upstream).
func check(t *testing.T, what string, got perfMetrics, n int, w want, tmvSlack float64) {
	t.Helper()
	if n != w.n {
		t.Errorf("%s: postCount %d, want %d", what, n, w.n)
	}
	for _, c := range []struct {
		name   string
		g, exp *int64
	}{{"impressions", got.Impressions, w.impressions}, {"reach", got.Reach, w.reach}, {"views", got.Views, w.views},
		{"likes", got.Likes, w.likes}, {"engagements", got.Engagements, w.engagements}} {
		if !eqp(c.g, c.exp) {
			t.Errorf("%s: %s %s, want %s", what, c.name, fmtp(c.g), fmtp(c.exp))
		}
	}
	switch {
	case w.engagements == nil || w.reach == nil || *w.reach == 0:
		if got.EngagementRate != nil {
			t.Errorf("%s: engagementRate %v, want null", what, *got.EngagementRate)
		}
	case got.EngagementRate == nil || *got.EngagementRate != float64(*w.engagements)/float64(*w.reach):
		t.Errorf("%s: engagementRate %v, want engagements/reach of the sums %v", what, got.EngagementRate, float64(*w.engagements)/float64(*w.reach))
	}
	if (got.Tmv == nil) != (w.tmv == nil) || got.Tmv != nil && math.Abs(*got.Tmv-*w.tmv) > tmvSlack+0.005 {
		t.Errorf("%s: tmv %v, want %v (±%v)", what, got.Tmv, w.tmv, tmvSlack+0.005)
	}
}

var quarter = map[string]any{"start": "2026-01-01", "end": "2026-03-31"}

func inRange(r map[string]any) func(*aspire.Post) bool {
	rg := rng(r)
	return func(p *aspire.Post) bool { return rg.Contains(p.PostedAt) }
}

func postsPages(n int) int { return max(1, (n+aspire.MaxLimit-1)/aspire.MaxLimit) }

func TestReportUpstreamCounts(t *testing.T) {
	t.Parallel()
	posts := aspiretest.New().Posts(aspiretest.DemoClientID)
	const p1 = "10100001"
	inP1 := func(p *aspire.Post) bool { return inRange(quarter)(p) && slices.Contains(p.ProjectIDs, p1) }
	p1Posts := sumPosts(posts, inP1).n
	six := []string{"10100001", "10100002", "10100003", "10100004", "10100005", "10100006"}
	sixPosts := sumPosts(posts, func(p *aspire.Post) bool {
		return inRange(quarter)(p) && slices.ContainsFunc(p.ProjectIDs, func(id string) bool { return slices.Contains(six, id) })
	}).n
	cases := []struct {
		name          string
		query         string
		posts, member int // /v1/posts and /v1/members requests
	}{
		{"a project's totals", `{ project(id: "` + p1 + `") { performance(range: $r) { ` + perfFields + ` } } }`, 0, 1},
		{"its byNetwork", `{ project(id: "` + p1 + `") { performance(range: $r) { byNetwork { network metrics { engagements } } } } }`, 0, 1},
		{"a 90-day weekly series", `{ project(id: "` + p1 + `") { performance(range: $r) { week: series(interval: WEEK) { start postCount } } } }`, postsPages(p1Posts), 0},
		{"six projects' totals", `{ projects(first: 6) { nodes { performance(range: $r) { ` + perfFields + ` } } } }`, postsPages(sixPosts), 0},
		{"a series and a top-5 together", `{ project(id: "` + p1 + `") { performance(range: $r) { week: series(interval: WEEK) { start postCount }
			top: topMembers(first: 5) { member { id name } postCount } } } }`, postsPages(p1Posts), 1},
		{"the workspace's totals", `{ performance(range: $r) { ` + perfFields + ` } }`, 0, 1},
		{"the workspace's weekly series", `{ performance(range: $r) { week: series(interval: WEEK) { start } } }`, postsPages(sumPosts(posts, inRange(quarter)).n), 0},
		{"two series of one slice share its pages", `{ performance(range: $r) { week: series(interval: WEEK) { start } }
			again: performance(range: $r) { month: series(interval: MONTH) { start } } }`, postsPages(sumPosts(posts, inRange(quarter)).n), 0},
	}
	// The figures, as the README and the report quote them.
	if got := []int{cases[2].posts, cases[3].posts, cases[6].posts}; !slices.Equal(got, []int{1, 4, 6}) {
		t.Fatalf("posts pages of the cases %v, want [1 4 6]: the demo workspace changed", got)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t) // a cold cache each
			r := e.do(t, `query($r: DateRangeInput!) `+c.query, map[string]any{"r": quarter})
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			if got, want := e.sim.Count("/v1/posts"), c.posts; got != want {
				t.Errorf("/v1/posts: %d requests, want %d (%v)", got, want, e.sim.Counts())
			}
			if got, want := e.sim.Count("/v1/members"), c.member; got != want {
				t.Errorf("/v1/members: %d requests, want %d (%v)", got, want, e.sim.Counts())
			}
		})
	}
}

// bucketStart is the bucket of a post's UTC day, computed here from the
// calendar (ISO weeks start on Monday).
func bucketStart(iv string, t time.Time) string {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch iv {
	case "WEEK":
		d = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case "MONTH":
		d = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return d.Format(time.DateOnly)
}

func TestReportSumsEqualTheSimulatorsPosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	posts := e.sim.Posts(aspiretest.DemoClientID)
	r := map[string]any{"start": "2026-02-10", "end": "2026-05-20"} // neither starts a week nor a month
	in := inRange(r)
	series := `day: series(interval: DAY) { start postCount metrics { impressions reach views likes engagements engagementRate tmv } }
		week: series(interval: WEEK) { start postCount metrics { impressions reach views likes engagements engagementRate tmv } }
		month: series(interval: MONTH) { start postCount metrics { impressions reach views likes engagements engagementRate tmv } }`
	type slice struct {
		name, query string
		keep        func(*aspire.Post) bool
		filter      map[string]any
	}
	hasProject := func(id string) func(*aspire.Post) bool {
		return func(p *aspire.Post) bool { return in(p) && slices.Contains(p.ProjectIDs, id) }
	}
	hasGroup := func(id string) func(*aspire.Post) bool {
		return func(p *aspire.Post) bool { return in(p) && slices.Contains(p.GroupIDs, id) }
	}
	var cases []slice
	for _, id := range []string{"10100001", "10100004", "10100007"} {
		cases = append(cases, slice{"project " + id, `project(id: "` + id + `")`, hasProject(id), nil})
	}
	for _, id := range []string{"10200001", "10200002"} {
		cases = append(cases, slice{"group " + id, `group(id: "` + id + `")`, hasGroup(id), nil})
	}
	cases = append(cases, slice{"workspace", "", in, nil})
	reels := func(p *aspire.Post) bool { return p.Network == aspire.Instagram && p.PostType == aspire.InstagramReel }
	cases = append(cases,
		slice{"project 10100002, Instagram reels", `project(id: "10100002")`, func(p *aspire.Post) bool { return hasProject("10100002")(p) && reels(p) },
			map[string]any{"networks": []string{"INSTAGRAM"}, "postTypes": []string{"INSTAGRAM_REEL"}}},
		slice{"workspace, TikTok", "", func(p *aspire.Post) bool { return in(p) && p.Network == aspire.TikTok },
			map[string]any{"networks": []string{"TIKTOK"}}})
	for _, c := range cases {
		w := sumPosts(posts, c.keep)
		for _, withSeries := range []bool{false, true} {
			sel := perfFields
			if withSeries {
				sel += " " + series
			}
			q := `query($r: DateRangeInput!, $f: PostFilter) { performance(range: $r, filter: $f) { ` + sel + ` } }`
			if c.query != "" {
				q = `query($r: DateRangeInput!, $f: PostFilter) { x: ` + c.query + ` { performance(range: $r, filter: $f) { ` + sel + ` } } }`
			}
			var d struct {
				Performance *perf
				X           *struct{ Performance *perf }
			}
			e.ok(t, q, map[string]any{"r": r, "f": c.filter}, &d)
			p := d.Performance
			if d.X != nil {
				p = d.X.Performance
			}
			what := fmt.Sprintf("%s (series %v)", c.name, withSeries)
			// The members plan adds the members' TMVs, each rounded to the
			// cent by the upstream: at most half a cent each.
			slack := 0.0
			if !withSeries {
				slack = 0.005 * 400
			}
			check(t, what, p.Metrics, p.PostCount, w, slack)
			if !withSeries {
				continue
			}
			for iv, pts := range map[string][]perfPoint{"DAY": p.Day, "WEEK": p.Week, "MONTH": p.Month} {
				// Every bucket from the range's first to its last, empty ones too.
				rg := rng(r)
				wantStarts := []string{}
				for d := rg.Start.Time(); !d.After(rg.End.Time()); d = d.AddDate(0, 0, 1) {
					if s := bucketStart(iv, d); len(wantStarts) == 0 || wantStarts[len(wantStarts)-1] != s {
						wantStarts = append(wantStarts, s)
					}
				}
				if len(pts) != len(wantStarts) {
					t.Fatalf("%s %s: %d points, want %d", what, iv, len(pts), len(wantStarts))
				}
				n := 0
				for k, pt := range pts {
					if pt.Start != wantStarts[k] {
						t.Fatalf("%s %s: point %d starts %s, want %s", what, iv, k, pt.Start, wantStarts[k])
					}
					bw := sumPosts(posts, func(p *aspire.Post) bool { return c.keep(p) && bucketStart(iv, p.PostedAt) == pt.Start })
					check(t, what+" "+iv+" "+pt.Start, pt.Metrics, pt.PostCount, bw, 0)
					n += pt.PostCount
				}
				if n != p.PostCount {
					t.Errorf("%s %s: points add up to %d posts, totals say %d", what, iv, n, p.PostCount)
				}
			}
		}
	}
}

// newBudgetEnv is newEnv with the operation's upstream budget and limits
// the server wires in (server/middleware.go).
func newBudgetEnv(t *testing.T, budget int, limits graph.Limits, simOpts ...aspiretest.Option) *env {
	t.Helper()
	sim := aspiretest.New(append([]aspiretest.Option{aspiretest.WithRateLimit(0, 0)}, simOpts...)...)
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	c, err := aspire.New(up.URL, withEndpoints, aspire.WithRetry(1, time.Millisecond, time.Millisecond), aspire.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{sim: sim, creds: demo}
	h := graph.NewHandler(graph.HandlerConfig{Limits: limits})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := aspire.WithBudget(r.Context(), budget)
		h.ServeHTTP(w, r.WithContext(loaders.With(ctx, c.As(e.creds), loaders.WithWait(250*time.Millisecond))))
	}))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

func TestReportRefusals(t *testing.T) {
	t.Parallel()
	e := newBudgetEnv(t, 3, graph.DefaultLimits)
	cases := []struct {
		name, query string
		code        string
		says        []string
		posts       int
	}{
		{"DAY over ten years", `{ performance(range: {start: "2016-01-01", end: "2025-12-31"}) { day: series(interval: DAY) { start } } }`,
			"BAD_USER_INPUT", []string{"3653 points", "at most 366", "report-max-points"}, 0},
		{"end before start", `{ performance(range: {start: "2026-03-01", end: "2026-02-01"}) { postCount } }`,
			"BAD_USER_INPUT", []string{"before start", "1 to 731 days"}, 0},
		{"topMembers first 0", `{ project(id: "10100001") { performance(range: {start: "2026-01-01", end: "2026-03-31"}) { topMembers(first: 0) { postCount } } } }`,
			"BAD_USER_INPUT", []string{"allowed 1 to 100"}, 0},
		{"topMembers first 10,000", `{ project(id: "10100001") { performance(range: {start: "2026-01-01", end: "2026-03-31"}) { topMembers(first: 10000) { postCount } } } }`,
			"BAD_USER_INPUT", []string{"10000", "allowed 1 to 100"}, 0},
		// The workspace's quarter is 2,513 posts: 6 pages, and 5 more than the first pass a budget of 3.
		{"past the budget", `{ performance(range: {start: "2026-01-01", end: "2026-03-31"}) { week: series(interval: WEEK) { start } } }`,
			"OPERATION_LIMIT_EXCEEDED", []string{"needs 5 more upstream pages", "2513 posts", "budget is 3"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, c.query, nil)
			if len(r.Errors) != 1 {
				t.Fatalf("errors %+v, want one", r.Errors)
			}
			er := r.Errors[0]
			if er.Extensions["code"] != c.code {
				t.Errorf("code %v, want %s (%s)", er.Extensions["code"], c.code, er.Message)
			}
			for _, s := range c.says {
				if !strings.Contains(er.Message, s) {
					t.Errorf("message %q does not say %q", er.Message, s)
				}
			}
			if got := e.sim.Count("/v1/posts"); got != c.posts {
				t.Errorf("/v1/posts: %d requests, want %d", got, c.posts)
			}
			if !strings.Contains(string(r.Data), "null") {
				t.Errorf("data %s: the roll-up is not null", r.Data)
			}
		})
	}
	t.Run("a page failing halfway", func(t *testing.T) {
		e := newBudgetEnv(t, 0, graph.DefaultLimits, aspiretest.WithFault(aspiretest.Fault{Endpoint: "/v1/posts", Status: 500,
			When: func(r *http.Request) bool { return r.URL.Query().Get("offset") == "1000" }}))
		r := e.do(t, `{ performance(range: {start: "2026-01-01", end: "2026-03-31"}) { postCount week: series(interval: WEEK) { start postCount } } }`, nil)
		if string(r.Data) != `{"performance":null}` {
			t.Errorf("data %s, want the roll-up null (no partial sums)", r.Data)
		}
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UPSTREAM_UNAVAILABLE" || fmt.Sprint(r.Errors[0].Path) != "[performance]" {
			t.Errorf("errors %+v, want one UPSTREAM_UNAVAILABLE at [performance]", r.Errors)
		}
	})
	t.Run("complexity", func(t *testing.T) {
		r := e.do(t, `{ projects(first: 100) { nodes { performance(range: {start: "2026-01-01", end: "2026-03-31"}) { day: series(interval: DAY) { start postCount } } } } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "OPERATION_LIMIT_EXCEEDED" || r.Errors[0].Extensions["limit"] != "max-complexity" {
			t.Fatalf("errors %+v, want max-complexity", r.Errors)
		}
		if got := e.sim.Count(""); got != 0 {
			t.Errorf("%d upstream requests, want 0", got)
		}
	})
}
