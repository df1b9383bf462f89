package loaders

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/aspire-graphql/aspire-graphql/tracing"
)

// traced gives each batch a span ("loader member", with the kind and the key
// count) when the request is traced; the batch runs in the context of the
// Load that opened it, so the span sits under that resolver's span.
func traced[K comparable, V any](name string, fn dataloader.BatchFunc[K, V]) dataloader.BatchFunc[K, V] {
	return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		if !tracing.Recording(ctx) {
			return fn(ctx, keys)
		}
		ctx, span := tracing.Start(ctx, "loader "+name)
		defer span.End()
		out := fn(ctx, keys)
		failed := 0
		for _, r := range out {
			if r != nil && r.Error != nil {
				failed++
			}
		}
		span.SetAttributes(attribute.String("loader.kind", name), attribute.Int("loader.keys", len(keys)),
			attribute.Int("loader.errors", failed))
		if failed > 0 {
			span.SetStatus(codes.Error, "some keys failed")
		}
		return out
	}
}
