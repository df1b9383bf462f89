package main

import "runtime/debug"

// GC defaults for serving, each overridden by the Go runtime's own variable
// when set.
//
// A query allocates about 1 MB that is garbage once its response is written,
// so with Go's default GOGC=100 the collector ran every few queries and took
// about a third of the CPU of raw execution (W1, no response cache: 2.4–2.7 →
// 1.6–1.8 CPU-ms per query in BenchmarkW1Parallel with GOGC=400).
//
// The memory limit bounds what the larger heap goal may cost. It must sit
// well above what the caches may legitimately hold live (their bounds weigh
// response bodies; decoded values take up to about three times that), or
// the collector runs without pause once they fill: a 100 MiB limit under
// the default 96 MiB of caches did exactly that on W5 (every query
// distinct), at 5.7 CPU-ms per query.
const (
	defaultGCPercent   = 400
	memoryLimitBase    = 64 << 20
	memoryPerCacheByte = 3
)

// tuneGC applies the defaults above where GOGC or GOMEMLIMIT are unset;
// cacheBytes is the sum of the configured caches' bounds.
func tuneGC(getenv func(string) string, cacheBytes int64) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimitBase + memoryPerCacheByte*max(cacheBytes, 0))
	}
}
