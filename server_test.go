package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/internal/teststack"
)

// syncBuffer collects a run's output for the log assertions.
type syncBuffer = teststack.SyncBuffer

type running struct {
	base string
	out  *syncBuffer
	stop context.CancelFunc
	done chan error
}

// start calls run in a goroutine, as main does, and waits for its banner.
func start(t *testing.T, args []string, env map[string]string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	r := &running{out: &syncBuffer{}, stop: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- run(ctx, append([]string{"aspire-graphql", "-addr", "127.0.0.1:0", "-log-format", "json"}, args...),
			func(k string) string { return env[k] }, pw, r.out)
		pw.Close()
	}()
	lines := make(chan string, 1)
	go func() {
		br := bufio.NewReader(pr)
		line, _ := br.ReadString('\n')
		r.out.Write([]byte(line))
		lines <- line
		io.Copy(r.out, br)
	}()
	select {
	case line := <-lines:
		r.base = regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
		if r.base == "" {
			t.Fatalf("no address in the first line %q (output: %s)", line, r.out)
		}
	case err := <-r.done:
		t.Fatalf("run ended before serving: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("run did not stop")
		}
	})
	return r
}

type gqlResponse struct {
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func post(t *testing.T, base, query string, vars map[string]any, headers map[string]string) (*http.Response, gqlResponse) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var g gqlResponse
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("status %d, body %q: %v", resp.StatusCode, b, err)
	}
	return resp, g
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const postsQuery = `query Recent($r: DateRangeInput!) { posts(range: $r, first: 5) { totalCount nodes { id member { name } } } }`

var october = map[string]any{"r": map[string]any{"start": "2026-10-01", "end": "2026-10-31"}}

