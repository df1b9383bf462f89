package graph

import (
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
)

// HandlerConfig tunes the GraphQL handler.
type HandlerConfig struct {
	// QueryCacheSize is how many parsed and validated documents are kept
	// (default 1000).
	QueryCacheSize int
	// APQCacheSize is how many persisted queries are kept (default 1000); 0
	// with DisableAPQ turns APQ off.
	APQCacheSize int
	DisableAPQ   bool
	// Introspection allows __schema and __type queries.
	Introspection bool
}

// NewHandler returns the GraphQL executor with its transports, caches,
// error presenter and panic recovery. The caller wraps it with the HTTP
// middleware that puts loaders.With into each request's context.
func NewHandler(cfg HandlerConfig) *handler.Server {
	if cfg.QueryCacheSize <= 0 {
		cfg.QueryCacheSize = 1000
	}
	if cfg.APQCacheSize <= 0 {
		cfg.APQCacheSize = 1000
	}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{}}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](cfg.QueryCacheSize))
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	if !cfg.DisableAPQ {
		srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](cfg.APQCacheSize)})
	}
	srv.SetErrorPresenter(ErrorPresenter)
	srv.SetRecoverFunc(Recover)
	return srv
}
