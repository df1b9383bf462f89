// Package tracing sets up OpenTelemetry tracing from the standard
// environment variables and holds the server-side instrumentation: the HTTP
// span (otelhttp), the GraphQL operation span, and parse/validate spans on a
// document-cache miss. Resolvers, loaders and the Aspire client add their own
// spans below these through the OpenTelemetry API alone.
//
// Decisions (and why):
//   - On only when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and neither OTEL_SDK_DISABLED=true
//     nor OTEL_TRACES_EXPORTER=none. Off, nothing is installed: no otelhttp
//     handler, no exporter, no SDK provider; every span helper first asks
//     whether the context holds a recording span, and there is none.
//   - Not autoexport: it defaults to an OTLP exporter to localhost when no
//     endpoint is set (tracing would be on by default) and brings metrics
//     and logs exporters we do not use. The variables are read here, with
//     the getenv that run gets, so tests set them without touching the
//     process environment; the exporters still read the rest (TLS files,
//     compression, timeout) from the process environment themselves.
//   - Spans below the HTTP span are started only under a recording parent:
//     with the default parentbased sampler that is exactly what would be
//     sampled, and an unsampled request costs no span work beyond otelhttp's.
//   - Only W3C trace context (traceparent, tracestate) is read and written;
//     baggage is not, so a caller cannot make us forward arbitrary data to
//     Aspire.
//   - No attribute holds a key, token or client id: the HTTP span records
//     the path (never the query string or headers), upstream spans the route
//     template, path (record ids only) and a count of ids, errors by code.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Scope is the instrumentation scope of every span this server makes.
const Scope = "github.com/aspire-graphql/aspire-graphql"

// Propagator is the one propagator used in and out: W3C trace context.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Tracing is the process's tracing set-up.
type Tracing struct {
	// Provider is nil when tracing is off.
	Provider *sdktrace.TracerProvider
	// Endpoint and Protocol say where spans go (for the start-up line).
	Endpoint, Protocol string
}

// Enabled reports whether spans are exported.
func (t *Tracing) Enabled() bool { return t != nil && t.Provider != nil }

// Shutdown flushes the spans not yet exported and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.Provider.Shutdown(ctx)
}

// FromEnv builds tracing from the standard OpenTelemetry variables. It
// returns a disabled Tracing (and no error) when no OTLP endpoint is set.
// service names the service when OTEL_SERVICE_NAME does not.
func FromEnv(ctx context.Context, getenv func(string) string, service string) (*Tracing, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") ||
		strings.EqualFold(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")), "none") {
		return &Tracing{}, nil
	}
	endpoint, signal := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), true
	if endpoint == "" {
		endpoint, signal = getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), false
	}
	if endpoint == "" {
		return &Tracing{}, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OTLP endpoint %q: want http(s)://host:port[/path]", redact(endpoint))
	}
	protocol := firstSet(getenv, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
	if protocol == "" {
		protocol = "http/protobuf"
	}
	headers, err := parseHeaders(firstSet(getenv, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"))
	if err != nil {
		return nil, err
	}
	var exp sdktrace.SpanExporter
	switch protocol {
	case "http/protobuf":
		if !signal {
			// The generic endpoint is a base: the signal's path goes after it.
			u.Path = strings.TrimRight(u.Path, "/") + "/v1/traces"
		}
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()), otlptracehttp.WithHeaders(headers))
	case "grpc":
		exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(u.String()), otlptracegrpc.WithHeaders(headers))
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: want http/protobuf or grpc (http/json is not supported)", protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	sampler, err := samplerFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	bsp, err := batchOptions(getenv)
	if err != nil {
		return nil, err
	}
	res, err := resourceFromEnv(getenv, service)
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, bsp...),
		sdktrace.WithSampler(sampler),
		sdktrace.WithResource(res),
	)
	return &Tracing{Provider: tp, Endpoint: redact(u.String()), Protocol: protocol}, nil
}

func firstSet(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(getenv(n)); v != "" {
			return v
		}
	}
	return ""
}

