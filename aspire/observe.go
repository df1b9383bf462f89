package aspire

import (
	"context"
	"time"
)

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	// EventRequest is one HTTP attempt to the upstream.
	EventRequest EventKind = iota + 1
	// EventCacheHit is a call answered from the response cache.
	EventCacheHit
	// EventCacheMiss is a call the cache could not answer.
	EventCacheMiss
	// EventShared is a call that joined an identical one in flight.
	EventShared
	// EventRateLimitWait is time spent waiting for the client-side bucket.
	EventRateLimitWait
	// EventDrift is a difference between a response and the contract
	// (Field, Drift), found by sampling responses (see drift.go).
	EventDrift
	// EventSharedCacheHit is a call answered from the cache shared between
	// replicas (see WithSharedCache), after the local cache missed.
	EventSharedCacheHit
)

func (k EventKind) String() string {
	switch k {
	case EventRequest:
		return "request"
	case EventCacheHit:
		return "cache_hit"
	case EventCacheMiss:
		return "cache_miss"
	case EventShared:
		return "shared"
	case EventRateLimitWait:
		return "rate_limit_wait"
	case EventDrift:
		return "drift"
	case EventSharedCacheHit:
		return "shared_cache_hit"
	}
	return "unknown"
}

// Event is what an Observer is told. Endpoint is a route template such as
// "/v1/posts" or "/v1/posts/{id}", never a URL with parameters or ids.
type Event struct {
	Kind     EventKind
	Endpoint string
	Status   int           // EventRequest: HTTP status, 0 if none came back
	Attempt  int           // EventRequest: 1 for the first attempt
	Duration time.Duration // EventRequest: time to the end of the body; EventRateLimitWait: time waited
	Err      error         // EventRequest: the attempt's error, if any
	Field    string        // EventDrift: the field, e.g. "data[].metrics.tmv"
	Drift    string        // EventDrift: "unknown" or "missing"
}

// Observer receives Events, synchronously on the calling goroutine: keep it
// fast. ctx is the context of the call (for a shared execution, the context
// of the caller that started it), so an observer can attribute events to the
// request that caused them. The client never imports a metrics library; the
// server adapts Events to Prometheus.
type Observer func(ctx context.Context, e Event)

func (c *Client) observe(ctx context.Context, e Event) {
	if c.cfg.observer != nil {
		c.cfg.observer(ctx, e)
	}
	if c.cfg.tracing {
		traceEvent(ctx, e)
	}
}
