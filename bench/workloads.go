package main

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// A workload is a query and a way to pick its variables for request i. A
// server that cannot express it has no query for it.
type workload struct {
	name  string
	about string
	// query per server kind ("ours", "peer"); "" means not expressible.
	query map[string]string
	vars  func(kind string, i int) map[string]any
}

const w1 = `query W1($r: DateRangeInput!) { posts(range: $r, first: %d) { nodes { id caption postedAt metrics { impressions engagements tmv } member { id name } } } }`

var fixedRange = map[string]any{"start": "2026-01-01", "end": "2026-01-31"}

func sameVars(string, int) map[string]any { return map[string]any{"r": fixedRange} }

// w1First is W1 with another page size (the growth series).
func w1First(first int) workload {
	q := fmt.Sprintf(w1, first)
	name := fmt.Sprintf("W1 first=%d", first)
	if first == 100 {
		name = "W1"
	}
	return workload{
		name:  name,
		about: fmt.Sprintf("posts(first: %d) with their member, identical requests", first),
		query: map[string]string{"ours": q, "peer": q},
		vars:  sameVars,
	}
}

// edgesOf is w in the Relay shape, `edges { node { … } }` instead of
// `nodes { … }`, the shape Apollo's relayStylePagination and Relay ask
// for: its upstream requests per query must equal w's (issue 26: edges
// were not batched). Ours only: the peer's config has no edges.
func edgesOf(w workload) workload {
	q := w.query["ours"]
	i := strings.Index(q, "nodes { ")
	// The list closes just before the connection and the operation do.
	q = q[:i] + "edges { node { " + strings.TrimSuffix(q[i+len("nodes { "):], " } }") + " } } }"
	return workload{
		name:  w.name + "-edges",
		about: w.about + ", through edges { node }",
		query: map[string]string{"ours": q},
		vars:  w.vars,
	}
}

// combos are W2's 1,000 distinct (range, network, project) variables.
var combos = func() []struct {
	start, end string
	network    int // -1: none
	project    int // -1: none
} {
	out := make([]struct {
		start, end string
		network    int
		project    int
	}, 0, 1000)
	base := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		week := base.AddDate(0, 0, 7*(i%100))
		out = append(out, struct {
			start, end string
			network    int
			project    int
		}{week.Format("2006-01-02"), week.AddDate(0, 0, 6).Format("2006-01-02"), (i/100)%5 - 1, (i/10)%9 - 1})
	}
	return out
}()

var networks = []struct{ ours, peer string }{{"INSTAGRAM", "instagram"}, {"TIKTOK", "tiktok"}, {"YOUTUBE", "youtube"}, {"PINTEREST", "pinterest"}}

func w2() workload {
	ours := `query W2($r: DateRangeInput!, $f: PostFilter) { posts(range: $r, filter: $f, first: 100) { nodes { id caption postedAt metrics { impressions engagements tmv } member { id name } } } }`
	return workload{
		name:  "W2",
		about: "W1's shape over 1,000 distinct (range, network, project) variables",
		query: map[string]string{"ours": ours, "peer": ours},
		vars: func(kind string, i int) map[string]any {
			c := combos[i%len(combos)]
			f := map[string]any{}
			if c.network >= 0 {
				n := networks[c.network].ours
				if kind == "peer" {
					n = networks[c.network].peer
				}
				f["networks"] = []string{n}
			}
			if c.project >= 0 {
				f["projectIds"] = []string{fmt.Sprint(10100001 + c.project)}
			}
			return map[string]any{"r": map[string]any{"start": c.start, "end": c.end}, "f": f}
		},
	}
}

// w3 is the deep query with 1, 2 or 3 levels under the posts.
func w3(levels int) workload {
	inner := map[int]string{
		1: `member { id name }`,
		2: `member { id name projects { id name } groups { id name } }`,
		3: `member { id name projects { id name } groups { id name } performance(range: $r) { postCount metrics { tmv engagements } } }`,
	}[levels]
	name := "W3"
	if levels != 3 {
		name = fmt.Sprintf("W3 levels=%d", levels)
	}
	return workload{
		name:  name,
		about: fmt.Sprintf("posts → %d level(s): member, projects and groups, performance(range)", levels),
		query: map[string]string{"ours": `query W3($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id ` + inner + ` } } }`},
		vars:  sameVars,
	}
}