func TestDemoMode(t *testing.T) {
	t.Parallel()
	r := start(t, nil, nil)
	if !strings.Contains(r.out.String(), "DEMO MODE: serving simulated data") {
		t.Fatalf("the banner does not say it is a demo: %s", r.out)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if st, _ := get(t, r.base+path); st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
	}
	resp, g := post(t, r.base, postsQuery, october, map[string]string{"X-Request-Id": "test-req-1"})
	var d struct {
		Posts struct {
			TotalCount int
			Nodes      []struct {
				ID     string
				Member struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal(g.Data, &d); err != nil || len(g.Errors) > 0 || len(d.Posts.Nodes) != 5 || d.Posts.Nodes[0].Member.Name == "" {
		t.Fatalf("query: %s %+v", g.Data, g.Errors)
	}
	if resp.Header.Get("X-Request-Id") != "test-req-1" {
		t.Fatalf("request id not echoed: %q", resp.Header.Get("X-Request-Id"))
	}
	_, metrics := get(t, r.base+"/metrics")
	for _, want := range []string{
		`aspire_upstream_requests_total{endpoint="/v1/posts",status="200"} 1`,
		`aspire_upstream_requests_total{endpoint="/v1/members",status="200"} 1`,
		`graphql_operations_total{operation="Recent",outcome="ok"} 1`,
		`aspire_upstream_requests_per_operation_sum 2`,
		`loader_batch_size_count{loader="member"} 1`,
		`http_requests_total{route="/graphql",status="200"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The access line names the request, the operation and its upstream cost.
	if !regexp.MustCompile(`"request_id":"test-req-1".*"route":"/graphql","status":200.*"operation":"Recent","upstream_requests":2`).MatchString(r.out.String()) {
		t.Fatalf("no access line for the query in:\n%s", r.out)
	}
	// The playground and its config.
	st, html := get(t, r.base+"/")
	if st != 200 || !strings.Contains(html, "config.js") || !strings.Contains(html, "./assets/") {
		t.Fatalf("playground: %d %s", st, html)
	}
	_, js := get(t, r.base+"/graphiql/config.js")
	if !strings.Contains(js, "LastMonthPosts") || !strings.Contains(js, aspiretest.DemoClientID) {
		t.Fatalf("config.js: %s", js)
	}
}

// TestGracefulShutdownFinishesInFlightQueries: a query in flight when the
// server is told to stop is answered in full; no new request is served.
// The server stops once its upstream has the query's first call (a 150 ms
// sleep could, on a loaded machine, stop it before the query arrived).
func TestGracefulShutdownFinishesInFlightQueries(t *testing.T) {
	t.Parallel()
	sim := aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes), aspiretest.WithLatency(500*time.Millisecond, 0))
	var first sync.Once
	arrived := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		first.Do(func() { close(arrived) })
		sim.ServeHTTP(w, req)
	}))
	defer up.Close()
	r := start(t, []string{"-upstream-url", up.URL}, nil)
	type result struct {
		status int
		g      gqlResponse
	}
	res := make(chan result, 1)
	go func() {
		resp, g := post(t, r.base, postsQuery, october, map[string]string{"Authorization": "Bearer " + aspiretest.DemoKey, "X-Aspire-Client-Id": aspiretest.DemoClientID})
		res <- result{resp.StatusCode, g}
	}()
	<-arrived // the query is waiting on the slow upstream
	r.stop()
	got := <-res
	if got.status != 200 || len(got.g.Errors) > 0 || !strings.Contains(string(got.g.Data), `"totalCount"`) {
		t.Fatalf("in-flight query during shutdown: %d %s %+v", got.status, got.g.Data, got.g.Errors)
	}
	if err := <-r.done; err != nil {
		t.Fatalf("run: %v", err)
	}
	r.done <- nil // for the cleanup
	if _, err := http.Get(r.base + "/healthz"); err == nil {
		t.Fatal("a new request was served after shutdown")
	}
}

func TestPassthroughMode(t *testing.T) {
	t.Parallel()
	sim := aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes))
	up := httptest.NewServer(sim)
	defer up.Close()
	const wrongKey = "wrong-key-that-must-never-be-logged-7731"
	r := start(t, []string{"-upstream-url", up.URL, "-log-level", "debug"}, nil)
	if st, _ := get(t, r.base+"/readyz"); st != 200 {
		t.Fatalf("readyz: %d", st)
	}
	t.Run("own key", func(t *testing.T) {
		_, g := post(t, r.base, postsQuery, october, map[string]string{"Authorization": "Bearer " + aspiretest.DemoKey, "X-Aspire-Client-Id": aspiretest.DemoClientID})
		if len(g.Errors) > 0 || !strings.Contains(string(g.Data), `"nodes":[{"id":"1`) {
			t.Fatalf("%s %+v", g.Data, g.Errors)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		resp, g := post(t, r.base, postsQuery, october, map[string]string{"Authorization": "Bearer " + wrongKey, "X-Aspire-Client-Id": aspiretest.DemoClientID})
		if resp.StatusCode != 200 || len(g.Errors) != 1 || g.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
			t.Fatalf("%d %+v", resp.StatusCode, g.Errors)
		}
	})
	t.Run("no key", func(t *testing.T) {
		resp, g := post(t, r.base, postsQuery, october, nil)
		if resp.StatusCode != 401 || len(g.Errors) != 1 || g.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%d %+v", resp.StatusCode, g.Errors)
		}
	})
	t.Run("no client id", func(t *testing.T) {
		resp, g := post(t, r.base, postsQuery, october, map[string]string{"Authorization": "Bearer " + aspiretest.DemoKey})
		if resp.StatusCode != 400 || len(g.Errors) != 1 || !strings.Contains(g.Errors[0].Message, "X-Aspire-Client-Id") {
			t.Fatalf("%d %+v", resp.StatusCode, g.Errors)
		}
	})
	t.Run("no key in any log line", func(t *testing.T) {
		out := r.out.String()
		if !strings.Contains(out, `"upstream error"`) {
			t.Fatalf("the debug log should hold the upstream error's detail; it proves nothing otherwise:\n%s", out)
		}
		for _, secret := range []string{aspiretest.DemoKey, wrongKey} {
			if strings.Contains(out, secret) {
				t.Fatalf("the log holds a key:\n%s", out)
			}
		}
	})
}

func TestServerKeyMode(t *testing.T) {
	t.Parallel()
	sim := aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes))
	up := httptest.NewServer(sim)
	defer up.Close()
	t.Run("refuses a public address without tokens", func(t *testing.T) {
		err := run(context.Background(), []string{"aspire-graphql", "-addr", "0.0.0.0:0", "-upstream-url", up.URL,
			"-api-key", aspiretest.DemoKey, "-client-id", aspiretest.DemoClientID}, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "needs access-tokens") {
			t.Fatalf("err %v", err)
		}
	})
	const token = "facade-token-0123456789abcdef"
	env := map[string]string{ // settings from the environment this time
		"ASPIRE_GRAPHQL_UPSTREAM_URL":  up.URL,
		"ASPIRE_GRAPHQL_API_KEY":       aspiretest.DemoKey,
		"ASPIRE_GRAPHQL_CLIENT_ID":     aspiretest.DemoClientID,
		"ASPIRE_GRAPHQL_ACCESS_TOKENS": "another-token-00000000000," + token,
	}
	r := start(t, nil, env)
	for _, tc := range []struct {
		name   string
		auth   string
		status int
	}{{"no token", "", 401}, {"wrong token", "Bearer facade-token-0123456789abcdeX", 401}, {"an Aspire key is not a token", "Bearer " + aspiretest.DemoKey, 401}, {"token", "Bearer " + token, 200}} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			resp, g := post(t, r.base, postsQuery, october, h)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %+v", resp.StatusCode, tc.status, g.Errors)
			}
			if tc.status == 200 && (len(g.Errors) > 0 || !strings.Contains(string(g.Data), `"totalCount"`)) {
				t.Fatalf("%s %+v", g.Data, g.Errors)
			}
			if tc.status == 401 && (len(g.Errors) != 1 || g.Errors[0].Extensions["code"] != "UNAUTHENTICATED") {
				t.Fatalf("%+v", g.Errors)
			}
		})
	}
	if strings.Contains(r.out.String(), token) || strings.Contains(r.out.String(), aspiretest.DemoKey) {
		t.Fatal("a token or key reached the log")
	}
}

