package aspire_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/internal/testwait"
)

var (
	demo  = aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID}
	q1    = aspire.Range{Start: aspire.NewDate(2026, 1, 1), End: aspire.NewDate(2026, 3, 31)}
	small = aspiretest.SmallSizes
)

// setup starts a small simulator and a client of it with fast retries, no
// client-side rate limit and the simulator's default contract (with
// /v1/projects and /v1/groups: contract.WithEndpoints) unless opts say
// otherwise (a later WithContract wins).
func setup(t testing.TB, simOpts []aspiretest.Option, opts ...aspire.Option) (*aspiretest.Server, *aspire.Client) {
	t.Helper()
	sim := aspiretest.New(append([]aspiretest.Option{aspiretest.WithSizes(small), aspiretest.WithRateLimit(0, 0)}, simOpts...)...)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	c, err := aspire.New(ts.URL, append([]aspire.Option{withEndpoints,
		aspire.WithRetry(3, time.Millisecond, 5*time.Millisecond), aspire.WithRateLimit(0, 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return sim, c
}

func code(err error) aspire.Code {
	var e *aspire.Error
	if !errors.As(err, &e) {
		return ""
	}
	return e.Code
}

func TestNewRejectsBadBaseURLs(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "api.aspire.io", "https://x/?a=b", "://"} {
		if _, err := aspire.New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func TestPostsPageAndAllPages(t *testing.T) {
	t.Parallel()
	sim, c := setup(t, nil, aspire.WithCache(0, 0, 0))
	ctx := context.Background()
	tn := c.As(demo)
	p, err := tn.Posts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: q1}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 10 || !p.HasMore || p.Total < 100 {
		t.Fatalf("page: %d items, has_more %v, total %d", len(p.Items), p.HasMore, p.Total)
	}
	sim.Reset()
	all, err := tn.AllPosts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: q1}, Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != p.Total {
		t.Fatalf("AllPosts: %d posts, total %d", len(all), p.Total)
	}
	if want := (p.Total + 19) / 20; sim.Count("/v1/posts") != want {
		t.Fatalf("%d upstream pages, want %d", sim.Count("/v1/posts"), want)
	}
	for i := 1; i < len(all); i++ { // in order, no duplicates
		if all[i].PostedAt.After(all[i-1].PostedAt) || all[i].ID == all[i-1].ID {
			t.Fatalf("pages delivered out of order at %d", i)
		}
	}
}

func TestPagingConcurrencyIsBounded(t *testing.T) {
	t.Parallel()
	sim := aspiretest.New(aspiretest.WithSizes(small), aspiretest.WithRateLimit(0, 0), aspiretest.WithLatency(20*time.Millisecond, 0))
	var inFlight, peak atomic.Int32
	c, _ := aspire.New(baseOf(t, countingHandler(sim, &inFlight, &peak)),
		aspire.WithCache(0, 0, 0), aspire.WithPageConcurrency(3), aspire.WithRateLimit(0, 0))
	n := 0
	for p, err := range c.As(demo).PostPages(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: q1}, Limit: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Items)
	}
	if n < 100 {
		t.Fatalf("%d posts: too few pages to measure concurrency", n)
	}
	if got := peak.Load(); got > 3 || got < 2 {
		t.Fatalf("peak of %d pages in flight, want 2…3 (concurrency 3)", got)
	}
}

func TestPagingStopsOnCancelAndOnBreak(t *testing.T) {
	t.Parallel()
	sim, c := setup(t, []aspiretest.Option{aspiretest.WithLatency(10*time.Millisecond, 0)}, aspire.WithCache(0, 0, 0), aspire.WithPageConcurrency(2))
	tn := c.As(demo)
	q := aspire.PostQuery{Filter: aspire.Filter{Range: q1}, Limit: 5}
	for range tn.PostPages(context.Background(), q) {
		break
	}
	// The pauses give pages that should not come the time to come; a late
	// one only makes that likelier.
	time.Sleep(50 * time.Millisecond)
	if n := sim.Count("/v1/posts"); n > 3 {
		t.Fatalf("breaking after the first page still made %d requests", n)
	}
	// Another range, counted apart: a page of the first walk the simulator
	// logs late (it logs when it answers) is not counted as this one's, as
	// it was after a Reset.
	q.Range.End = aspire.NewDate(2026, 3, 30)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var err error
	pages := 0
	for _, e := range tn.PostPages(ctx, q) {
		if e != nil {
			err = e
			break
		}
		if pages++; pages == 2 {
			cancel()
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: err %v, want context.Canceled", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := countRange(sim, "2026-03-30"); n > 5 {
		t.Fatalf("cancel after 2 pages still made %d requests", n)
	}
}

func TestByIDBatchesOf100(t *testing.T) {
	t.Parallel()
	sim, c := setup(t, []aspiretest.Option{aspiretest.WithSizes(aspiretest.Sizes{Projects: 2, Groups: 2, Members: 250, Posts: 500,
		First: small.First, Last: small.Last})}, aspire.WithCache(0, 0, 0))
	var ids []string
	for i := range 250 {
		ids = append(ids, fmt.Sprint(11000001+i))
	}
	ids = append(ids, "11000001", "19999999") // a duplicate and an unknown id
	got, err := c.As(demo).MembersByID(context.Background(), ids, aspire.MemberQuery{Filter: aspire.Filter{Range: q1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Fatalf("%d members, want 250", len(got))
	}
	if _, ok := got["19999999"]; ok {
		t.Fatal("an unknown id came back")
	}
	reqs := sim.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d calls, want 3 (100 + 100 + 51)", len(reqs))
	}
	var sizes []int
	for _, r := range reqs {
		sizes = append(sizes, len(r.IDs("member_id")))
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{51, 100, 100}) {
		t.Fatalf("batch sizes %v", sizes)
	}
	for id, m := range got {
		if m.ID != id {
			t.Fatalf("row %s keyed as %s", m.ID, id)
		}
	}
}

func TestByIDKeepsRowsOfBatchesThatSucceeded(t *testing.T) {
	t.Parallel()
	sim, c := setup(t, []aspiretest.Option{aspiretest.WithSizes(aspiretest.Sizes{Projects: 2, Groups: 2, Members: 150, Posts: 300,
		First: small.First, Last: small.Last})}, aspire.WithCache(0, 0, 0), aspire.WithRetry(1, 0, 0), aspire.WithPageConcurrency(1))
	var ids []string
	for i := range 150 {
		ids = append(ids, fmt.Sprint(11000001+i))
	}
	sim.FailNext("/v1/members", 1, 503)
	got, err := c.As(demo).MembersByID(context.Background(), ids, aspire.MemberQuery{})
	if code(err) != aspire.CodeUnavailable || len(got) != 50 {
		t.Fatalf("err %v, %d rows; want unavailable and the 50 of the other batch", err, len(got))
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	sim, c := setup(t, nil, aspire.WithRetry(1, 0, 0))
	ctx := context.Background()
	cases := []struct {
		name   string
		creds  aspire.Creds
		call   func(*aspire.Tenant) error
		code   aspire.Code
		status int
	}{
		{"wrong key", aspire.Creds{APIKey: "wrong-key-abc123", ClientID: aspiretest.DemoClientID},
			func(t *aspire.Tenant) error { _, err := t.Groups(ctx, aspire.ListQuery{}); return err }, aspire.CodeUnauthenticated, 401},
		{"expired", aspire.Creds{APIKey: aspiretest.DemoExpiredKey, ClientID: aspiretest.DemoClientID},
			func(t *aspire.Tenant) error { _, err := t.Groups(ctx, aspire.ListQuery{}); return err }, aspire.CodeUnauthenticated, 401},
		{"scope", aspire.Creds{APIKey: aspiretest.DemoMemberOnlyKey, ClientID: aspiretest.DemoClientID},
			func(t *aspire.Tenant) error {
				_, err := t.Posts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: q1}})
				return err
			}, aspire.CodeUnauthenticated, 401},
		{"foreign workspace", aspire.Creds{APIKey: aspiretest.OtherKey, ClientID: aspiretest.DemoClientID},
			func(t *aspire.Tenant) error { _, err := t.Groups(ctx, aspire.ListQuery{}); return err }, aspire.CodeForbidden, 403},
		{"not found", demo, func(t *aspire.Tenant) error { _, err := t.Post(ctx, "12999999"); return err }, aspire.CodeNotFound, 404},
		{"bad request", demo, func(t *aspire.Tenant) error {
			_, err := t.Members(ctx, aspire.MemberQuery{Filter: aspire.Filter{Range: q1, Networks: []aspire.Network{"myspace"}}})
			return err
		}, aspire.CodeInvalid, 0},
		{"range refused before sending", demo, func(t *aspire.Tenant) error {
			_, err := t.Posts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: aspire.Range{Start: q1.End, End: q1.Start}}})
			return err
		}, aspire.CodeInvalid, 0},
		{"limit refused before sending", demo, func(t *aspire.Tenant) error {
			_, err := t.Posts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: q1}, Limit: 501})
			return err
		}, aspire.CodeInvalid, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(c.As(tc.creds))
			var e *aspire.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Status != tc.status {
				t.Fatalf("err %#v, want code %s status %d", err, tc.code, tc.status)
			}
			if strings.Contains(err.Error(), tc.creds.APIKey) || strings.Contains(e.Detail, tc.creds.APIKey) {
				t.Fatalf("the error carries the key: %v", err)
			}
		})
	}
	// 5xx and connection resets are unavailable.
	sim.FailNext("", 1, 502)
	if _, err := c.As(demo).Groups(ctx, aspire.ListQuery{}); code(err) != aspire.CodeUnavailable {
		t.Fatalf("502: %v", err)
	}
	// net/http itself retries a GET once when a reused connection resets.
	sim.Inject(aspiretest.Fault{Reset: true, Count: 2})
	if _, err := c.As(demo).Projects(ctx, aspire.ListQuery{}); code(err) != aspire.CodeUnavailable {
		t.Fatalf("reset: %v", err)
	}
	// An unreachable host is unavailable.
	dead := httptest.NewServer(nil)
	dead.Close()
	dc, _ := aspire.New(dead.URL, withEndpoints, aspire.WithRetry(1, 0, 0))
	if _, err := dc.As(demo).Groups(ctx, aspire.ListQuery{}); code(err) != aspire.CodeUnavailable {
		t.Fatalf("unreachable: %v", err)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("fail next 2 then succeed", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, nil)
		sim.FailNext("/v1/groups", 2, 503)
		if _, err := c.As(demo).Groups(ctx, aspire.ListQuery{}); err != nil {
			t.Fatal(err)
		}
		if n := sim.Count(""); n != 3 {
			t.Fatalf("%d upstream requests, want 3", n)
		}
	})
	t.Run("gives up after 3 attempts", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, nil)
		sim.FailNext("", 5, 500)
		if _, err := c.As(demo).Groups(ctx, aspire.ListQuery{}); code(err) != aspire.CodeUnavailable {
			t.Fatalf("err %v", err)
		}
		if n := sim.Count(""); n != 3 {
			t.Fatalf("%d upstream requests, want 3", n)
		}
	})
	t.Run("no retry on 4xx", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, nil)
		c.As(aspire.Creds{APIKey: "nope", ClientID: aspiretest.DemoClientID}).Groups(ctx, aspire.ListQuery{})
		if n := sim.Count(""); n != 1 {
			t.Fatalf("%d upstream requests for a 401, want 1", n)
		}
	})
	t.Run("connection reset is retried", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, nil)
		sim.Inject(aspiretest.Fault{Reset: true, Count: 1})
		if _, err := c.As(demo).Groups(ctx, aspire.ListQuery{}); err != nil {
			t.Fatal(err)
		}
		if n := sim.Count(""); n != 2 {
			t.Fatalf("%d upstream requests, want 2", n)
		}
	})
	t.Run("Retry-After honoured", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, nil)
		sim.Inject(aspiretest.Fault{Status: 429, Count: 1, RetryAfter: time.Second})
		start := time.Now()
		if _, err := c.As(demo).Groups(ctx, aspire.ListQuery{}); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < time.Second {
			t.Fatalf("retried after %v, before the 1 s Retry-After", d)
		}
		if n := sim.Count(""); n != 2 {
			t.Fatalf("%d upstream requests, want 2", n)
		}
	})
	t.Run("Retry-After over the cap fails at once", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, nil, aspire.WithMaxRetryAfter(time.Second))
		sim.Inject(aspiretest.Fault{Status: 429, Count: 1, RetryAfter: 30 * time.Second})
		_, err := c.As(demo).Groups(ctx, aspire.ListQuery{})
		var e *aspire.Error
		if !errors.As(err, &e) || e.Code != aspire.CodeRateLimited || e.RetryAfter != 30*time.Second {
			t.Fatalf("err %#v, want rate_limited with RetryAfter 30s", err)
		}
		if n := sim.Count(""); n != 1 {
			t.Fatalf("%d upstream requests, want 1", n)
		}
	})
	t.Run("cancel stops retries", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, nil, aspire.WithRetry(10, 200*time.Millisecond, time.Second))
		sim.FailNext("", 100, 503)
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, err := c.As(demo).Groups(ctx, aspire.ListQuery{})
		if !errors.Is(err, context.DeadlineExceeded) && code(err) != aspire.CodeUnavailable {
			t.Fatalf("err %v", err)
		}
		time.Sleep(400 * time.Millisecond)
		if n := sim.Count(""); n > 3 {
			t.Fatalf("%d upstream requests after the deadline passed", n)
		}
	})
	t.Run("attempt timeout", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, []aspiretest.Option{aspiretest.WithLatency(200*time.Millisecond, 0)}, aspire.WithAttemptTimeout(50*time.Millisecond), aspire.WithRetry(2, time.Millisecond, time.Millisecond))
		_, err := c.As(demo).Groups(ctx, aspire.ListQuery{})
		if code(err) != aspire.CodeUnavailable || !strings.Contains(err.Error(), "in time") {
			t.Fatalf("err %v", err)
		}
		// The simulator logs an attempt the client gave up on once it sees
		// the connection go (a fixed 250 ms could be too soon under load);
		// the call has returned, so no third can come.
		for deadline := time.Now().Add(10 * time.Second); sim.Count("") < 2 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if n := sim.Count(""); n != 2 {
			t.Fatalf("%d upstream requests, want 2", n)
		}
	})
}

