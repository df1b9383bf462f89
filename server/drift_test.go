package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/server"
)

const driftQuery = `query($r: DateRangeInput!) { posts(range: $r, first: 5) { nodes { id caption metrics { tmv engagements } } } }`

// clockedStack is newStack with the client on a clock the test moves (the
// drift sampler looks once a minute).
func clockedStack(t *testing.T, now *atomic.Int64, args []string, simOpts ...aspiretest.Option) *stack {
	now.Store(time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC).UnixNano())
	return newStackOpts(t, append([]string{"-cache-bytes", "0", "-response-cache-bytes", "0"}, args...), nil, func(o *server.Options) {
		c, err := testClient(o.Config, o.Config.UpstreamURL, o.Metrics.Observer(), aspire.WithRetry(0, 0, 0),
			aspire.WithClock(func() time.Time { return time.Unix(0, now.Load()) }))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		o.Client = c
	}, append([]aspiretest.Option{aspiretest.WithSizes(aspiretest.SmallSizes)}, simOpts...)...)
}

// TestContractDriftIsSeenAndNeverCrashes: fields every record carried, then
// dropped (tmv renamed, caption left out), are drift at their paths.
func TestContractDriftIsSeenAndNeverCrashes(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	s := clockedStack(t, &now, nil)
	if r := s.query(t, driftQuery, oct); len(r.Errors) > 0 {
		t.Fatalf("%s", r.body)
	}
	s.sim.SetDrift(map[string]string{"tmv": "total_media_value", "caption": ""})
	now.Add(int64(time.Hour)) // past the cache and the sampler's minute
	for range 2 {
		r := s.query(t, driftQuery, oct)
		var data struct {
			Posts struct {
				Nodes []struct {
					ID      string
					Caption *string
					Metrics struct {
						Tmv         *float64
						Engagements *int64
					}
				}
			}
		}
		if err := json.Unmarshal(r.Data, &data); err != nil || len(data.Posts.Nodes) != 5 {
			t.Fatalf("%v: %s", err, r.body)
		}
		// The rest of the data is there: the renamed tmv is null, the
		// dropped non-null caption reads "" (nulling it would null its
		// post), and each carries an error at its path.
		for _, n := range data.Posts.Nodes {
			if n.ID == "" || n.Caption == nil || *n.Caption != "" || n.Metrics.Tmv != nil || n.Metrics.Engagements == nil || *n.Metrics.Engagements == 0 {
				t.Fatalf("%s", r.body)
			}
		}
		if len(r.Errors) != 10 {
			t.Fatalf("%d errors, want one per tmv and per caption: %s", len(r.Errors), r.body)
		}
		at := map[string]int{}
		for _, e := range r.Errors {
			p := fmt.Sprint(e.Path...)
			switch {
			case e.Extensions["code"] != "UPSTREAM_CONTRACT_DRIFT":
				t.Fatalf("error %+v", e)
			case len(e.Path) == 5 && e.Path[3] == "metrics" && e.Path[4] == "tmv" && strings.Contains(e.Message, "no longer sends metrics.tmv"):
				at["tmv"]++
			case len(e.Path) == 4 && e.Path[3] == "caption" && strings.Contains(e.Message, "no longer sends post.caption"):
				at["caption"]++
			default:
				t.Fatalf("error %+v at %s", e, p)
			}
			if e.Path[0] != "posts" || e.Path[1] != "nodes" {
				t.Fatalf("error at %s", p)
			}
		}
		if at["tmv"] != 5 || at["caption"] != 5 {
			t.Fatalf("errors at %v: %s", at, r.body)
		}
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`aspire_contract_drift_total{endpoint="/v1/posts",field="data[].metrics.tmv",kind="missing"} 1`,
		`aspire_contract_drift_total{endpoint="/v1/posts",field="data[].metrics.total_media_value",kind="unknown"} 1`,
		`aspire_contract_drift_total{endpoint="/v1/posts",field="data[].caption",kind="missing"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if n := strings.Count(s.logs.String(), `"field":"data[].metrics.tmv"`); n != 1 {
		t.Fatalf("the drift of tmv was logged %d times, want once:\n%s", n, s.logs)
	}
	if strings.Contains(s.logs.String(), "total_media_value\":") {
		t.Fatal("a drift log line carries a value")
	}
}

// TestNoDriftNoDriftErrors: the same query without drift has no error at
// all, the drift of another server's upstream in the same process
// notwithstanding (the check is per client).
func TestNoDriftNoDriftErrors(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	drifted := clockedStack(t, &now, nil)
	drifted.query(t, driftQuery, oct)
	drifted.sim.SetDrift(map[string]string{"engagements": ""})
	now.Add(int64(time.Hour))
	if r := drifted.query(t, driftQuery, oct); len(r.Errors) != 5 || r.code() != "UPSTREAM_CONTRACT_DRIFT" {
		t.Fatalf("%s", r.body)
	}
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	for range 2 {
		r := s.query(t, driftQuery, oct)
		if len(r.Errors) > 0 || strings.Contains(string(r.Data), "null") || !strings.Contains(string(r.Data), `"tmv":`) {
			t.Fatalf("%s", r.body)
		}
	}
}

// TestLooseNumbersAndAbsentFields (issue 21): an upstream that writes
// numbers loosely (1e3, "12", 12.0, "0.5") is read; a value that cannot be
// read (saves sent as true) nulls that field alone with an error at its
// path; a field it never sends (tmv left out of every record) is null
// without an error. The page is never lost.
func TestLooseNumbersAndAbsentFields(t *testing.T) {
	t.Parallel()
	loose := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			for _, re := range []struct{ from, to string }{
				{`"impressions":(\d+)`, `"impressions":${1}e0`}, {`"reach":(\d+)`, `"reach":"$1"`}, {`"likes":(\d+)`, `"likes":$1.0`},
				{`"engagement_rate":([0-9.e-]+)`, `"engagement_rate":"$1"`}, {`"saves":\d+`, `"saves":true`}, {`"tmv":[0-9.e-]+,?`, ``},
			} {
				b = regexp.MustCompile(re.from).ReplaceAll(b, []byte(re.to))
			}
			b = bytes.ReplaceAll(b, []byte(",}"), []byte("}"))
			maps.Copy(w.Header(), rec.Header())
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			_, _ = w.Write(b)
		})
	}
	s := newStackWith(t, []string{"-response-cache-bytes", "0"}, loose, aspiretest.WithSizes(aspiretest.SmallSizes))
	const q = `query($r: DateRangeInput!) { posts(range: $r, first: 5, filter: {networks: [INSTAGRAM]}) { nodes { id metrics { impressions reach likes saves engagementRate tmv } } } }`
	for range 2 {
		r := s.query(t, q, oct)
		var data struct {
			Posts struct {
				Nodes []struct {
					ID      string
					Metrics struct {
						Impressions, Reach, Likes, Saves *int64
						EngagementRate, Tmv              *float64
					}
				}
			}
		}
		if err := json.Unmarshal(r.Data, &data); err != nil || len(data.Posts.Nodes) != 5 {
			t.Fatalf("%v: %s", err, r.body)
		}
		for _, n := range data.Posts.Nodes {
			m := n.Metrics
			if m.Impressions == nil || m.Reach == nil || m.EngagementRate == nil || m.Saves != nil || m.Tmv != nil {
				t.Fatalf("%s", r.body)
			}
		}
		if len(r.Errors) == 0 || !strings.Contains(string(r.Data), `"likes":5065`) {
			t.Fatalf("%d errors, want one per saves sent: %s", len(r.Errors), r.body)
		}
		for _, e := range r.Errors {
			if e.Extensions["code"] != "UPSTREAM_CONTRACT_DRIFT" || len(e.Path) != 5 || e.Path[4] != "saves" || !strings.Contains(e.Message, "could not be read") {
				t.Fatalf("error %+v", e)
			}
		}
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `aspire_contract_drift_total{endpoint="/v1/posts",field="metrics.saves",kind="unreadable"} 1`; !strings.Contains(string(b), want) {
		t.Errorf("/metrics lacks %s:\n%s", want, b)
	}
	if strings.Contains(string(b), `tmv",kind="missing"`) {
		t.Errorf("tmv, never sent, counted as drift")
	}
}

