package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// FuzzHandler throws random requests at the whole HTTP handler (over a real
// simulator): never a panic, never a 500, never past the deadline. The seed
// corpus (testdata/fuzz/FuzzHandler) holds real queries.
func FuzzHandler(f *testing.F) {
	for _, seed := range []struct{ method, body, query, vars, accept string }{
		{"POST", `{"query":"{ projects { totalCount nodes { id name } } }"}`, "", "", ""},
		{"POST", `{"query":"query($r: DateRangeInput!) { posts(range: $r, first: 5) { nodes { id member { name } } } }","variables":{"r":{"start":"2026-01-01","end":"2026-01-31"}}}`, "", "", "application/graphql-response+json"},
		{"GET", "", "{ groups { totalCount } }", "", "*/*"},
		{"GET", "", "query($id: ID!) { member(id: $id) { name projects { name } } }", `{"id":"11000001"}`, ""},
		{"POST", `[{"query":"{ __typename }"}]`, "", "", ""},
		{"POST", `{"query":"{ posts(range: {start: \"2026-02-30\", end: \"x\"}) { totalCount } }"}`, "", "", ""},
	} {
		f.Add(seed.method, seed.body, seed.query, seed.vars, seed.accept)
	}
	// Fragment fan-outs: the fuzzer mutates levels, spreads and fields.
	for _, n := range [][2]int{{3, 10}, {8, 10}, {20, 3}} {
		b, _ := json.Marshal(map[string]string{"query": fanOut(n[0], n[1])})
		f.Add("POST", string(b), "", "", "")
		f.Add("GET", "", fanOut(n[0], n[1]), "", "")
	}
	s := newStack(f, []string{"-request-timeout", "3s", "-upstream-budget", "10"}, aspiretest.WithSizes(aspiretest.SmallSizes))
	f.Fuzz(func(t *testing.T, method, body, query, vars, accept string) {
		target := "/graphql"
		if method != "POST" {
			method = "GET"
			target += "?query=" + url.QueryEscape(query) + "&variables=" + url.QueryEscape(vars)
		}
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req = req.WithContext(ctx)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+aspiretest.DemoKey)
		req.Header.Set("X-Aspire-Client-Id", aspiretest.DemoClientID)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(mustRequest(t, s.url, req))
		if err != nil && strings.Contains(err.Error(), "invalid header field") {
			return // Go's client will not send it; no server sees such a request from it
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %q body %q: HTTP %d", method, target, body, resp.StatusCode)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}

// mustRequest re-targets an httptest request at the live server.
func mustRequest(t *testing.T, base string, r *http.Request) *http.Request {
	u, err := url.Parse(base + r.URL.RequestURI())
	if err != nil {
		t.Skip("unparseable target")
	}
	out := r.Clone(r.Context())
	out.URL, out.Host, out.RequestURI = u, u.Host, ""
	return out
}
