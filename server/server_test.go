package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/internal/teststack"
	"github.com/aspire-graphql/aspire-graphql/server"
	"github.com/aspire-graphql/aspire-graphql/telemetry"
)

// syncBuffer collects a run's output for the log assertions.
type syncBuffer = teststack.SyncBuffer

// stack is the real server over a socket in front of the simulator.
type stack struct {
	url      string
	upstream string
	sim      *aspiretest.Server
	logs     *syncBuffer
}

// newStack serves server.New in passthrough mode (unless args say
// otherwise) over a simulator made with simOpts.
func newStack(t testing.TB, args []string, simOpts ...aspiretest.Option) *stack {
	t.Helper()
	return newStackWith(t, args, nil, simOpts...)
}

// newStackWith is newStack with the simulator behind wrap (nil: none), for
// tests that watch the upstream's connections.
func newStackWith(t testing.TB, args []string, wrap func(http.Handler) http.Handler, simOpts ...aspiretest.Option) *stack {
	t.Helper()
	return newStackOpts(t, args, wrap, nil, simOpts...)
}

// newStackOpts is newStackWith with the server's options changed by opts
// (nil: none), for tests that give it a dependency of their own.
func newStackOpts(t testing.TB, args []string, wrap func(http.Handler) http.Handler, opts func(*server.Options), simOpts ...aspiretest.Option) *stack {
	t.Helper()
	sim := aspiretest.New(append([]aspiretest.Option{aspiretest.WithRateLimit(0, 0)}, simOpts...)...)
	var upstream http.Handler = sim
	if wrap != nil {
		upstream = wrap(sim)
	}
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	cfg, _, err := config.Load("test", append([]string{"-upstream-url", up.URL}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := telemetry.New()
	c, err := testClient(cfg, up.URL, m.Observer(), aspire.WithRetry(cfg.Retries, time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	logs := &syncBuffer{}
	var demo *aspire.Creds
	if cfg.Mode() == config.Demo {
		demo = &aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID}
	}
	saved, err := server.LoadSavedQueries(cfg.SavedQueriesDir)
	if err != nil {
		t.Fatal(err)
	}
	o := server.Options{Logger: zerolog.New(server.LogWriter(logs)).Level(zerolog.DebugLevel), Config: cfg, Client: c, Metrics: m, Demo: demo, SavedQueries: saved}
	if opts != nil {
		opts(&o)
	}
	h, release := server.New(o)
	t.Cleanup(release)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &stack{url: ts.URL, upstream: up.URL, sim: sim, logs: logs}
}

// testClient is server.NewClient as the stacks make it: with no -contract
// the client speaks the simulator's default contract (the built-in one with
// /v1/projects and /v1/groups, contract.WithEndpoints, as the demo does),
// or projects and groups would be derived from the members and every count
// would be another shape's.
func testClient(cfg *config.Config, base string, observer aspire.Observer, extra ...aspire.Option) (*aspire.Client, error) {
	if cfg.Contract == nil {
		extra = append([]aspire.Option{aspire.WithContract(contract.WithEndpoints())}, extra...)
	}
	return server.NewClient(cfg, base, observer, extra...)
}

var demoHeaders = map[string]string{"Authorization": "Bearer " + aspiretest.DemoKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}

type reply struct {
	status int
	header http.Header
	body   []byte
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Path       []any
		Extensions map[string]any
	}
}

func (s *stack) send(t testing.TB, method, target string, body io.Reader, headers map[string]string) reply {
	t.Helper()
	resp, b, _ := s.do(t, method, target, body, headers)
	r := reply{status: resp.StatusCode, header: resp.Header, body: b}
	_ = json.Unmarshal(b, &r)
	return r
}

// do makes a request and reads the whole answer; err is the error of
// reading the body (a download cut short), not of the request.
func (s *stack) do(t testing.TB, method, target string, body io.Reader, headers map[string]string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+target, body)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// query POSTs a GraphQL request with the demo workspace's credentials.
func (s *stack) query(t testing.TB, q string, vars map[string]any) reply {
	t.Helper()
	return s.queryAs(t, demoHeaders, q, vars)
}

func (s *stack) queryAs(t testing.TB, headers map[string]string, q string, vars map[string]any) reply {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	return s.send(t, http.MethodPost, "/graphql", bytes.NewReader(b), h)
}

func (r reply) code() any {
	if len(r.Errors) == 0 {
		return nil
	}
	return r.Errors[0].Extensions["code"]
}

var oct = map[string]any{"r": map[string]any{"start": "2026-10-01", "end": "2026-10-31"}}

func has(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// newStackErr reports whether the settings are accepted, as run does.
func newStackErr(t testing.TB, args []string) (*config.Config, error) {
	cfg, _, err := config.Load("test", append([]string{"-upstream-url", "http://127.0.0.1:1"}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		return nil, err
	}
	_, err = server.LoadSavedQueries(cfg.SavedQueriesDir)
	return cfg, err
}
