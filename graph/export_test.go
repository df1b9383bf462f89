package graph

import "github.com/99designs/gqlgen/graphql/handler"

// NewGqlgenHandler is NewHandler with gqlgen's own POST and GET transports.
func NewGqlgenHandler(cfg HandlerConfig) *handler.Server {
	cfg.gqlgenTransports = true
	return NewHandler(cfg)
}
