package gqlexec

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// Schema is what the stand-ins know of the schema they serve; graph's init
// hands it over once (Use), before any operation runs.
type Schema struct {
	// Relations are the fields that can wait on a loader, by "Type.field":
	// the batch resolvers.
	Relations map[string]bool
	// Prefetched lists, by outer relation, the inner relations its batch
	// resolver enqueues before any element asks: MarshalSlice and
	// ResolveConcurrently marshal those in order.
	Prefetched map[string]map[string]bool
	// EdgeGroup names the batch group of each node type's edges.
	EdgeGroup map[string]string
	// EdgeTypes are the edge types' names.
	EdgeTypes map[string]bool
	// PassThrough builds an executable schema with no field middleware, whose
	// pass-through ResolveField compares the operation's with.
	PassThrough func() graphql.ExecutableSchema
	// DriftError reports a field the drifting upstream left out (called
	// only while aspire.Drifting()).
	DriftError func(ctx context.Context, fc *graphql.FieldContext, res any) error
}

var schema Schema

// Use hands the schema's tables to the stand-ins; graph's init calls it.
func Use(s Schema) { schema = s }
