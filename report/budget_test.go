package report_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/report"
)

var quarter = aspire.Range{Start: aspire.NewDate(2026, 1, 1), End: aspire.NewDate(2026, 3, 31)}

func newTenant(t *testing.T) (*aspiretest.Server, *aspire.Tenant) {
	t.Helper()
	sim := aspiretest.New(aspiretest.WithRateLimit(0, 0))
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	c, err := aspire.New(up.URL, aspire.WithRetry(1, time.Millisecond, time.Millisecond), aspire.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return sim, c.As(aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID})
}

// refused checks err is the budget refusal saying each of says.
func refused(t *testing.T, err error, says ...string) {
	t.Helper()
	var ae *aspire.Error
	if !errors.As(err, &ae) || ae.Code != aspire.CodeBudgetExceeded {
		t.Fatalf("error %v, want %s", err, aspire.CodeBudgetExceeded)
	}
	for _, s := range says {
		if !strings.Contains(ae.Message, s) {
			t.Errorf("message %q does not say %q", ae.Message, s)
		}
	}
}

// TestRefusedBeforeTheFirstPage: where the budget left cannot pay even the
// plan's first request, or a first page the cache holds already prices the
// plan past the budget, the refusal makes no upstream call.
func TestRefusedBeforeTheFirstPage(t *testing.T) {
	t.Parallel()
	weekly := report.Request{Filter: aspire.Filter{Range: quarter}, Kind: report.Workspace, Intervals: []report.Interval{report.Week}}

	t.Run("the budget spent by other fields", func(t *testing.T) {
		sim, ten := newTenant(t)
		ctx := aspire.WithBudget(context.Background(), 2)
		for _, id := range []string{"10100001", "10100002"} { // two other calls spend the budget
			if _, err := ten.Posts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: quarter, ProjectIDs: []string{id}}, Limit: 1}); err != nil {
				t.Fatal(err)
			}
		}
		before := sim.Count("")
		_, err := report.Run(ctx, ten, weekly)
		refused(t, err, "at least one /v1/posts page", "budget is 2", "2 are spent")
		if got := sim.Count("") - before; got != 0 {
			t.Errorf("%d upstream requests for the refused roll-up, want 0", got)
		}
	})

	t.Run("a cached first page", func(t *testing.T) {
		sim, ten := newTenant(t)
		// The workspace's quarter is 2,513 posts: 6 pages, 5 past the first.
		_, err := report.Run(aspire.WithBudget(context.Background(), 3), ten, weekly)
		refused(t, err, "needs 5 more upstream pages", "2513 posts", "budget is 3")
		if got := sim.Count("/v1/posts"); got != 1 {
			t.Errorf("first operation: %d /v1/posts requests, want 1 (the first page prices the plan)", got)
		}
		_, err = report.Run(aspire.WithBudget(context.Background(), 3), ten, weekly)
		refused(t, err, "needs 5 more upstream pages", "budget is 3")
		if got := sim.Count("/v1/posts"); got != 1 {
			t.Errorf("second operation: %d /v1/posts requests in all, want 1 (its first page is cached)", got)
		}
	})

	t.Run("several batches of ids", func(t *testing.T) {
		sim, ten := newTenant(t)
		var ids []string
		for _, p := range sim.Posts(aspiretest.DemoClientID) {
			if quarter.Contains(p.PostedAt) && !slices.Contains(ids, p.MemberID) {
				ids = append(ids, p.MemberID)
			}
		}
		slices.Sort(ids)
		if len(ids) <= aspire.MaxIDs {
			t.Fatalf("%d members with posts in the quarter; the test needs more than %d", len(ids), aspire.MaxIDs)
		}
		batches := (len(ids) + aspire.MaxIDs - 1) / aspire.MaxIDs // 340 members: 4 batches; the first has 744 posts, 2 pages
		// Enough for one request a batch, not for the pages the first shows.
		_, err := report.Run(aspire.WithBudget(context.Background(), batches), ten,
			report.Request{Filter: aspire.Filter{Range: quarter}, Kind: report.Member, IDs: ids, Intervals: []report.Interval{report.Week}})
		refused(t, err, "needs 4 more upstream pages", "744 posts", "each of the 3 batches of ids left", "budget is 4")
		if got := sim.Count("/v1/posts"); got != 1 {
			t.Errorf("%d /v1/posts requests, want 1: the first batch's first page prices the plan past the budget", got)
		}
	})
}
