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
// The memory limit bounds what the larger heap goal may cost, so that the
// process stays within 150 MiB at 128 connections. It must sit well above
// what the caches may legitimately hold live, or the collector runs without
// pause once they fill: a 100 MiB limit under 96 MiB of caches did exactly
// that on W5 (every query distinct), at 5.7 CPU-ms per query. The limit
// itself is config.(*Config).MemoryLimit: what the caches may hold live
// plus the working set of 128 queries in flight.
const defaultGCPercent = 400

// tuneGC applies the defaults above where GOGC or GOMEMLIMIT are unset;
// memoryLimit is the settings' (config.(*Config).MemoryLimit).
func tuneGC(getenv func(string) string, memoryLimit int64) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
