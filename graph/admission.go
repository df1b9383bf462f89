package graph

import (
	"context"
	"runtime"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// DefaultExecutingPerCPU bounds the operations executing at once, per CPU
// (HandlerConfig.MaxExecuting's default is this times GOMAXPROCS).
//
// Why a bound: a W3 query holds about 2 MB while it runs (a goroutine per
// post, loader batches, the response tree). 128 of them at once held over
// 250 MiB, past the memory limit that keeps the process within 150 MiB, and
// the collector then ran without pause (75 CPU-ms per query instead of 6.5).
// Past a few per core, more concurrent executions add no throughput on a
// CPU-bound server, only memory and latency; waiting operations hold only
// their parsed document. 16 per core keeps the cores busy while others wait
// on a 20 ms upstream: 8 per core cost W5 a fifth of its rate there (358–402
// against 431–531 req/s), 16 costs raw W3 at 128 connections more CPU per
// query (9.4 against 7.1 ms) with peak RSS still within 135 MiB.
const DefaultExecutingPerCPU = 16

// admission is a semaphore around each operation's execution (gqlgen's
// AroundResponses: after parsing, validation and the limits).
type admission chan struct{}

func (a admission) ExtensionName() string { return "Admission" }

func (a admission) Validate(graphql.ExecutableSchema) error { return nil }

func (a admission) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	select {
	case a <- struct{}{}:
	case <-ctx.Done():
		return &graphql.Response{Errors: gqlerror.List{{Message: "the request ended before it could run",
			Extensions: map[string]any{"code": "CANCELLED"}}}}
	}
	defer func() { <-a }()
	return next(ctx)
}

func newAdmission(n int) admission {
	if n <= 0 {
		n = DefaultExecutingPerCPU * runtime.GOMAXPROCS(0)
	}
	return make(admission, n)
}
