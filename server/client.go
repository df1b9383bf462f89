package server

import (
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/config"
)

// NewClient builds the Aspire client the settings describe, reporting to
// observer. extra options come last (tests shorten the backoff).
func NewClient(cfg *config.Config, baseURL string, observer aspire.Observer, extra ...aspire.Option) (*aspire.Client, error) {
	opts := []aspire.Option{
		aspire.WithObserver(observer),
		aspire.WithCache(cfg.CacheBytes, cfg.CacheTTL, cfg.CachePastTTL),
		aspire.WithRetry(cfg.Retries, 100*time.Millisecond, 2*time.Second),
		aspire.WithAttemptTimeout(cfg.AttemptTimeout),
		aspire.WithRateLimit(cfg.RateLimit, cfg.RateBurst),
		aspire.WithDedup(cfg.Dedup),
		aspire.WithUpstreamCeiling(cfg.RateLimit*cfg.UpstreamCeiling, int(float64(cfg.RateBurst)*cfg.UpstreamCeiling)),
		aspire.WithKeyCheck(cfg.KeyRecheck, cfg.KeyRefusedTTL),
		aspire.WithCircuitBreaker(cfg.BreakerFailures, cfg.BreakerCooldown),
	}
	if cfg.Contract != nil {
		opts = append(opts, aspire.WithContract(cfg.Contract))
	}
	return aspire.New(baseURL, append(opts, extra...)...)
}
