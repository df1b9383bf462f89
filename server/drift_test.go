package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

func TestContractDriftIsSeenAndNeverCrashes(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	s.sim.SetDrift(map[string]string{"tmv": "total_media_value", "caption": ""})
	for range 2 {
		r := s.query(t, `query($r: DateRangeInput!) { posts(range: $r, first: 5) { nodes { id caption metrics { tmv engagements } } } }`, oct)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"tmv":null`) || !strings.Contains(string(r.Data), `"engagements":`) {
			t.Fatalf("%s", r.body)
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
