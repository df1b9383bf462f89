// Package admission is a tenant-fair semaphore with a CPU sub-gate: it
// bounds the operations executing at once and, within them, the ones
// running on the CPU (an execution waiting on the upstream lends its CPU
// slot to another). Slots go in arrival order; with a tenant share, one
// tenant may always hold its share and more only while a reserve stays
// free for the others.
//
// It knows nothing of GraphQL or of the upstream client: graph.Admission
// is the gqlgen adapter that names the tenant and hands Running.Waiting to
// the client (aspire.WithWaiter), and server installs it. It imports
// neither gqlgen nor aspire, so the semaphore is tested here alone.
package admission

import (
	"container/list"
	"context"
	"runtime"
	"sync"
	"time"
)

// DefaultExecutingPerCPU bounds the operations executing at once, per CPU
// (New's default n is this times GOMAXPROCS; the
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

// A Gate bounds the operations executing at once (graph.Admission enters
// it in gqlgen's AroundResponses: after parsing, validation and the
// limits).
//
// A slot is held for the whole execution, upstream waits included, so with
// many tenants (passthrough) one tenant whose calls are slow — its own rate
// limit, a slow workspace, or a caller doing it on purpose — could hold
// every slot and starve the others. With a share, a tenant (key
// fingerprint) may always use up to share slots, and more only while more
// than reserve slots stay free: a busy tenant still gets most of an idle
// server, and the last reserve slots are kept for tenants under their
// share.
type Gate struct {
	n, share, reserve int // share 0: one pool, first come first served
	// cpu bounds the admitted executions not waiting on the upstream (half
	// of n); nil in the gate itself.
	cpu *Gate
	// resumeWait, in the CPU gate: how long a return from the upstream
	// waits for a slot (DefaultResumeWait; tests make it long).
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

// DefaultResumeWait bounds how long an execution back from the upstream
// waits for a CPU slot before it runs without one.
const DefaultResumeWait = time.Second

// Enter admits one execution of tenant id (any string, "" when the gate
// keeps no shares; see KeepsShares): it waits, in turn, for an execution
// slot and then for a CPU slot. It reports false, holding nothing, when ctx
// ends first. The caller ends the execution with Done.
func (a *Gate) Enter(ctx context.Context, id string) (*Running, bool) {
	if !a.acquire(ctx, id) {
		return nil, false
	}
	if !a.cpu.acquire(ctx, id) {
		a.release(id)
		return nil, false
	}
	return &Running{exec: a, gate: a.cpu, id: id, ctx: ctx, held: true}, true
}

// KeepsShares reports whether the gate gives each tenant a share, so
// whether Enter's id matters (the adapter names the tenant only then).
func (a *Gate) KeepsShares() bool { return a.share > 0 }

// SetResumeWait replaces DefaultResumeWait (d > 0), before the gate is
// used; a test makes it long so that a cycle the constant would break
// hangs instead.
func (a *Gate) SetResumeWait(d time.Duration) {
	if d > 0 {
		a.cpu.resumeWait = d
	}
}

// Running is one execution's hold on its execution slot and on a CPU slot
// (Gate.cpu). The CPU slot is let go while the execution waits on the
// upstream and taken again, in turn, when its last wait ends. An execution whose resolvers run side by side lets
// it go while any of them waits: a little more CPU work at once than the
// gate says, never less.
type Running struct {
	exec *Gate  // the execution slot's gate, released by Done
	gate *Gate  // the CPU gate
	id   string // the tenant, when the gate keeps shares
	ctx  context.Context

	mu     sync.Mutex
	waits  int
	held   bool
	taking bool // a resume is waiting for the slot
	over   bool // the execution has ended
}

// Waiting tells the gate the execution now waits on the upstream: its CPU
// slot goes to another until it calls the resume returned (the shape of
// an aspire.Waiter).
func (r *Running) Waiting() (resume func()) {
	r.mu.Lock()
	if r.waits++; r.waits == 1 && r.held {
		r.held = false
		r.gate.release(r.id)
	}
	r.mu.Unlock()
	return r.resume
}

func (r *Running) resume() {
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

// Done ends the execution: it gives back the CPU slot, if held, and then
// the execution slot.
func (r *Running) Done() {
	r.mu.Lock()
	r.over = true
	if r.held {
		r.held = false
		r.gate.release(r.id)
	}
	r.mu.Unlock()
	r.exec.release(r.id)
}

// may reports whether tenant id may take a free slot now; a.mu is held.
func (a *Gate) may(id string) bool {
	return a.used < a.n && (a.share == 0 || a.held[id] < a.share || a.n-a.used > a.reserve)
}

// take gives tenant id a slot; a.mu is held.
func (a *Gate) take(id string) {
	a.used++
	a.held[id]++
}

// acquire waits for a slot until ctx ends. No waiter that may run is ever
// left queued (grant runs at every release), so an arrival that may run
// takes its slot without passing anyone who could have had it.
func (a *Gate) acquire(ctx context.Context, id string) bool {
	return a.acquireAt(ctx, id, false)
}

// acquireAt is acquire, queued ahead of every waiter when front is set.
func (a *Gate) acquireAt(ctx context.Context, id string, front bool) bool {
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

func (a *Gate) release(id string) {
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
func (a *Gate) grant() {
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

// New bounds executions to n (0: the default) and, with
// tenantShare > 0, guarantees one tenant n/tenantShare of them and keeps as
// many in reserve for the others (at least 1 each).
func New(n, tenantShare int) *Gate {
	if n <= 0 {
		n = DefaultExecutingPerCPU * runtime.GOMAXPROCS(0)
	}
	// The same shares of both: a tenant whose work is all CPU cannot take
	// every CPU slot either.
	a := newGate(n, tenantShare)
	a.cpu = newGate(max(1, n/2), tenantShare)
	a.cpu.resumeWait = DefaultResumeWait
	return a
}

// newGate is n slots, with tenantShare > 0 a share of n/tenantShare (at
// least 1) per tenant and as many in reserve.
func newGate(n, tenantShare int) *Gate {
	a := &Gate{n: n, held: map[string]int{}}
	if tenantShare > 0 {
		a.share = max(1, n/tenantShare)
		a.reserve = a.share
	}
	return a
}
