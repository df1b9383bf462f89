package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// TestWireVariants runs the README's queries against the simulator speaking
// each wire variant, with the server started on the matching contract file
// (-contract): the GraphQL answers equal the built-in contract's. The exact
// upstream counts are asserted in graph.TestREADMECountsAcrossWires, whose
// loaders wait long enough for batches to be deterministic under load.
func TestWireVariants(t *testing.T) {
	answers := map[string][]byte{}
	for _, name := range []string{"builtin", "envelope-token-path", "header-client-id", "array-camel-xapikey", "raw-renamed-upper"} {
		w := aspiretest.Profiles[name]()
		file := filepath.Join(t.TempDir(), name+".json")
		if err := os.WriteFile(file, w.Contract.Marshal(), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, q := range aspiretest.READMEQueries {
			s := newStack(t, []string{"-contract", file}, aspiretest.WithWire(w))
			r := s.query(t, q.Query, q.Vars)
			if len(r.Errors) > 0 || r.status != 200 {
				t.Fatalf("%s %s: %d %s", name, q.Name, r.status, r.body)
			}
			t.Logf("%-20s %-9s %d upstream requests", name, q.Name, s.sim.Count(""))
			if base, ok := answers[q.Name]; !ok {
				answers[q.Name] = r.Data
			} else if !jsonEqual(base, r.Data) {
				t.Errorf("%s %s: answer differs from the built-in contract's:\n%s\nwant\n%s", name, q.Name, r.Data, base)
			}
		}
	}
}

// TestLenientWithoutAContract: with no contract file, the server still
// answers over a bare-array, camelCase upstream (the guide's shape).
func TestLenientWithoutAContract(t *testing.T) {
	w := aspiretest.Profiles["array-camel-xapikey"]()
	w.Contract.Auth = aspiretest.Profiles["builtin"]().Contract.Auth // the key where the built-in contract puts it
	base := newStack(t, nil)
	s := newStack(t, nil, aspiretest.WithWire(w))
	for _, q := range aspiretest.READMEQueries {
		want := base.query(t, q.Query, q.Vars)
		got := s.query(t, q.Query, q.Vars)
		if len(got.Errors) > 0 || !jsonEqual(got.Data, want.Data) {
			t.Errorf("%s: got %s, want %s", q.Name, got.body, want.Data)
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

// TestDriftAgainstTheActiveContract: drift is measured against the contract
// file the server runs with, not the built-in one.
func TestDriftAgainstTheActiveContract(t *testing.T) {
	t.Parallel()
	w := aspiretest.Profiles["raw-renamed-upper"]()
	file := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(file, w.Contract.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	const q = `query($r: DateRangeInput!) { posts(range: $r, first: 5) { nodes { id caption metrics { tmv engagements } } } }`
	metrics := func(s *stack) string {
		resp, err := http.Get(s.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	matching := newStack(t, []string{"-contract", file}, aspiretest.WithWire(w), aspiretest.WithSizes(aspiretest.SmallSizes))
	if r := matching.query(t, q, oct); len(r.Errors) > 0 || strings.Contains(string(r.Data), `"tmv":null`) {
		t.Fatalf("%s", r.body)
	}
	if m := metrics(matching); strings.Contains(m, "aspire_contract_drift_total{") {
		t.Fatalf("drift against the matching contract:\n%s", m)
	}
	var now atomic.Int64 // the sampler sees tmv carried, then renamed: drift (absent from the start would not be)
	drifted := clockedStack(t, &now, []string{"-contract", file}, aspiretest.WithWire(w))
	drifted.query(t, q, oct)
	drifted.sim.SetDrift(map[string]string{"total_media_value": "tmv_usd"})
	now.Add(int64(time.Hour))
	if r := drifted.query(t, q, oct); len(r.Errors) != 5 || !strings.Contains(string(r.Data), `"tmv":null`) ||
		!strings.Contains(r.Errors[0].Message, "no longer sends metrics.tmv") || r.Errors[0].Path[4] != "tmv" {
		t.Fatalf("%s", r.body)
	}
	m := metrics(drifted)
	for _, want := range []string{
		`aspire_contract_drift_total{endpoint="/v1/posts",field="items[].metrics.total_media_value",kind="missing"} 1`,
		`aspire_contract_drift_total{endpoint="/v1/posts",field="items[].metrics.tmv_usd",kind="unknown"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestCountingPastTheBudget: without totals, counting that would pass the
// operation's upstream budget leaves totalCount null with
// OPERATION_LIMIT_EXCEEDED at its path; the nodes come back.
func TestCountingPastTheBudget(t *testing.T) {
	t.Parallel()
	w := aspiretest.Profiles["array-camel-xapikey"]()
	file := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(file, w.Contract.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	// October has 840 posts: the page of 3, then counting needs 2 more calls.
	s := newStack(t, []string{"-contract", file, "-upstream-budget", "2"}, aspiretest.WithWire(w))
	r := s.query(t, `query($r: DateRangeInput!) { posts(range: $r, first: 3) { totalCount pageInfo { hasNextPage } nodes { id } } }`, oct)
	var d struct {
		Posts struct {
			TotalCount *int
			PageInfo   struct{ HasNextPage bool }
			Nodes      []struct{ ID string }
		}
	}
	if err := json.Unmarshal(r.Data, &d); err != nil || d.Posts.TotalCount != nil || len(d.Posts.Nodes) != 3 || !d.Posts.PageInfo.HasNextPage {
		t.Fatalf("%v: %s", err, r.body)
	}
	if len(r.Errors) != 1 || r.code() != "OPERATION_LIMIT_EXCEEDED" || len(r.Errors[0].Path) != 2 || r.Errors[0].Path[1] != "totalCount" {
		t.Fatalf("errors: %s", r.body)
	}
	if got := s.sim.Count(""); got != 2 {
		t.Fatalf("%d upstream requests, want 2 (the budget)", got)
	}
}
