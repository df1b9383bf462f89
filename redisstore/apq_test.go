package redisstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/redisstore"
	"github.com/aspire-graphql/aspire-graphql/redisstore/redistest"
)

type mapCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *mapCache) Get(_ context.Context, k string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *mapCache) Add(_ context.Context, k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = v
}

func hashOf(doc string) string {
	s := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(s[:])
}

// A document read back from Redis is checked as an upstream body is: one
// planted under another document's hash is a miss. Registrations stop
// reaching Redis past APQBytes (they stay local).
func TestAPQFromRedisIsChecked(t *testing.T) {
	srv := redistest.Start(t)
	st, _, _ := open(t, srv.URL())
	ctx := context.Background()
	st.Cache("apq").Set(ctx, hashOf("{ a }"), []byte("{ planted }"), time.Minute)
	if q, ok := st.APQ(&mapCache{m: map[string]string{}}).Get(ctx, hashOf("{ a }")); ok {
		t.Fatalf("a planted document was served: %q", q)
	}

	one := st.APQ(&mapCache{m: map[string]string{}})
	doc := func(i int) string { return fmt.Sprintf("{ __typename } # %d %s", i, strings.Repeat("x", 1<<20-64)) }
	n := redisstore.APQBytes/(1<<20) + 6
	for i := range n {
		one.Add(ctx, hashOf(doc(i)), doc(i))
	}
	other := st.APQ(&mapCache{m: map[string]string{}}) // another replica
	if _, ok := other.Get(ctx, hashOf(doc(0))); !ok {
		t.Fatal("the first registration did not reach Redis")
	}
	if _, ok := other.Get(ctx, hashOf(doc(n-1))); ok {
		t.Fatalf("registration %d of 1 MiB reached Redis past its %d MiB budget", n, redisstore.APQBytes>>20)
	}
	if _, ok := one.Get(ctx, hashOf(doc(n-1))); !ok {
		t.Fatal("a registration past the Redis budget was lost locally too")
	}
}
