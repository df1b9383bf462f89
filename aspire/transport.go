package aspire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// The transport concerns, in the order a call meets them:
//
//	get: response cache ─▶ in-flight de-duplication ─▶ fetch
//	fetch: retry { breaker ─▶ unverified-key allowance ─▶ budget
//	               ─▶ rate limits (tenant, ceiling) ─▶ HTTP with a per-attempt timeout }
//	       retry on 429 / 5xx / connection errors with backoff and Retry-After
//	       (the stages: stages.go, limits.go)
//
// Every key of the cache and of the de-duplication starts with the tenant's
// fingerprint, so one tenant's response never answers another's call.

// getCall fetches path with params for t and decodes a 2xx body with dec.
// endpoint is the route template reported to the observer and in errors;
// path and params use our names, which the contract translates. (get, in
// trace.go, wraps it in the call's span.)
//
// Before any wait: the credentials, the key gate (a key refused lately is
// refused here), the response cache (served only to a key accepted lately:
// one not accepted lately is re-verified by an upstream call first, see
// keyBook), then the calls in flight, which run load.
func getCall[T any](ctx context.Context, t *Tenant, endpoint, path string, params url.Values, dec func([]byte) (T, error)) (T, error) {
	var zero T
	c := t.c
	if err := c.wf.checkCreds(endpoint, t.creds); err != nil {
		return zero, err
	}
	canonical := c.wf.url(endpoint, path, params, t.creds.ClientID) // never holds the key
	key := t.id + " " + canonical
	if err := c.keys.refusal(t.id, endpoint); err != nil {
		return zero, err
	}
	useCache := c.cache != nil && ctx.Value(noCacheKey{}) == nil
	if useCache {
		if v, ok := c.cache.get(key); ok && c.keys.fresh(t.id) {
			c.observe(ctx, Event{Kind: EventCacheHit, Endpoint: endpoint})
			return v.(T), nil
		}
		c.observe(ctx, Event{Kind: EventCacheMiss, Endpoint: endpoint})
	}
	v, err := c.inFlight(ctx, endpoint, key, func(ctx context.Context) (any, error) {
		return load(ctx, t, endpoint, canonical, key, params, useCache, dec)
	})
	if err != nil {
		if ctx.Err() != nil {
			return zero, contextError(endpoint, ctx.Err())
		}
		return zero, err
	}
	return v.(T), nil
}

// inFlight runs load, or joins the identical call in flight, and tells
// ctx's Waiter of the wait.
func (c *Client) inFlight(ctx context.Context, endpoint, key string, load func(context.Context) (any, error)) (any, error) {
	resume := waiting(ctx)
	defer resume()
	if c.flight == nil {
		return load(ctx)
	}
	v, shared, err := c.flight.do(ctx, key, load)
	if shared {
		c.observe(ctx, Event{Kind: EventShared, Endpoint: endpoint})
	}
	return v, err
}

// load is one call that missed the cache: the key's verification (with its
// replica sync), the caches again (once the key is known fresh), fetch, the
// drift sample, decoding, and storing in both cache levels.
func load[T any](ctx context.Context, t *Tenant, endpoint, canonical, key string, params url.Values, useCache bool, dec func([]byte) (T, error)) (any, error) {
	c := t.c
	var ttl time.Duration
	if useCache {
		ttl = c.ttlFor(params)
	}
	ver, err := c.keys.verify(ctx, t, endpoint)
	if err != nil {
		return nil, err
	}
	defer ver.release()
	if useCache && ver == nil {
		if v, ok := c.cache.get(key); ok { // filled while this call waited on the verification
			return v, nil
		}
		if v, ok := sharedGet(ctx, c, endpoint, key, ttl, dec); ok {
			return v, nil
		}
	}
	body, err := c.fetch(ctx, t, endpoint, canonical, ver != nil)
	if err != nil {
		return nil, err
	}
	if ver != nil {
		c.keys.verified(ctx, t)
	}
	defer putBuffer(body)
	v, err := dec(body.Bytes())
	var ce *Error
	if errors.As(err, &ce) && ce.Code == CodeContract {
		return nil, ce // before the drift sample, which reads the whole body as generic JSON
	}
	c.checkDrift(ctx, endpoint, body.Bytes())
	if err != nil {
		return nil, &Error{Code: CodeUnavailable, Endpoint: endpoint, Status: http.StatusOK,
			Message: "the Aspire API sent a response that could not be read", Detail: scrub(err.Error(), t.creds.APIKey)}
	}
	if useCache {
		c.cache.set(key, v, body.Len(), ttl)
		c.sharedSet(ctx, key, body.Bytes(), ttl)
	}
	return v, nil
}

