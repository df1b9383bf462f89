package main

import "runtime/debug"

// GC defaults, each overridden by the Go runtime's own variable when set.
//
// A query allocates about 1 MB that is garbage once its response is written,
// so with Go's default GOGC=100 the collector ran every few queries and took
// about a third of the CPU of raw execution (W1, no response cache: 2.4–2.7 →
// 1.6–1.8 CPU-ms per query in BenchmarkW1Parallel with GOGC=400). The memory
// limit bounds what the larger heap goal may cost: near it the collector
// runs as often as it must, so the peak stays under it.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 100 << 20
)

// tuneGC applies the defaults above where GOGC or GOMEMLIMIT are unset.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
