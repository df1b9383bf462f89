package aspire

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// Tracing, through the OpenTelemetry API only (the SDK and exporters are the
// server's business). With WithTracing, a call made under a recording span
// gets a span of its own ("aspire /v1/posts": endpoint, ids asked for, cache
// hit or miss, the in-flight call it joined as a link, rate-limit waits and
// retries as events) and each HTTP attempt a client span under it ("GET
// /v1/posts": attempt number, retry reason, status). Attributes never hold
// the key or the client id: neither the URL's path nor its query (where a
// contract may put either) is recorded, only the route template, and errors
// are recorded by code, not by text.

// traceScope is the instrumentation scope of the client's spans.
const traceScope = "github.com/aspire-graphql/aspire-graphql/aspire"

// WithTracing turns the client's spans on (see above) and, when propagate is
// true, sends the W3C traceparent and tracestate headers to the upstream
// (off for upstreams that reject unknown headers).
func WithTracing(propagate bool) Option {
	return func(c *config) { c.tracing, c.propagate = true, propagate }
}

// traceContext is the W3C trace context propagator.
var traceContext = propagation.TraceContext{}

type callKey struct{}

// callTrace is one traced call: its span and what its attempts learned.
type callTrace struct {
	span     trace.Span
	endpoint string

	mu       sync.Mutex
	attempts int
	reason   string // why the last attempt failed, for the next one's retry
}

func callFrom(ctx context.Context) *callTrace {
	ct, _ := ctx.Value(callKey{}).(*callTrace)
	return ct
}

// get is getCall with the call's span, when tracing is on and ctx is traced.
func get[T any](ctx context.Context, t *Tenant, endpoint, path string, params url.Values, dec func([]byte) (T, error)) (T, error) {
	if !t.c.cfg.tracing {
		return getCall(ctx, t, endpoint, path, params, dec)
	}
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return getCall(ctx, t, endpoint, path, params, dec)
	}
	ctx, span := parent.TracerProvider().Tracer(traceScope).Start(ctx, "aspire "+endpoint,
		trace.WithAttributes(attribute.String("aspire.endpoint", endpoint), attribute.Int("aspire.ids", countIDs(params))))
	ct := &callTrace{span: span, endpoint: endpoint}
	v, err := getCall(context.WithValue(ctx, callKey{}, ct), t, endpoint, path, params, dec)
	ct.mu.Lock()
	span.SetAttributes(attribute.Int("aspire.attempts", ct.attempts))
	ct.mu.Unlock()
	if err != nil {
		code, msg := "error", "failed"
		var ae *Error
		if errors.As(err, &ae) {
			code, msg = string(ae.Code), ae.Message
		}
		span.SetAttributes(attribute.String("aspire.error.code", code))
		span.SetStatus(codes.Error, msg)
	}
	span.End()
	return v, err
}

// countIDs counts the record ids a call asks for (ids are fine in a trace;
// the client id, also in the query, is not).
func countIDs(params url.Values) int {
	n := 0
	for _, p := range []string{wire.ParamMemberID, wire.ParamPostID, wire.ParamProjectID, wire.ParamGroupID} {
		for _, v := range params[p] {
			if v != "" {
				n += strings.Count(v, ",") + 1
			}
		}
	}
	return n
}

