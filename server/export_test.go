package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/export"
)

func (s *stack) get(t testing.TB, target string, headers map[string]string) (*http.Response, []byte, error) {
	t.Helper()
	return s.do(t, http.MethodGet, target, nil, headers)
}

// rest is a client of the simulator with no cache, for reference answers.
func (s *stack) rest(t testing.TB) *aspire.Tenant {
	t.Helper()
	c, err := aspire.New(s.upstream, aspire.WithContract(contract.WithEndpoints()), aspire.WithCache(0, 0, 0), aspire.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.As(aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID})
}

func TestExportPostsCSVEqualsREST(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	resp, body, err := s.get(t, "/export/posts.csv?start=2026-01-01&end=2026-03-31&network=tiktok,YOUTUBE&sort=tmv", demoHeaders)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %d %.300s", err, resp.StatusCode, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="posts_2026-01-01_2026-03-31.csv"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	exportRequests := s.sim.Requests() // before the reference calls below
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(records[0], export.ColumnNames("posts")) {
		t.Fatalf("header %v", records[0])
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	ctx := context.Background()
	rest := s.rest(t)
	want, err := rest.AllPosts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: aspire.Range{Start: aspire.NewDate(2026, 1, 1), End: aspire.NewDate(2026, 3, 31)},
		Networks: []aspire.Network{aspire.TikTok, aspire.YouTube}}, Sort: aspire.Sort{By: aspire.SortTMV}})
	if err != nil {
		t.Fatal(err)
	}
	rows := records[1:]
	if len(rows) != len(want) || len(want) < 1000 {
		t.Fatalf("%d rows, REST has %d posts (want > 1,000 so it spans pages)", len(rows), len(want))
	}
	var memberIDs []string
	for _, p := range want {
		memberIDs = append(memberIDs, p.MemberID)
	}
	members, _ := rest.MembersByID(ctx, memberIDs, aspire.MemberQuery{})
	projects, _ := rest.AllProjects(ctx)
	projectName := map[string]string{}
	for _, p := range projects {
		projectName[p.ID] = *p.Name
	}
	for i, r := range rows {
		p := want[i]
		var names []string
		for _, id := range p.ProjectIDs {
			names = append(names, projectName[id])
		}
		if r[col["id"]] != p.ID || r[col["tmv"]] != strconv.FormatFloat(*p.Metrics.TMV, 'f', -1, 64) ||
			r[col["engagements"]] != strconv.FormatInt(*p.Metrics.Engagements, 10) || r[col["member_name"]] != members[p.MemberID].Name ||
			r[col["project_names"]] != strings.Join(names, ";") || r[col["caption"]] != p.Caption {
			t.Fatalf("row %d: %v\nREST: %+v", i, r, p)
		}
		if p.Metrics.Impressions == nil && r[col["impressions"]] != "" {
			t.Fatalf("row %d: a null metric written as %q", i, r[col["impressions"]])
		}
	}
	// Members looked up in batches of at most 100, none twice.
	seen := map[string]bool{}
	for _, rq := range exportRequests {
		if rq.Endpoint != "/v1/members" {
			continue
		}
		ids := rq.IDs("member_id")
		if len(ids) > 100 {
			t.Fatalf("a member look-up of %d ids", len(ids))
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("member %s looked up twice", id)
			}
			seen[id] = true
		}
	}
}

func TestExportMembersNDJSON(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	// Grafana sends epoch milliseconds; Q1 as an absolute range ends at
	// 2026-04-01T00:00:00Z, exclusive.
	resp, body, err := s.get(t, "/export/members.ndjson?start=1767225600000&end=1775001600000&sort=engagements", demoHeaders)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("%v %d %.300s", err, resp.StatusCode, body)
	}
	want, err := s.rest(t).AllMembers(context.Background(), aspire.MemberQuery{Filter: aspire.Filter{Range: aspire.Range{Start: aspire.NewDate(2026, 1, 1), End: aspire.NewDate(2026, 3, 31)}},
		Sort: aspire.Sort{By: aspire.SortEngagements}})
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	i := 0
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		m := want[i]
		var eng any
		if m.Metrics.Engagements != nil {
			eng = float64(*m.Metrics.Engagements)
		}
		if row["id"] != m.ID || row["post_count"] != float64(m.PostCount) || row["engagements"] != eng {
			t.Fatalf("row %d: %v, REST %s %d", i, row, m.ID, m.PostCount)
		}
		if ig, ok := m.ByNetwork[aspire.Instagram]; ok && row["instagram_tmv"] != *ig.TMV {
			t.Fatalf("row %d: instagram_tmv %v, REST %v", i, row["instagram_tmv"], *ig.TMV)
		}
		if _, ok := m.ByNetwork[aspire.Pinterest]; !ok && row["pinterest_tmv"] != nil {
			t.Fatalf("row %d: a network without posts has pinterest_tmv %v", i, row["pinterest_tmv"])
		}
		i++
	}
	if i != len(want) || i != 400 {
		t.Fatalf("%d rows, REST has %d members", i, len(want))
	}
}

