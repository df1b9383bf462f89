package server_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// repeatIDs wraps the simulator so that every /v1/posts list page repeats
// ids: row 2 becomes a copy of row 1 (a repeat within the page), and on a
// page past offset 0 row 0 becomes a copy of the first page's row 0 (a
// repeat of an earlier page of the walk). distinct collects the distinct
// post ids the upstream sent; rows the rows, repeats included.
type repeatIDs struct {
	mu       sync.Mutex
	first    any
	distinct map[string]bool
	rows     int
	total    int // the total the upstream announced
}

func (d *repeatIDs) wrap(next http.Handler) http.Handler {
	return rewriteUpstream(next, func(r *http.Request, v any) bool {
		doc, _ := v.(map[string]any)
		rows, ok := doc["data"].([]any)
		if r.URL.Path != "/v1/posts" || !ok || len(rows) <= 2 {
			return false
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		rows[2] = rows[1]
		if r.URL.Query().Get("offset") == "" {
			d.first = rows[0]
		} else if d.first != nil {
			rows[0] = d.first
		}
		for _, row := range rows {
			d.distinct[row.(map[string]any)["id"].(string)] = true
		}
		d.rows += len(rows)
		if pg, ok := doc["pagination"].(map[string]any); ok {
			if n, ok := pg["total"].(float64); ok {
				d.total = int(n)
			}
		}
		return true
	})
}

func metricsBody(t *testing.T, s *stack) string {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}

const dupDrift = `aspire_contract_drift_total{endpoint="/v1/posts",field="data[].id",kind="duplicate"}`

// TestRepeatedPostIDsReachClientsOnce (issue #23 point 7): an upstream page
// that repeats a post id, and pages that repeat an earlier page's id, hand
// each id to the client once, in the GraphQL list and in /export/posts.csv;
// totalCount stays the upstream's total; paging runs on the rows the
// upstream sent (no row re-read, the export not ended early); the drift is
// counted once per list and once per export.
func TestRepeatedPostIDsReachClientsOnce(t *testing.T) {
	t.Parallel()
	d := &repeatIDs{distinct: map[string]bool{}}
	s := newStackWith(t, nil, d.wrap, aspiretest.WithSizes(aspiretest.SmallSizes))

	// The GraphQL list: one page of 50 rows, row 2 repeating row 1.
	r := s.query(t, `query($r: DateRangeInput!) { posts(range: $r, first: 20) { totalCount nodes { id } pageInfo { endCursor hasNextPage } } }`, oct)
	var data struct {
		Posts struct {
			TotalCount int
			Nodes      []struct{ ID string }
			PageInfo   struct {
				EndCursor   string
				HasNextPage bool
			}
		}
	}
	if err := json.Unmarshal(r.Data, &data); err != nil || len(r.Errors) > 0 {
		t.Fatal(err, string(r.body))
	}
	if got := s.sim.Count("/v1/posts"); got != 1 {
		t.Fatalf("upstream /v1/posts calls = %d, want 1", got)
	}
	var got []string
	for _, n := range data.Posts.Nodes {
		got = append(got, n.ID)
	}
	if len(got) != 19 || len(d.distinct) != 19 || hasRepeat(got) {
		t.Fatalf("%d nodes (%d distinct upstream ids), want 19 each once: %v", len(got), len(d.distinct), got)
	}
	want := d.total
	if data.Posts.TotalCount != want || !data.Posts.PageInfo.HasNextPage || want <= 20 {
		t.Fatalf("totalCount %d hasNextPage %v, want the upstream's %d (> 20) and true", data.Posts.TotalCount, data.Posts.PageInfo.HasNextPage, want)
	}
	// The end cursor is row 20's (offset 19): the next page starts at offset 20.
	r2 := s.query(t, `query($r: DateRangeInput!, $a: String) { posts(range: $r, first: 1, after: $a) { nodes { id } } }`,
		map[string]any{"r": oct["r"], "a": data.Posts.PageInfo.EndCursor})
	if reqs := s.sim.Requests(); len(r2.Errors) > 0 || reqs[len(reqs)-1].Query.Get("offset") != "20" {
		t.Fatalf("next page asked offset %q: %s", reqs[len(reqs)-1].Query.Get("offset"), r2.body)
	}
	if m := metricsBody(t, s); !strings.Contains(m, dupDrift+" 1") { // the list (the 1-row page after it is left as sent)
		t.Fatalf("/metrics lacks %s 1:\n%s", dupDrift, grepLines(m, "drift"))
	}

	// The export: pages of 500 (the simulator's default sizes, so that it
	// spans pages); each repeats within and across pages.
	d = &repeatIDs{distinct: map[string]bool{}}
	s = newStackWith(t, nil, d.wrap)
	resp, body, err := s.get(t, "/export/posts.csv?start=2026-01-01&end=2026-01-31", demoHeaders)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %d %.300s", err, resp.StatusCode, body)
	}
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	idCol := slices.Index(records[0], "id")
	if idCol < 0 {
		t.Fatalf("no id column: %v", records[0])
	}
	got = got[:0]
	for _, rec := range records[1:] {
		got = append(got, rec[idCol])
	}
	total := d.total
	pages := (total + 499) / 500
	if calls := s.sim.Count("/v1/posts"); pages < 2 || calls != pages {
		t.Fatalf("upstream /v1/posts calls = %d, want %d (one per page of %d rows; >= 2)", calls, pages, total)
	}
	if d.rows != total || len(got) != len(d.distinct) || hasRepeat(got) {
		t.Fatalf("export: %d rows for %d distinct upstream ids (%d rows sent, total %d), repeat: %v", len(got), len(d.distinct), d.rows, total, hasRepeat(got))
	}
	// Within each page 1 repeat, and 1 across pages on each page past the first.
	if wantRows := total - pages - (pages - 1); len(got) != wantRows {
		t.Fatalf("export: %d rows, want %d", len(got), wantRows)
	}
	if m := metricsBody(t, s); !strings.Contains(m, dupDrift+" 1") { // once for the export
		t.Fatalf("/metrics lacks %s 1:\n%s", dupDrift, grepLines(m, "drift"))
	}
	t.Logf("list: 20 rows → 19 posts, totalCount %d; export: %d rows in %d pages → %d posts", want, total, pages, len(got))
}

func hasRepeat(ids []string) bool {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return true
		}
		seen[id] = true
	}
	return false
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
