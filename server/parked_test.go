package server_test

import (
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// parked counts the process's goroutines blocked (select, channel, lock)
// whose first frame below the runtime's is a function fn matches, as a
// stack trace names it (a closure's name depends on where the compiler
// inlined it: "server.New.(*responses).wrap.func5"). It sees every test's
// goroutines: a test that uses it is not parallel, and so runs alone.
func parked(fn *regexp.Regexp) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		header, frames, _ := strings.Cut(g, "\n")
		if strings.Contains(header, "[running") || strings.Contains(header, "[runnable") {
			continue
		}
		for line := range strings.Lines(frames) {
			if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "runtime.") {
				continue
			}
			if i := strings.LastIndex(line, "("); i > 0 && fn.MatchString(line[:i]) {
				count++
			}
			break
		}
	}
	return count
}

// waitParked waits until n goroutines are parked in fn: requests are where
// a test wants them (joined an execution, waiting on a call) whatever the
// machine's load, where a sleep only guessed how long they take to get
// there.
func waitParked(t testing.TB, fn *regexp.Regexp, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		got := parked(fn)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines parked in %s, want %d", got, fn, n)
		}
	}
}

// Where requests wait: on an identical request's execution in flight,
// theirs or one they joined (merge-inflight; the select of the middleware's
// closure), and on an upstream call in flight.
var (
	inMergedExecution = regexp.MustCompile(`/server\.(New\.)?\(\*responses\)\.wrap\.func\d+$`)
	onUpstreamCall    = regexp.MustCompile(`/aspire\.\(\*flightGroup\)\.wait$`)
)
