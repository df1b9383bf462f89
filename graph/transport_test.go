package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// TestTransportsAnswerAsGqlgens: the POST and GET transports that write the
// data as is answer every request with the status, headers and bytes of
// gqlgen's own transports, over both media types, before and after
// execution; and executed answers do take the streamed path.
func TestTransportsAnswerAsGqlgens(t *testing.T) {
	client := func(opts ...aspiretest.Option) *aspire.Client {
		up := httptest.NewServer(aspiretest.New(append([]aspiretest.Option{aspiretest.WithRateLimit(0, 0)}, opts...)...))
		t.Cleanup(up.Close)
		c, err := aspire.New(up.URL, withEndpoints, aspire.WithRetry(0, time.Millisecond, time.Millisecond), aspire.WithRateLimit(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	healthy := client()
	// Members cannot be read: posts answer, their member fields fail.
	faulty := client(aspiretest.WithFault(aspiretest.Fault{Endpoint: "/v1/members", Status: http.StatusNotFound}))

	cfg := graph.HandlerConfig{Introspection: true, Limits: graph.DefaultLimits}
	var writes atomic.Int64 // the Write calls of the last answer
	serve := func(h http.Handler, c *aspire.Client) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writes.Store(0)
			h.ServeHTTP(countWrites{w, &writes}, r.WithContext(loaders.With(r.Context(), c.As(demo))))
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	gqlgen := graph.NewGqlgenHandler(cfg)
	raw := graph.NewHandler(cfg)
	servers := map[bool][2]string{ // faulty → gqlgen's, ours
		false: {serve(gqlgen, healthy), serve(raw, healthy)},
		true:  {serve(gqlgen, faulty), serve(raw, faulty)},
	}

	const (
		w1      = allocsW1
		jan     = `{"r":{"start":"2026-01-01","end":"2026-01-31"}}`
		groups  = `{ groups(first: 50) { nodes { id name } } }` // "Food & Drink": escaped as \u0026
		empty   = `{ posts(range: {start: "2001-01-01", end: "2001-01-31"}, first: 5) { nodes { id } } }`
		twoOps  = `query A { projects(first: 1) { nodes { id } } } query B { groups(first: 1) { nodes { id } } }`
		deferOp = `query($r: DateRangeInput!) { posts(range: $r, first: 3) { nodes { id ... @defer { caption } } } }`
	)
	hash := func(q string) string { s := sha256.Sum256([]byte(q)); return hex.EncodeToString(s[:]) }
	apq := func(q, h string) string {
		return `{"persistedQuery":{"version":1,"sha256Hash":"` + h + `"}}`
	}
	post := func(query, vars, opName, ext string) string {
		m := map[string]json.RawMessage{}
		if query != "" {
			m["query"], _ = json.Marshal(query)
		}
		if vars != "" {
			m["variables"] = json.RawMessage(vars)
		}
		if opName != "" {
			m["operationName"], _ = json.Marshal(opName)
		}
		if ext != "" {
			m["extensions"] = json.RawMessage(ext)
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	get := func(query, vars, opName string) string {
		q := url.Values{"query": {query}}
		if vars != "" {
			q.Set("variables", vars)
		}
		if opName != "" {
			q.Set("operationName", opName)
		}
		return q.Encode()
	}
	type request struct {
		name     string
		method   string // POST (body) or GET (query string)
		payload  string
		faulty   bool
		executed bool // the answer holds data: ours is streamed
	}
	cases := []request{
		{"success", "POST", post(w1, jan, "", ""), false, true},
		{"escaped data", "POST", post(groups, "", "", ""), false, true},
		{"hint extensions", "POST", post(empty, "", "", ""), false, true},
		{"field errors with partial data", "POST", post(w1, jan, "", ""), true, true},
		{"@defer (not in the served schema: refused)", "POST", post(deferOp, jan, "", ""), false, false},
		{"introspection", "POST", post(`{ __schema { queryType { name } } }`, "", "", ""), false, true},
		{"named operation", "POST", post(twoOps, "", "B", ""), false, true},
		{"unknown operationName", "POST", post(twoOps, "", "C", ""), false, false},
		{"no operationName for two", "POST", post(twoOps, "", "", ""), false, false},
		{"validation error", "POST", post(`{ posts { nope } }`, "", "", ""), false, false},
		{"parse error", "POST", post(`{ posts(`, "", "", ""), false, false},
		{"missing variable", "POST", post(w1, "", "", ""), false, false},
		{"variable of the wrong type", "POST", post(w1, `{"r":5}`, "", ""), false, false},
		{"argument error in execution", "POST", post(w1, `{"r":{"start":"January","end":"2026-01-31"}}`, "", ""), false, true},
		{"over the limits", "POST", post(`{ posts(range: {start: "2026-01-01", end: "2026-01-31"}, first: 500) { nodes { member { posts(range: {start: "2026-01-01", end: "2026-01-31"}, first: 500) { nodes { member { posts(range: {start: "2026-01-01", end: "2026-01-31"}, first: 500) { nodes { id } } } } } } } } }`, "", "", ""), false, false},
		{"no query", "POST", `{}`, false, false},
		{"body not JSON", "POST", `{"query":`, false, false},
		{"APQ unknown hash", "POST", post("", "", "", apq(groups, hash(groups))), false, false},
		{"APQ registered", "POST", post(groups, "", "", apq(groups, hash(groups))), false, true},
		{"APQ hit", "POST", post("", "", "", apq(groups, hash(groups))), false, true},
		{"APQ hash not the query's", "POST", post(groups, "", "", apq(groups, hash(empty))), false, false},
		{"GET success", "GET", get(w1, jan, ""), false, true},
		{"GET named operation", "GET", get(twoOps, "", "A"), false, true},
		{"GET unknown operationName", "GET", get(twoOps, "", "C"), false, false},
		{"GET parse error", "GET", get(`{ posts(`, "", ""), false, false},
		{"GET mutation", "GET", get(`mutation { x }`, "", ""), false, false},
		{"GET variables not JSON", "GET", get(w1, `{"r":`, ""), false, false},
		{"GET query string not URL encoding", "GET", "query=%zz", false, false},
	}
	accepts := []string{"", "application/json", "application/graphql-response+json", "*/*", "application/graphql-response+json, application/json;q=0.9", "text/html"}

	do := func(base string, rq request, accept string) (*http.Response, []byte, int64) {
		var req *http.Request
		if rq.method == "GET" {
			req, _ = http.NewRequest(http.MethodGet, base+"/graphql?"+rq.payload, nil)
		} else {
			req, _ = http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(rq.payload))
			req.Header.Set("Content-Type", "application/json")
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Header.Del("Date")
		return resp, body, writes.Load()
	}
	for _, rq := range cases {
		for _, accept := range accepts {
			srv := servers[rq.faulty]
			want, wantBody, _ := do(srv[0], rq, accept)
			got, gotBody, n := do(srv[1], rq, accept)
			where := rq.name + ", Accept " + accept
			if got.StatusCode != want.StatusCode || !equalHeader(got.Header, want.Header) ||
				got.ContentLength != want.ContentLength || !bytes.Equal(gotBody, wantBody) {
				t.Errorf("%s:\n gqlgen %d %v %.600s\n   ours %d %v %.600s", where,
					want.StatusCode, want.Header, wantBody, got.StatusCode, got.Header, gotBody)
			}
			if streamed := n == 3; streamed != rq.executed {
				t.Errorf("%s: answered in %d writes, streamed %v, want %v: %.300s", where, n, streamed, rq.executed, gotBody)
			}
		}
	}
	// The table covers what it says it does.
	for _, must := range []struct{ name, holds string }{
		{"escaped data", `Food \u0026 Drink`},
		{"hint extensions", `"extensions":{"hint:`},
		{"field errors with partial data", `"errors":[`},
		{"field errors with partial data", `"data":{"posts":{"nodes":[{"id"`},
	} {
		for _, rq := range cases {
			if rq.name == must.name {
				if _, body, _ := do(servers[rq.faulty][1], rq, ""); !bytes.Contains(body, []byte(must.holds)) {
					t.Errorf("%s: answer lacks %s: %.600s", rq.name, must.holds, body)
				}
			}
		}
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\n") != strings.Join(b[k], "\n") {
			return false
		}
	}
	return true
}

// countWrites counts the Write calls of an answer.
type countWrites struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countWrites) Write(b []byte) (int, error) {
	w.n.Add(1)
	return w.ResponseWriter.Write(b)
}
