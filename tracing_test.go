package main

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// receiver collects the spans an OTLP exporter sends it.
type receiver struct {
	coltracepb.UnimplementedTraceServiceServer
	mu       sync.Mutex
	spans    []*tracepb.Span
	services []string
}

func (rc *receiver) add(req *coltracepb.ExportTraceServiceRequest) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.name" {
				rc.services = append(rc.services, a.GetValue().GetStringValue())
			}
		}
		for _, ss := range rs.ScopeSpans {
			rc.spans = append(rc.spans, ss.Spans...)
		}
	}
}

// Export implements the OTLP/gRPC trace service.
func (rc *receiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	rc.add(req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// ServeHTTP implements OTLP/HTTP with protobuf bodies.
func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces application/x-protobuf", http.StatusBadRequest)
		return
	}
	b, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(b, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.add(&req)
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (rc *receiver) snapshot() ([]*tracepb.Span, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*tracepb.Span(nil), rc.spans...), append([]string(nil), rc.services...)
}

// TestTracesReachAnOTLPCollector runs the server with the standard OTLP
// variables pointing at a collector started by the test, over HTTP and over
// gRPC, and checks that a request which came with a traceparent is exported
// in that trace: the server span under the caller's span, the operation and
// the upstream calls under it.
func TestTracesReachAnOTLPCollector(t *testing.T) {
	t.Parallel()
	const traceID, callerSpan = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			t.Parallel()
			rc := &receiver{}
			var endpoint string
			if protocol == "grpc" {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				gs := grpc.NewServer()
				coltracepb.RegisterTraceServiceServer(gs, rc)
				go func() { _ = gs.Serve(ln) }()
				t.Cleanup(gs.Stop)
				endpoint = "http://" + ln.Addr().String()
			} else {
				hs := httptest.NewServer(rc)
				t.Cleanup(hs.Close)
				endpoint = hs.URL
			}
			r := start(t, nil, map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
				"OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
				"OTEL_SERVICE_NAME":           "graphql-facade-test",
				"OTEL_BSP_SCHEDULE_DELAY":     "20",
			})
			_, g := post(t, r.base, postsQuery, october, map[string]string{"traceparent": "00-" + traceID + "-" + callerSpan + "-01"})
			if len(g.Errors) > 0 {
				t.Fatalf("%+v", g.Errors)
			}
			var spans []*tracepb.Span
			var services []string
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				spans, services = rc.snapshot()
				// The server span ends last, after the answer went out.
				if hasSpan(spans, "GET /v1/members") && hasSpan(spans, "POST /graphql") {
					break
				}
			}
			names := map[string]*tracepb.Span{}
			for _, s := range spans {
				if got := hex.EncodeToString(s.TraceId); got != traceID {
					t.Errorf("span %q in trace %s, want the caller's %s", s.Name, got, traceID)
				}
				names[s.Name] = s
			}
			srv := names["POST /graphql"]
			if srv == nil || hex.EncodeToString(srv.ParentSpanId) != callerSpan || srv.Kind != tracepb.Span_SPAN_KIND_SERVER {
				t.Fatalf("no server span under the caller's span; got %d spans: %v", len(spans), keys(names))
			}
			op := names["query Recent"]
			if op == nil || string(op.ParentSpanId) != string(srv.SpanId) {
				t.Fatalf("no operation span under the server span: %v", keys(names))
			}
			for _, n := range []string{"aspire /v1/posts", "GET /v1/posts", "loader member", "aspire /v1/members", "GET /v1/members"} {
				if names[n] == nil {
					t.Errorf("no %q span: %v", n, keys(names))
				}
			}
			if len(services) == 0 || services[0] != "graphql-facade-test" {
				t.Errorf("service.name %q, want OTEL_SERVICE_NAME's", services)
			}
			if !strings.Contains(r.out.String(), `"trace_id":"`+traceID+`"`) {
				t.Errorf("the access log line has no trace_id:\n%s", r.out)
			}
			if !strings.Contains(r.out.String(), "tracing to "+endpoint) {
				t.Errorf("the start-up lines do not say where traces go:\n%s", r.out)
			}
		})
	}
}

func hasSpan(spans []*tracepb.Span, name string) bool {
	for _, s := range spans {
		if s.Name == name {
			return true
		}
	}
	return false
}

func keys(m map[string]*tracepb.Span) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTracingSettingsAreChecked: a tracing variable run cannot honour stops
// it at start with an error naming the variable.
func TestTracingSettingsAreChecked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4318"}, "OTLP endpoint"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER_ARG"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_BSP_MAX_QUEUE_SIZE": "-1"}, "OTEL_BSP_MAX_QUEUE_SIZE"},
	} {
		err := run(t.Context(), []string{"aspire-graphql", "-addr", "127.0.0.1:0"}, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
}
