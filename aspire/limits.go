package aspire

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/time/rate"
)

// The rate limits a call meets just before its request: the tenant's budget
// (in-process buckets, or one shared by every replica: SharedLimiter) and
// the server-wide upstream ceiling.

const (
	msgLocalLimit   = "too many requests to the Aspire API from this workspace; the client-side rate limit would wait past the deadline"
	msgSharedLimit  = "too many requests to the Aspire API from this workspace; the shared rate limit would wait past the deadline"
	msgCeilingLimit = "too many requests to the Aspire API from this server (upstream-ceiling); retry in a moment"
)

// localBuckets is the in-process SharedLimiter: one token bucket per
// tenant, bounded in number so that a stream of distinct (or made-up) keys
// cannot grow memory; an evicted tenant simply starts with a full bucket.
// With a zero rate it limits nothing. Defer does nothing: one process has
// no other replicas to hold back.
type localBuckets struct {
	limiters *otter.Cache[string, *rate.Limiter] // nil: no limit
	rate     rate.Limit
	burst    int
	now      func() time.Time
}

func newLocalBuckets(r rate.Limit, burst int) *localBuckets {
	b := &localBuckets{rate: r, burst: burst, now: time.Now}
	if r > 0 {
		b.limiters = otter.Must(&otter.Options[string, *rate.Limiter]{
			MaximumSize:      10_000,
			ExpiryCalculator: otter.ExpiryAccessing[string, *rate.Limiter](10 * time.Minute),
		})
	}
	return b
}

// reserve takes one token of tenant's bucket at now (nil: no limit). The
// limiter stage holds the reservation open until it knows the ceiling's
// wait, and cancels both when together they would pass the deadline: the
// reason this is not Reserve.
func (b *localBuckets) reserve(tenant string, now time.Time) *rate.Reservation {
	if b.limiters == nil {
		return nil
	}
	l, ok := b.limiters.GetIfPresent(tenant)
	if !ok {
		l, _ = b.limiters.SetIfAbsent(tenant, rate.NewLimiter(b.rate, b.burst))
	}
	return l.ReserveN(now, 1)
}

// Reserve implements SharedLimiter.
func (b *localBuckets) Reserve(_ context.Context, tenant string, maxWait time.Duration) (time.Duration, bool) {
	now := b.now()
	r := b.reserve(tenant, now)
	if r == nil {
		return 0, true
	}
	d := r.DelayFrom(now)
	if maxWait >= 0 && d > maxWait {
		r.CancelAt(now)
		return d, false
	}
	return d, true
}

// Defer implements SharedLimiter: nothing to share.
func (b *localBuckets) Defer(context.Context, string, time.Duration) {}

func (b *localBuckets) close() {
	if b.limiters != nil {
		b.limiters.StopAllGoroutines()
	}
}

// limitStage waits for a token of the tenant's budget and of the ceiling; a
// wait that would outlast the context fails at once as rate limited.
type limitStage struct {
	tenants SharedLimiter // never nil: *localBuckets or a shared budget
	ceiling *rate.Limiter // every tenant's calls together; nil: none
	retry   time.Duration // the Retry-After assumed for a 429 without one
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	observe func(context.Context, Event)
}

// take waits for the tenant's token and the ceiling's. With in-process
// buckets both are reserved at once and the longer wait is waited; with a
// shared budget its wait comes first (it may be long: every replica's
// calls), then the ceiling's.
func (s *limitStage) take(ctx context.Context, tenant, endpoint string) error {
	local, isLocal := s.tenants.(*localBuckets)
	if !isLocal {
		if err := s.takeShared(ctx, tenant, endpoint); err != nil {
			return err
		}
	}
	now := s.now()
	var rs []*rate.Reservation
	var d time.Duration
	msg := msgLocalLimit
	if isLocal {
		if r := local.reserve(tenant, now); r != nil {
			rs, d = append(rs, r), r.DelayFrom(now)
		}
	}
	if s.ceiling != nil {
		r := s.ceiling.ReserveN(now, 1)
		rs = append(rs, r)
		if r.DelayFrom(now) > d {
			d = r.DelayFrom(now)
			msg = msgCeilingLimit
		}
	}
	cancel := func() {
		at := s.now()
		for _, r := range rs {
			r.CancelAt(at)
		}
	}
	if d == 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && dl.Sub(now) < d {
		cancel()
		return &Error{Code: CodeRateLimited, Endpoint: endpoint, RetryAfter: d, Message: msg}
	}
	s.observe(ctx, Event{Kind: EventRateLimitWait, Endpoint: endpoint, Duration: d})
	if err := s.sleep(ctx, d); err != nil {
		cancel()
		return contextError(endpoint, err)
	}
	return nil
}

// takeShared waits for a token of the shared budget.
func (s *limitStage) takeShared(ctx context.Context, tenant, endpoint string) error {
	maxWait := time.Duration(-1)
	if dl, ok := ctx.Deadline(); ok {
		maxWait = max(0, dl.Sub(s.now()))
	}
	d, ok := s.tenants.Reserve(ctx, tenant, maxWait)
	if !ok {
		return &Error{Code: CodeRateLimited, Endpoint: endpoint, RetryAfter: d, Message: msgSharedLimit}
	}
	if d == 0 {
		return nil
	}
	s.observe(ctx, Event{Kind: EventRateLimitWait, Endpoint: endpoint, Duration: d})
	if err := s.sleep(ctx, d); err != nil {
		return contextError(endpoint, err)
	}
	return nil
}

// saw429 passes an upstream 429's Retry-After to the tenant's budget, so
// that the other replicas hold back too (in process: nothing).
func (s *limitStage) saw429(ctx context.Context, tenant string, err error) {
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests {
		return
	}
	d := ae.RetryAfter
	if d <= 0 {
		d = s.retry
	}
	s.tenants.Defer(ctx, tenant, d)
}
