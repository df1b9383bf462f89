// Package testwait lets a test wait for goroutines to be where it wants
// them (blocked on an execution or a call in flight) instead of sleeping
// for as long as it guesses they take to get there, which a loaded machine
// overruns.
package testwait

import (
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Parked counts the process's goroutines blocked (select, channel, lock)
// whose first frame below the runtime's is a function fn matches, as a
// stack trace names it (a closure's name depends on where the compiler
// inlined it: "server.New.(*responses).wrap.func5"). It sees every test's
// goroutines: a test that uses it is not parallel, and so runs alone.
func Parked(fn *regexp.Regexp) int {
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

// WaitParked waits until at least n goroutines are parked in fn, for up to
// 20 s.
func WaitParked(t testing.TB, fn *regexp.Regexp, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		got := Parked(fn)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines parked in %s, want %d", got, fn, n)
		}
	}
}

// OnUpstreamCall is where a caller of the aspire client waits on an
// identical upstream call in flight, its own or one it joined.
var OnUpstreamCall = regexp.MustCompile(`/aspire\.\(\*flightGroup\)\.wait$`)
