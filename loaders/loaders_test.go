package loaders_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// The loaders over the simulator, whose request log is the witness: each
// test names the exact number of upstream calls. Loads are queued before
// any thunk is read, within a batch window far longer than the queueing, so
// that a batch holds them all whatever the machine's load.

var (
	demo   = aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID}
	all    = aspire.Range{Start: aspire.NewDate(2025, 1, 1), End: aspire.NewDate(2026, 12, 31)}
	window = loaders.WithWait(200 * time.Millisecond)
)

func stack(t *testing.T, sizes aspiretest.Sizes, opts ...loaders.Option) (*aspiretest.Server, *loaders.Loaders) {
	t.Helper()
	sim := aspiretest.New(aspiretest.WithSizes(sizes), aspiretest.WithRateLimit(0, 0))
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	c, err := aspire.New(ts.URL, aspire.WithRateLimit(0, 0), aspire.WithRetry(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return sim, loaders.New(c.As(demo), opts...)
}

func TestSiblingsInOneBatchAreOneCall(t *testing.T) {
	t.Parallel()
	sim, l := stack(t, aspiretest.SmallSizes, window)
	ctx := context.Background()
	ids := []string{"11000001", "11000002", "11000003"}
	var thunks []func() (*aspire.Member, error)
	for _, id := range ids {
		thunks = append(thunks, l.Member.Load(ctx, id))
	}
	for i, th := range thunks {
		m, err := th()
		if err != nil || m.ID != ids[i] {
			t.Fatalf("member %s: %+v, %v", ids[i], m, err)
		}
	}
	if n := sim.Count(""); n != 1 {
		t.Fatalf("%d upstream calls for three sibling members, want 1", n)
	}
	// Asked again of the same loaders: their cache answers.
	if _, err := l.Member.Load(ctx, "11000002")(); err != nil {
		t.Fatal(err)
	}
	if n := sim.Count(""); n != 1 {
		t.Fatalf("%d upstream calls after a cached key, want still 1", n)
	}
}

func TestWithoutBatchingIsOneCallPerKey(t *testing.T) {
	t.Parallel()
	sim, l := stack(t, aspiretest.SmallSizes, loaders.WithoutBatching())
	ctx := context.Background()
	var thunks []func() (*aspire.Member, error)
	for _, id := range []string{"11000001", "11000002", "11000003"} {
		thunks = append(thunks, l.Member.Load(ctx, id))
	}
	for _, th := range thunks {
		if _, err := th(); err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.Count(""); n != 3 {
		t.Fatalf("%d upstream calls without batching, want 3", n)
	}
}

func children[T any](t *testing.T, ld *loaders.Loader[loaders.ChildKey, *loaders.Children[T]], args string, parents ...string) []*loaders.Children[T] {
	t.Helper()
	ctx := context.Background()
	var thunks []func() (*loaders.Children[T], error)
	for _, p := range parents {
		thunks = append(thunks, ld.Load(ctx, loaders.ChildKey{Parent: p, Args: args, First: 10}))
	}
	var out []*loaders.Children[T]
	for _, th := range thunks {
		c, err := th()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// Posts of two members in the small workspace fit in one page: one call
// answers both parents.
func TestChildrenOfSiblingsAreOneCall(t *testing.T) {
	t.Parallel()
	sim, l := stack(t, aspiretest.SmallSizes, window)
	got := children(t, l.PostsByMember, loaders.Args(aspire.PostQuery{Filter: aspire.Filter{Range: all}}), "11000001", "11000002")
	for i, c := range got {
		if c.Total <= 0 || len(c.Items) == 0 {
			t.Fatalf("parent %d: %d posts of %d", i, len(c.Items), c.Total)
		}
	}
	if n := sim.Count(""); n != 1 {
		t.Fatalf("%d upstream calls, want 1 (both parents' rows in one page)", n)
	}
}

// Posts of two projects of the default workspace take more pages than one
// page per parent (1 + 2 < pages): the first call learns it, then one call
// per parent.
func TestChildrenSwitchToOnePagePerParent(t *testing.T) {
	t.Parallel()
	sim, l := stack(t, aspiretest.DefaultSizes, window)
	tn := l.Tenant()
	ps, err := tn.Projects(context.Background(), aspire.ListQuery{})
	if err != nil || len(ps.Items) < 2 {
		t.Fatalf("projects: %v, %v", ps, err)
	}
	before := sim.Count("")
	got := children(t, l.PostsByProject, loaders.Args(aspire.PostQuery{Filter: aspire.Filter{Range: all}}), ps.Items[0].ID, ps.Items[1].ID)
	for i, c := range got {
		if c.Total <= aspire.MaxLimit || len(c.Items) != 10 {
			t.Fatalf("project %d: %d posts of %d; want 10 of more than a page", i, len(c.Items), c.Total)
		}
	}
	if n := sim.Count("") - before; n != 3 {
		t.Fatalf("%d upstream calls, want 3 (the batched first page, then one page per parent)", n)
	}
}

// Members sorted by a metric are loaded per parent at once: no batched call.
func TestMembersSortedByAMetricAreOneCallPerParent(t *testing.T) {
	t.Parallel()
	sim, l := stack(t, aspiretest.SmallSizes, window)
	tn := l.Tenant()
	ps, err := tn.Projects(context.Background(), aspire.ListQuery{})
	if err != nil || len(ps.Items) < 2 {
		t.Fatalf("projects: %v, %v", ps, err)
	}
	before := sim.Count("")
	q := aspire.MemberQuery{Filter: aspire.Filter{Range: all}, Sort: aspire.Sort{By: aspire.SortImpressions}}
	children(t, l.MembersByProject, loaders.Args(q), ps.Items[0].ID, ps.Items[1].ID)
	if n := sim.Count("") - before; n != 2 {
		t.Fatalf("%d upstream calls, want 2 (one per parent)", n)
	}
}
