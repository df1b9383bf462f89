package aspire_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func countingHandler(h http.Handler, inFlight, peak *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		h.ServeHTTP(w, r)
	})
}

func baseOf(t testing.TB, h http.Handler) string {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}
