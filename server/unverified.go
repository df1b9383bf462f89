package server

import (
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/time/rate"

	"github.com/aspire-graphql/aspire-graphql/graph"
)

// addressLimits bound the unauthenticated work of one client address: in
// passthrough mode, how fast it may bring keys the server has not seen
// (each costs one upstream call to verify; later requests with the same key
// wait on that call, or are refused locally once it was refused). A caller
// with a known key is never limited here. The address is the connection's,
// or behind trusted proxies the client's they name (clientAddress).
type addressLimits struct {
	rate    rate.Limit
	burst   int
	proxies []netip.Prefix
	c       *otter.Cache[string, *rate.Limiter]
}

func newAddressLimits(perSecond float64, proxies []netip.Prefix) *addressLimits {
	if perSecond <= 0 {
		return nil
	}
	return &addressLimits{rate: rate.Limit(perSecond), burst: max(1, int(5*perSecond)), proxies: proxies,
		// Bounded: an evicted address starts with a full bucket.
		c: otter.Must(&otter.Options[string, *rate.Limiter]{
			MaximumSize:      10_000,
			ExpiryCalculator: otter.ExpiryAccessing[string, *rate.Limiter](10 * time.Minute),
		})}
}

// allow takes a token of r's address, or answers 429 and returns false.
func (a *addressLimits) allow(w http.ResponseWriter, r *http.Request) bool {
	if a == nil {
		return true
	}
	host := clientAddress(r, a.proxies)
	l, ok := a.c.GetIfPresent(host)
	if !ok {
		l, _ = a.c.SetIfAbsent(host, rate.NewLimiter(a.rate, a.burst))
	}
	if l.Allow() {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(1/float64(a.rate)))))
	writeGraphQLError(w, r, http.StatusTooManyRequests, graph.CodeRateLimited,
		"too many new API keys from this address (unverified-rate); retry in a moment")
	return false
}

func (a *addressLimits) close() {
	if a != nil {
		a.c.StopAllGoroutines()
	}
}
