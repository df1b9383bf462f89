package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/aspire-graphql/aspire-graphql/redisstore"
	"github.com/aspire-graphql/aspire-graphql/redisstore/redistest"
)

// TestWrongTypeKeyIsAMiss (issue #23 point 7): one key of another type
// (a list where a cache value belongs) is a miss for that key; the store
// stays up and serves the other keys. Before, every Get of it marked the
// whole store down (20 down/up flaps in 20 s, other tenants skipped).
func TestWrongTypeKeyIsAMiss(t *testing.T) {
	srv := redistest.Start(t)
	st, reg, logs := open(t, srv.URL())
	ctx := context.Background()
	c := st.Cache("upstream")
	c.Set(ctx, "good", []byte("v"), time.Minute)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	if err := rdb.RPush(ctx, redisstore.Prefix+"upstream:bad", "x").Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, ok := c.Get(ctx, "bad"); ok {
			t.Fatal("a hit from a list")
		}
		if v, ok := c.Get(ctx, "good"); !ok || string(v) != "v" {
			t.Fatalf("get %d: the good key is not served after the wrong-typed one", i)
		}
	}
	if err := st.Degraded(); err != nil {
		t.Fatalf("degraded by one wrong-typed key: %v", err)
	}
	if n, err := testutil.GatherAndCount(reg, "redis_transitions_total"); err != nil || n != 0 {
		t.Errorf("%d transition series (%v), want none\n%s", n, err, logs)
	}
	// Set overwrites it, as it overwrites any value.
	c.Set(ctx, "bad", []byte("w"), time.Minute)
	if v, ok := c.Get(ctx, "bad"); !ok || string(v) != "w" {
		t.Fatal("the key is not usable again after a Set")
	}
}
