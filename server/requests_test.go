package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// TestMalformedRequestsAreClientErrors sends every kind of malformed
// request a client can make and checks each gets a 4xx (or the APQ
// protocol's own answer) with a code of the BAD_REQUEST class, no "data"
// entry, and no error-level log line.
func TestMalformedRequestsAreClientErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	const doc = `{ projects { totalCount } }`
	sum := sha256.Sum256([]byte(doc))
	hash := hex.EncodeToString(sum[:])
	other := strings.Repeat("ab", 32)
	pq := func(version, hash string) string {
		return `{"persistedQuery":{"version":` + version + `,"sha256Hash":"` + hash + `"}}`
	}
	cases := []struct {
		name, method, body, query string // body for POST, query string for GET
		status                    int
		code, message             string
	}{
		{"no query", "POST", `{"qeury": "{ __typename }"}`, "", 400, "BAD_REQUEST", "the request has no query"},
		{"query empty", "POST", `{"query": ""}`, "", 400, "BAD_REQUEST", "the request has no query"},
		{"GET no query", "GET", "", "variables=%7B%7D", 400, "BAD_REQUEST", "the request has no query"},
		{"query a number", "POST", `{"query": 1}`, "", 400, "BAD_REQUEST", "query must be a string"},
		{"query an object", "POST", `{"query": {"a": 1}}`, "", 400, "BAD_REQUEST", "not an object"},
		{"variables a string", "POST", `{"query": "` + doc + `", "variables": "{}"}`, "", 400, "BAD_REQUEST", "variables must be a JSON object"},
		{"variables an array", "POST", `{"query": "` + doc + `", "variables": []}`, "", 400, "BAD_REQUEST", "not an array"},
		{"operationName a number", "POST", `{"query": "` + doc + `", "operationName": 1}`, "", 400, "BAD_REQUEST", "operationName must be a string"},
		{"extensions a string", "POST", `{"query": "` + doc + `", "extensions": "x"}`, "", 400, "BAD_REQUEST", "extensions must be a JSON object"},
		{"extensions an array", "POST", `{"query": "` + doc + `", "extensions": [1]}`, "", 400, "BAD_REQUEST", "extensions must be a JSON object"},
		{"persistedQuery a string", "POST", `{"query": "` + doc + `", "extensions": {"persistedQuery": "x"}}`, "", 400, "BAD_REQUEST", "persistedQuery must be an object"},
		{"APQ hash mismatch", "POST", `{"query": "` + doc + `", "extensions": ` + pq("1", other) + `}`, "", 400, "BAD_REQUEST", "not the SHA-256 of the query"},
		{"APQ hash malformed", "POST", `{"extensions": ` + pq("1", "xyz") + `}`, "", 400, "BAD_REQUEST", "64 lowercase hex"},
		{"APQ version 2", "POST", `{"query": "` + doc + `", "extensions": ` + pq("2", hash) + `}`, "", 400, "PERSISTED_QUERY_NOT_SUPPORTED", "version 2 is not supported"},
		{"APQ no version", "POST", `{"extensions": {"persistedQuery": {"sha256Hash": "` + hash + `"}}}`, "", 400, "PERSISTED_QUERY_NOT_SUPPORTED", "version null"},
		{"APQ unknown hash", "POST", `{"extensions": ` + pq("1", other) + `}`, "", 200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound"},
		{"unknown operation name", "POST", `{"query": "query A { projects { totalCount } }", "operationName": "B"}`, "", 400, "BAD_REQUEST", `no operation named "B"`},
		{"GET variables an array", "GET", "", "query=" + url.QueryEscape(doc) + "&variables=" + url.QueryEscape("[1]"), 400, "BAD_REQUEST", "variables must be a JSON object"},
		{"GET variables not JSON", "GET", "", "query=" + url.QueryEscape(doc) + "&variables=" + url.QueryEscape("{a"), 400, "BAD_REQUEST", "not valid JSON"},
		{"GET extensions a number", "GET", "", "query=" + url.QueryEscape(doc) + "&extensions=3", 400, "BAD_REQUEST", "extensions must be a JSON object"},
		{"GET APQ hash mismatch", "GET", "", "query=" + url.QueryEscape(doc) + "&extensions=" + url.QueryEscape(pq("1", other)), 400, "BAD_REQUEST", "not the SHA-256"},
		{"GET bad URL encoding", "GET", "", "query=" + url.QueryEscape(doc) + "&variables=%zz", 400, "BAD_REQUEST", "not valid URL encoding"},
		{"GET unknown operation name", "GET", "", "query=" + url.QueryEscape("query A { projects { totalCount } }") + "&operationName=B", 400, "BAD_REQUEST", `no operation named "B"`},
	}
	for _, tc := range cases {
		for _, accept := range []string{"application/json", "application/graphql-response+json"} {
			t.Run(tc.name+" "+accept, func(t *testing.T) {
				h := map[string]string{"Accept": accept}
				for k, v := range demoHeaders {
					h[k] = v
				}
				var body io.Reader
				target := "/graphql"
				if tc.method == "POST" {
					h["Content-Type"] = "application/json"
					body = strings.NewReader(tc.body)
				} else {
					target += "?" + tc.query
				}
				r := s.send(t, tc.method, target, body, h)
				if r.status != tc.status || r.code() != tc.code || !strings.Contains(r.Errors[0].Message, tc.message) {
					t.Fatalf("got %d %v, want %d %s with %q: %s", r.status, r.code(), tc.status, tc.code, tc.message, r.body)
				}
				if strings.Contains(string(r.body), `"data"`) {
					t.Fatalf("a request refused before execution has a data entry: %s", r.body)
				}
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, accept) {
					t.Fatalf("Content-Type %q, want %q", ct, accept)
				}
			})
		}
	}
	if logs := s.logs.String(); strings.Contains(logs, `"level":"error"`) || strings.Contains(logs, "panic") {
		t.Fatalf("a client mistake was logged as an error:\n%s", logs)
	}
}