// TestDerivedProjectsWithinTheBudget (issue 21): without /v1/projects, a
// member list longer than the operation's upstream budget allows gives the
// projects of the pages read, with OPERATION_LIMIT_EXCEEDED at totalCount,
// in exactly the budget's calls; never a hang.
func TestDerivedProjectsWithinTheBudget(t *testing.T) {
	t.Parallel()
	w := aspiretest.Profiles["two-endpoints"]()
	file := filepath.Join(t.TempDir(), "contract.json")
	if err := os.WriteFile(file, w.Contract.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	sizes := aspiretest.SmallSizes
	sizes.Members = 1200 // three pages of 500
	// A budget of 1: the first page of members, then the two after it
	// (fetched ahead together) are refused before they are sent.
	s := newStack(t, []string{"-contract", file, "-upstream-budget", "1"}, aspiretest.WithWire(w), aspiretest.WithSizes(sizes))
	r := s.query(t, `{ projects(first: 50) { totalCount nodes { id name memberCount status } } }`, nil)
	var data struct {
		Projects struct {
			TotalCount *int
			Nodes      []struct {
				ID, Name    string
				MemberCount int
				Status      *string
			}
		}
	}
	if err := json.Unmarshal(r.Data, &data); err != nil || len(data.Projects.Nodes) == 0 || data.Projects.TotalCount != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	for _, n := range data.Projects.Nodes {
		if n.Name == "" || n.MemberCount == 0 || n.Status != nil {
			t.Fatalf("%s", r.body)
		}
	}
	if len(r.Errors) != 1 || r.code() != "OPERATION_LIMIT_EXCEEDED" || fmt.Sprint(r.Errors[0].Path...) != "projectstotalCount" {
		t.Fatalf("%s", r.body)
	}
	if got := s.sim.Counts()["/v1/members"]; got != 1 || len(s.sim.Requests()) != 1 {
		t.Fatalf("%d member pages, %v", got, s.sim.Counts())
	}
}
