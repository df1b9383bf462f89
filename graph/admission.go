package graph

import (
	"container/list"
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// DefaultExecutingPerCPU bounds the operations executing at once, per CPU
// (HandlerConfig.MaxExecuting's default is this times GOMAXPROCS; the
// server's -max-executing sets it); half as many run on the CPU at once,
// the others waiting on the upstream or for a CPU slot.
//
// Why a bound: an operation holds memory while it runs (loader batches, the
// response tree), and past a few per core more concurrent executions add no
// throughput on a CPU-bound server, only memory and latency; waiting
// operations hold only their parsed document. When the first W3 held 2 MB
// (a goroutine per post), 128 at once held over 250 MiB and the collector
// ran without pause.
//
// Why two bounds: a slot held across upstream waits runs at most 1000/L
// uncached operations a second with an upstream of L ms. At 16 per core,
// held across waits, W5 at 20 ms and 128 connections was held to ~810–913
// req/s with the CPUs 12 % idle; 32 per core held across waits reached
// 1,132 but let 64 CPU-bound executions share two cores (W3 without
// merging: p99 396 → 919 ms). Executing 32 per core with 16 per core on the
// CPU (an execution lends its CPU slot while it waits on the upstream) keeps
// both: W5 930–978 req/s, that W3 p99 345 ms (docs/decisions.md, fifth
// pass). Upstreams slower than 20 ms need more: raise -max-executing.
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
	// cpu bounds the admitted executions not waiting on the upstream (half
	// of n); nil in the gate itself.
	cpu *admission
	// resumeWait, in the gate: how long a return from the upstream waits
	// for a slot (the constant; tests make it long).
	resumeWait time.Duration

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
	front bool          // queued ahead of the others (acquireAt)
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
	if a.cpu == nil {
		return next(ctx)
	}
	if !a.cpu.acquire(ctx, id) {
		return notAdmitted(ctx)
	}
	r := &running{gate: a.cpu, id: id, ctx: ctx, held: true}
	defer r.done()
	return next(aspire.WithWaitHook(ctx, r.wait))
}

// resumeWait bounds how long an execution back from the upstream waits for
// a CPU slot before it runs without one.
const resumeWait = time.Second

// running is one execution's hold on a CPU slot (admission.cpu): let go
// while the execution waits on the upstream, taken again, in turn, when
// its last wait ends. An execution whose resolvers run side by side lets
// it go while any of them waits: a little more CPU work at once than the
// gate says, never less.
type running struct {
	gate *admission
	id   string // the tenant, when the gate keeps shares
	ctx  context.Context

	mu     sync.Mutex
	waits  int
	held   bool
	taking bool // a resume is waiting for the slot
	over   bool // the execution has ended
}

func (r *running) wait() func() {
	r.mu.Lock()
	if r.waits++; r.waits == 1 && r.held {
		r.held = false
		r.gate.release(r.id)
	}
	r.mu.Unlock()
	return r.resume
}

func (r *running) resume() {
	r.mu.Lock()
	r.waits--
	take := r.waits == 0 && !r.held && !r.taking && !r.over
	r.taking = r.taking || take
	r.mu.Unlock()
	if !take {
		return
	}
	// Ahead of executions yet to start: this one holds memory, and others
	// may wait on what it brought (a by-id look-up's rows). Not forever: a
	// wait the client does not report (none known) could otherwise close a
	// cycle of executions each holding what another needs; past
	// resumeWait, or once the request is over, it runs on without a slot.
	ctx, cancel := context.WithTimeout(r.ctx, r.gate.resumeWait)
	ok := r.gate.acquireAt(ctx, r.id, true)
	cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.taking = false
	switch {
	case !ok:
	case r.over || r.waits > 0: // ended, or waiting again, meanwhile
		r.gate.release(r.id)
	default:
		r.held = true
	}
}

func (r *running) done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.over = true
	if r.held {
		r.held = false
		r.gate.release(r.id)
	}
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
	return a.acquireAt(ctx, id, false)
}

// acquireAt is acquire, queued ahead of every waiter when front is set.
func (a *admission) acquireAt(ctx context.Context, id string, front bool) bool {
	a.mu.Lock()
	if a.may(id) {
		a.take(id)
		a.mu.Unlock()
		return true
	}
	w := &waiter{id: id, ready: make(chan struct{}), front: front}
	var e *list.Element
	if front { // behind the other front waiters: in turn among themselves
		at := a.queue.Front()
		for at != nil && at.Value.(*waiter).front {
			at = at.Next()
		}
		if at == nil {
			e = a.queue.PushBack(w)
		} else {
			e = a.queue.InsertBefore(w, at)
		}
	} else {
		e = a.queue.PushBack(w)
	}
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
	// The same shares of both: a tenant whose work is all CPU cannot take
	// every CPU slot either.
	a := newGate(n, tenantShare)
	a.cpu = newGate(max(1, n/2), tenantShare)
	a.cpu.resumeWait = resumeWait
	return a
}

// newGate is n slots, with tenantShare > 0 a share of n/tenantShare (at
// least 1) per tenant and as many in reserve.
func newGate(n, tenantShare int) *admission {
	a := &admission{n: n, held: map[string]int{}}
	if tenantShare > 0 {
		a.share = max(1, n/tenantShare)
		a.reserve = a.share
	}
	return a
}
