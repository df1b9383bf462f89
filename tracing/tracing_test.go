package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/tracing"
)

func TestOffUnlessAnEndpointIsSet(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{
		{},
		{"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER": "none"},
	} {
		tr, err := tracing.FromEnv(t.Context(), func(k string) string { return env[k] }, "svc")
		if err != nil || tr.Enabled() {
			t.Errorf("%v: enabled %v, err %v; want off", env, tr.Enabled(), err)
		}
	}
}

// The signal-specific endpoint is used as it is; the generic one gets
// /v1/traces appended (the specification's rule).
func TestEndpoints(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	paths := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths[r.URL.Path]++
		mu.Unlock()
	}))
	defer srv.Close()
	for _, env := range []map[string]string{
		{"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL + "/base/"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": srv.URL + "/custom", "OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL + "/ignored"},
	} {
		tr, err := tracing.FromEnv(t.Context(), func(k string) string { return env[k] }, "svc")
		if err != nil || !tr.Enabled() {
			t.Fatalf("%v: %v", env, err)
		}
		_, span := tr.Provider.Tracer("test").Start(context.Background(), "s")
		span.End()
		if err := tr.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if paths["/base/v1/traces"] != 1 || paths["/custom"] != 1 || len(paths) != 2 {
		t.Errorf("exports went to %v", paths)
	}
}