// traceEvent puts an observed event on the call's span.
func traceEvent(ctx context.Context, e Event) {
	ct := callFrom(ctx)
	if ct == nil {
		return
	}
	switch e.Kind {
	case EventCacheHit:
		ct.span.SetAttributes(attribute.String("aspire.cache", "hit"))
	case EventCacheMiss:
		ct.span.SetAttributes(attribute.String("aspire.cache", "miss"))
	case EventShared:
		ct.span.SetAttributes(attribute.Bool("aspire.shared", true))
	case EventRateLimitWait:
		ct.span.AddEvent("rate limit wait", trace.WithAttributes(attribute.Float64("aspire.wait_ms", float64(e.Duration.Microseconds())/1000)))
	case EventRequest:
		ct.mu.Lock()
		ct.attempts = max(ct.attempts, e.Attempt)
		if e.Err != nil {
			ct.reason = retryReason(e)
		}
		ct.mu.Unlock()
		ct.span.SetAttributes(attribute.Int("http.response.status_code", e.Status))
		if e.Err != nil {
			ct.span.AddEvent("attempt failed", trace.WithAttributes(attribute.Int("aspire.attempt", e.Attempt),
				attribute.Int("http.response.status_code", e.Status), attribute.String("aspire.reason", retryReason(e))))
		}
	case EventDrift:
		ct.span.AddEvent("contract drift", trace.WithAttributes(attribute.String("aspire.field", e.Field), attribute.String("aspire.drift", e.Drift)))
	}
}

// retryReason names why an attempt failed, without its text (which may
// hold a URL with the client id).
func retryReason(e Event) string {
	var ae *Error
	if errors.As(e.Err, &ae) {
		if e.Status != 0 {
			return string(ae.Code) + " (HTTP " + strconv.Itoa(e.Status) + ")"
		}
		if errors.Is(ae.Err, context.DeadlineExceeded) {
			return string(ae.Code) + " (attempt timeout)"
		}
		return string(ae.Code) + " (no answer)"
	}
	return "error"
}

// linkJoined links the span of a call that joined an identical one in
// flight to the span of the call that runs it (origin is that call's
// context).
func linkJoined(ctx, origin context.Context) {
	ct := callFrom(ctx)
	if ct == nil {
		return
	}
	sc := trace.SpanContextFromContext(origin)
	if !sc.IsValid() {
		return
	}
	ct.span.AddLink(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{attribute.String("aspire.link", "joined in-flight call")}})
	ct.span.AddEvent("joined in-flight call", trace.WithAttributes(attribute.String("aspire.joined.trace_id", sc.TraceID().String()),
		attribute.String("aspire.joined.span_id", sc.SpanID().String())))
}

// tracedTransport makes a client span per HTTP attempt of a traced call
// and sends the trace context upstream when asked to.
type tracedTransport struct {
	next      http.RoundTripper
	propagate bool
}

func (t tracedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	ct := callFrom(ctx)
	if ct == nil || !ct.span.IsRecording() {
		if t.propagate && trace.SpanContextFromContext(ctx).IsValid() {
			req = req.Clone(ctx) // a RoundTripper must not change the caller's request
			traceContext.Inject(ctx, propagation.HeaderCarrier(req.Header))
		}
		return t.next.RoundTrip(req)
	}
	ct.mu.Lock()
	n, reason := ct.attempts+1, ct.reason
	ct.mu.Unlock()
	attrs := []attribute.KeyValue{attribute.String("http.request.method", req.Method),
		attribute.String("server.address", req.URL.Hostname()), // not the path: a contract may put the client id there
		attribute.Int("aspire.attempt", n)}
	if n > 1 {
		attrs = append(attrs, attribute.String("aspire.retry.reason", reason))
		ct.span.AddEvent("retry", trace.WithAttributes(attribute.Int("aspire.attempt", n), attribute.String("aspire.reason", reason)))
	}
	ctx, span := trace.SpanFromContext(ctx).TracerProvider().Tracer(traceScope).Start(ctx, req.Method+" "+ct.endpoint,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	req = req.Clone(ctx)
	if t.propagate {
		traceContext.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		reason := "no answer"
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			reason = "cancelled or timed out"
		}
		span.SetStatus(codes.Error, reason)
		span.End()
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, "HTTP "+strconv.Itoa(resp.StatusCode))
	}
	resp.Body = &spanBody{ReadCloser: resp.Body, span: span}
	return resp, nil
}

// spanBody ends the attempt's span when its body is closed, so the span
// covers reading the answer too.
type spanBody struct {
	io.ReadCloser
	span trace.Span
	once sync.Once
}

func (b *spanBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { b.span.End() })
	return err
}
