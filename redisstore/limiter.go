package redisstore

import (
	"context"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// reserve is GCRA with reservations. The key holds the theoretical arrival
// time (TAT, µs on Redis's clock); a request may go at max(now, TAT − τ),
// after which TAT moves on by one emission interval T. τ = T × (burst − 1),
// so a full bucket lets burst requests go at once.
//
// KEYS[1] the tenant's TAT; ARGV[1] T (µs); ARGV[2] τ (µs); ARGV[3] the
// longest wait the caller accepts (µs, −1: any). Returns {1, wait µs} when
// reserved, {0, wait µs} when the wait is too long (nothing reserved).
var reserve = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local T, tau, maxw = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local at = tat - tau
if at < now then at = now end
local wait = at - now
if maxw >= 0 and wait > maxw then return {0, wait} end
tat = tat + T
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return {1, wait}
`)

// deferScript pushes a tenant's TAT so that its bucket is empty until now +
// ARGV[1] µs (an upstream Retry-After): no replica sends before then.
// ARGV[2] is τ (µs).
var deferScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local want = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if want > tat then
  redis.call('SET', KEYS[1], string.format('%.0f', want), 'PX', math.ceil((want - now) / 1000) + 1000)
end
return 1
`)

// Limiter is the upstream rate budget of each tenant, shared by every
// replica through Redis, with a local fallback while Redis is down.
type Limiter struct {
	s        *Store
	interval time.Duration // T
	tau      time.Duration
	local    *otter.Cache[string, *rate.Limiter]
	lrate    rate.Limit
	lburst   int
}

// Limiter returns the shared budget of perSecond requests a second with
// bursts of burst, per tenant. While Redis is down each replica keeps to
// perSecond / replicas (burst / replicas, at least 1): the replicas together
// stay within the budget without talking to one another. perSecond <= 0
// returns nil: no limit.
func (s *Store) Limiter(perSecond float64, burst, replicas int) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	burst, replicas = max(1, burst), max(1, replicas)
	interval := time.Duration(float64(time.Second) / perSecond)
	return &Limiter{s: s, interval: interval, tau: interval * time.Duration(burst-1),
		lrate: rate.Limit(perSecond / float64(replicas)), lburst: max(1, burst/replicas),
		local: otter.Must(&otter.Options[string, *rate.Limiter]{
			MaximumSize:      10_000,
			ExpiryCalculator: otter.ExpiryAccessing[string, *rate.Limiter](10 * time.Minute),
		})}
}

func limiterKey(tenant string) string { return Prefix + "rate:" + tenant }

// Reserve takes one request from tenant's budget and returns how long to
// wait before sending it. When that wait would be longer than maxWait (< 0:
// no bound) it takes nothing and returns ok false with the wait it would have
// needed.
func (l *Limiter) Reserve(ctx context.Context, tenant string, maxWait time.Duration) (wait time.Duration, ok bool) {
	mw := int64(-1)
	if maxWait >= 0 {
		mw = maxWait.Microseconds()
	}
	var res []int64
	err := l.s.do(ctx, "rate_reserve", func(ctx context.Context) error {
		var err error
		res, err = reserve.Run(ctx, l.s.rdb, []string{limiterKey(tenant)}, l.interval.Microseconds(), l.tau.Microseconds(), mw).Int64Slice()
		return err
	})
	if err == nil && len(res) == 2 {
		if res[0] == 1 {
			l.s.m.limiter.WithLabelValues("redis").Inc()
		}
		return time.Duration(res[1]) * time.Microsecond, res[0] == 1
	}
	return l.reserveLocal(tenant, maxWait)
}

func (l *Limiter) reserveLocal(tenant string, maxWait time.Duration) (time.Duration, bool) {
	lim, ok := l.local.GetIfPresent(tenant)
	if !ok {
		// Empty at first: the shared budget was being spent up to now, and
		// every replica falls back at once.
		fresh := rate.NewLimiter(l.lrate, l.lburst)
		fresh.ReserveN(time.Now(), l.lburst)
		lim, _ = l.local.SetIfAbsent(tenant, fresh)
	}
	r := lim.Reserve()
	d := r.Delay()
	if maxWait >= 0 && d > maxWait {
		r.Cancel()
		return d, false
	}
	l.s.m.limiter.WithLabelValues("local").Inc()
	return d, true
}

// Defer makes every replica wait d before the tenant's next request: the
// upstream answered 429 with Retry-After d.
func (l *Limiter) Defer(ctx context.Context, tenant string, d time.Duration) {
	if d <= 0 {
		return
	}
	// Down: the local share goes on; the caller itself still waits d before
	// its retry.
	_ = l.s.do(ctx, "rate_defer", func(ctx context.Context) error {
		return deferScript.Run(ctx, l.s.rdb, []string{limiterKey(tenant)}, d.Microseconds(), l.tau.Microseconds()).Err()
	})
}

// Close stops the fallback buckets' background work.
func (l *Limiter) Close() { l.local.StopAllGoroutines() }
