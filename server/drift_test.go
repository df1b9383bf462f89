package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

const driftQuery = `query($r: DateRangeInput!) { posts(range: $r, first: 5) { nodes { id caption metrics { tmv engagements } } } }`

func TestContractDriftIsSeenAndNeverCrashes(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	s.sim.SetDrift(map[string]string{"tmv": "total_media_value", "caption": ""})
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
	drifted := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	drifted.sim.SetDrift(map[string]string{"engagements": ""})
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
