package aspire_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
)

// withEndpoints is the contract the simulator speaks by default (the
// built-in one with /v1/projects and /v1/groups): tests of the client over
// it pass it, or projects and groups would be derived from the members.
var withEndpoints = aspire.WithContract(contract.WithEndpoints())

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