func TestDedup(t *testing.T) {
	t.Parallel()
	sim, c := setup(t, []aspiretest.Option{aspiretest.WithLatency(100*time.Millisecond, 0)}, aspire.WithCache(0, 0, 0))
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			_, err := c.As(demo).Posts(context.Background(), aspire.PostQuery{Filter: aspire.Filter{Range: q1}})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.Count(""); n != 1 {
		t.Fatalf("50 identical concurrent calls made %d upstream requests, want 1", n)
	}
}

// TestDedupSurvivesTheFirstCallersCancel: a caller that joined an upstream
// call in flight gets its answer when the caller that started it leaves.
// The upstream holds the call until the first has left; the second is
// known to have joined by where its goroutine waits (20 ms sleeps before
// could, on a loaded machine, cancel before it joined, or after the
// answer). Not parallel: testwait counts the process's goroutines.
func TestDedupSurvivesTheFirstCallersCancel(t *testing.T) {
	sim := aspiretest.New(aspiretest.WithSizes(small), aspiretest.WithRateLimit(0, 0))
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c, err := aspire.New(baseOf(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		select {
		case <-release:
		case <-r.Context().Done():
		}
		sim.ServeHTTP(w, r)
	})), aspire.WithRetry(3, time.Millisecond, 5*time.Millisecond), aspire.WithRateLimit(0, 0), aspire.WithCache(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.As(demo).Groups(ctx, aspire.ListQuery{})
		first <- err
	}()
	<-arrived
	second := make(chan error, 1)
	go func() {
		_, err := c.As(demo).Groups(context.Background(), aspire.ListQuery{})
		second <- err
	}()
	testwait.WaitParked(t, testwait.OnUpstreamCall, 2) // both wait on the one call
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("first: %v", err)
	}
	close(release)
	if err := <-second; err != nil {
		t.Fatalf("the second caller failed with the first one's cancel: %v", err)
	}
	if n := sim.Count(""); n != 1 {
		t.Fatalf("%d upstream requests, want 1", n)
	}
}

func TestCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("hit makes no request", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, nil)
		q := aspire.PostQuery{Filter: aspire.Filter{Range: q1, Networks: []aspire.Network{aspire.TikTok, aspire.Instagram}}}
		a, _ := c.As(demo).Posts(ctx, q)
		sim.Reset()
		q.Networks = []aspire.Network{aspire.Instagram, aspire.TikTok} // same set, other order: same URL
		b, err := c.As(demo).Posts(ctx, q)
		if err != nil || sim.Count("") != 0 || len(b.Items) != len(a.Items) {
			t.Fatalf("cache hit made %d requests (err %v)", sim.Count(""), err)
		}
	})
	t.Run("keys never share entries", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, nil)
		second := aspire.Creds{APIKey: aspiretest.DemoSecondKey, ClientID: aspiretest.DemoClientID}
		c.As(demo).Groups(ctx, aspire.ListQuery{})
		c.As(second).Groups(ctx, aspire.ListQuery{})
		if n := sim.Count(""); n != 2 {
			t.Fatalf("two keys of one workspace made %d requests, want 2", n)
		}
	})
	t.Run("a key without scope is refused after another warmed the URL", func(t *testing.T) {
		t.Parallel()
		_, c := setup(t, nil)
		q := aspire.PostQuery{Filter: aspire.Filter{Range: q1}}
		if _, err := c.As(demo).Posts(ctx, q); err != nil {
			t.Fatal(err)
		}
		_, err := c.As(aspire.Creds{APIKey: aspiretest.DemoMemberOnlyKey, ClientID: aspiretest.DemoClientID}).Posts(ctx, q)
		if code(err) != aspire.CodeUnauthenticated {
			t.Fatalf("member-only key got %v, want unauthenticated", err)
		}
	})
	t.Run("workspaces never see each other's records", func(t *testing.T) {
		t.Parallel()
		_, c := setup(t, nil)
		other := aspire.Creds{APIKey: aspiretest.OtherKey, ClientID: aspiretest.OtherClientID}
		a, err1 := c.As(demo).AllPosts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: q1}})
		b, err2 := c.As(other).AllPosts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: q1}})
		if err1 != nil || err2 != nil || len(a) == 0 || len(b) == 0 {
			t.Fatal(err1, err2)
		}
		seen := map[string]bool{}
		for _, p := range a {
			seen[p.ID] = true
		}
		for _, p := range b {
			if seen[p.ID] || !strings.HasPrefix(p.ID, "2") {
				t.Fatalf("post %s of the other workspace", p.ID)
			}
		}
	})
	t.Run("past ranges live longer", func(t *testing.T) {
		t.Parallel()
		now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
		sim, c := setup(t, nil, aspire.WithCache(1<<20, 30*time.Millisecond, time.Hour), aspire.WithClock(func() time.Time { return now }))
		past := aspire.PostQuery{Filter: aspire.Filter{Range: q1}}
		current := aspire.PostQuery{Filter: aspire.Filter{Range: aspire.Range{Start: aspire.NewDate(2026, 6, 1), End: aspire.NewDate(2026, 6, 30)}}}
		for range 2 {
			c.As(demo).Posts(ctx, past)
			c.As(demo).Posts(ctx, current)
			time.Sleep(80 * time.Millisecond)
		}
		if p, cur := countRange(sim, "2026-03-31"), countRange(sim, "2026-06-30"); p != 1 || cur != 2 {
			t.Fatalf("past range fetched %d times (want 1), current %d (want 2)", p, cur)
		}
	})
	t.Run("bounded in bytes", func(t *testing.T) {
		t.Parallel()
		sim, c := setup(t, nil, aspire.WithCache(64<<10, time.Hour, time.Hour))
		// Each 500-post page is ~400 KiB: larger than the whole cache.
		q := aspire.PostQuery{Filter: aspire.Filter{Range: aspire.Range{Start: aspire.NewDate(2025, 1, 1), End: aspire.NewDate(2026, 12, 31)}}, Limit: 500}
		c.As(demo).Posts(ctx, q)
		c.As(demo).Posts(ctx, q)
		if n := sim.Count(""); n != 2 {
			t.Fatalf("a page bigger than the cache was served from it (%d requests)", n)
		}
	})
}

