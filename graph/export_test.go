package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// NewGqlgenHandler is NewHandler with gqlgen's own POST and GET transports.
func NewGqlgenHandler(cfg HandlerConfig) *handler.Server {
	cfg.gqlgenTransports = true
	return NewHandler(cfg)
}

// StrangersGate runs MutateOperationParameters of a passthrough handler's
// limits (strangers' gate already holding taken places) for query.
func StrangersGate(ctx context.Context, taken int, query string) *gqlerror.Error {
	e := limitsExtension{limits: DefaultLimits, es: NewExecutableSchema(Config{Resolvers: &Resolver{}}), strangers: make(chan struct{}, 1)}
	for range taken {
		e.strangers <- struct{}{}
	}
	return e.MutateOperationParameters(ctx, &graphql.RawParams{Query: query})
}
