package redisstore_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/aspire-graphql/aspire-graphql/internal/teststack"
	"github.com/aspire-graphql/aspire-graphql/redisstore"
	"github.com/aspire-graphql/aspire-graphql/redisstore/redistest"
)

// syncBuffer collects a run's output for the log assertions.
type syncBuffer = teststack.SyncBuffer

func open(t *testing.T, url string) (*redisstore.Store, *prometheus.Registry, *syncBuffer) {
	t.Helper()
	reg := prometheus.NewRegistry()
	logs := &syncBuffer{}
	st, err := redisstore.Open(context.Background(), redisstore.Options{URL: url, Timeout: 200 * time.Millisecond,
		Logger: zerolog.New(logs), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, reg, logs
}

func TestCacheRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	st, _, _ := open(t, srv.URL())
	ctx := context.Background()
	c := st.Cache("upstream")
	big := []byte(strings.Repeat(`{"id":"12000001","caption":"hello"},`, 1000))
	c.Set(ctx, "tenant /v1/posts?x=1", big, time.Minute)
	c.Set(ctx, "small", []byte("tiny"), time.Minute)
	if got, ok := c.Get(ctx, "tenant /v1/posts?x=1"); !ok || !bytes.Equal(got, big) {
		t.Fatalf("big value: ok=%v, %d bytes", ok, len(got))
	}
	if got, ok := c.Get(ctx, "small"); !ok || string(got) != "tiny" {
		t.Fatalf("small value: %q %v", got, ok)
	}
	if _, ok := c.Get(ctx, "absent"); ok {
		t.Fatal("a missing key was a hit")
	}
	if _, ok := st.Cache("response").Get(ctx, "small"); ok {
		t.Fatal("caches share keys")
	}
}

func TestLimiterIsGCRA(t *testing.T) {
	srv := redistest.Start(t)
	st, _, _ := open(t, srv.URL())
	ctx := context.Background()
	lim := st.Limiter(10, 5, 3) // 100 ms apart, 5 at once
	defer lim.Close()
	// A wait is the schedule less the time gone since the first
	// reservation: lower bounds allow for all of it (a loaded machine may
	// take more than the 20 ms they allowed between two calls).
	t0 := time.Now()
	for i := range 5 {
		if d, ok := lim.Reserve(ctx, "t1", -1); !ok || d != 0 {
			t.Fatalf("burst request %d: wait %v ok %v", i, d, ok)
		}
	}
	d, ok := lim.Reserve(ctx, "t1", -1)
	if !ok || d < 100*time.Millisecond-time.Since(t0) || d > 100*time.Millisecond {
		t.Fatalf("6th: wait %v ok %v, want about 100ms", d, ok)
	}
	d, ok = lim.Reserve(ctx, "t1", -1)
	if !ok || d < 200*time.Millisecond-time.Since(t0) || d > 200*time.Millisecond {
		t.Fatalf("7th: wait %v, want about 200ms", d)
	}
	// A wait past the caller's bound reserves nothing.
	if d, ok := lim.Reserve(ctx, "t1", 50*time.Millisecond); ok || d < 300*time.Millisecond-time.Since(t0) {
		t.Fatalf("bounded: wait %v ok %v", d, ok)
	}
	if d, _ := lim.Reserve(ctx, "t1", -1); d > 300*time.Millisecond {
		t.Fatalf("the refused reservation was kept: next wait %v", d)
	}
	// Tenants are apart.
	if d, ok := lim.Reserve(ctx, "t2", -1); !ok || d != 0 {
		t.Fatalf("other tenant: %v %v", d, ok)
	}
	// Retry-After holds everyone back, then the bucket starts empty.
	t2 := time.Now()
	lim.Defer(ctx, "t2", 2*time.Second)
	if d, _ := lim.Reserve(ctx, "t2", -1); d < 2*time.Second-time.Since(t2) || d > 2*time.Second {
		t.Fatalf("after Defer(2s): wait %v", d)
	}
	if d, _ := lim.Reserve(ctx, "t2", -1); d < 2100*time.Millisecond-time.Since(t2) || d > 2100*time.Millisecond {
		t.Fatalf("second after Defer(2s): wait %v", d)
	}
}

func TestDownAndBack(t *testing.T) {
	srv := redistest.Start(t)
	st, reg, logs := open(t, srv.URL())
	ctx := context.Background()
	c := st.Cache("upstream")
	lim := st.Limiter(30, 3, 3) // local share: 10/s, burst 1
	defer lim.Close()
	if st.Degraded() != nil {
		t.Fatal("degraded while Redis is up")
	}
	srv.Kill()
	start := time.Now()
	c.Set(ctx, "k", []byte("v"), time.Minute) // fails, marks down
	if _, ok := c.Get(ctx, "k"); ok {
		t.Fatal("a hit from a dead Redis")
	}
	if st.Degraded() == nil || !strings.Contains(st.Degraded().Error(), "redis unavailable") {
		t.Fatalf("degraded: %v", st.Degraded())
	}
	// Down: no waiting on Redis, the local share of 10/s, starting empty
	// (lower bounds: the schedule less the time gone since the first call).
	tl := time.Now()
	if d, ok := lim.Reserve(ctx, "t", -1); !ok || d < 100*time.Millisecond-time.Since(tl) || d > 100*time.Millisecond {
		t.Fatalf("local first: %v %v, want about 100ms (30/s over 3 replicas, an empty bucket)", d, ok)
	}
	if d, ok := lim.Reserve(ctx, "t", -1); !ok || d < 200*time.Millisecond-time.Since(tl) || d > 200*time.Millisecond {
		t.Fatalf("local second: %v %v, want about 200ms", d, ok)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("down path took %v", el)
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for st.Degraded() != nil {
		if time.Now().After(deadline) {
			t.Fatal("not back up 5 s after Redis restarted")
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.Set(ctx, "k", []byte("v"), time.Minute)
	if v, ok := c.Get(ctx, "k"); !ok || string(v) != "v" {
		t.Fatal("not used again after Redis came back")
	}
	if n := strings.Count(logs.String(), "redis unavailable"); n != 1 {
		t.Errorf("logged the failure %d times, want once: %s", n, logs)
	}
	if n := strings.Count(logs.String(), "redis answers again"); n != 1 {
		t.Errorf("logged the recovery %d times, want once", n)
	}
	if got, err := testutil.GatherAndCount(reg, "redis_transitions_total"); err != nil || got != 2 {
		t.Errorf("transition series: %d %v", got, err)
	}
	if v := testutil.ToFloat64(gauge(t, reg, "redis_up")); v != 1 {
		t.Errorf("redis_up %v", v)
	}
}

func TestOpenRefusesABadURLWithoutItsPassword(t *testing.T) {
	_, err := redisstore.Open(context.Background(), redisstore.Options{URL: "redis://u:s3cretpw@127.0.0.1:1/notadb"})
	if err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("err %v", err)
	}
}

// gauge finds a gauge on reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: "copy"}, func() float64 { return mf.Metric[0].GetGauge().GetValue() })
		}
	}
	t.Fatalf("no %s", name)
	return nil
}

