package server_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// perfMetricFields are the export's metric columns as GraphQL names them.
var perfMetricFields = []struct{ column, field string }{
	{"impressions", "impressions"}, {"reach", "reach"}, {"views", "views"}, {"view_time_seconds", "viewTimeSeconds"},
	{"likes", "likes"}, {"comments", "comments"}, {"shares", "shares"}, {"saves", "saves"}, {"clicks", "clicks"},
	{"engagements", "engagements"}, {"engagement_rate", "engagementRate"}, {"tmv", "tmv"},
}

// readPerf reads a performance export, CSV or NDJSON, as rows of column →
// text ("" for null; NDJSON numbers as written).
func readPerf(t *testing.T, body []byte, ndjson bool) (header []string, rows []map[string]string) {
	t.Helper()
	if !ndjson {
		rec, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rec[1:] {
			m := map[string]string{}
			for i, c := range rec[0] {
				if r[i] != "" { // an empty cell is null, absent as in NDJSON
					m[c] = r[i]
				}
			}
			rows = append(rows, m)
		}
		return rec[0], rows
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if header == nil {
			header = keysInOrder(t, sc.Bytes())
		}
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		var raw map[string]any
		if err := d.Decode(&raw); err != nil {
			t.Fatalf("NDJSON line %q: %v", sc.Text(), err)
		}
		m := map[string]string{}
		for k, v := range raw {
			switch x := v.(type) {
			case nil:
			case string:
				if x == "" {
					t.Fatalf("%s: \"\" in NDJSON; an absent value is null", k)
				}
				m[k] = x
			case json.Number:
				m[k] = x.String()
			default:
				t.Fatalf("%s: unexpected %T", k, v)
			}
		}
		rows = append(rows, m)
	}
	return header, rows
}

