package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// UpstreamProbe reports whether the upstream answers HTTP at all (any status
// below 500 counts: without a key a 401 is the expected answer), except a
// redirect, which it never follows. It asks /v1/posts, one of the two
// endpoints Aspire documents (the built-in contract has no /v1/projects).
// Results are
// kept five seconds so that frequent probes do not load the upstream.
func UpstreamProbe(baseURL string) func(context.Context) error {
	hc := &http.Client{Timeout: 3 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var (
		mu   sync.Mutex
		at   time.Time
		last error
	)
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(at) < 5*time.Second {
			return last
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/v1/posts", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		switch {
		case err != nil:
			last = fmt.Errorf("the Aspire API does not answer: %v", err)
		case aspire.IsRedirect(resp.StatusCode):
			// Followed, it would be a probe of another host (and a key
			// in the URL would go along): the upstream URL is wrong.
			resp.Body.Close()
			last = errors.New(aspire.RedirectMessage(resp))
		case resp.StatusCode >= 500:
			resp.Body.Close()
			last = fmt.Errorf("the Aspire API answers %s", resp.Status)
		default:
			resp.Body.Close()
			last = nil
		}
		at = time.Now()
		return last
	}
}