func countRange(sim *aspiretest.Server, end string) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Query.Get("end_date") == end {
			n++
		}
	}
	return n
}

func TestClientRateLimitKeepsUnderTheQuota(t *testing.T) {
	t.Parallel()
	// The upstream allows 10 a second; the client's bucket 8 a second.
	sim := aspiretest.New(aspiretest.WithSizes(small), aspiretest.WithRateLimit(10, time.Second))
	var waits atomic.Int32
	c2, _ := aspire.New(baseOf(t, sim), aspire.WithCache(0, 0, 0), aspire.WithRateLimit(8, 1), aspire.WithRetry(1, 0, 0),
		aspire.WithObserver(func(_ context.Context, e aspire.Event) {
			if e.Kind == aspire.EventRateLimitWait {
				waits.Add(1)
			}
		}))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() { c2.As(demo).Post(context.Background(), fmt.Sprint(12000001+i)) })
	}
	wg.Wait()
	for _, r := range sim.Requests() {
		if r.Status == 429 {
			t.Fatal("the upstream answered 429: the client-side bucket let too much through")
		}
	}
	if sim.Count("") != 16 || waits.Load() == 0 {
		t.Fatalf("%d requests, %d waits", sim.Count(""), waits.Load())
	}
	// A wait past the deadline fails at once as rate limited. The bucket
	// gives a token every 100 s and the deadline is 5 s: before, 8/s and
	// 10 ms, and on a loaded machine the deadline could pass before the
	// call (a context error) or a token come back in time (no wait at all).
	c3, _ := aspire.New(baseOf(t, sim), aspire.WithCache(0, 0, 0), aspire.WithRateLimit(0.01, 1), aspire.WithRetry(1, 0, 0))
	t.Cleanup(c3.Close)
	if _, err := c3.As(demo).Post(context.Background(), "12000001"); err != nil { // the bucket's one token
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c3.As(demo).Post(ctx, "12000002"); code(err) != aspire.CodeRateLimited {
		t.Fatalf("err %v, want rate_limited", err)
	}
}

