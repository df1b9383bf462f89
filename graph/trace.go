package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/aspire-graphql/aspire-graphql/tracing"
)

// traceResolver starts the span of a resolver that waits on a loader
// ("resolve Post.member", with how many parents and keys it asked for), when
// the request is traced. Scalar fields never get one: they wait on nothing.
func traceResolver(ctx context.Context, parents, keys int) (context.Context, trace.Span) {
	if !tracing.Recording(ctx) {
		return ctx, noop.Span{}
	}
	name := "resolve"
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Field != nil {
		name += " " + fc.Object + "." + fc.Field.Name
	}
	return tracing.Start(ctx, name, trace.WithAttributes(attribute.Int("graphql.parents", parents), attribute.Int("loader.keys", keys)))
}
