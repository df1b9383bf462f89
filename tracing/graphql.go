package tracing

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// parseMiss marks, in an operation's Stats, a document that was parsed and
// validated (not found in the document cache).
const parseMiss = "tracing.parse"

// Operations is the gqlgen extension that makes the operation span
// ("query TopPosts", with graphql.operation.name and .type) and, when the
// document was not in the cache (see QueryCache), its parse and validate
// spans, from the timings gqlgen records.
type Operations struct{}

var (
	_ graphql.HandlerExtension     = Operations{}
	_ graphql.OperationInterceptor = Operations{}
)

// ExtensionName implements graphql.HandlerExtension.
func (Operations) ExtensionName() string { return "OpenTelemetry" }

// Validate implements graphql.HandlerExtension.
func (Operations) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (Operations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() || !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	typ, name := "", oc.OperationName
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
		if name == "" {
			name = oc.Operation.Name
		}
	}
	if len(name) > 100 {
		name = name[:100]
	}
	spanName := typ
	if name != "" {
		spanName += " " + name
	}
	tr := parent.TracerProvider().Tracer(Scope)
	ctx, span := tr.Start(ctx, spanName, trace.WithTimestamp(oc.Stats.OperationStart),
		trace.WithAttributes(attribute.String("graphql.operation.type", typ), attribute.String("graphql.operation.name", name)))
	if oc.Stats.GetExtension(parseMiss) != nil {
		_, p := tr.Start(ctx, "graphql.parse", trace.WithTimestamp(oc.Stats.Parsing.Start))
		p.End(trace.WithTimestamp(oc.Stats.Parsing.End))
		_, v := tr.Start(ctx, "graphql.validate", trace.WithTimestamp(oc.Stats.Validation.Start))
		v.End(trace.WithTimestamp(oc.Stats.Validation.End))
	}
	rh := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := rh(ctx)
		if resp != nil && len(resp.Errors) > 0 {
			span.SetAttributes(attribute.Int("graphql.errors", len(resp.Errors)))
			span.SetStatus(codes.Error, strconv.Itoa(len(resp.Errors))+" errors")
		}
		span.End()
		return resp
	}
}

// QueryCache wraps gqlgen's document cache so that a miss is marked in the
// operation's Stats: Operations then makes parse and validate spans for it
// alone (a cached document costs neither).
func QueryCache[T any](c graphql.Cache[T]) graphql.Cache[T] { return queryCache[T]{c} }

type queryCache[T any] struct{ graphql.Cache[T] }

func (q queryCache[T]) Get(ctx context.Context, key string) (T, bool) {
	v, ok := q.Cache.Get(ctx, key)
	if !ok && graphql.HasOperationContext(ctx) && Recording(ctx) {
		graphql.GetOperationContext(ctx).Stats.SetExtension(parseMiss, true)
	}
	return v, ok
}
