package graph

import (
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
)

// NewGqlgenHandler is NewHandler with gqlgen's own POST and GET transports.
func NewGqlgenHandler(cfg HandlerConfig) *handler.Server {
	cfg.gqlgenTransports = true
	return NewHandler(cfg)
}

// NewHandlerResumeWait is NewHandler whose executions back from the
// upstream wait up to d for a CPU slot before they run without one.
func NewHandlerResumeWait(cfg HandlerConfig, d time.Duration) *handler.Server {
	cfg.resumeWait = d
	return NewHandler(cfg)
}
