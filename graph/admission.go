package graph

import (
	"container/list"
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// DefaultExecutingPerCPU bounds the operations executing at once, per CPU
// (HandlerConfig.MaxExecuting's default is this times GOMAXPROCS; the
// server's -max-executing sets it).
//
// Why a bound: an operation holds memory while it runs (loader batches, the
// response tree), and past a few per core more concurrent executions add no
// throughput on a CPU-bound server, only memory and latency; waiting
// operations hold only their parsed document. When the first W3 held 2 MB
// (a goroutine per post), 128 at once held over 250 MiB and the collector
// ran without pause.
//
// Why 32: a slot is held across upstream waits, so with an upstream of L ms
// a slot runs at most 1000/L uncached operations a second. At 16 per core,
// W5 at 20 ms and 128 connections was held to 32 slots / ~39 ms ≈ 810–913
// req/s with the CPUs 12 % idle; at 32 per core it reached 1,132 (CPU-bound
// again), W3 without merging kept its rate (1,023 → 1,009 req/s) and peak
// RSS (122 → 127 MiB) and paid in p99 (214 → 356 ms: more executions share
// the cores). Upstreams slower than 20 ms need more: raise -max-executing.
const DefaultExecutingPerCPU = 32

// admission bounds the operations executing at once (gqlgen's
// AroundResponses: after parsing, validation and the limits).
//
// A slot is held for the whole execution, upstream waits included, so with
// many tenants (passthrough) one tenant whose calls are slow — its own rate
// limit, a slow workspace, or a caller doing it on purpose — could hold
// every slot and starve the others. With a share, a tenant (key
// fingerprint) may always use up to share slots, and more only while more
// than reserve slots stay free: a busy tenant still gets most of an idle
// server, and the last reserve slots are kept for tenants under their
// share.
type admission struct {
	n, share, reserve int // share 0: one pool, first come first served

	mu    sync.Mutex
	used  int
	held  map[string]int
	queue list.List // of *waiter, in arrival order
}

// A waiter is an operation waiting for a slot. A release hands its slot
// straight to the first waiter that may take it, in arrival order, so a
// wait is as long as the queue ahead of it: the first version woke every
// waiter at each release to race for the lock, which let a waiter lose
// again and again (W5 at 128 connections: p50 75 ms, p99 1.1–2.6 s) and
// cost a wake-up per waiter per release.
type waiter struct {
	id    string
	ready chan struct{} // closed when the slot is granted
}

func (a *admission) ExtensionName() string { return "Admission" }

func (a *admission) Validate(graphql.ExecutableSchema) error { return nil }

func (a *admission) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	id := ""
	if a.share > 0 {
		if l := loaders.For(ctx); l != nil {
			id = l.Tenant().ID()
		}
	}
	if !a.acquire(ctx, id) {
		return notAdmitted(ctx)
	}
	defer a.release(id)
	return next(ctx)
}

// may reports whether tenant id may take a free slot now; a.mu is held.
func (a *admission) may(id string) bool {
	return a.used < a.n && (a.share == 0 || a.held[id] < a.share || a.n-a.used > a.reserve)
}

// take gives tenant id a slot; a.mu is held.
func (a *admission) take(id string) {
	a.used++
	a.held[id]++
}

// acquire waits for a slot until ctx ends. No waiter that may run is ever
// left queued (grant runs at every release), so an arrival that may run
// takes its slot without passing anyone who could have had it.
func (a *admission) acquire(ctx context.Context, id string) bool {
	a.mu.Lock()
	if a.may(id) {
		a.take(id)
		a.mu.Unlock()
		return true
	}
	w := &waiter{id: id, ready: make(chan struct{})}
	e := a.queue.PushBack(w)
	a.mu.Unlock()
	select {
	case <-w.ready:
		return true
	case <-ctx.Done():
		a.mu.Lock()
		select {
		case <-w.ready: // granted meanwhile: give it on
			a.mu.Unlock()
			a.release(id)
		default:
			a.queue.Remove(e)
			a.mu.Unlock()
		}
		return false
	}
}

func (a *admission) release(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.used--
	if a.held[id]--; a.held[id] <= 0 {
		delete(a.held, id)
	}
	a.grant()
}

// grant hands free slots to the waiters that may take them, in arrival
// order; a.mu is held.
func (a *admission) grant() {
	for e := a.queue.Front(); e != nil && a.used < a.n; {
		next := e.Next()
		if w := e.Value.(*waiter); a.may(w.id) {
			a.take(w.id)
			a.queue.Remove(e)
			close(w.ready)
		}
		e = next
	}
}

func notAdmitted(ctx context.Context) *graphql.Response {
	code, msg := "CANCELLED", "the request ended before it could run"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		code, msg = CodeDeadlineExceeded, "the request's deadline passed while it waited for a turn to run"
	}
	return &graphql.Response{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": code}}}}
}

// newAdmission bounds executions to n (0: the default) and, with
// tenantShare > 0, guarantees one tenant n/tenantShare of them and keeps as
// many in reserve for the others (at least 1 each).
func newAdmission(n, tenantShare int) *admission {
	if n <= 0 {
		n = DefaultExecutingPerCPU * runtime.GOMAXPROCS(0)
	}
	a := &admission{n: n, held: map[string]int{}}
	if tenantShare > 0 {
		a.share = max(1, n/tenantShare)
		a.reserve = a.share
	}
	return a
}