// redact drops a URL's user info and query, which may hold credentials.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// parseHeaders reads the W3C-baggage-like list "k1=v1,k2=v2" (values
// percent-encoded) of OTEL_EXPORTER_OTLP_HEADERS.
func parseHeaders(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, errors.New("OTEL_EXPORTER_OTLP_HEADERS: want key=value pairs separated by commas")
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_HEADERS: the value of %q is not percent-encoded", k)
		}
		out[k] = dv
	}
	return out, nil
}

// samplerFromEnv reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (the
// specification's names; default parentbased_always_on).
func samplerFromEnv(getenv func(string) string) (sdktrace.Sampler, error) {
	name := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER")))
	arg := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG"))
	ratio := func() (float64, error) {
		if arg == "" {
			return 1, nil
		}
		f, err := strconv.ParseFloat(arg, 64)
		if err != nil || f < 0 || f > 1 {
			return 0, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG %q: want a ratio between 0 and 1", arg)
		}
		return f, nil
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio", "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		if name == "traceidratio" {
			return sdktrace.TraceIDRatioBased(r), nil
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), nil
	}
	return nil, fmt.Errorf("OTEL_TRACES_SAMPLER %q: want always_on, always_off, traceidratio or their parentbased_ forms", name)
}

// batchOptions reads OTEL_BSP_* (delays in milliseconds).
func batchOptions(getenv func(string) string) ([]sdktrace.BatchSpanProcessorOption, error) {
	var opts []sdktrace.BatchSpanProcessorOption
	for _, v := range []struct {
		name string
		opt  func(int) sdktrace.BatchSpanProcessorOption
	}{
		{"OTEL_BSP_SCHEDULE_DELAY", func(n int) sdktrace.BatchSpanProcessorOption {
			return sdktrace.WithBatchTimeout(time.Duration(n) * time.Millisecond)
		}},
		{"OTEL_BSP_EXPORT_TIMEOUT", func(n int) sdktrace.BatchSpanProcessorOption {
			return sdktrace.WithExportTimeout(time.Duration(n) * time.Millisecond)
		}},
		{"OTEL_BSP_MAX_QUEUE_SIZE", sdktrace.WithMaxQueueSize},
		{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", sdktrace.WithMaxExportBatchSize},
	} {
		s := strings.TrimSpace(getenv(v.name))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%s %q: want a whole number above 0", v.name, s)
		}
		opts = append(opts, v.opt(n))
	}
	return opts, nil
}

// resourceFromEnv names the service (OTEL_SERVICE_NAME, else service) and
// adds OTEL_RESOURCE_ATTRIBUTES.
func resourceFromEnv(getenv func(string) string, service string) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{attribute.String("telemetry.sdk.language", "go"),
		attribute.String("telemetry.sdk.name", "opentelemetry")}
	if s := strings.TrimSpace(getenv("OTEL_RESOURCE_ATTRIBUTES")); s != "" {
		kv, err := parseHeaders(s)
		if err != nil {
			return nil, errors.New("OTEL_RESOURCE_ATTRIBUTES: want key=value pairs separated by commas")
		}
		for k, v := range kv {
			attrs = append(attrs, attribute.String(k, v))
		}
	}
	if s := strings.TrimSpace(getenv("OTEL_SERVICE_NAME")); s != "" {
		service = s
	}
	attrs = append(attrs, attribute.String("service.name", service))
	return resource.NewSchemaless(attrs...), nil
}

// Handler wraps next with the HTTP server span: the caller's traceparent is
// honoured, the span is named by method and route (route maps a path to a
// bounded name), and health checks and scrapes are not traced.
func Handler(tp trace.TracerProvider, route func(path string) string, next http.Handler) http.Handler {
	return otelhttp.NewHandler(next, "http",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithPropagators(Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + route(r.URL.Path) }),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}),
	)
}

// Start starts a span named name under ctx's span, only when that span is
// recording; otherwise it returns ctx and the (non-recording) parent, whose
// End does nothing. Callers add attributes when span.IsRecording().
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(Scope).Start(ctx, name, opts...)
}

// Recording reports whether ctx holds a recording span (the cheap test
// callers make before computing span names or attributes).
func Recording(ctx context.Context) bool { return trace.SpanFromContext(ctx).IsRecording() }
