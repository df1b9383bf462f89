package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/server"
)

const introspection = `{ __schema { queryType { name } } }`

// TestPassthroughPlaygroundPlaceholders: the passthrough playground's
// config says which headers to fill and pre-fills them with placeholders;
// a placeholder is refused by the server, as "fill in", with no upstream
// call (the simulator's log stays empty), for GraphQL and the SDL alike.
// Introspection stays for callers with a key Aspire accepts: without one
// it is refused (docs/security.md), with one it costs exactly 1 call.
func TestPassthroughPlaygroundPlaceholders(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))

	js := string(s.send(t, http.MethodGet, "/config.js", nil, nil).body)
	cfg := strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(js, "window.ASPIRE_PLAYGROUND = ")), ";")
	var pc struct {
		Headers, Notice, Tools string
		Tabs                   []struct{ Query, Variables string }
	}
	if err := json.Unmarshal([]byte(cfg), &pc); err != nil {
		t.Fatalf("config.js: %v\n%s", err, js)
	}
	var headers map[string]string
	if err := json.Unmarshal([]byte(pc.Headers), &headers); err != nil {
		t.Fatal(err)
	}
	if headers["Authorization"] != "Bearer "+server.PlaceholderKey || headers[server.HeaderClientID] != server.PlaceholderClientID {
		t.Fatalf("headers %q", headers)
	}
	if !has(pc.Notice, "Authorization", server.HeaderClientID, "Headers") || pc.Tools != "headers" {
		t.Fatalf("notice %q, tools %q", pc.Notice, pc.Tools)
	}

	// The report tab asks for one of the caller's project ids.
	if len(pc.Tabs) != 2 || !has(pc.Tabs[1].Query, "query CampaignReport") || !has(pc.Tabs[1].Variables, `"id": ""`, "{ projects(first: 10) { nodes { id name } } }") {
		t.Fatalf("tabs %+v", pc.Tabs)
	}

	for _, c := range []struct {
		name    string
		headers map[string]string
		status  int
		code    string
		msg     string
	}{
		{"both placeholders", headers, 401, "UNAUTHENTICATED", "fill in your Aspire API key"},
		{"key placeholder", map[string]string{"Authorization": "Bearer " + server.PlaceholderKey, server.HeaderClientID: aspiretest.DemoClientID}, 401, "UNAUTHENTICATED", "fill in your Aspire API key"},
		{"client id placeholder", map[string]string{"Authorization": "Bearer " + aspiretest.DemoKey, server.HeaderClientID: server.PlaceholderClientID}, 400, "BAD_USER_INPUT", "fill in your workspace's client id"},
		{"no key", map[string]string{server.HeaderClientID: aspiretest.DemoClientID}, 401, "UNAUTHENTICATED", "send your Aspire API key"},
	} {
		r := s.queryAs(t, c.headers, introspection, nil)
		if r.status != c.status || r.code() != c.code || !strings.Contains(r.Errors[0].Message, c.msg) {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
		}
		if strings.Contains(string(r.body), aspiretest.DemoKey) {
			t.Errorf("%s: the answer quotes the key: %s", c.name, r.body)
		}
		if sdl := s.send(t, http.MethodGet, "/schema.graphql", nil, c.headers); sdl.status != c.status {
			t.Errorf("%s: GET /schema.graphql %d %s", c.name, sdl.status, sdl.body)
		}
	}
	if got := s.sim.Requests(); len(got) != 0 {
		t.Fatalf("placeholders reached the upstream: %d requests %+v", len(got), got)
	}

	// Filled in: the schema loads, after one upstream call that checks the key.
	r := s.queryAs(t, demoHeaders, introspection, nil)
	if r.status != 200 || !strings.Contains(string(r.Data), `"Query"`) {
		t.Fatalf("introspection with a key: %d %s", r.status, r.body)
	}
	if got := s.sim.Requests(); len(got) != 1 || got[0].Key != "demo" {
		t.Fatalf("introspection with a key made %d upstream requests, want 1 with the demo key: %+v", len(got), got)
	}
}