// TestSlowRedisIsDownToo: a Redis that does not answer within the timeout
// (a script busy for 3 s blocks it) costs a caller the timeout once, then
// nothing until it answers again.
func TestSlowRedisIsDownToo(t *testing.T) {
	srv := redistest.Start(t)
	st, _, _ := open(t, srv.URL()) // 200 ms timeout
	ctx := context.Background()
	c := st.Cache("response")
	c.Set(ctx, "k", []byte("v"), time.Minute)
	busy := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: 5 * time.Second})
	defer busy.Close()
	blocked := make(chan error, 1)
	go func() {
		blocked <- busy.Eval(ctx, `local t = redis.call('TIME') local s = t[1] + t[2] / 1e6
			while true do local n = redis.call('TIME') if n[1] + n[2] / 1e6 - s > 3 then break end end return 1`, nil).Err()
	}()
	// The script is running once Redis stops answering (a 100 ms sleep
	// could be too soon on a loaded machine, and the Get below was a hit).
	probe := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: 150 * time.Millisecond, MaxRetries: -1, PoolSize: 1})
	defer probe.Close()
	for deadline := time.Now().Add(10 * time.Second); probe.Ping(ctx).Err() == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the busy script never blocked Redis")
		}
	}
	start := time.Now()
	if _, ok := c.Get(ctx, "k"); ok {
		t.Fatal("a hit from a blocked Redis")
	}
	if el := time.Since(start); el > 400*time.Millisecond {
		t.Fatalf("the first call waited %v, want about the 200 ms timeout", el)
	}
	if st.Degraded() == nil {
		t.Fatal("not degraded after a timeout")
	}
	start = time.Now()
	// Redis is still blocked: a call that asked it would wait the 200 ms
	// timeout (the bound was 5 ms, which a loaded machine can pass).
	c.Get(ctx, "k")
	if el := time.Since(start); el > 100*time.Millisecond {
		t.Fatalf("a call while down waited %v", el)
	}
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for st.Degraded() != nil {
		if time.Now().After(deadline) {
			t.Fatal("not back 5 s after Redis answered again")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, ok := c.Get(ctx, "k"); !ok || string(v) != "v" {
		t.Fatal("the value is gone after Redis answered again")
	}
}