// TestAPQIsObservable registers a query, runs it by hash, misses and
// mismatches, and reads the counts and the access lines.
func TestAPQIsObservable(t *testing.T) {
	t.Parallel()
	// The whole-response cache off: each request reaches the APQ store.
	s := newStack(t, []string{"-response-cache-ttl", "0"}, aspiretest.WithSizes(aspiretest.SmallSizes))
	const doc = `{ projects { totalCount } }`
	sum := sha256.Sum256([]byte(doc))
	hash := hex.EncodeToString(sum[:])
	post := func(body string) reply {
		h := map[string]string{"Content-Type": "application/json"}
		for k, v := range demoHeaders {
			h[k] = v
		}
		return s.send(t, http.MethodPost, "/graphql", strings.NewReader(body), h)
	}
	ext := `"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "` + hash + `"}}`
	if r := post(`{` + ext + `}`); r.code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash: %s", r.body)
	}
	if r := post(`{"query": "` + doc + `", ` + ext + `}`); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "totalCount") {
		t.Fatalf("register: %s", r.body)
	}
	for range 2 {
		if r := post(`{` + ext + `}`); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "totalCount") {
			t.Fatalf("by hash: %s", r.body)
		}
	}
	if r := post(`{"query": "{ __typename }", ` + ext + `}`); r.code() != "BAD_REQUEST" {
		t.Fatalf("mismatch: %s", r.body)
	}
	if r := post(`{"query": "` + doc + `"}`); len(r.Errors) > 0 {
		t.Fatalf("plain: %s", r.body)
	}
	// Apollo's useGETForHashedQueries: the hash alone, over GET.
	get := s.send(t, http.MethodGet, "/graphql?extensions="+url.QueryEscape(`{"persistedQuery":{"version":1,"sha256Hash":"`+hash+`"}}`), nil, demoHeaders)
	if get.status != 200 || len(get.Errors) > 0 || !strings.Contains(string(get.Data), "totalCount") {
		t.Fatalf("by hash over GET: %d %s", get.status, get.body)
	}
	_, metrics, _ := s.do(t, http.MethodGet, "/metrics", nil, nil)
	for _, want := range []string{
		`aspire_apq_requests_total{result="hit"} 3`, `aspire_apq_requests_total{result="miss"} 1`,
		`aspire_apq_requests_total{result="registered"} 1`, `aspire_apq_requests_total{result="mismatch"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	var apq []string
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(line, `"route":"/graphql"`) {
			_, v, _ := strings.Cut(line, `"apq":"`)
			v, _, _ = strings.Cut(v, `"`)
			apq = append(apq, v)
		}
	}
	if got, want := strings.Join(apq, ","), "miss,registered,hit,hit,mismatch,,hit"; got != want {
		t.Errorf("access lines' apq: got %s, want %s", got, want)
	}
}