func w4() workload {
	return workload{
		name:  "W4",
		about: "members(first: 50) with performance(range) and posts(range, first: 3)",
		query: map[string]string{"ours": `query W4($r: DateRangeInput!) { members(range: $r, first: 50) { nodes { id performance(range: $r) { metrics { tmv } } posts(range: $r, first: 3) { nodes { id } } } } }`},
		vars:  sameVars,
	}
}

// w5Seq numbers W5's requests across the whole run, so that no two W5
// requests of a run are equal, whichever server or cell sends them.
var w5Seq atomic.Int64

// w5Sorts are the sorts W5 draws from (both servers send them upstream).
var w5Sorts = []struct{ field, fieldPeer, order, orderPeer string }{
	{"POSTED_AT", "posted_at", "DESC", "desc"}, {"POSTED_AT", "posted_at", "ASC", "asc"},
	{"IMPRESSIONS", "impressions", "DESC", "desc"}, {"IMPRESSIONS", "impressions", "ASC", "asc"},
}

// w5Vars maps n one to one onto (first, sort, network, start day, length):
// 21 × 4 × 5 × 600 × 60 ≈ 15 million distinct requests, more than a run
// sends. Ranges of 14–73 days inside the simulator's two years of posts
// fill most pages, with a network filter too.
func w5Vars(kind string, n int) map[string]any {
	first := 80 + n%21
	n /= 21
	s := w5Sorts[n%len(w5Sorts)]
	n /= len(w5Sorts)
	network := n%5 - 1
	n /= 5
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n%600)
	n /= 600
	end := start.AddDate(0, 0, 13+n%60)
	v := map[string]any{"r": map[string]any{"start": start.Format("2006-01-02"), "end": end.Format("2006-01-02")}, "first": first}
	if kind == "peer" {
		v["s"] = map[string]any{"field": s.fieldPeer, "order": s.orderPeer}
	} else {
		v["s"] = map[string]any{"field": s.field, "order": s.order}
	}
	f := map[string]any{} // always defined: the peer refuses an undefined variable
	if network >= 0 {
		nw := networks[network].ours
		if kind == "peer" {
			nw = networks[network].peer
		}
		f["networks"] = []string{nw}
	}
	v["f"] = f
	return v
}

// w5 is W1's shape with every request distinct: what neither the
// whole-response cache nor the peer's dedupe can help with.
func w5() workload {
	q := `query W5($r: DateRangeInput!, $f: PostFilter, $s: PostSort, $first: Int) { posts(range: $r, filter: $f, sort: $s, first: $first) { nodes { id caption postedAt metrics { impressions engagements tmv } member { id name } } } }`
	return workload{
		name:  "W5",
		about: "W1's shape, every request distinct (range, sort, first, network)",
		query: map[string]string{"ours": q, "peer": q},
		vars:  func(kind string, _ int) map[string]any { return w5Vars(kind, int(w5Seq.Add(1))) },
	}
}

// r1 is a report: the README's CampaignReport, one project's quarter by ISO
// week with its top five creators (posts plan, 500 a page), identical
// requests like W1. The peer has no roll-ups: not expressible there.
func r1() workload {
	return workload{
		name:  "R1",
		about: "project(id).performance(quarter): totals, series(WEEK), topMembers(5) with names (the README's campaign report)",
		query: map[string]string{"ours": `query R1($id: ID!, $r: DateRangeInput!) { project(id: $id) { name performance(range: $r) { postCount metrics { engagements engagementRate tmv } weeks: series(interval: WEEK) { start postCount metrics { engagements tmv } } topMembers(first: 5, sort: TMV) { member { name } postCount metrics { engagements tmv } } } } }`},
		vars: func(string, int) map[string]any {
			return map[string]any{"id": "10100001", "r": map[string]any{"start": "2026-01-01", "end": "2026-03-31"}}
		},
	}
}
