package aspire

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// breaker is the circuit breaker of the upstream host: after threshold
// consecutive attempts that got no answer at all (connection refused or
// reset, DNS, an attempt timeout), calls fail at once for cooldown instead
// of queueing on the rate limiter and timing out one by one. After the
// cool-down calls go through again; one more failure opens it again, one
// answer (any status) closes it.
type breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time

	mu        sync.Mutex
	failures  int
	openUntil time.Time
}

func newBreaker(threshold int, cooldown time.Duration, now func() time.Time) *breaker {
	if threshold <= 0 {
		return nil
	}
	return &breaker{threshold: threshold, cooldown: cooldown, now: now}
}

// allow fails while the circuit is open.
func (b *breaker) allow(endpoint string) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	left := b.openUntil.Sub(b.now())
	b.mu.Unlock()
	if left <= 0 {
		return nil
	}
	return &Error{Code: CodeUnavailable, Endpoint: endpoint, RetryAfter: left,
		Message: fmt.Sprintf("the Aspire API could not be reached by the last calls; not trying again for %d s", int(math.Ceil(left.Seconds())))}
}

// record counts an attempt: unanswered says no response came back.
func (b *breaker) record(unanswered bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !unanswered {
		b.failures, b.openUntil = 0, time.Time{}
		return
	}
	b.failures++
	if b.failures >= b.threshold {
		b.openUntil = b.now().Add(b.cooldown)
	}
}

// CircuitOpen reports whether calls to the upstream are failing fast, and
// for how much longer.
func (c *Client) CircuitOpen() (bool, time.Duration) {
	b := c.breaker
	if b == nil {
		return false, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	left := b.openUntil.Sub(b.now())
	return left > 0, max(0, left)
}