func TestHelpPrintsTheSettings(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"aspire-graphql", "-h"}, func(string) string { return "" }, io.Discard, &stderr)
	if !errors.Is(err, config.ErrHelp) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"-upstream-url", "ASPIRE_GRAPHQL_UPSTREAM_URL", "-access-tokens", "127.0.0.1:8080"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, stderr.String())
		}
	}
	err = run(context.Background(), []string{"aspire-graphql", "-cache-ttl", "soon"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-cache-ttl") {
		t.Fatalf("a bad setting: %v", err)
	}
}

func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	r := start(t, nil, nil)
	addr := strings.TrimPrefix(r.base, "http://")
	if err := run(context.Background(), []string{"aspire-graphql", "healthcheck", "-addr", addr}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatalf("healthcheck of a live server: %v", err)
	}
	r.stop()
	<-r.done
	r.done <- nil
	if err := run(context.Background(), []string{"aspire-graphql", "healthcheck", "-addr", addr}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Fatal("healthcheck of a stopped server passed")
	}
}

func TestReadyzFollowsTheUpstream(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes)))
	r := start(t, []string{"-upstream-url", up.URL}, nil)
	if st, _ := get(t, r.base+"/readyz"); st != 200 {
		t.Fatalf("readyz with a live upstream: %d", st)
	}
	dead := httptest.NewServer(nil)
	dead.Close()
	r2 := start(t, []string{"-upstream-url", dead.URL}, nil)
	if st, body := get(t, r2.base+"/readyz"); st != 503 || !strings.Contains(body, "does not answer") {
		t.Fatalf("readyz with a dead upstream: %d %q", st, body)
	}
	if st, _ := get(t, r2.base+"/healthz"); st != 200 {
		t.Fatalf("healthz must not depend on the upstream: %d", st)
	}
	up.Close()
}

func TestPersistedQueries(t *testing.T) {
	t.Parallel()
	r := start(t, nil, nil)
	const q = `{ projects { totalCount } }`
	sum := sha256hex(q)
	send := func(body map[string]any) gqlResponse {
		b, _ := json.Marshal(body)
		resp, err := http.Post(r.base+"/graphql", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var g gqlResponse
		json.NewDecoder(resp.Body).Decode(&g)
		return g
	}
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sum}}
	if g := send(map[string]any{"extensions": ext}); len(g.Errors) != 1 || g.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("unknown hash: %+v", g.Errors)
	}
	if g := send(map[string]any{"query": q, "extensions": ext}); len(g.Errors) > 0 {
		t.Fatalf("registering: %+v", g.Errors)
	}
	if g := send(map[string]any{"extensions": ext}); len(g.Errors) > 0 || !strings.Contains(string(g.Data), `"totalCount":8`) {
		t.Fatalf("by hash: %s %+v", g.Data, g.Errors)
	}
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
