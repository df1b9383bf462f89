package aspire

import "context"

// Waiter is told of every upstream call the client waits on (a cache miss:
// its own request, or one in flight it joins, with the rate limits' waits):
// Waiting is called before the wait and the function it returns once the
// wait is over. Waits of one caller may overlap; Waiting is called for each.
// The server's execution bound uses it to lend a waiting execution's CPU
// slot to another (admission.Running is one; graph/admission.go installs it).
//
// It travels in the context, not in the Client or the Tenant, because it
// belongs to one operation: the Client serves the whole process and the
// Tenant is made before the operation is admitted.
type Waiter interface {
	Waiting() (resume func())
}

type waiterKey struct{}

// WithWaiter returns ctx under which the client's waits are told to w.
func WithWaiter(ctx context.Context, w Waiter) context.Context {
	return context.WithValue(ctx, waiterKey{}, w)
}

// WaiterFunc adapts a function to Waiter.
type WaiterFunc func() (resume func())

// Waiting calls f.
func (f WaiterFunc) Waiting() func() { return f() }

// waiting tells ctx's Waiter, if any, of a wait and returns what ends it.
func waiting(ctx context.Context) func() {
	if w, ok := ctx.Value(waiterKey{}).(Waiter); ok {
		return w.Waiting()
	}
	return func() {}
}
