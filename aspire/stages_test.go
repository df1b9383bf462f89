package aspire

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// The stages of fetch, each alone, on a fake clock: sleeps are recorded,
// never slept.

type fakeClock struct{ t time.Time }

func (f *fakeClock) now() time.Time          { return f.t }
func (f *fakeClock) advance(d time.Duration) { f.t = f.t.Add(d) }

type sleeps []time.Duration

func (s *sleeps) sleep(_ context.Context, d time.Duration) error { *s = append(*s, d); return nil }

func codeOf(err error) Code {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func TestBreakerStage(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	b := newBreaker(2, 10*time.Second, clk.now)
	b.record(true)
	if err := b.allow("/e"); err != nil {
		t.Fatalf("open after one failure of two: %v", err)
	}
	b.record(true)
	err := b.allow("/e")
	if codeOf(err) != CodeUnavailable || !strings.Contains(err.Error(), "not trying again for 10 s") {
		t.Fatalf("after two failures: %v, want unavailable for 10 s", err)
	}
	clk.advance(10 * time.Second)
	if err := b.allow("/e"); err != nil {
		t.Fatalf("still open after the cool-down: %v", err)
	}
	b.record(true) // the probe failed: open again
	if b.allow("/e") == nil {
		t.Fatal("a failed probe did not open the circuit again")
	}
	b.record(false) // any answer closes it
	if err := b.allow("/e"); err != nil {
		t.Fatalf("an answer did not close the circuit: %v", err)
	}
	if newBreaker(0, time.Second, clk.now).allow("/e") != nil {
		t.Fatal("a breaker turned off refused")
	}
}

func TestUnverifiedAllowanceStage(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	a := newUnverifiedAllowance(8, 8) // a quarter: 2/s, burst 2
	for i := range 2 {
		if err := a.take(clk.now(), "/e"); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	if err := a.take(clk.now(), "/e"); codeOf(err) != CodeRateLimited {
		t.Fatalf("third call at once: %v, want rate_limited", err)
	}
	clk.advance(250 * time.Millisecond)
	if err := a.take(clk.now(), "/e"); codeOf(err) != CodeRateLimited {
		t.Fatalf("after a quarter second (half a token at 2/s): %v, want rate_limited", err)
	}
	clk.advance(250 * time.Millisecond)
	if err := a.take(clk.now(), "/e"); err != nil {
		t.Fatalf("after half a second (2/s): %v", err)
	}
	if off := newUnverifiedAllowance(0, 0); off.bounded() || off.take(clk.now(), "/e") != nil {
		t.Fatal("without a ceiling the allowance bounds calls")
	}
}

func TestBudgetStage(t *testing.T) {
	ctx := WithBudget(context.Background(), 2)
	for i := range 2 {
		if err := spend(ctx, "/e"); err != nil {
			t.Fatalf("request %d of 2: %v", i+1, err)
		}
	}
	if err := spend(ctx, "/e"); codeOf(err) != CodeBudgetExceeded {
		t.Fatalf("third request: %v, want budget_exceeded", err)
	}
	if used, max := BudgetUsed(ctx); used != 2 || max != 2 {
		t.Fatalf("BudgetUsed = %d, %d; want 2, 2", used, max)
	}
	if spend(context.Background(), "/e") != nil {
		t.Fatal("a call without a budget was refused")
	}
}

func newTestLimits(clk *fakeClock, s *sleeps, tenants SharedLimiter, ceiling *rate.Limiter) *limitStage {
	return &limitStage{tenants: tenants, ceiling: ceiling, retry: 100 * time.Millisecond,
		now: clk.now, sleep: s.sleep, observe: func(context.Context, Event) {}}
}

func TestLimitStageLocalAndCeiling(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	var s sleeps
	local := newLocalBuckets(1, 1)
	local.now = clk.now
	defer local.close()
	st := newTestLimits(clk, &s, local, nil)
	bg := context.Background()
	if err := st.take(bg, "a", "/e"); err != nil || len(s) != 0 {
		t.Fatalf("the burst's token: %v, slept %v", err, s)
	}
	if err := st.take(bg, "a", "/e"); err != nil || !reflect.DeepEqual(s, sleeps{time.Second}) {
		t.Fatalf("second token at once: %v, slept %v; want 1 s", err, s)
	}
	if err := st.take(bg, "b", "/e"); err != nil || len(s) != 1 {
		t.Fatalf("another tenant's bucket: %v, slept %v", err, s)
	}
	// A wait past the deadline fails at once and gives its token back.
	ctx, cancel := context.WithDeadline(bg, time.Now().Add(time.Hour))
	defer cancel()
	dl, _ := ctx.Deadline()
	clk.t = dl.Add(-500 * time.Millisecond) // drained here, its next token is 1 s away
	s = nil
	_ = st.take(bg, "a", "/e") // drains "a" again
	s = nil
	err := st.take(ctx, "a", "/e")
	if codeOf(err) != CodeRateLimited || !strings.Contains(err.Error(), "client-side rate limit") || len(s) != 0 {
		t.Fatalf("a wait past the deadline: %v, slept %v; want rate_limited at once", err, s)
	}
	clk.advance(time.Second)
	if err := st.take(bg, "a", "/e"); err != nil || len(s) != 0 {
		t.Fatalf("the cancelled token was not given back: %v, slept %v", err, s)
	}

	// With the ceiling: both reserved, the longer waited, named when it is
	// the reason.
	s = nil
	st = newTestLimits(clk, &s, newLocalBuckets(10, 10), rate.NewLimiter(1, 1))
	_ = st.take(bg, "c", "/e")
	if err := st.take(bg, "c", "/e"); err != nil || !reflect.DeepEqual(s, sleeps{time.Second}) {
		t.Fatalf("ceiling wait: %v, slept %v; want the ceiling's 1 s", err, s)
	}
	ctx2, cancel2 := context.WithDeadline(bg, time.Now().Add(time.Hour))
	defer cancel2()
	dl2, _ := ctx2.Deadline()
	clk.t = dl2.Add(-time.Millisecond)
	_ = st.take(bg, "c", "/e")
	if err := st.take(ctx2, "c", "/e"); codeOf(err) != CodeRateLimited || !strings.Contains(err.Error(), "upstream-ceiling") {
		t.Fatalf("ceiling past the deadline: %v, want the ceiling's message", err)
	}
}

type fakeShared struct {
	log    []string
	wait   time.Duration
	defer_ []time.Duration
}

func (f *fakeShared) Reserve(_ context.Context, tenant string, maxWait time.Duration) (time.Duration, bool) {
	f.log = append(f.log, tenant)
	return f.wait, maxWait < 0 || f.wait <= maxWait
}

func (f *fakeShared) Defer(_ context.Context, _ string, d time.Duration) {
	f.defer_ = append(f.defer_, d)
}

func TestLimitStageShared(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	var s sleeps
	sh := &fakeShared{wait: 300 * time.Millisecond}
	st := newTestLimits(clk, &s, sh, rate.NewLimiter(1, 1))
	bg := context.Background()
	_ = st.take(bg, "a", "/e")
	s = nil
	if err := st.take(bg, "a", "/e"); err != nil || !reflect.DeepEqual(s, sleeps{300 * time.Millisecond, time.Second}) {
		t.Fatalf("shared then ceiling: %v, slept %v; want 300 ms then 1 s", err, s)
	}
	ctx, cancel := context.WithDeadline(bg, time.Now().Add(time.Hour))
	defer cancel()
	dl, _ := ctx.Deadline()
	clk.t = dl.Add(-100 * time.Millisecond)
	if err := st.take(ctx, "a", "/e"); codeOf(err) != CodeRateLimited || !strings.Contains(err.Error(), "shared rate limit") {
		t.Fatalf("shared wait past the deadline: %v", err)
	}
	st.saw429(bg, "a", &Error{Code: CodeRateLimited, Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second})
	st.saw429(bg, "a", &Error{Code: CodeRateLimited, Status: http.StatusTooManyRequests})
	st.saw429(bg, "a", &Error{Code: CodeUnavailable, Status: http.StatusBadGateway})
	if !reflect.DeepEqual(sh.defer_, []time.Duration{2 * time.Second, 100 * time.Millisecond}) {
		t.Fatalf("deferred %v; want the Retry-After, then the backoff base, and nothing for a 502", sh.defer_)
	}
}

func TestRetryStage(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	var s sleeps
	p := retryPolicy{attempts: 3, base: 100 * time.Millisecond, max: time.Second, maxRetryAfter: 5 * time.Second,
		now: clk.now, sleep: s.sleep, jitter: func(time.Duration) time.Duration { return 0 }}
	bg := context.Background()
	unavailable := &Error{Code: CodeUnavailable, Status: 503}
	run := func(ctx context.Context, errs ...error) (int, error) {
		n := 0
		_, err := p.do(ctx, "/e", func(i int) (*bytes.Buffer, error, bool) {
			n = i
			if i <= len(errs) {
				return nil, errs[i-1], false
			}
			return new(bytes.Buffer), nil, false
		})
		return n, err
	}
	if n, err := run(bg, unavailable, unavailable); err != nil || n != 3 || !reflect.DeepEqual(s, sleeps{50 * time.Millisecond, 100 * time.Millisecond}) {
		t.Fatalf("two 503s: %d attempts, %v, slept %v; want 3, nil, 50 ms and 100 ms", n, err, s)
	}
	s = nil
	if n, err := run(bg, unavailable, unavailable, unavailable); codeOf(err) != CodeUnavailable || n != 3 {
		t.Fatalf("three 503s: %d attempts, %v; want 3 and the 503", n, err)
	}
	s = nil
	if n, err := run(bg, &Error{Code: CodeRateLimited, Status: 429, RetryAfter: 2 * time.Second}); err != nil || n != 2 || !reflect.DeepEqual(s, sleeps{2 * time.Second}) {
		t.Fatalf("429 with Retry-After 2 s: %d, %v, slept %v", n, err, s)
	}
	s = nil
	if n, err := run(bg, &Error{Code: CodeRateLimited, Status: 429, RetryAfter: 6 * time.Second}); codeOf(err) != CodeRateLimited || n != 1 || len(s) != 0 {
		t.Fatalf("Retry-After past the cap: %d, %v, slept %v; want the 429 at once", n, err, s)
	}
	if n, err := run(bg, &Error{Code: CodeNotFound, Status: 404}); codeOf(err) != CodeNotFound || n != 1 {
		t.Fatalf("a 404 is not retried: %d, %v", n, err)
	}
	ctx, cancel := context.WithDeadline(bg, time.Now().Add(time.Hour))
	defer cancel()
	dl, _ := ctx.Deadline()
	clk.t = dl.Add(-10 * time.Millisecond)
	if n, err := run(ctx, unavailable); codeOf(err) != CodeUnavailable || n != 1 || len(s) != 0 {
		t.Fatalf("backoff past the deadline: %d, %v, slept %v; want the 503 at once", n, err, s)
	}
	n := 0
	_, err := p.do(bg, "/e", func(i int) (*bytes.Buffer, error, bool) { n = i; return nil, unavailable, true })
	if n != 1 || err != unavailable {
		t.Fatalf("a stop error: %d attempts, %v; want 1 and it", n, err)
	}
	clk.t = time.Now()
	p.jitter = func(n time.Duration) time.Duration { return n }
	if d := p.backoff(5); d != time.Second {
		t.Fatalf("backoff(5) = %v, want the 1 s cap", d)
	}
}

func TestLoneReplicaSharesNothing(t *testing.T) {
	var l SharedCache = loneReplica{}
	l.Set(context.Background(), "k", []byte("v"), time.Minute)
	if _, ok := l.Get(context.Background(), "k"); ok {
		t.Fatal("loneReplica kept a value")
	}
}

// mapStore is a SharedCache two gates share, as two replicas share Redis.
type mapStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *mapStore) Get(_ context.Context, k string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok
}

func (s *mapStore) Set(_ context.Context, k string, v []byte, _ time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
}

// Key admission and its replica sync: a replica adopts another's
// acceptance (no verifying call) and another's refusal (refused, its cache
// evicted); a lone replica verifies every new key itself.
func TestKeyGate(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	store := &mapStore{m: map[string][]byte{}}
	var evicted []string
	gate := func(l2 SharedCache) *keyGate {
		g := &keyGate{book: newKeyBook(time.Minute, time.Minute, clk.now), l2: l2,
			evict: func(tenant string) { evicted = append(evicted, tenant) }}
		t.Cleanup(g.close)
		return g
	}
	a, b, lone := gate(store), gate(store), gate(loneReplica{})
	bg := context.Background()
	tn := &Tenant{id: "t1"}

	ver, err := a.verify(bg, tn, "/e")
	if err != nil || ver == nil {
		t.Fatalf("a new key: %v, %v; want this call to verify it", ver, err)
	}
	a.record(bg, tn, nil)
	a.verified(bg, tn)
	ver.release()
	if !a.fresh("t1") {
		t.Fatal("an accepted key is not fresh")
	}
	if ver, err := b.verify(bg, tn, "/e"); ver != nil || err != nil || !b.fresh("t1") {
		t.Fatalf("the other replica: %v, %v; want the shared acceptance adopted", ver, err)
	}
	if ver, _ := lone.verify(bg, tn, "/e"); ver == nil {
		t.Fatal("a lone replica adopted an acceptance it cannot have seen")
	} else {
		ver.release()
	}

	clk.advance(time.Second)
	a.record(bg, tn, &Error{Code: CodeUnauthenticated, Status: 401, Message: "revoked."})
	if a.refusal("t1", "/e") == nil || !reflect.DeepEqual(evicted, []string{"t1"}) {
		t.Fatalf("a 401: refusal %v, evicted %v; want refused and evicted", a.refusal("t1", "/e"), evicted)
	}
	clk.advance(59 * time.Second) // b's adopted acceptance is due for its re-check; the refusal still holds
	err = func() error { _, err := b.verify(bg, tn, "/f"); return err }()
	if codeOf(err) != CodeUnauthenticated || !strings.Contains(err.Error(), "not asked again") || len(evicted) != 2 {
		t.Fatalf("the other replica after the refusal: %v, evicted %v; want the shared refusal, evicted", err, evicted)
	}
}