// TestIntrospectionIsNotLimitedByDepth runs graphql-js's standard
// introspection query (getIntrospectionQuery with every option, graphql
// 16.15.0: type depth 9, over the default depth limit of 12 by 3) with the
// default limits, and checks introspection stays bounded: a query that
// nests introspection lists 3 deep is refused, and so are too many aliases
// inside introspection, while the depth limit still holds elsewhere.
func TestIntrospectionIsNotLimitedByDepth(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	std, err := os.ReadFile("testdata/introspection-graphql-js.graphql")
	if err != nil {
		t.Fatal(err)
	}
	r := s.query(t, string(std), nil)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"queryType":{"name":"Query"`) {
		t.Fatalf("the standard introspection query: %.500s", r.body)
	}
	for _, want := range []string{`"name":"Post"`, `"name":"Member"`, `"specifiedByURL"`, `"isOneOf"`, `"isRepeatable"`} {
		if !strings.Contains(string(r.Data), want) {
			t.Errorf("the introspection answer lacks %s", want)
		}
	}
	exponential := `{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`
	if r := s.query(t, exponential, nil); r.code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(r.Errors[0].Message, "introspection depth") {
		t.Fatalf("introspection lists nested 3 deep: %s", r.body)
	}
	if r := s.query(t, `{ __schema { types { fields { type { fields { name } } } } } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("introspection lists nested 2 deep are allowed: %s", r.body)
	}
	aliases := "{ __schema {"
	for i := range 31 {
		aliases += fmt.Sprintf(" t%d: types { name }", i)
	}
	if r := s.query(t, aliases+" } }", nil); r.code() != "OPERATION_LIMIT_EXCEEDED" || r.Errors[0].Extensions["limit"] != "max-aliases" {
		t.Fatalf("31 aliases inside introspection: %s", r.body)
	}
	deep := `query($r: DateRangeInput!) { posts(range: $r) { nodes { member { projects { members(range: $r) { nodes { groups { members(range: $r) { nodes { projects { posts(range: $r) { nodes { member { name } } } } } } } } } } } } } }`
	if r := s.query(t, deep, oct); r.code() != "OPERATION_LIMIT_EXCEEDED" || r.Errors[0].Extensions["limit"] != "max-depth" {
		t.Fatalf("depth outside introspection: %s", r.body)
	}
}

// TestSchemaFile serves the SDL to whoever may introspect, and to nobody
// else.
func TestSchemaFile(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	r := s.send(t, http.MethodGet, "/schema.graphql", nil, demoHeaders)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/graphql") ||
		!strings.Contains(string(r.body), "type Query {") || !strings.Contains(string(r.body), "Posts published on these days") {
		t.Fatalf("with a good key: %d %.300s", r.status, r.body)
	}
	bad := map[string]string{"Authorization": "Bearer not-a-key-000", "X-Aspire-Client-Id": aspiretest.DemoClientID}
	if r := s.send(t, http.MethodGet, "/schema.graphql", nil, bad); r.status != 401 || strings.Contains(string(r.body), "type Query") {
		t.Fatalf("with a bad key: %d %.300s", r.status, r.body)
	}
	if r := s.send(t, http.MethodGet, "/schema.graphql", nil, nil); r.status != 401 {
		t.Fatalf("with no key: %d %.300s", r.status, r.body)
	}
	off := newStack(t, []string{"-introspection=false"}, aspiretest.WithSizes(aspiretest.SmallSizes))
	if r := off.send(t, http.MethodGet, "/schema.graphql", nil, demoHeaders); r.status != 404 || strings.Contains(string(r.body), "type Query") {
		t.Fatalf("introspection off: %d %.300s", r.status, r.body)
	}
}

// TestNoSubscriptionsSaidPlainly: a graphql-ws (WebSocket) or graphql-sse
// (text/event-stream) attempt is told the server has no subscriptions and
// what to use instead, with BAD_REQUEST; @defer is not advertised and a
// query using it is refused rather than answered as if it were not there.
func TestNoSubscriptionsSaidPlainly(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range demoHeaders {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	sub := strings.NewReader(`{"query": "subscription { posts { id } }"}`)
	for _, c := range []struct {
		name    string
		method  string
		body    io.Reader
		headers map[string]string
		status  int
	}{
		{"graphql-transport-ws", "GET", nil, with(map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
			"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "graphql-transport-ws"}), 400},
		{"graphql-sse", "POST", sub, with(map[string]string{"Content-Type": "application/json", "Accept": "text/event-stream"}), 406},
		{"graphql-sse reservation", "PUT", nil, with(map[string]string{"Accept": "text/event-stream"}), 406},
	} {
		r := s.send(t, c.method, "/graphql", c.body, c.headers)
		if r.status != c.status || !strings.Contains(string(r.body), "BAD_REQUEST") ||
			!strings.Contains(string(r.body), "this server has no subscriptions") || !strings.Contains(string(r.body), "/export/posts.csv") {
			t.Errorf("%s: %d %s, want %d BAD_REQUEST saying there are no subscriptions", c.name, r.status, r.body, c.status)
		}
	}

	r := s.send(t, "POST", "/graphql", strings.NewReader(`{"query": "{ __schema { directives { name } } }"}`), with(map[string]string{"Content-Type": "application/json"}))
	if r.status != 200 || !strings.Contains(string(r.body), `"name":"skip"`) || strings.Contains(string(r.body), `"defer"`) {
		t.Errorf("introspected directives: %d %s, want skip and no defer", r.status, r.body)
	}
	r = s.send(t, "POST", "/graphql", strings.NewReader(`{"query": "{ projects { nodes { id ... @defer { name } } } }"}`), with(map[string]string{"Content-Type": "application/json"}))
	if !strings.Contains(string(r.body), `Unknown directive \"@defer\"`) || strings.Contains(string(r.body), `"data":{`) {
		t.Errorf("a deferred query: %d %s, want refused (unknown directive)", r.status, r.body)
	}
}

// TestFaviconIsNotAnError: the browser's /favicon.ico gets 204, cached.
func TestFaviconIsNotAnError(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	r := s.send(t, "GET", "/favicon.ico", nil, nil)
	if r.status != http.StatusNoContent || r.header.Get("Cache-Control") == "" {
		t.Fatalf("/favicon.ico: %d %v", r.status, r.header)
	}
}