// TestPerformanceExport: the weekly series of every project of the demo
// workspace's quarter through the real handler over the simulator: the
// upstream requests counted exactly, the rows equal to GraphQL's
// Project.performance series, CSV and NDJSON the same rows, bad input
// refused before any call.
func TestPerformanceExport(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	const q = "?start=2026-01-01&end=2026-03-31&interval=week&group_by=project"

	_, csvBody, err := s.get(t, "/export/performance.csv"+q, demoHeaders)
	if err != nil {
		t.Fatal(err)
	}
	// The quarter is 2,513 posts: 6 pages of 500, the projects found in them
	// (no /v1/projects, no /v1/members).
	if got, posts := s.sim.Count(""), s.sim.Count("/v1/posts"); got != 6 || posts != 6 {
		t.Fatalf("CSV export: %d upstream requests (%d /v1/posts), want 6 /v1/posts and nothing else", got, posts)
	}
	_, ndBody, err := s.get(t, "/export/performance.ndjson"+q, demoHeaders)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.sim.Count(""); got != 6 {
		t.Errorf("NDJSON export after the CSV one: %d upstream requests in all, want 6 (the pages are cached)", got)
	}
	header, rows := readPerf(t, csvBody, false)
	ndHeader, ndRows := readPerf(t, ndBody, true)
	if strings.Join(header, ",") != strings.Join(ndHeader, ",") {
		t.Fatalf("CSV header %v, NDJSON keys %v", header, ndHeader)
	}
	if len(rows) == 0 || len(rows) != len(ndRows) {
		t.Fatalf("%d CSV rows, %d NDJSON rows", len(rows), len(ndRows))
	}
	for i := range rows {
		if fmt.Sprint(rows[i]) != fmt.Sprint(ndRows[i]) {
			t.Fatalf("row %d: CSV %v, NDJSON %v", i, rows[i], ndRows[i])
		}
	}

	// The rows, key by key, are GraphQL's series (14 ISO weeks, the first
	// starting Monday 2025-12-29).
	byKey := map[string][]map[string]string{}
	var keys []string
	for _, r := range rows {
		if r["interval"] != "week" || r["group_by"] != "project" {
			t.Fatalf("row %v: want interval week, group_by project", r)
		}
		if byKey[r["key"]] == nil {
			keys = append(keys, r["key"])
		}
		byKey[r["key"]] = append(byKey[r["key"]], r)
	}
	var fields []string
	for _, m := range perfMetricFields {
		fields = append(fields, m.field)
	}
	var gq strings.Builder
	gq.WriteString("{")
	for i, k := range keys {
		fmt.Fprintf(&gq, ` p%d: project(id: %q) { performance(range: {start: "2026-01-01", end: "2026-03-31"}) { series(interval: WEEK) { start postCount metrics { %s } } } }`,
			i, k, strings.Join(fields, " "))
	}
	gq.WriteString(" }")
	r := s.query(t, gq.String(), nil)
	if len(r.Errors) > 0 {
		t.Fatalf("GraphQL errors %+v", r.Errors)
	}
	var data map[string]struct {
		Performance struct {
			Series []struct {
				Start     string
				PostCount int
				Metrics   map[string]json.Number
			}
		}
	}
	d := json.NewDecoder(bytes.NewReader(r.Data))
	d.UseNumber()
	if err := d.Decode(&data); err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, k := range keys {
		series := data[fmt.Sprintf("p%d", i)].Performance.Series
		if len(series) != 14 || len(byKey[k]) != 14 {
			t.Fatalf("project %s: %d GraphQL points, %d rows, want 14 weeks", k, len(series), len(byKey[k]))
		}
		for j, p := range series {
			row := byKey[k][j]
			if want := p.Start + "T00:00:00+00:00"; row["bucket_start"] != want {
				t.Errorf("project %s week %d: bucket_start %s, want %s", k, j, row["bucket_start"], want)
			}
			if row["post_count"] != fmt.Sprint(p.PostCount) {
				t.Errorf("project %s %s: post_count %s, GraphQL %d", k, p.Start, row["post_count"], p.PostCount)
			}
			total += p.PostCount
			for _, m := range perfMetricFields {
				if row[m.column] != p.Metrics[m.field].String() {
					t.Errorf("project %s %s: %s %q, GraphQL %q", k, p.Start, m.column, row[m.column], p.Metrics[m.field])
				}
			}
		}
	}
	if len(keys) < 3 || total == 0 {
		t.Fatalf("%d projects, %d posts: the comparison proves little", len(keys), total)
	}
	t.Logf("%d projects × 14 weeks, %d project-posts", len(keys), total)

	t.Run("keys from the filter, a member without posts", func(t *testing.T) {
		s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
		_, body, err := s.get(t, "/export/performance.ndjson?start=2026-01-01&end=2026-01-31&interval=month&group_by=member&member_id=99999999", demoHeaders)
		if err != nil {
			t.Fatal(err)
		}
		_, rows := readPerf(t, body, true)
		if len(rows) != 1 || rows[0]["key"] != "99999999" || rows[0]["post_count"] != "0" || rows[0]["impressions"] != "" || rows[0]["bucket_start"] != "2026-01-01T00:00:00+00:00" {
			t.Errorf("rows %v, want one month for the member, 0 posts, metrics null", rows)
		}
		if got := s.sim.Count("/v1/posts"); got != 1 {
			t.Errorf("%d /v1/posts requests, want 1", got)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
		for _, c := range []struct{ q, says string }{
			{"?start=2026-01-01&end=2026-03-31&interval=hour", "is not day, week or month"},
			{"?start=2026-01-01&end=2026-03-31&group_by=brand", "is not project, group, member or network"},
			{"?start=2024-01-01&end=2025-12-30&interval=day", "730 points; at most 366"},
			{"?start=2026-03-01&end=2026-02-01", "before"},
		} {
			resp, body, _ := s.get(t, "/export/performance.csv"+c.q, demoHeaders)
			if resp.StatusCode != 400 || !strings.Contains(string(body), c.says) || !strings.Contains(string(body), "BAD_USER_INPUT") {
				t.Errorf("%s: %d %s, want 400 BAD_USER_INPUT saying %q", c.q, resp.StatusCode, body, c.says)
			}
		}
		if got := s.sim.Count(""); got != 0 {
			t.Errorf("%d upstream requests for refused exports, want 0", got)
		}
	})
}