func TestExportFailureMidStreamIsVisible(t *testing.T) {
	t.Parallel()
	s := newStack(t, []string{"-retries", "2"})
	// Every page after the first fails, after retries too.
	s.sim.Inject(aspiretest.Fault{Endpoint: "/v1/posts", Status: 503, When: func(r *http.Request) bool { return r.URL.Query().Get("offset") != "" }})
	const q = "?start=2025-01-01&end=2026-12-31"
	resp, body, err := s.get(t, "/export/posts.ndjson"+q, demoHeaders)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %d", err, resp.StatusCode)
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, `{"error":{"code":"UPSTREAM_UNAVAILABLE"`) || len(lines) < 2 {
		t.Fatalf("%d lines; the last: %s", len(lines), last)
	}
	_, _, err = s.get(t, "/export/posts.csv"+q, demoHeaders)
	if err == nil {
		t.Fatal("a CSV download cut short read as complete")
	}
	if !has(s.logs.String(), `"export failed"`, `"rows_sent":`) {
		t.Fatalf("the log does not say how many rows were sent:\n%s", s.logs)
	}
}

func TestExportRequestsAndRefusals(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	resp, body, _ := s.get(t, "/export/posts.csv?start=2026-01-01&end=2026-01-31&bom=1", demoHeaders)
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("\ufeffid,posted_at,")) {
		t.Fatalf("bom: %d %.40q", resp.StatusCode, body)
	}
	for _, tc := range []struct {
		target  string
		headers map[string]string
		status  int
		want    string
	}{
		{"/export/posts.csv?start=2026-02-01&end=2026-01-01", demoHeaders, 400, "before start"},
		{"/export/posts.csv?end=2026-01-01", demoHeaders, 400, "start is required"},
		{"/export/posts.csv?start=2026-01-01&end=2026-01-31&network=myspace", demoHeaders, 400, "network"},
		{"/export/posts.csv?start=2026-01-01&end=2026-01-31&sort=posted_at&member_id=" + strings.Repeat("1,", 101), demoHeaders, 400, "at most 100"},
		{"/export/payments.csv?start=2026-01-01&end=2026-01-31", demoHeaders, 404, "exports are"},
		{"/export/posts.xml?start=2026-01-01&end=2026-01-31", demoHeaders, 404, "exports are"},
		{"/export/posts.csv?start=2026-01-01&end=2026-01-31", nil, 401, "UNAUTHENTICATED"},
		{"/export/posts.csv?start=2026-01-01&end=2026-01-31", map[string]string{"Authorization": "Bearer nope", "X-Aspire-Client-Id": aspiretest.DemoClientID}, 401, "UNAUTHENTICATED"},
	} {
		resp, body, _ := s.get(t, tc.target, tc.headers)
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s (want %d, %q)", tc.target, resp.StatusCode, body, tc.status, tc.want)
		}
	}
}

