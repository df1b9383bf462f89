package aspire

import (
	"context"
	"fmt"
	"sync/atomic"
)

// CodeBudgetExceeded is the error of a call made after its operation spent
// its upstream budget (see WithBudget).
const CodeBudgetExceeded Code = "budget_exceeded"

// budget counts the upstream requests of one operation.
type budget struct {
	max  int64
	used atomic.Int64
}

type budgetKey struct{}

// WithBudget returns ctx allowing at most max upstream HTTP requests
// (retries included; cache hits and shared in-flight calls are free) to the
// calls made with it. Past the budget, calls fail at once with
// CodeBudgetExceeded: a query cannot burn a workspace's quota.
func WithBudget(ctx context.Context, max int) context.Context {
	if max <= 0 {
		return ctx
	}
	return context.WithValue(ctx, budgetKey{}, &budget{max: int64(max)})
}

// BudgetUsed reports the requests spent under ctx's budget and its size
// (0, 0 without one).
func BudgetUsed(ctx context.Context) (used, max int) {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil {
		return 0, 0
	}
	return int(min(b.used.Load(), b.max)), int(b.max)
}

// spend takes one request from ctx's budget, if it has one.
func spend(ctx context.Context, endpoint string) error {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil || b.used.Add(1) <= b.max {
		return nil
	}
	return &Error{Code: CodeBudgetExceeded, Endpoint: endpoint,
		Message: fmt.Sprintf("this operation reached its budget of %d upstream requests (upstream-budget); the fields it could not fetch are null", b.max)}
}
