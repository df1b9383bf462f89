package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/redisstore/redistest"
)

// TestReplicasShareKeyRefusals: a key the Aspire API refused on one replica
// is refused by the others without asking again (a made-up key cost one
// upstream call per replica), and a refusal later than another replica's
// acceptance wins: a key revoked after replica A accepted it is refused on
// B instead of being served A's cached data there.
func TestReplicasShareKeyRefusals(t *testing.T) {
	t.Parallel()
	redis := redistest.Start(t)
	sim := aspiretest.New(aspiretest.WithRateLimit(0, 0), aspiretest.WithSizes(aspiretest.SmallSizes))
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	rs := startReplicas(t, 3, up.URL, "-redis-url", redis.URL(), "-redis-timeout", "1s", "-log-level", "warn", "-key-recheck", "10m")
	const q = `query($r: DateRangeInput!) { posts(range: $r, first: 5) { nodes { id } } }`
	refused := func(base string, headers map[string]string, vars map[string]any) {
		t.Helper()
		data, err := ask(base, q, vars, headers, nil)
		if err == nil || !strings.Contains(err.Error(), "UNAUTHENTICATED") || strings.Contains(string(data), `"id":"1`) {
			t.Fatalf("%s: %s %v, want UNAUTHENTICATED and no data", base, data, err)
		}
	}

	madeUp := map[string]string{"Authorization": "Bearer made-up-key", "X-Aspire-Client-Id": aspiretest.DemoClientID}
	sim.Reset()
	for _, r := range rs {
		refused(r.base, madeUp, october)
	}
	if got := sim.Count(""); got != 1 {
		t.Errorf("a made-up key through three replicas: %d upstream calls, want 1", got)
	}

	second := map[string]string{"Authorization": "Bearer " + aspiretest.DemoSecondKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}
	if _, err := ask(rs[0].base, q, october, second, nil); err != nil {
		t.Fatal(err)
	}
	sim.Revoke(aspiretest.DemoSecondKey)
	refused(rs[0].base, second, distinctRange(1)) // A meets the 401 on a call its caches cannot answer
	sim.Reset()
	refused(rs[1].base, second, october) // cached in Redis, and accepted before: refused all the same
	refused(rs[2].base, second, distinctRange(2))
	if got := sim.Count(""); got != 0 {
		t.Errorf("the revoked key on B and C: %d upstream calls, want 0", got)
	}
}