func TestObserverAndCredsNeverPrintTheKey(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	kinds := map[aspire.EventKind]int{}
	_, c := setup(t, nil, aspire.WithObserver(func(_ context.Context, e aspire.Event) {
		mu.Lock()
		kinds[e.Kind]++
		mu.Unlock()
		if e.Kind == aspire.EventRequest && (e.Endpoint != "/v1/posts/{id}" || e.Status != 200 || e.Attempt != 1) {
			t.Errorf("request event %+v", e)
		}
	}))
	c.As(demo).Post(context.Background(), "12000001")
	c.As(demo).Post(context.Background(), "12000001")
	if kinds[aspire.EventRequest] != 1 || kinds[aspire.EventCacheMiss] != 1 || kinds[aspire.EventCacheHit] != 1 {
		t.Fatalf("events %v", kinds)
	}
	for _, s := range []string{fmt.Sprint(demo), fmt.Sprintf("%+v", demo), fmt.Sprintf("%#v", demo), c.As(demo).ID()} {
		if strings.Contains(s, demo.APIKey) {
			t.Fatalf("%q shows the key", s)
		}
	}
}

func TestByIDAsksOnlyForUncachedIDs(t *testing.T) {
	t.Parallel()
	sim, c := setup(t, nil)
	ctx := context.Background()
	tn := c.As(demo)
	if _, err := tn.MembersByID(ctx, []string{"11000001", "11000002"}, aspire.MemberQuery{}); err != nil {
		t.Fatal(err)
	}
	sim.Reset()
	got, err := tn.MembersByID(ctx, []string{"11000002", "11000003", "11000001"}, aspire.MemberQuery{})
	if err != nil || len(got) != 3 {
		t.Fatalf("%d members, err %v", len(got), err)
	}
	reqs := sim.Requests()
	if len(reqs) != 1 || !slices.Equal(reqs[0].IDs("member_id"), []string{"11000003"}) {
		t.Fatalf("asked for %v, want only the uncached 11000003", reqs)
	}
	// Another query (a range) is another cache entry.
	sim.Reset()
	tn.MembersByID(ctx, []string{"11000001"}, aspire.MemberQuery{Filter: aspire.Filter{Range: q1}})
	if sim.Count("") != 1 {
		t.Fatalf("a roll-up over a range was answered from the lifetime entry")
	}
}
