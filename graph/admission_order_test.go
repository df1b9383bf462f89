package graph

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// queued waits until n operations wait for a slot.
func (a *admission) queued(t *testing.T, n int) {
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
	a := newAdmission(1, 0)
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
