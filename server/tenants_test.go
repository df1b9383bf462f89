package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

var otherHeaders = map[string]string{"Authorization": "Bearer " + aspiretest.OtherKey, "X-Aspire-Client-Id": aspiretest.OtherClientID}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	q, ranges := aspiretest.IsolationQuery, aspiretest.IsolationRanges
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			h, ws := demoHeaders, 0
			if i%2 == 1 {
				h, ws = otherHeaders, 1
			}
			r := s.queryAs(t, h, q, ranges[i%len(ranges)])
			if len(r.Errors) > 0 {
				errs <- fmt.Errorf("request %d: %s", i, r.body)
				return
			}
			foreign, all := aspiretest.ForeignIDs(r.Data, ws)
			if all == 0 {
				errs <- fmt.Errorf("request %d: no ids in %s", i, r.Data)
			}
			if len(foreign) > 0 {
				errs <- fmt.Errorf("request %d of workspace %d got id %s of the other workspace", i, ws, foreign[0])
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// A key without read:social asks right after the demo key warmed the
	// same URLs: it gets no posts.
	scopeless := map[string]string{"Authorization": "Bearer " + aspiretest.DemoMemberOnlyKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}
	r := s.queryAs(t, scopeless, `query($r: DateRangeInput!) { posts(range: $r, first: 20) { nodes { id } } }`, ranges[0])
	if r.code() != "UNAUTHENTICATED" || strings.Contains(string(r.body), `"id":"1`) {
		t.Fatalf("a key without read:social: %s", r.body)
	}
	// A foreign workspace's key with the demo client id: forbidden, no data.
	foreign := map[string]string{"Authorization": "Bearer " + aspiretest.OtherKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}
	r = s.queryAs(t, foreign, `{ projects { nodes { id } } }`, nil)
	if r.code() != "FORBIDDEN" || strings.Contains(string(r.body), `"id":"1`) {
		t.Fatalf("a foreign key: %s", r.body)
	}
}

// canary is a key recognisable in any output.
const canary = "sk_live_CANARY_7f3e9a1c2b4d"

func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	s := newStack(t, []string{"-log-level", "debug", "-request-timeout", "2s", "-upstream-budget", "4"},
		aspiretest.WithSizes(aspiretest.SmallSizes),
		aspiretest.WithKey(aspiretest.Key{Name: "canary", Token: canary, ClientID: aspiretest.DemoClientID, Scopes: []string{"read:social", "read:member"}}))
	key := map[string]string{"Authorization": "Bearer " + canary, "X-Aspire-Client-Id": aspiretest.DemoClientID}
	var bodies []string
	ask := func(h map[string]string, q string) {
		r := s.queryAs(t, h, q, oct)
		bodies = append(bodies, string(r.body))
	}
	const q = `query($r: DateRangeInput!) { posts(range: $r, first: 3) { nodes { id member { name } } } }`
	ask(key, q)                                                                                                         // success
	ask(map[string]string{"Authorization": "Bearer " + canary + "x", "X-Aspire-Client-Id": aspiretest.DemoClientID}, q) // 401
	ask(map[string]string{"Authorization": "Bearer " + canary, "X-Aspire-Client-Id": aspiretest.OtherClientID}, q)      // 403
	ask(map[string]string{"Authorization": "Bearer " + canary}, q)                                                      // no client id
	ask(map[string]string{"Authorization": canary, "X-Aspire-Client-Id": aspiretest.DemoClientID}, q)                   // no Bearer
	ask(key, `{ post(id: "1,2") { id } nope }`)                                                                         // bad input
	for _, f := range []aspiretest.Fault{
		{Status: 429, RetryAfter: 30 * time.Second}, {Status: 503}, {Status: 400}, {Reset: true},
	} {
		s.sim.ClearFaults()
		s.sim.Inject(f)
		ask(key, `query($r: DateRangeInput!) { posts(range: $r, first: 2, filter: {networks: [TIKTOK]}) { nodes { id } } }`)
	}
	s.sim.ClearFaults()
	s.sim.SetLatency(3*time.Second, 0)
	ask(key, `{ groups { totalCount } }`) // deadline
	s.sim.SetLatency(0, 0)
	ask(key, `{ a: posts(range: {start: "2025-01-01", end: "2025-01-31"}) { totalCount } b: posts(range: {start: "2025-02-01", end: "2025-02-28"}) { totalCount }
		c: post(id: "12000001") { id } d: post(id: "12000009") { id } e: group(id: "10200001") { id } f: project(id: "10100001") { id } }`) // budget

	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var metrics strings.Builder
	_ = json.NewDecoder(resp.Body) // the body is text; read it whole
	buf := make([]byte, 1<<20)
	for {
		n, err := resp.Body.Read(buf)
		metrics.Write(buf[:n])
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	everything := strings.Join(bodies, "\n") + s.logs.String() + metrics.String()
	if strings.Contains(everything, "CANARY") {
		i := strings.Index(everything, "CANARY")
		t.Fatalf("the key leaked: …%s…", everything[max(0, i-200):min(len(everything), i+100)])
	}
	// The test must have walked the error paths it claims.
	for _, code := range []string{"UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "RATE_LIMITED", "UPSTREAM_UNAVAILABLE", "OPERATION_LIMIT_EXCEEDED"} {
		if !strings.Contains(everything, code) {
			t.Errorf("no %s answer: the path was not exercised", code)
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	preflight := func(s *stack, origin string) http.Header {
		req, _ := http.NewRequest(http.MethodOptions, s.url+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	none := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	if h := preflight(none, "https://evil.example"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("passthrough without cors-origins allowed %q", h.Get("Access-Control-Allow-Origin"))
	}
	listed := newStack(t, []string{"-cors-origins", "https://app.example.com"}, aspiretest.WithSizes(aspiretest.SmallSizes))
	h := preflight(listed, "https://app.example.com")
	if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Fatalf("a listed origin: %v", h)
	}
	if h.Get("Access-Control-Allow-Credentials") == "true" {
		t.Fatal("credentials allowed")
	}
	if h := preflight(listed, "https://evil.example"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("an unlisted origin was allowed: %v", h)
	}
	demo := newStack(t, []string{"-upstream-url", ""}, aspiretest.WithSizes(aspiretest.SmallSizes))
	if h := preflight(demo, "https://anywhere.example"); h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") == "true" {
		t.Fatalf("demo: %v", h)
	}
}
