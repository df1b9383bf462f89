package aspire

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"golang.org/x/time/rate"
)

// The stages of one upstream fetch, in the order a call meets them (fetch,
// in transport.go, strings them together):
//
//	retry { breaker.allow → unverified.take → spend (budget) → limits.take
//	        → attempt (HTTP) → keys.record → limits.saw429 }
//
// The order is the cheapest refusal first: an open circuit costs nothing to
// check and no token; the unverified allowance is checked before the budget
// so that a made-up key spends no operation budget; the budget before the
// rate limits, so that a call the operation may not make does not take (and
// waste) a token another call could use; and the limits last, just before
// the request, so that a wait is never followed by a refusal. Each stage
// holds its own clock and sleep, for tests without sleeps.

// unverifiedAllowance bounds the calls that verify keys never accepted to a
// quarter of the upstream ceiling (see keyBook). A nil limiter: no bound.
type unverifiedAllowance struct{ lim *rate.Limiter }

func newUnverifiedAllowance(ceiling rate.Limit, burst int) unverifiedAllowance {
	if ceiling <= 0 {
		return unverifiedAllowance{}
	}
	return unverifiedAllowance{lim: rate.NewLimiter(ceiling/4, max(1, burst/4))}
}

// bounded reports whether the allowance limits anything.
func (a unverifiedAllowance) bounded() bool { return a.lim != nil }

// take takes one call from the allowance at now.
func (a unverifiedAllowance) take(now time.Time, endpoint string) error {
	if a.lim == nil || a.lim.AllowN(now, 1) {
		return nil
	}
	return &Error{Code: CodeRateLimited, Endpoint: endpoint, RetryAfter: time.Second,
		Message: "too many requests with API keys the Aspire API has not accepted yet; retry in a moment"}
}

// retryPolicy runs one attempt after another: on a retryable error, after a
// backoff or the upstream's Retry-After, while attempts and the deadline
// allow.
type retryPolicy struct {
	attempts      int
	base, max     time.Duration // the backoff
	maxRetryAfter time.Duration
	now           func() time.Time
	sleep         func(context.Context, time.Duration) error
	jitter        func(n time.Duration) time.Duration // in [0, n]
}

func newRetryPolicy(cfg config) retryPolicy {
	return retryPolicy{attempts: cfg.attempts, base: cfg.backoffBase, max: cfg.backoffMax,
		maxRetryAfter: cfg.maxRetryAfter, now: time.Now, sleep: sleep,
		jitter: func(n time.Duration) time.Duration { return rand.N(n + 1) }}
}

// do calls attempt with 1, 2, … A stop error (a refusal before the request
// went out) ends the call at once.
func (p retryPolicy) do(ctx context.Context, endpoint string, attempt func(n int) (body *bytes.Buffer, err error, stop bool)) (*bytes.Buffer, error) {
	for n := 1; ; n++ {
		body, err, stop := attempt(n)
		if err == nil || stop {
			return body, err
		}
		if ctx.Err() != nil {
			return nil, contextError(endpoint, ctx.Err())
		}
		var ae *Error
		if !errors.As(err, &ae) || !ae.retryable() || n >= p.attempts {
			return nil, err
		}
		wait := p.backoff(n)
		if ae.Code == CodeRateLimited && ae.RetryAfter > 0 {
			if ae.RetryAfter > p.maxRetryAfter {
				return nil, err // not worth holding the caller: tell them when to come back
			}
			wait = ae.RetryAfter
		}
		if dl, ok := ctx.Deadline(); ok && dl.Sub(p.now()) < wait {
			return nil, err // the retry could not finish in time; the real error is more useful
		}
		if p.sleep(ctx, wait) != nil {
			return nil, contextError(endpoint, ctx.Err())
		}
	}
}

// backoff is exponential with equal jitter: half fixed, half random, so that
// synchronized clients spread out without ever retrying at once.
func (p retryPolicy) backoff(attempt int) time.Duration {
	d := p.base << (attempt - 1)
	if d > p.max || d <= 0 {
		d = p.max
	}
	half := d / 2
	return half + p.jitter(half)
}
