package admission

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// queued waits until n operations wait for a slot.
func (a *Gate) queued(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		a.mu.Lock()
		got := a.queue.Len()
		a.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d operations queued, want %d", got, n)
		}
	}
}

// TestAdmissionIsFirstComeFirstServed: slots go to the waiting operations in
// the order they arrived, and one that leaves while waiting leaves the queue
// without taking a slot.
func TestAdmissionIsFirstComeFirstServed(t *testing.T) {
	t.Parallel()
	a := New(1, 0)
	ctx := context.Background()
	if !a.acquire(ctx, "") {
		t.Fatal("the first operation waited")
	}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	const n = 20
	leaving, leave := context.WithCancel(ctx)
	for i := range n {
		c := ctx
		if i == 7 {
			c = leaving
		}
		wg.Go(func() {
			if !a.acquire(c, "") {
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			a.release("")
		})
		a.queued(t, i+1)
	}
	leave()
	a.queued(t, n-1)
	a.release("")
	wg.Wait()
	var want []int
	for i := range n {
		if i != 7 {
			want = append(want, i)
		}
	}
	if !slices.Equal(order, want) {
		t.Errorf("slots went in the order %v, want %v", order, want)
	}
	if a.used != 0 || len(a.held) != 0 || a.queue.Len() != 0 {
		t.Errorf("after all: %d used, %v held, %d queued", a.used, a.held, a.queue.Len())
	}
}

// TestCPUSlotsKeepTenantShares: in passthrough (shares), the CPU slots keep
// the same shares as the executing ones: a tenant whose work is all CPU
// holds at most its share while the reserve is short, so another tenant's
// operation gets a CPU slot at once; and a tenant's return from the
// upstream, though queued ahead, does not pass its share.
func TestCPUSlotsKeepTenantShares(t *testing.T) {
	t.Parallel()
	a := New(8, 2) // 4 CPU slots; a share and a reserve of 2
	cpu, ctx := a.cpu, context.Background()
	if cpu.n != 4 || cpu.share != 2 || cpu.reserve != 2 {
		t.Fatalf("CPU gate %d slots, share %d, reserve %d; want 4, 2, 2", cpu.n, cpu.share, cpu.reserve)
	}
	for range 2 {
		if !cpu.acquire(ctx, "busy") {
			t.Fatal("a slot within the share waited")
		}
	}
	third := make(chan bool, 1)
	go func() { third <- cpu.acquireAt(ctx, "busy", true) }()
	cpu.queued(t, 1)
	if !cpu.acquire(ctx, "other") {
		t.Fatal("the other tenant waited")
	}
	select {
	case <-third:
		t.Fatal("the busy tenant passed its share while the reserve was short")
	default:
	}
	cpu.release("busy")
	if !<-third {
		t.Fatal("the busy tenant's queued operation never ran")
	}
}

// TestWaitingLendsTheCPUSlot: Enter holds an execution slot and a CPU slot;
// an execution waiting on the upstream (Waiting) lends its CPU slot to one
// that entered after it, and its resume takes the slot back, in turn, once
// that one is done. Done gives back both slots.
func TestWaitingLendsTheCPUSlot(t *testing.T) {
	t.Parallel()
	g := New(2, 0) // 2 executing, 1 on the CPU
	ctx := context.Background()
	first, ok := g.Enter(ctx, "")
	if !ok {
		t.Fatal("the first execution waited")
	}
	second := make(chan *Running, 1)
	go func() {
		r, _ := g.Enter(ctx, "")
		second <- r
	}()
	g.cpu.queued(t, 1)
	if g.used != 2 {
		t.Fatalf("%d execution slots used while the second waits for the CPU, want 2", g.used)
	}
	resume := first.Waiting()
	r := <-second
	resumed := make(chan struct{})
	go func() { resume(); close(resumed) }()
	g.cpu.queued(t, 1)
	r.Done()
	<-resumed
	first.mu.Lock()
	held := first.held
	first.mu.Unlock()
	if !held {
		t.Fatal("the resumed execution did not take its CPU slot back")
	}
	first.Done()
	if g.used != 0 || g.cpu.used != 0 || len(g.held) != 0 || len(g.cpu.held) != 0 {
		t.Errorf("after all: %d/%d used, %v/%v held", g.used, g.cpu.used, g.held, g.cpu.held)
	}
}
