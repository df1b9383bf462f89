// Package teststack holds what the tests of several packages build their
// stacks from, so that each package does not keep its own copy. Test-only:
// nothing in the server's import graph imports it (deps_test.go).
package teststack

import (
	"bytes"
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/config"
)

// SyncBuffer collects a server's log or a command's output while it runs,
// for assertions made while it still writes: a bytes.Buffer behind a mutex.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what has been written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ServerMemoryLimit is the memory limit the server sets itself with its
// default settings (config.(*Config).MemoryLimit, 120 MiB): the abuse
// tests hold the live heap under it after an attack.
func ServerMemoryLimit(t testing.TB) uint64 {
	t.Helper()
	c, _, err := config.Load("aspire-graphql", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(c.MemoryLimit())
}

// LiveHeap is the bytes of live heap objects after a collection.
func LiveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
