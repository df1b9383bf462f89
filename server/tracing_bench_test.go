package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// countingExporter counts the spans it hands to the real exporter.
type countingExporter struct {
	sdktrace.SpanExporter
	n atomic.Int64
}

func (c *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	c.n.Add(int64(len(spans)))
	return c.SpanExporter.ExportSpans(ctx, spans)
}

// BenchmarkW1Tracing measures what tracing costs on W1 raw (no
// whole-response cache), as BenchmarkW1Parallel does: the process's CPU time
// per query with tracing off, and on with the real OTLP/HTTP exporter and
// batch processor (to an in-process collector that discards what it reads)
// at sampling 1.0 and 0.01. "floor" is the load generator's own share: the
// same client and HTTP server answering W1's recorded response without
// running it; the server's CPU per query is cpu-ms/op minus floor's.
func BenchmarkW1Tracing(b *testing.B) {
	q, vars := w1Query, january
	args := []string{"-rate-limit", "0", "-response-cache-bytes", "0"}
	for _, tc := range []struct {
		name  string
		ratio float64 // < 0: tracing off
	}{{"off", -1}, {"on-1.0", 1}, {"on-0.01", 0.01}} {
		b.Run(tc.name, func(b *testing.B) {
			var tp trace.TracerProvider
			var counter *countingExporter
			var sdk *sdktrace.TracerProvider
			if tc.ratio >= 0 {
				collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
				}))
				b.Cleanup(collector.Close)
				exp, err := otlptracehttp.New(b.Context(), otlptracehttp.WithEndpointURL(collector.URL+"/v1/traces"))
				if err != nil {
					b.Fatal(err)
				}
				counter = &countingExporter{SpanExporter: exp}
				sdk = sdktrace.NewTracerProvider(sdktrace.WithBatcher(counter),
					sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(tc.ratio))))
				b.Cleanup(func() { _ = sdk.Shutdown(context.Background()) })
				tp = sdk
			}
			s := newStackWithTracer(b, args, tp)
			r := s.query(b, q, vars)
			if len(r.Errors) > 0 {
				b.Fatal(string(r.body))
			}
			parallelCPU(b, func() { s.query(b, q, vars) }, func() {
				if sdk != nil {
					_ = sdk.ForceFlush(context.Background())
				}
			})
			if counter != nil {
				b.ReportMetric(float64(counter.n.Load())/float64(b.N+1), "spans/op")
			}
		})
	}
	b.Run("floor", func(b *testing.B) {
		recorded := newStack(b, args).query(b, q, vars).body
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(recorded)
		}))
		b.Cleanup(srv.Close)
		s := &stack{url: srv.URL}
		parallelCPU(b, func() { s.query(b, q, vars) }, nil)
	})
}
