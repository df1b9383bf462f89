package aspire_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// TestClientIDInAHeader: under a contract that puts the client id in a
// header, every call carries it there and nowhere in the URL, and the
// simulator speaking that contract answers; a call without the header is
// refused with a 400 that names it, a client_id query parameter or not.
func TestClientIDInAHeader(t *testing.T) {
	t.Parallel()
	w := aspiretest.Profiles["header-client-id"]()
	var mu sync.Mutex
	var seen []*http.Request
	sim, cl := setup(t, []aspiretest.Option{aspiretest.WithWire(w)}, aspire.WithContract(w.Contract),
		aspire.WithTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			seen = append(seen, r)
			mu.Unlock()
			return http.DefaultTransport.RoundTrip(r)
		})))
	page, err := cl.As(demo).Posts(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: q1}, Limit: 5})
	if err != nil || len(page.Items) != 5 {
		t.Fatalf("%v, %+v", err, page)
	}
	if n := sim.Count(""); n != 1 || len(seen) != 1 {
		t.Fatalf("%d upstream requests (%d sent), want 1", n, len(seen))
	}
	r := seen[0]
	if got := r.Header.Get("X-Client-Id"); got != aspiretest.DemoClientID {
		t.Errorf("X-Client-Id %q, want %q", got, aspiretest.DemoClientID)
	}
	if strings.Contains(r.URL.String(), aspiretest.DemoClientID) || r.URL.Query().Has("client_id") {
		t.Errorf("the client id is in the URL too: %s", r.URL)
	}

	// The simulator as the real API: the header or nothing.
	ts := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(small), aspiretest.WithWire(w)))
	t.Cleanup(ts.Close)
	for _, tc := range []struct {
		name, query, header string
		status              int
	}{
		{"no client id", "", "", http.StatusBadRequest},
		{"client id in the query only", "&client_id=" + aspiretest.DemoClientID, "", http.StatusBadRequest},
		{"client id in the header", "", aspiretest.DemoClientID, http.StatusOK},
		{"another workspace's in the header", "", aspiretest.OtherClientID, http.StatusForbidden},
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1/projects?limit=1"+tc.query, nil)
		req.Header.Set("Authorization", "Bearer "+aspiretest.DemoKey)
		if tc.header != "" {
			req.Header.Set("X-Client-Id", tc.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: HTTP %d %s, want %d", tc.name, resp.StatusCode, b, tc.status)
		}
		var eb struct{ Error struct{ Message string } }
		if tc.status == http.StatusBadRequest && (json.Unmarshal(b, &eb) != nil || eb.Error.Message != "client id is required in the X-Client-Id header") {
			t.Errorf("%s: %s, want the refusal to name the header", tc.name, b)
		}
	}
}

// TestClientIDInAHeaderCachesPerWorkspace: with the client id out of the
// URL, two client ids calling with one key still get their own answers
// from the cache and from in-flight de-duplication, whose keys start with
// the tenant's fingerprint (a hash of key and client id). The simulator
// answers the key's own workspace with its projects and the other client
// id with an empty list (ForeignClientEmpty), both 200 and both cached: a
// key without the client id would serve one's answer to the other.
func TestClientIDInAHeaderCachesPerWorkspace(t *testing.T) {
	t.Parallel()
	w := aspiretest.Profiles["header-client-id"]()
	w.ForeignClientEmpty = true
	// 200 ms a call: the first two calls, made together, overlap.
	sim, cl := setup(t, []aspiretest.Option{aspiretest.WithWire(w), aspiretest.WithLatency(200*time.Millisecond, 0)}, aspire.WithContract(w.Contract))
	own := cl.As(demo)
	other := cl.As(aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.OtherClientID})
	if own.ID() == other.ID() {
		t.Fatal("one tenant id for two client ids")
	}
	ctx := context.Background()
	projects := func(tn *aspire.Tenant) int {
		p, err := tn.Projects(ctx, aspire.ListQuery{})
		if err != nil {
			t.Error(err)
			return -1
		}
		return len(p.Items)
	}
	// Together: two calls in flight at once, not one shared.
	var wg sync.WaitGroup
	var want, gotOther int
	wg.Add(2)
	go func() { defer wg.Done(); want = projects(own) }()
	go func() { defer wg.Done(); gotOther = projects(other) }()
	wg.Wait()
	if want <= 0 || gotOther != 0 {
		t.Fatalf("together: %d and %d projects, want some and 0", want, gotOther)
	}
	if n := sim.Count(""); n != 2 {
		t.Fatalf("together: %d upstream requests, want 2 (one per client id)", n)
	}
	// Again, one after the other: each from the cache, each its own.
	for range 2 {
		if got := projects(own); got != want {
			t.Fatalf("cached: %d projects for the key's workspace, want %d", got, want)
		}
		if got := projects(other); got != 0 {
			t.Fatalf("cached: %d projects for the other client id, want 0", got)
		}
	}
	if n := sim.Count(""); n != 2 {
		t.Fatalf("%d upstream requests in all, want 2 (the repeats are cache hits)", n)
	}
}
