package aspire

import "context"

type waitHookKey struct{}

// WithWaitHook returns ctx under which every upstream call the client waits
// on (a cache miss: its own request, or one in flight it joins, with the
// rate limits' waits) calls hook before the wait and the function hook
// returned once the wait is over. The server's execution bound uses it to
// lend a waiting execution's CPU slot to another (graph/admission.go).
// Waits of one caller may overlap; hook is called for each.
func WithWaitHook(ctx context.Context, hook func() (resume func())) context.Context {
	return context.WithValue(ctx, waitHookKey{}, hook)
}

// waiting calls ctx's wait hook, if any, and returns what ends the wait.
func waiting(ctx context.Context) func() {
	if hook, ok := ctx.Value(waitHookKey{}).(func() func()); ok {
		return hook()
	}
	return func() {}
}