func TestSavedQueries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "top_posts.graphql"), []byte(`query Top($r: DateRangeInput!) { posts(range: $r, first: 3, sort: {field: TMV}) { nodes { id } } }`), 0o644)
	s := newStack(t, []string{"-saved-queries-dir", dir}, aspiretest.WithSizes(aspiretest.SmallSizes))
	vars := `{"r":{"start":"2026-01-01","end":"2026-03-31"}}`
	r := s.send(t, "GET", "/graphql?id=top_posts&variables="+esc2(vars), nil, demoHeaders)
	if r.status != 200 || len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"nodes":[{"id":"1`) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = s.send(t, "GET", "/graphql?id=nope", nil, demoHeaders)
	if r.status != 404 || !strings.Contains(string(r.body), `no saved query named \"nope\"`) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if _, err := newStackErr(t, []string{"-saved-queries-dir", t.TempDir()}); err == nil {
		t.Fatal("an empty saved-queries-dir was accepted")
	}
}

func esc2(s string) string {
	return strings.NewReplacer("{", "%7B", "}", "%7D", `"`, "%22", ":", "%3A", ",", "%2C").Replace(s)
}

// TestExportGrafanaRange: Grafana's ${__from}/${__to} for Q3 2026 as an
// absolute range ending at midnight (1790812800000, 2026-10-01T00:00:00Z) is
// Q3 and no more: the file name, X-Total-Count and the rows are those of
// 2026-07-01…2026-09-30, as with the days written out; epoch seconds and a
// year out of bounds are refused before any upstream call.
func TestExportGrafanaRange(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	type got struct {
		name, total string
		rows        int
	}
	fetch := func(target string) got {
		t.Helper()
		resp, body, err := s.get(t, target, demoHeaders)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %d %.300s", target, err, resp.StatusCode, body)
		}
		return got{resp.Header.Get("Content-Disposition"), resp.Header.Get("X-Total-Count"), bytes.Count(body, []byte("\n")) - 1}
	}
	days := fetch("/export/posts.csv?start=2026-07-01&end=2026-09-30")
	want := got{`attachment; filename="posts_2026-07-01_2026-09-30.csv"`, strconv.Itoa(days.rows), days.rows}
	if days != want || days.rows < 1000 {
		t.Fatalf("days written out: %+v, want %+v", days, want)
	}
	for _, target := range []string{
		"/export/posts.csv?start=1782864000000&end=1790812800000",
		"/export/posts.csv?start=2026-07-01T00:00:00.000Z&end=2026-10-01T00:00:00.000Z",
	} {
		if g := fetch(target); g != want {
			t.Errorf("%s: %+v, want %+v (Q3, the midnight end exclusive)", target, g, want)
		}
	}
	s.sim.Reset()
	for target, words := range map[string]string{
		"/export/posts.csv?start=1782864000&end=1790812800":      "epoch seconds (2026-07-01T00:00:00Z); this endpoint reads epoch milliseconds, 13 digits: send 1782864000000",
		"/export/posts.csv?start=1970-01-21&end=1970-01-21":      "start: 1970-01-21, outside the dates this server accepts (2000-01-01 to 2100-12-31)",
		"/export/members.csv?start=2026-07-01&end=5000000000000": "end: epoch milliseconds 5000000000000 are 2128-06-11T08:53:20.000Z, the day 2128-06-11, outside",
	} {
		resp, body, _ := s.get(t, target, demoHeaders)
		if resp.StatusCode != 400 || !strings.Contains(string(body), words) || !strings.Contains(string(body), "BAD_USER_INPUT") {
			t.Errorf("%s: %d %s, want 400 saying %q", target, resp.StatusCode, body, words)
		}
	}
	if n := s.sim.Count(""); n != 0 {
		t.Errorf("%d upstream requests for refused exports, want 0", n)
	}
	// The log line of a finished export names its unit (issue 26: "took":119.2).
	if logs := s.logs.String(); !regexp.MustCompile(`"message":"export finished"`).MatchString(logs) ||
		!regexp.MustCompile(`"took_ms":[0-9.]+`).MatchString(logs) || strings.Contains(logs, `"took":`) {
		t.Errorf("export log lines without the unit of their duration:\n%.2000s", logs)
	}
}

// TestExportAcrossWires: /export/posts.csv over 90 days and
// /export/members.ndjson work against every wire variant, the server on the
// variant's contract; against two-endpoints (no /v1/projects, /v1/groups)
// the project names come from what members carry (issue 21: it was a 404).
func TestExportAcrossWires(t *testing.T) {
	t.Parallel()
	// Upstream requests: posts.csv over 90 days (2,528 posts: 6 pages of
	// /v1/posts, 7 of /v1/members for their members, 1 each of /v1/projects
	// and /v1/groups), then members.ndjson on the warm cache (one page of
	// members). Without /v1/projects and /v1/groups, one page of all
	// members (the longest range) gives both: 6 + 8, one call less.
	want := map[string][2]int{
		"builtin": {15, 1}, "array-camel-xapikey": {15, 1}, "envelope-token-path": {15, 1},
		"header-client-id": {15, 1}, "raw-renamed-upper": {15, 1}, "two-endpoints": {14, 1},
	}
	for _, name := range aspiretest.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := aspiretest.Profiles[name]()
			file := filepath.Join(t.TempDir(), "contract.json")
			if err := os.WriteFile(file, w.Contract.Marshal(), 0o600); err != nil {
				t.Fatal(err)
			}
			s := newStack(t, []string{"-contract", file}, aspiretest.WithWire(w))
			resp, body, err := s.get(t, "/export/posts.csv?start=2026-07-03&end=2026-09-30", demoHeaders)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%v %d %.300s", err, resp.StatusCode, body)
			}
			csvCalls := len(s.sim.Requests())
			records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil || len(records) < 100 {
				t.Fatalf("%v, %d rows", err, len(records))
			}
			col := slices.Index(records[0], "project_names")
			named := 0
			for _, r := range records[1:] {
				if r[col] != "" {
					named++
				}
			}
			if named == 0 {
				t.Fatalf("no row has project names")
			}
			s.sim.Reset()
			resp, body, err = s.get(t, "/export/members.ndjson?start=2026-07-03&end=2026-09-30", demoHeaders)
			if err != nil || resp.StatusCode != 200 || bytes.Count(body, []byte("\n")) < 100 {
				t.Fatalf("%v %d %.300s", err, resp.StatusCode, body)
			}
			got := [2]int{csvCalls, len(s.sim.Requests())}
			t.Logf("%-20s %d rows; upstream requests: posts.csv %d, members.ndjson %d", name, len(records)-1, got[0], got[1])
			if got != want[name] {
				t.Errorf("upstream requests %v, want %v (%v)", got, want[name], s.sim.Counts())
			}
		})
	}
}
