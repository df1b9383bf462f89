package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/server"
)

// TestQuadraticDocumentRefusedThroughServer (issue #23 point 3, "with and
// without a key"): the 14,000-`__typename` document that once took 15.5 s of
// validation, sent through the whole server (HTTP, credentials, admission,
// then graph), is refused by max-fields with OPERATION_LIMIT_EXCEEDED and
// no upstream call, whether the caller sends a made-up key (passthrough),
// a key the upstream accepts, or none (demo mode, which injects its own);
// each refusal allocates under 10 MB (testing.Benchmark, not a clock).
func TestQuadraticDocumentRefusedThroughServer(t *testing.T) {
	body, _ := json.Marshal(map[string]any{"query": "{" + strings.Repeat(" __typename", 14000) + " }"})
	demoMode := func(o *server.Options) {
		o.Config.UpstreamURL = "" // demo mode: the client already points at the simulator
		o.Demo = &aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID}
	}
	for _, tc := range []struct {
		name    string
		opts    func(*server.Options)
		headers map[string]string
	}{
		{"passthrough, made-up key", nil, map[string]string{"Authorization": "Bearer made-up-key-0001", server.HeaderClientID: "0123456789abcdef0123456789abcdef"}},
		{"passthrough, accepted key", nil, demoHeaders},
		{"demo mode, no key", demoMode, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStackOpts(t, nil, nil, tc.opts, aspiretest.WithSizes(aspiretest.SmallSizes))
			client := &http.Client{}
			run := func() ([]byte, int) {
				req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				for k, v := range tc.headers {
					req.Header.Set(k, v)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return b, resp.StatusCode
			}
			b, status := run()
			if !bytes.Contains(b, []byte(`"code":"OPERATION_LIMIT_EXCEEDED"`)) || !bytes.Contains(b, []byte(`"limit":"max-fields"`)) {
				t.Fatalf("HTTP %d, not refused by max-fields: %.300s", status, b)
			}
			if n := len(s.sim.Requests()); n != 0 {
				t.Fatalf("%d upstream calls, want 0: %+v", n, s.sim.Requests())
			}
			res := testing.Benchmark(func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					run()
				}
			})
			t.Logf("%s: HTTP %d, %d B and %d allocs per refusal (client and server, one process), %d upstream calls after %d more",
				tc.name, status, res.AllocedBytesPerOp(), res.AllocsPerOp(), len(s.sim.Requests()), res.N)
			if a := res.AllocedBytesPerOp(); a > 10<<20 {
				t.Errorf("%d bytes allocated per refusal, over 10 MB", a)
			}
			if n := len(s.sim.Requests()); n != 0 {
				t.Fatalf("%d upstream calls after %d refusals, want 0", n, res.N)
			}
		})
	}
}