// ttlFor keeps answers about days that are over for longer: they change
// little (lifetime metrics of old posts drift slowly; date_range metrics of a
// past range not at all).
func (c *Client) ttlFor(params url.Values) time.Duration {
	if end, err := ParseDate(params.Get(wire.ParamEndDate)); err == nil && end.Before(DateOf(c.cfg.now())) {
		return c.cfg.cachePastTTL
	}
	return c.cfg.cacheTTL
}

// fetch GETs canonical (a path with its query) through the stages of
// stages.go; the returned buffer holds a 2xx body and goes back to the pool
// with putBuffer.
//
// verifying says the call verifies a key the upstream has not accepted
// lately; one never accepted must find room in the unverified allowance.
func (c *Client) fetch(ctx context.Context, t *Tenant, endpoint, canonical string, verifying bool) (*bytes.Buffer, error) {
	return c.retry.do(ctx, endpoint, func(n int) (*bytes.Buffer, error, bool) {
		if err := c.breaker.allow(endpoint); err != nil {
			return nil, err, true
		}
		if verifying && n == 1 {
			if err := c.keys.allowUnverified(t.id, endpoint); err != nil {
				return nil, err, true
			}
		}
		if err := spend(ctx, endpoint); err != nil {
			return nil, err, true
		}
		if err := c.limits.take(ctx, t.id, endpoint); err != nil {
			return nil, err, true
		}
		body, err := c.attempt(ctx, t, endpoint, canonical, n)
		c.keys.record(ctx, t, err)
		if err != nil {
			c.limits.saw429(ctx, t.id, err)
		}
		return body, err, false
	})
}

// attempt makes one HTTP request.
func (c *Client) attempt(ctx context.Context, t *Tenant, endpoint, canonical string, n int) (*bytes.Buffer, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.attemptTimeout)
	defer cancel()
	start := time.Now()
	body, status, err := c.roundTrip(actx, t, endpoint, canonical)
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		err = &Error{Code: CodeUnavailable, Endpoint: endpoint, Status: status, Err: actx.Err(),
			Message: "the Aspire API did not answer in time"}
	}
	if ctx.Err() == nil {
		c.breaker.record(err != nil && status == 0)
	}
	c.observe(ctx, Event{Kind: EventRequest, Endpoint: endpoint, Status: status, Attempt: n, Duration: time.Since(start), Err: err})
	return body, err
}

func (c *Client) roundTrip(ctx context.Context, t *Tenant, endpoint, canonical string) (*bytes.Buffer, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+canonical, nil)
	if err != nil {
		return nil, 0, &Error{Code: CodeInvalid, Endpoint: endpoint, Message: "could not build the request", Err: err}
	}
	c.wf.authorize(req, t.creds.APIKey, t.creds.ClientID)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.userAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, &Error{Code: CodeUnavailable, Endpoint: endpoint, Err: err,
			Message: "could not reach the Aspire API", Detail: scrub(scrub(err.Error(), url.QueryEscape(t.creds.APIKey)), t.creds.APIKey)}
	}
	defer resp.Body.Close()
	buf := getBuffer()
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, c.cfg.maxBody+1))
	if err != nil {
		putBuffer(buf)
		return nil, resp.StatusCode, &Error{Code: CodeUnavailable, Endpoint: endpoint, Status: resp.StatusCode, Err: err,
			Message: "the connection to the Aspire API broke while reading its answer", Detail: scrub(err.Error(), t.creds.APIKey)}
	}
	if n > c.cfg.maxBody {
		putBuffer(buf)
		return nil, resp.StatusCode, &Error{Code: CodeUnavailable, Endpoint: endpoint, Status: resp.StatusCode,
			Message: "the Aspire API sent a response larger than allowed", final: true}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := errorFromResponse(endpoint, resp, buf.Bytes(), t.creds.APIKey, c.cfg.now())
		putBuffer(buf)
		return nil, resp.StatusCode, e
	}
	return buf, resp.StatusCode, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 4<<20 {
		return // let the GC have outsized buffers rather than pin them
	}
	b.Reset()
	bufPool.Put(b)
}

type noCacheKey struct{}

// WithoutCache returns ctx whose calls neither read nor fill the response
// cache: for reads that will not repeat, such as an export paging through a
// whole table, which would otherwise evict everything useful.
func WithoutCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, noCacheKey{}, true)
}
