package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/export"
)

var demo = aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID}

func jobStack(t *testing.T) (*aspiretest.Server, *aspire.Tenant) {
	t.Helper()
	sim := aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes), aspiretest.WithRateLimit(0, 0))
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	c, err := aspire.New(ts.URL, aspire.WithRateLimit(0, 0), aspire.WithRetry(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return sim, c.As(demo)
}

func job(t *testing.T, entity, query string) *export.Job {
	t.Helper()
	v, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	j, err := export.NewJob(entity, v)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// A CSV export of posts holds the rows REST gives for the same query, in
// its order, one line each under the header.
func TestJobCSVRowsAreREST(t *testing.T) {
	t.Parallel()
	_, tn := jobStack(t)
	j := job(t, "posts", "start=2026-01-01&end=2026-03-31")
	var out bytes.Buffer
	n, err := j.Run(context.Background(), tn, &out, export.Options{Format: export.CSV})
	if err != nil {
		t.Fatal(err)
	}
	want, err := tn.AllPosts(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: j.Range}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) || len(recs) != 1+len(want) || len(want) == 0 {
		t.Fatalf("%d rows written, %d CSV records; REST has %d posts (want header + each)", n, len(recs), len(want))
	}
	col := -1
	for i, h := range recs[0] {
		if h == "id" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no id column in %v", recs[0])
	}
	for i, p := range want {
		if recs[1+i][col] != p.ID {
			t.Fatalf("row %d is post %s, REST's is %s", i, recs[1+i][col], p.ID)
		}
	}
}

// An NDJSON export failing after its first page: the rows before the
// failure are whole lines, the error comes back, and ErrorLine (which the
// caller writes last) carries the upstream code.
func TestJobNDJSONFailureMidwayEndsWithErrorLine(t *testing.T) {
	t.Parallel()
	sim, tn := jobStack(t)
	j := job(t, "posts", "start=2025-01-01&end=2026-12-31")
	var out bytes.Buffer
	failed := false
	n, err := j.Run(context.Background(), tn, &out, export.Options{Format: export.NDJSON, Progress: func(rows, pages, total int) {
		if !failed {
			failed = true
			sim.FailNext("/v1/posts", 1000, 500)
		}
	}})
	if err == nil || aspire.CodeOf(err) != aspire.CodeUnavailable {
		t.Fatalf("error %v, want unavailable", err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if n == 0 || len(lines) != n {
		t.Fatalf("%d rows written, %d lines; want the same, at least one", n, len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("a line is not JSON: %q", l)
		}
	}
	var last struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(export.ErrorLine(err), &last) != nil || last.Error.Code != "UPSTREAM_UNAVAILABLE" || last.Error.Message == "" {
		t.Fatalf("ErrorLine = %s", export.ErrorLine(err))
	}
}

func TestJobFileName(t *testing.T) {
	j := job(t, "members", "start=2026-01-01&end=2026-03-31")
	if got := export.FileName(j.Entity, j.Range, export.NDJSON); got != "members_2026-01-01_2026-03-31.ndjson" {
		t.Fatalf("FileName = %q", got)
	}
	if _, err := export.NewJob("invoices", url.Values{}); err == nil {
		t.Fatal("an unknown entity was accepted")
	}
}
