package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// renameLast is an upstream in front of the simulator that sends one
// project id of the demo workspace with two names: in every /v1/members
// listing, the last member carrying project x names it "Zeta (renamed)";
// the others keep the simulator's name.
type renameLast struct {
	sim http.Handler
	mu  sync.Mutex
	x   string // the project renamed; the first one a demo listing carries
}

func (u *renameLast) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	u.sim.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if strings.HasSuffix(r.URL.Path, "/members") && rec.Code == http.StatusOK {
		body = u.rename(body)
	}
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	w.Write(body)
}

func (u *renameLast) rename(body []byte) []byte {
	var page map[string]any
	if json.Unmarshal(body, &page) != nil {
		return body
	}
	rows, _ := page["data"].([]any)
	u.mu.Lock()
	defer u.mu.Unlock()
	var last map[string]any // the embedded project x of the last member carrying it
	for _, row := range rows {
		m, _ := row.(map[string]any)
		if id, _ := m["id"].(string); !strings.HasPrefix(id, "1") {
			continue // not the demo workspace
		}
		ps, _ := m["projects"].([]any)
		for _, p := range ps {
			p, _ := p.(map[string]any)
			id, _ := p["id"].(string)
			if u.x == "" {
				u.x = id
			}
			if id == u.x {
				last = p
			}
		}
	}
	if last == nil {
		return body
	}
	last["name"] = "Zeta (renamed)"
	b, err := json.Marshal(page)
	if err != nil {
		return body
	}
	return b
}

func (u *renameLast) project() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.x
}

// TestConflictingProjectNames: members naming one project id two ways
// (two-endpoints profile, no /v1/projects) answer the name most members
// send in projects, project(id) and Post.projects alike, whatever the
// member listed last says; the conflict is one drift event per listing,
// not per record; the exact upstream counts; and another tenant on the
// same client and cache sees its own projects only.
func TestConflictingProjectNames(t *testing.T) {
	t.Parallel()
	w := aspiretest.Profiles["two-endpoints"]()
	sim := aspiretest.New(aspiretest.WithRateLimit(0, 0), aspiretest.WithWire(w))
	u := &renameLast{sim: sim}
	up := httptest.NewServer(u)
	t.Cleanup(up.Close)
	var conflicts atomic.Int64
	c, err := aspire.New(up.URL, aspire.WithRetry(3, time.Millisecond, 5*time.Millisecond), aspire.WithRateLimit(0, 0), aspire.WithContract(w.Contract),
		aspire.WithObserver(func(_ context.Context, e aspire.Event) {
			if e.Kind == aspire.EventDrift && e.Drift == "conflict" && e.Field == "project_names" && e.Endpoint == "/v1/members" {
				conflicts.Add(1)
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	h := graph.NewHandler(graph.HandlerConfig{})
	serve := func(creds aspire.Creds) string {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(loaders.With(r.Context(), c.As(creds), loaders.WithWait(250*time.Millisecond))))
		}))
		t.Cleanup(ts.Close)
		return ts.URL
	}
	demoURL := serve(demo)
	otherURL := serve(aspire.Creds{APIKey: aspiretest.OtherKey, ClientID: aspiretest.OtherClientID})
	// ask runs a query and returns its data, the upstream calls and the
	// conflict events it cost.
	ask := func(url, query string, vars map[string]any, into any) (calls, events int, data []byte) {
		t.Helper()
		sim.Reset()
		before := conflicts.Load()
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		resp, err := http.Post(url, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			Data   json.RawMessage
			Errors []gqlError
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
			t.Fatalf("%v %+v", err, r.Errors)
		}
		if err := json.Unmarshal(r.Data, into); err != nil {
			t.Fatal(err)
		}
		return sim.Count(""), int(conflicts.Load() - before), r.Data
	}
	type proj struct {
		ID          string
		Name        *string
		MemberCount int
	}
	const listQ = `{ projects(first: 100) { nodes { id name memberCount } } }`
	var list struct{ Projects struct{ Nodes []proj } }
	calls, events, first := ask(demoURL, listQ, nil, &list)
	x := u.project()
	var want string
	for _, p := range list.Projects.Nodes {
		if p.ID == x {
			if p.MemberCount < 3 {
				t.Fatalf("project %s has %d members: too few for a majority", x, p.MemberCount)
			}
			if p.Name != nil {
				want = *p.Name
			}
		}
	}
	// The simulator's name, sent by all members of x but the last.
	if want == "" || want == "Zeta (renamed)" || calls != 1 || events != 1 {
		t.Fatalf("projects: %q for %s (want the majority's), %d upstream calls (want 1), %d conflicts (want 1): %s", want, x, calls, events, first)
	}
	// Cached pages, the same answer and again one conflict for the listing.
	if calls, events, again := ask(demoURL, listQ, nil, &list); calls != 0 || events != 1 || !bytes.Equal(again, first) {
		t.Fatalf("projects again: %d upstream calls (want 0), %d conflicts (want 1), %s, was %s", calls, events, again, first)
	}
	var one struct{ Project proj }
	if calls, events, _ := ask(demoURL, `query($id: ID!) { project(id: $id) { id name } }`, map[string]any{"id": x}, &one); calls != 0 || events != 1 || one.Project.Name == nil || *one.Project.Name != want {
		t.Fatalf("project(id): %+v, %d upstream calls (want 0), %d conflicts (want 1)", one.Project, calls, events)
	}
	var posts struct {
		Posts struct{ Nodes []struct{ Projects []proj } }
	}
	calls, events, _ = ask(demoURL, `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { projects { id name } } } }`, map[string]any{"r": q1}, &posts)
	seen := 0
	for _, n := range posts.Posts.Nodes {
		for _, p := range n.Projects {
			if p.ID == x {
				seen++
				if p.Name == nil || *p.Name != want {
					t.Fatalf("Post.projects names %s %v, want %q", x, p.Name, want)
				}
			}
		}
	}
	// One posts page; the members' listing is cached; one loader batch.
	if seen == 0 || calls != 1 || events != 1 {
		t.Fatalf("posts: %d posts in %s, %d upstream calls (want 1), %d conflicts (want 1)", seen, x, calls, events)
	}
	// The other workspace through the same client: its own listing (one
	// call, not the demo's cached page), its own ids, no conflict.
	calls, events, data := ask(otherURL, listQ, nil, &list)
	foreign, all := aspiretest.ForeignIDs(data, 1)
	if calls != 1 || events != 0 || all == 0 || len(foreign) > 0 || strings.Contains(string(data), "Zeta") {
		t.Fatalf("other tenant: %d upstream calls (want 1), %d conflicts (want 0), %d ids, foreign %v: %s", calls, events, all, foreign, data)
	}
}
