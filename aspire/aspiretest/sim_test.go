package aspiretest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// One default simulator for the read-only tests: generating it takes a while.
var (
	sharedOnce sync.Once
	shared     *aspiretest.Server
)

func sharedSim(t testing.TB) (*aspiretest.Server, string) {
	t.Helper()
	sharedOnce.Do(func() { shared = aspiretest.New(aspiretest.WithRateLimit(0, 0)) })
	ts := httptest.NewServer(shared)
	t.Cleanup(ts.Close)
	return shared, ts.URL
}

func newSim(t testing.TB, opts ...aspiretest.Option) (*aspiretest.Server, string) {
	t.Helper()
	sim := aspiretest.New(append([]aspiretest.Option{aspiretest.WithSizes(aspiretest.SmallSizes)}, opts...)...)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	return sim, ts.URL
}

type envelope[T any] struct {
	Data       []T `json:"data"`
	Pagination struct {
		Offset, Limit, Total int
		HasMore              bool `json:"has_more"`
	} `json:"pagination"`
}

type errBody struct {
	Error struct{ Code, Message string } `json:"error"`
}

// call GETs path?query with key and returns status, headers and body.
func call(t testing.TB, base, key, path string, q url.Values) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path+"?"+q.Encode(), nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func params(kv ...string) url.Values {
	v := url.Values{"client_id": {aspiretest.DemoClientID}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

var q1 = []string{"start_date", "2026-01-01", "end_date", "2026-03-31"}

// allPosts pages through /v1/posts with raw HTTP.
func allPosts(t testing.TB, base string, q url.Values) []aspire.Post {
	t.Helper()
	var out []aspire.Post
	for off := 0; ; off += 500 {
		q.Set("offset", strconv.Itoa(off))
		q.Set("limit", "500")
		st, _, b := call(t, base, aspiretest.DemoKey, "/v1/posts", q)
		if st != 200 {
			t.Fatalf("status %d: %s", st, b)
		}
		e := decode[envelope[aspire.Post]](t, b)
		out = append(out, e.Data...)
		if !e.Pagination.HasMore {
			if len(out) != e.Pagination.Total {
				t.Fatalf("paged %d rows, total says %d", len(out), e.Pagination.Total)
			}
			return out
		}
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	_, base := sharedSim(t)
	all := allPosts(t, base, params(q1...))
	if len(all) < 1000 {
		t.Fatalf("only %d posts in Q1 2026; the seeded workspace should have thousands", len(all))
	}
	first := all[0]
	start, end := aspire.NewDate(2026, 1, 1), aspire.NewDate(2026, 3, 31)
	cases := []struct {
		name  string
		param string
		value string
		keep  func(p aspire.Post) bool
	}{
		{"network", "network", "tiktok,pinterest", func(p aspire.Post) bool {
			return p.Network == aspire.TikTok || p.Network == aspire.Pinterest
		}},
		{"project", "project_id", first.ProjectIDs[0], func(p aspire.Post) bool { return slices.Contains(p.ProjectIDs, first.ProjectIDs[0]) }},
		{"member", "member_id", first.MemberID, func(p aspire.Post) bool { return p.MemberID == first.MemberID }},
		{"post type", "post_type", "instagram_reel", func(p aspire.Post) bool { return p.PostType == aspire.InstagramReel }},
		{"mention source", "mention_source", "social_listening", func(p aspire.Post) bool { return p.MentionSource == aspire.SocialListening }},
		{"status", "post_status", "expired,deleted", func(p aspire.Post) bool { return p.Status != aspire.Live }},
		{"post ids", "post_id", all[3].ID + "," + all[7].ID, func(p aspire.Post) bool { return p.ID == all[3].ID || p.ID == all[7].ID }},
	}
	for _, g := range all {
		if len(g.GroupIDs) > 0 {
			gid := g.GroupIDs[0]
			cases = append(cases, struct {
				name, param, value string
				keep               func(p aspire.Post) bool
			}{"group", "group_id", gid, func(p aspire.Post) bool { return slices.Contains(p.GroupIDs, gid) }})
			break
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := allPosts(t, base, params(append(slices.Clone(q1), tc.param, tc.value)...))
			var want []string
			for _, p := range all {
				if tc.keep(p) {
					want = append(want, p.ID)
				}
			}
			if len(want) == 0 {
				t.Fatal("the filter selects nothing: the test proves nothing")
			}
			ids := make([]string, len(got))
			for i, p := range got {
				ids[i] = p.ID
				if !tc.keep(p) || !(aspire.Range{Start: start, End: end}).Contains(p.PostedAt) {
					t.Errorf("post %s does not match the filter", p.ID)
				}
			}
			if !slices.Equal(ids, want) {
				t.Errorf("got %d posts, want %d (same order)", len(ids), len(want))
			}
		})
	}
}

func TestRepeatedIDsEqualCommaList(t *testing.T) {
	t.Parallel()
	_, base := sharedSim(t)
	comma := params("member_id", "11000001,11000002,11000003")
	repeated := params("member_id", "11000001", "member_id", "11000002", "member_id", "11000003")
	_, _, a := call(t, base, aspiretest.DemoKey, "/v1/members", comma)
	_, _, b := call(t, base, aspiretest.DemoKey, "/v1/members", repeated)
	if !bytes.Equal(a, b) {
		t.Fatalf("comma list and repeated parameter differ:\n%s\n%s", a, b)
	}
	if got := len(decode[envelope[aspire.Member]](t, a).Data); got != 3 {
		t.Fatalf("got %d members, want 3", got)
	}
}

func TestSorts(t *testing.T) {
	t.Parallel()
	_, base := sharedSim(t)
	val := func(m aspire.Metrics, by string) (float64, bool) {
		var p *int64
		switch by {
		case "engagement_rate":
			if m.EngagementRate == nil {
				return 0, false
			}
			return *m.EngagementRate, true
		case "tmv":
			return *m.TMV, true
		case "impressions":
			p = m.Impressions
		case "engagements":
			p = m.Engagements
		case "view_time":
			p = m.ViewTimeSeconds
		case "views":
			p = m.Views
		}
		if p == nil {
			return 0, false
		}
		return float64(*p), true
	}
	for _, by := range []string{"impressions", "engagements", "engagement_rate", "tmv", "view_time", "views"} {
		for _, order := range []string{"desc", "asc"} {
			t.Run(by+"/"+order, func(t *testing.T) {
				t.Parallel()
				posts := allPosts(t, base, params(append(slices.Clone(q1), "sort_by", by, "sort_order", order)...))
				nulls := false
				for i := 1; i < len(posts); i++ {
					a, oka := val(posts[i-1].Metrics, by)
					b, okb := val(posts[i].Metrics, by)
					switch {
					case !oka && okb:
						t.Fatalf("a null %s sorts before a value at %d", by, i)
					case !okb:
						nulls = true
					case order == "desc" && a < b, order == "asc" && a > b:
						t.Fatalf("%s %s out of order at %d: %v then %v", by, order, i, a, b)
					}
				}
				_ = nulls
			})
		}
	}
	t.Run("posted_at default desc", func(t *testing.T) {
		posts := allPosts(t, base, params(q1...))
		for i := 1; i < len(posts); i++ {
			if posts[i].PostedAt.After(posts[i-1].PostedAt) {
				t.Fatalf("default order is not newest first at %d", i)
			}
		}
	})
	t.Run("members sorted by tmv", func(t *testing.T) {
		_, _, b := call(t, base, aspiretest.DemoKey, "/v1/members", params(append(slices.Clone(q1), "sort_by", "tmv", "limit", "500")...))
		ms := decode[envelope[aspire.Member]](t, b).Data
		for i := 1; i < len(ms); i++ {
			if ms[i].Metrics.TMV != nil && (ms[i-1].Metrics.TMV == nil || *ms[i].Metrics.TMV > *ms[i-1].Metrics.TMV) {
				t.Fatalf("members out of tmv order at %d", i)
			}
		}
	})
}

func TestPagingEdges(t *testing.T) {
	t.Parallel()
	_, base := sharedSim(t)
	_, _, b := call(t, base, aspiretest.DemoKey, "/v1/posts", params(append(slices.Clone(q1), "limit", "500")...))
	e := decode[envelope[aspire.Post]](t, b)
	if len(e.Data) != 500 || !e.Pagination.HasMore || e.Pagination.Limit != 500 {
		t.Fatalf("limit 500: got %d rows, has_more %v, limit %d", len(e.Data), e.Pagination.HasMore, e.Pagination.Limit)
	}
	total := e.Pagination.Total
	_, _, b = call(t, base, aspiretest.DemoKey, "/v1/posts", params(append(slices.Clone(q1), "offset", strconv.Itoa(total+10))...))
	e = decode[envelope[aspire.Post]](t, b)
	if len(e.Data) != 0 || e.Pagination.HasMore || e.Pagination.Total != total {
		t.Fatalf("offset past the end: %d rows, has_more %v, total %d (want 0, false, %d)", len(e.Data), e.Pagination.HasMore, e.Pagination.Total, total)
	}
	if !strings.Contains(string(b), `"data":[]`) {
		t.Fatalf("an empty page must be [], not null: %s", b)
	}
	_, _, b = call(t, base, aspiretest.DemoKey, "/v1/posts", params(q1...))
	if got := len(decode[envelope[aspire.Post]](t, b).Data); got != 100 {
		t.Fatalf("default limit: got %d rows, want 100", got)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	_, base := sharedSim(t)
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = strconv.Itoa(11000001 + i)
	}
	cases := []struct {
		name   string
		key    string
		path   string
		q      url.Values
		status int
		code   string
	}{
		{"no key", "", "/v1/posts", params(q1...), 401, "invalid_token"},
		{"unknown key", "nope", "/v1/posts", params(q1...), 401, "invalid_token"},
		{"expired key", aspiretest.DemoExpiredKey, "/v1/posts", params(q1...), 401, "token_expired"},
		{"missing scope", aspiretest.DemoMemberOnlyKey, "/v1/posts", params(q1...), 401, "insufficient_scope"},
		{"scope suffices for projects", aspiretest.DemoMemberOnlyKey, "/v1/projects", params(), 200, ""},
		{"foreign client id", aspiretest.OtherKey, "/v1/posts", params(q1...), 403, "forbidden"},
		{"no client id", aspiretest.DemoKey, "/v1/projects", url.Values{}, 400, "invalid_parameter"},
		{"bad date", aspiretest.DemoKey, "/v1/posts", params("start_date", "2026-13-01", "end_date", "2026-12-31"), 400, "invalid_parameter"},
		{"end before start", aspiretest.DemoKey, "/v1/posts", params("start_date", "2026-02-01", "end_date", "2026-01-01"), 400, "invalid_parameter"},
		{"range too long", aspiretest.DemoKey, "/v1/posts", params("start_date", "2020-01-01", "end_date", "2026-01-01"), 400, "invalid_parameter"},
		{"dates missing", aspiretest.DemoKey, "/v1/posts", params(), 400, "invalid_parameter"},
		{"unknown enum", aspiretest.DemoKey, "/v1/posts", params(append(slices.Clone(q1), "network", "myspace")...), 400, "invalid_parameter"},
		{"limit over 500", aspiretest.DemoKey, "/v1/posts", params(append(slices.Clone(q1), "limit", "501")...), 400, "invalid_parameter"},
		{"limit zero", aspiretest.DemoKey, "/v1/posts", params(append(slices.Clone(q1), "limit", "0")...), 400, "invalid_parameter"},
		{"101 ids", aspiretest.DemoKey, "/v1/members", params("member_id", strings.Join(ids, ",")), 400, "invalid_parameter"},
		{"posted_at sort on members", aspiretest.DemoKey, "/v1/members", params(append(slices.Clone(q1), "sort_by", "posted_at")...), 400, "invalid_parameter"},
		{"unknown id", aspiretest.DemoKey, "/v1/posts/99999999", params(), 404, "not_found"},
		{"other workspace's id", aspiretest.DemoKey, "/v1/members/21000001", params(), 404, "not_found"},
		{"unknown path", aspiretest.DemoKey, "/v1/payments", params(), 404, "not_found"},
		{"ids need no dates", aspiretest.DemoKey, "/v1/members", params("member_id", "11000001"), 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, h, b := call(t, base, tc.key, tc.path, tc.q)
			if st != tc.status {
				t.Fatalf("status %d, want %d: %s", st, tc.status, b)
			}
			if tc.code == "" {
				return
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if e := decode[errBody](t, b); e.Error.Code != tc.code || e.Error.Message == "" {
				t.Errorf("error body %s, want code %q and a message", b, tc.code)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	sim, base := newSim(t, aspiretest.WithRateLimit(3, time.Minute))
	for i := range 4 {
		st, h, b := call(t, base, aspiretest.DemoKey, "/v1/projects", params())
		if i < 3 {
			if st != 200 || h.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) || h.Get("X-RateLimit-Limit") != "3" {
				t.Fatalf("request %d: status %d, remaining %q", i, st, h.Get("X-RateLimit-Remaining"))
			}
			continue
		}
		if st != 429 || decode[errBody](t, b).Error.Code != "rate_limited" {
			t.Fatalf("4th request: status %d %s, want 429 rate_limited", st, b)
		}
		ra, _ := strconv.Atoi(h.Get("Retry-After"))
		reset, _ := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
		if ra < 1 || ra > 60 || reset < time.Now().Unix() {
			t.Fatalf("Retry-After %q, X-RateLimit-Reset %q", h.Get("Retry-After"), h.Get("X-RateLimit-Reset"))
		}
	}
	// Per key: another key still has its quota.
	if st, _, _ := call(t, base, aspiretest.DemoSecondKey, "/v1/projects", params()); st != 200 {
		t.Fatalf("second key: status %d, want 200", st)
	}
	sim.Reset()
	if st, _, _ := call(t, base, aspiretest.DemoKey, "/v1/projects", params()); st != 200 {
		t.Fatalf("after Reset: status %d, want 200", st)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	get := func(seed uint64) []byte {
		_, base := newSim(t, aspiretest.WithSeed(seed))
		_, _, a := call(t, base, aspiretest.DemoKey, "/v1/posts", params("start_date", "2025-01-01", "end_date", "2026-12-31", "limit", "500", "offset", "300"))
		_, _, b := call(t, base, aspiretest.DemoKey, "/v1/members", params("start_date", "2025-06-01", "end_date", "2025-12-31", "limit", "500"))
		return append(a, b...)
	}
	a, b, c := get(7), get(7), get(8)
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed made different data")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds made the same data")
	}
}

func TestMetricsObeyTheContract(t *testing.T) {
	t.Parallel()
	_, base := sharedSim(t)
	posts := allPosts(t, base, params(q1...))
	nets := map[aspire.Network]bool{}
	for _, p := range posts {
		m := p.Metrics
		sum := int64(0)
		for _, v := range []*int64{m.Likes, m.Comments, m.Saves, m.Shares} {
			if v != nil {
				sum += *v
			}
		}
		if m.Engagements == nil || *m.Engagements != sum {
			t.Fatalf("post %s: engagements %v != likes+comments+saves+shares %d", p.ID, m.Engagements, sum)
		}
		if m.Reach == nil || m.TMV == nil || *m.TMV <= 0 {
			t.Fatalf("post %s: reach and tmv are always reported", p.ID)
		}
		if p.PostType.Network() != p.Network {
			t.Fatalf("post %s: type %s on %s", p.ID, p.PostType, p.Network)
		}
		nets[p.Network] = true
		switch p.Network {
		case aspire.TikTok:
			if m.Impressions != nil || m.Clicks != nil {
				t.Fatalf("tiktok post %s reports impressions or clicks; it should be null", p.ID)
			}
		case aspire.Pinterest:
			if m.Likes != nil || m.Views != nil {
				t.Fatalf("pinterest post %s reports likes or views; it should be null", p.ID)
			}
		}
	}
	if len(nets) != 4 {
		t.Fatalf("posts cover %d networks, want all 4", len(nets))
	}

	// A member's roll-up is the sum of its posts.
	mid := posts[0].MemberID
	mine := allPosts(t, base, params(append(slices.Clone(q1), "member_id", mid)...))
	_, _, b := call(t, base, aspiretest.DemoKey, "/v1/members", params(append(slices.Clone(q1), "member_id", mid)...))
	m := decode[envelope[aspire.Member]](t, b).Data[0]
	var tmv float64
	var eng int64
	for _, p := range mine {
		tmv += *p.Metrics.TMV
		eng += *p.Metrics.Engagements
	}
	if m.PostCount != len(mine) || *m.Metrics.Engagements != eng || fmt.Sprintf("%.2f", *m.Metrics.TMV) != fmt.Sprintf("%.2f", tmv) {
		t.Fatalf("member %s roll-up: %d posts, %d engagements, %.2f tmv; posts say %d, %d, %.2f",
			mid, m.PostCount, *m.Metrics.Engagements, *m.Metrics.TMV, len(mine), eng, tmv)
	}
	var byNet int
	for _, nm := range m.ByNetwork {
		byNet += int(*nm.Engagements)
	}
	if int64(byNet) != eng {
		t.Fatalf("by_network engagements sum to %d, want %d", byNet, eng)
	}

	// date_range metrics never exceed lifetime ones.
	windowed := allPosts(t, base, params(append(slices.Clone(q1), "metrics_window", "date_range")...))
	for i := range windowed {
		if *windowed[i].Metrics.Engagements > *posts[i].Metrics.Engagements || *windowed[i].Metrics.TMV > *posts[i].Metrics.TMV {
			t.Fatalf("post %s: date_range metrics exceed lifetime", posts[i].ID)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	t.Run("fail next", func(t *testing.T) {
		t.Parallel()
		sim, base := newSim(t)
		sim.FailNext("/v1/members", 2, 503)
		var got []int
		for range 3 {
			st, _, _ := call(t, base, aspiretest.DemoKey, "/v1/members", params("member_id", "11000001"))
			got = append(got, st)
		}
		st, _, _ := call(t, base, aspiretest.DemoKey, "/v1/projects", params())
		if !slices.Equal(got, []int{503, 503, 200}) || st != 200 {
			t.Fatalf("statuses %v then projects %d", got, st)
		}
		if n := sim.Count("/v1/members"); n != 3 {
			t.Fatalf("log counts %d member requests, want 3", n)
		}
	})
	t.Run("rate", func(t *testing.T) {
		t.Parallel()
		sim, base := newSim(t, aspiretest.WithFault(aspiretest.Fault{Status: 503, Rate: 0.5}))
		fails := 0
		for range 200 {
			if st, _, _ := call(t, base, aspiretest.DemoKey, "/v1/groups", params()); st == 503 {
				fails++
			}
		}
		if fails < 60 || fails > 140 {
			t.Fatalf("%d of 200 failed at rate 0.5", fails)
		}
		sim.ClearFaults()
		if st, _, _ := call(t, base, aspiretest.DemoKey, "/v1/groups", params()); st != 200 {
			t.Fatalf("after ClearFaults: %d", st)
		}
	})
	t.Run("429 with Retry-After", func(t *testing.T) {
		t.Parallel()
		sim, base := newSim(t)
		sim.Inject(aspiretest.Fault{Status: 429, Count: 1, RetryAfter: 3 * time.Second})
		st, h, _ := call(t, base, aspiretest.DemoKey, "/v1/groups", params())
		if st != 429 || h.Get("Retry-After") != "3" {
			t.Fatalf("status %d, Retry-After %q", st, h.Get("Retry-After"))
		}
	})
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		sim, base := newSim(t)
		sim.Inject(aspiretest.Fault{Reset: true, Count: 1})
		req, _ := http.NewRequest("GET", base+"/v1/groups?client_id="+aspiretest.DemoClientID, nil)
		req.Header.Set("Authorization", "Bearer "+aspiretest.DemoKey)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("a reset connection answered %d", resp.StatusCode)
		}
	})
	t.Run("latency and slow body", func(t *testing.T) {
		t.Parallel()
		sim, base := newSim(t, aspiretest.WithLatency(30*time.Millisecond, 0))
		sim.SetSlowBody(50 * time.Millisecond)
		start := time.Now()
		st, _, b := call(t, base, aspiretest.DemoKey, "/v1/groups", params())
		if d := time.Since(start); st != 200 || d < 75*time.Millisecond || !json.Valid(b) {
			t.Fatalf("status %d after %v (want >= 80ms with a whole body)", st, d)
		}
	})
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	sim, base := newSim(t)
	call(t, base, aspiretest.DemoKey, "/v1/members", params("member_id", "11000001,11000002", "member_id", "11000003"))
	call(t, base, aspiretest.DemoKey, "/v1/members/11000001", params())
	call(t, base, "wrong", "/v1/posts", params())
	reqs := sim.Requests()
	if len(reqs) != 3 || sim.Count("") != 3 || sim.Count("/v1/members") != 1 || sim.Count("/v1/members/{id}") != 1 {
		t.Fatalf("log %d entries, counts %v", len(reqs), sim.Counts())
	}
	if ids := reqs[0].IDs("member_id"); !slices.Equal(ids, []string{"11000001", "11000002", "11000003"}) || reqs[0].Key != "demo" {
		t.Fatalf("ids %v, key %q", ids, reqs[0].Key)
	}
	if reqs[2].Status != 401 || reqs[2].Key != "" {
		t.Fatalf("unauthenticated entry: %+v", reqs[2])
	}
	for _, r := range reqs {
		if strings.Contains(fmt.Sprint(r), aspiretest.DemoKey) {
			t.Fatal("the log holds a key in clear")
		}
	}
	sim.Reset()
	if len(sim.Requests()) != 0 || sim.Count("") != 0 {
		t.Fatal("Reset left entries")
	}
}

func TestProjectsAndGroups(t *testing.T) {
	t.Parallel()
	_, base := sharedSim(t)
	_, _, b := call(t, base, aspiretest.DemoMemberOnlyKey, "/v1/projects", params())
	ps := decode[envelope[aspire.Project]](t, b)
	if len(ps.Data) != 8 || ps.Pagination.Total != 8 {
		t.Fatalf("%d projects, want 8", len(ps.Data))
	}
	_, _, b = call(t, base, aspiretest.DemoKey, "/v1/groups", params("group_id", "10200003,10200001", "limit", "1"))
	gs := decode[envelope[aspire.Group]](t, b)
	if len(gs.Data) != 1 || gs.Data[0].ID != "10200001" || gs.Pagination.Total != 2 || !gs.Pagination.HasMore {
		t.Fatalf("groups by id: %s", b)
	}
	_, _, b = call(t, base, aspiretest.DemoKey, "/v1/projects/"+ps.Data[0].ID, params())
	var one struct{ Data aspire.Project }
	if err := json.Unmarshal(b, &one); err != nil || !reflect.DeepEqual(one.Data, ps.Data[0]) {
		t.Fatalf("one project: %s", b)
	}
	var members int
	_, _, b = call(t, base, aspiretest.DemoKey, "/v1/members", params(append(slices.Clone(q1), "project_id", ps.Data[0].ID, "limit", "500")...))
	for _, m := range decode[envelope[aspire.Member]](t, b).Data {
		if !slices.Contains(m.ProjectIDs, ps.Data[0].ID) {
			t.Fatalf("member %s is not in project %s", m.ID, ps.Data[0].ID)
		}
		members++
	}
	if members != ps.Data[0].MemberCount {
		t.Fatalf("project lists %d members, member_count says %d", members, ps.Data[0].MemberCount)
	}
}
