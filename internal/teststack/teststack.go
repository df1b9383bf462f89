// Package teststack holds what the tests of several packages build their
// stacks from, so that each package does not keep its own copy. Test-only:
// nothing in the server's import graph imports it (deps_test.go).
package teststack

import (
	"bytes"
	"sync"
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
