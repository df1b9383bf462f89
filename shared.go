package main

import (
	"context"

	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/rs/zerolog"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/redisstore"
	"github.com/aspire-graphql/aspire-graphql/server"
	"github.com/aspire-graphql/aspire-graphql/telemetry"
)

// shared is the state replicas share through Redis (redis-url), chosen once
// here: no other part learns whether it has it.
type shared struct {
	store *redisstore.Store
	lim   *redisstore.Limiter
}

// openShared connects to redis-url; without it, it returns nil and every
// method is a no-op, so a single server needs nothing else.
func openShared(ctx context.Context, cfg *config.Config, log zerolog.Logger, m *telemetry.Metrics) (*shared, error) {
	if cfg.RedisURL == "" {
		return nil, nil
	}
	st, err := redisstore.Open(ctx, redisstore.Options{URL: cfg.RedisURL, Timeout: cfg.RedisTimeout, Logger: log, Registerer: m.Registry})
	if err != nil {
		return nil, err
	}
	return &shared{store: st, lim: st.Limiter(cfg.RateLimit, cfg.RateBurst, cfg.ExpectedReplicas)}, nil
}

// clientOptions put the shared cache under the client's and the shared
// budget in place of its own bucket.
func (s *shared) clientOptions() []aspire.Option {
	if s == nil {
		return nil
	}
	opts := []aspire.Option{aspire.WithSharedCache(s.store.Cache("upstream"))}
	if s.lim != nil {
		opts = append(opts, aspire.WithSharedLimiter(s.lim))
	}
	return opts
}

// serverOptions adds the shared response cache, APQ and readiness to o.
func (s *shared) serverOptions(o server.Options) server.Options {
	if s == nil {
		return o
	}
	o.SharedResponses = s.store.Cache("response")
	o.APQ = s.store.APQ(graph.NewAPQCache(graph.DefaultAPQBytes))
	o.Degraded = s.store.Degraded
	return o
}

func (s *shared) close() {
	if s == nil {
		return
	}
	if s.lim != nil {
		s.lim.Close()
	}
	_ = s.store.Close()
}
