package aspire

import (
	"context"
	"sync"
	"time"
)

// flightGroup makes identical concurrent calls share one execution, like
// golang.org/x/sync/singleflight, with one difference that matters for a
// server: the shared execution runs on its own context and is cancelled only
// when every caller waiting for it has gone. With singleflight, the first
// caller's cancellation fails every caller that joined it, and a call nobody
// waits for any more keeps retrying; here neither happens.
type flightGroup struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done    chan struct{}
	val     any
	err     error
	waiters int
	cancel  context.CancelFunc
	origin  context.Context // the starter's, for tracing (linkJoined)
}

func newFlightGroup() *flightGroup { return &flightGroup{calls: make(map[string]*flightCall)} }

// do runs fn once for all concurrent callers with the same key. shared is
// true for every caller but the one that started the execution. fn's context
// carries the starter's values and deadline but not its cancellation.
func (g *flightGroup) do(ctx context.Context, key string, fn func(context.Context) (any, error)) (v any, shared bool, err error) {
	g.mu.Lock()
	if c, ok := g.calls[key]; ok {
		c.waiters++
		g.mu.Unlock()
		linkJoined(ctx, c.origin)
		v, err = g.wait(ctx, key, c)
		return v, true, err
	}
	fctx := context.WithoutCancel(ctx)
	var cancel context.CancelFunc
	if dl, ok := ctx.Deadline(); ok {
		fctx, cancel = context.WithDeadline(fctx, dl)
	} else {
		fctx, cancel = context.WithCancel(fctx)
	}
	c := &flightCall{done: make(chan struct{}), waiters: 1, cancel: cancel, origin: ctx}
	g.calls[key] = c
	g.mu.Unlock()

	go func() {
		c.val, c.err = fn(fctx)
		g.mu.Lock()
		if g.calls[key] == c {
			delete(g.calls, key)
		}
		g.mu.Unlock()
		cancel()
		close(c.done)
	}()
	v, err = g.wait(ctx, key, c)
	return v, false, err
}

func (g *flightGroup) wait(ctx context.Context, key string, c *flightCall) (any, error) {
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		g.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			// Nobody wants the answer any more: stop the upstream call and let
			// the next caller start afresh.
			c.cancel()
			if g.calls[key] == c {
				delete(g.calls, key)
			}
		}
		g.mu.Unlock()
		return nil, ctx.Err()
	}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
