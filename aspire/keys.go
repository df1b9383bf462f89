package aspire

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"
)

// Key admission. In passthrough mode anyone may send any Bearer string, and
// each made-up key would otherwise cost upstream calls of its own. So:
//
//   - A tenant's first call is its verification: other calls of the tenant
//     wait for its outcome instead of going out alongside it (no extra call
//     is made; the first real call is the check).
//   - A key the upstream refused (401 other than a missing scope, or 403 for
//     the client id) is remembered by fingerprint for refusedTTL and refused
//     locally, without an upstream call.
//   - An accepted key is re-checked at least every recheck: past that, its
//     next call skips the response cache and goes upstream, and its outcome
//     decides. A 401 evicts the tenant's cached responses at once, so a
//     revoked key reads nothing more from the cache.
//   - Verification calls of keys never accepted share a small server-wide
//     allowance (unverifiedRate), so a flood of made-up keys cannot use the
//     upstream ceiling that accepted tenants need.
type keyBook struct {
	entries    *otter.Cache[string, *keyEntry]
	recheck    time.Duration
	refusedTTL time.Duration
	now        func() time.Time
}

type keyEntry struct {
	mu           sync.Mutex
	accepted     time.Time // last time the upstream accepted the key; zero: not (or no longer)
	everAccepted bool      // the tenant may have cached responses
	refused      *Error
	refusedUntil time.Time
	verifying    chan struct{} // closed when the verifying call is over
}

func newKeyBook(recheck, refusedTTL time.Duration, now func() time.Time) *keyBook {
	if recheck <= 0 && refusedTTL <= 0 {
		return nil
	}
	return &keyBook{recheck: recheck, refusedTTL: refusedTTL, now: now,
		// Bounded, like the limiters: a stream of made-up keys cannot grow memory.
		entries: otter.Must(&otter.Options[string, *keyEntry]{
			MaximumSize:      100_000,
			ExpiryCalculator: otter.ExpiryAccessing[string, *keyEntry](max(recheck, refusedTTL) + time.Minute),
		})}
}

func (b *keyBook) entry(tenant string) *keyEntry {
	if e, ok := b.entries.GetIfPresent(tenant); ok {
		return e
	}
	e, _ := b.entries.SetIfAbsent(tenant, &keyEntry{})
	return e
}

// verification is held by the call that verifies a tenant's key.
type verification struct{ e *keyEntry }

// release lets the tenant's waiting calls go on (the outcome was recorded
// by record, or nothing was learnt and the next call verifies).
func (v *verification) release() {
	if v == nil {
		return
	}
	v.e.mu.Lock()
	if v.e.verifying != nil {
		close(v.e.verifying)
		v.e.verifying = nil
	}
	v.e.mu.Unlock()
}

// admit decides whether a call of t may go on: nil, nil when the key is
// accepted and fresh; a *verification when this call is to verify it (it
// must not be answered from the cache, and must release); an error when the
// key is remembered as refused.
func (b *keyBook) admit(ctx context.Context, t *Tenant, endpoint string) (*verification, error) {
	if b == nil {
		return nil, nil
	}
	e := b.entry(t.id)
	for {
		e.mu.Lock()
		now := b.now()
		if err := e.refusedAt(now, endpoint); err != nil {
			e.mu.Unlock()
			return nil, err
		}
		if b.acceptedAt(e, now) {
			e.mu.Unlock()
			return nil, nil
		}
		if e.verifying == nil {
			e.verifying = make(chan struct{})
			e.mu.Unlock()
			return &verification{e: e}, nil
		}
		wait := e.verifying
		e.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, contextError(endpoint, ctx.Err())
		}
	}
}

// refusal is the remembered refusal of tenant's key, or nil.
func (b *keyBook) refusal(tenant, endpoint string) error {
	if b == nil {
		return nil
	}
	return read(b, tenant, nil, func(e *keyEntry) error { return e.refusedAt(b.now(), endpoint) })
}

// refusedAt is e's remembered refusal at now, for endpoint, or nil; e.mu is
// held.
func (e *keyEntry) refusedAt(now time.Time, endpoint string) error {
	if e.refused == nil || !now.Before(e.refusedUntil) {
		return nil
	}
	err := *e.refused
	err.Endpoint = endpoint
	return &err
}

// read returns what f says of tenant's entry, under its lock, or ifNone
// when the book has none.
func read[T any](b *keyBook, tenant string, ifNone T, f func(*keyEntry) T) T {
	e, ok := b.entries.GetIfPresent(tenant)
	if !ok {
		return ifNone
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return f(e)
}

// fresh reports whether t's key was accepted within recheck (always true
// when admission is off).
func (b *keyBook) fresh(tenant string) bool {
	if b == nil {
		return true
	}
	return read(b, tenant, false, func(e *keyEntry) bool { return b.acceptedAt(e, b.now()) })
}

// acceptedAt: e's key is accepted and, with a re-check interval, fresh.
func (b *keyBook) acceptedAt(e *keyEntry, now time.Time) bool {
	return !e.accepted.IsZero() && (b.recheck <= 0 || now.Sub(e.accepted) < b.recheck)
}

// known reports whether the upstream ever accepted tenant's key (its
// re-checks do not count against the unverified allowance).
func (b *keyBook) known(tenant string) bool {
	if b == nil {
		return true
	}
	return read(b, tenant, false, func(e *keyEntry) bool { return e.everAccepted })
}

// record learns from the outcome of one upstream attempt of tenant (err nil
// for a 2xx). It reports whether the tenant's cached responses must go and,
// when the key was refused, the refusal it now remembers.
func (b *keyBook) record(tenant string, err error) (evict bool, refused *Error) {
	if b == nil {
		return false, nil
	}
	var ae *Error
	if err != nil && !errors.As(err, &ae) {
		return false, nil
	}
	switch {
	case err == nil, ae.Code == CodeNotFound, ae.Code == CodeInvalid,
		ae.Code == CodeUnauthenticated && ae.MissingScope():
		// The upstream authenticated the key before answering.
		e := b.entry(tenant)
		e.mu.Lock()
		e.accepted, e.everAccepted, e.refused = b.now(), true, nil
		e.mu.Unlock()
	case ae.Code == CodeUnauthenticated, ae.Code == CodeForbidden:
		remembered := Error{Code: ae.Code, Status: ae.Status, UpstreamCode: ae.UpstreamCode,
			Message: strings.TrimSuffix(ae.Message, ".") + " (refused by the Aspire API; not asked again for a while)"}
		evict = b.refuse(tenant, &remembered, b.now().Add(b.refusedTTL))
		if b.refusedTTL > 0 {
			refused = &remembered
		}
	}
	return evict, refused
}

// refuse remembers tenant's key as refused until then (not at all without
// a refusal TTL) and reports whether its cached responses must go.
func (b *keyBook) refuse(tenant string, err *Error, until time.Time) (evict bool) {
	e := b.entry(tenant)
	e.mu.Lock()
	defer e.mu.Unlock()
	evict = e.everAccepted
	e.accepted, e.everAccepted = time.Time{}, false
	if b.refusedTTL > 0 {
		e.refused, e.refusedUntil = err, until
	}
	return evict
}

// keyGate is key admission with its replica sync: the keyBook of this
// process, the allowance of calls verifying keys never accepted, and the
// acceptances and refusals shared with the other replicas through l2
// (loneReplica, which shares nothing, on a single server). A nil book:
// admission is off and every key passes.
type keyGate struct {
	book       *keyBook
	unverified unverifiedAllowance
	l2         SharedCache
	evict      func(tenant string) // drops the tenant's cached responses
}

// refusal is the remembered refusal of tenant's key, or nil.
func (g *keyGate) refusal(tenant, endpoint string) error { return g.book.refusal(tenant, endpoint) }

// fresh reports whether tenant's key was accepted within the re-check
// interval here (a cached answer may be served to it).
func (g *keyGate) fresh(tenant string) bool { return g.book.fresh(tenant) }

// accepted is fresh, here or on another replica.
func (g *keyGate) accepted(ctx context.Context, t *Tenant) bool {
	return g.book.fresh(t.id) || g.sharedAcceptance(ctx, t)
}

// verify admits a call of t (keyBook.admit), consulting the other
// replicas when this one would verify the key: another's fresh acceptance
// spares the call, another's refusal refuses it.
func (g *keyGate) verify(ctx context.Context, t *Tenant, endpoint string) (*verification, error) {
	ver, err := g.book.admit(ctx, t, endpoint)
	if err != nil || ver == nil {
		return ver, err
	}
	if g.sharedAcceptance(ctx, t) {
		ver.release() // another replica checked the key lately
		return nil, nil
	}
	if err := g.sharedRefusal(ctx, t, endpoint); err != nil {
		ver.release()
		return nil, err // another replica was refused it lately
	}
	return ver, nil
}

// verified shares a verifying call's success with the other replicas.
func (g *keyGate) verified(ctx context.Context, t *Tenant) { g.shareAcceptance(ctx, t) }

// allowUnverified takes a call verifying tenant's key from the unverified
// allowance, unless the key was ever accepted.
func (g *keyGate) allowUnverified(tenant, endpoint string) error {
	if !g.unverified.bounded() || g.book.known(tenant) {
		return nil
	}
	return g.unverified.take(time.Now(), endpoint)
}

// record learns from one upstream attempt of t (keyBook.record): a refused
// key's cached responses go, and its refusal is shared.
func (g *keyGate) record(ctx context.Context, t *Tenant, err error) {
	evict, refused := g.book.record(t.id, err)
	if evict {
		g.evict(t.id)
	}
	if refused != nil {
		g.shareRefusal(ctx, t, refused)
	}
}

func (g *keyGate) close() {
	if g.book != nil {
		g.book.entries.StopAllGoroutines()
	}
}

// Accepted reports whether the upstream accepted t's key within the
// re-check interval, here or (with a shared store) on another replica.
func (t *Tenant) Accepted(ctx context.Context) bool {
	return t.c.keys.accepted(ctx, t)
}

// Refused reports whether the upstream refused t's key lately
// (key-refused-ttl): its calls are refused here, without asking again.
func (t *Tenant) Refused() bool { return t.c.keys.refusal(t.id, "") != nil }

// With a shared store, an acceptance is shared with the other replicas, so
// that one check per key per key-recheck serves them all (and their shared
// caches): the entry holds the time of the check and lives until its
// re-check is due.
func acceptanceKey(tenant string) string { return "key-accepted " + tenant }

func (g *keyGate) shareAcceptance(ctx context.Context, t *Tenant) {
	if g.book == nil || g.book.recheck <= 0 {
		return
	}
	g.l2.Set(ctx, acceptanceKey(t.id), []byte(strconv.FormatInt(g.book.now().UnixNano(), 10)), g.book.recheck)
}

// sharedAcceptance reads another replica's acceptance of t's key and, when
// it is fresh and no replica has refused the key since, adopts it.
func (g *keyGate) sharedAcceptance(ctx context.Context, t *Tenant) bool {
	if g.book == nil || g.book.recheck <= 0 {
		return false
	}
	b, ok := g.l2.Get(ctx, acceptanceKey(t.id))
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	at := time.Unix(0, n)
	if err != nil || g.book.now().Sub(at) >= g.book.recheck {
		return false
	}
	if r, ok := g.sharedRefusalOf(ctx, t); ok && r.At > n {
		return false // refused since: sharedRefusal adopts it
	}
	e := g.book.entry(t.id)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refused != nil && g.book.now().Before(e.refusedUntil) {
		return false // this replica saw it refused since
	}
	if at.After(e.accepted) {
		e.accepted, e.everAccepted = at, true
	}
	return true
}

// Refusals are shared too: without them a made-up key cost one upstream
// call per replica, and a revoked key stayed readable on the replicas that
// had not met its 401. The entry lives for key-refused-ttl from the
// refusal, like the local one; between an acceptance and a refusal, the
// later wins.
func refusalKey(tenant string) string { return "key-refused " + tenant }

// sharedRefusalEntry is a refusal as the shared store holds it: the error
// a caller reads (the key is never in it; the tenant is a fingerprint).
type sharedRefusalEntry struct {
	At           int64  `json:"at"` // Unix nanoseconds of the refusal
	Code         Code   `json:"code"`
	Status       int    `json:"status"`
	UpstreamCode string `json:"upstreamCode,omitempty"`
	Message      string `json:"message"`
}

func (g *keyGate) shareRefusal(ctx context.Context, t *Tenant, err *Error) {
	if g.book == nil || g.book.refusedTTL <= 0 {
		return
	}
	b, _ := json.Marshal(sharedRefusalEntry{At: g.book.now().UnixNano(), Code: err.Code, Status: err.Status,
		UpstreamCode: err.UpstreamCode, Message: err.Message})
	g.l2.Set(ctx, refusalKey(t.id), b, g.book.refusedTTL)
}

func (g *keyGate) sharedRefusalOf(ctx context.Context, t *Tenant) (sharedRefusalEntry, bool) {
	var r sharedRefusalEntry
	if g.book == nil || g.book.refusedTTL <= 0 {
		return r, false
	}
	b, ok := g.l2.Get(ctx, refusalKey(t.id))
	if !ok || json.Unmarshal(b, &r) != nil || (r.Code != CodeUnauthenticated && r.Code != CodeForbidden) {
		return r, false
	}
	return r, g.book.now().Before(time.Unix(0, r.At).Add(g.book.refusedTTL))
}

// sharedRefusal reads another replica's refusal of t's key and, when it is
// still remembered, adopts it (evicting what the tenant had cached here)
// and returns it for endpoint.
func (g *keyGate) sharedRefusal(ctx context.Context, t *Tenant, endpoint string) error {
	r, ok := g.sharedRefusalOf(ctx, t)
	if !ok {
		return nil
	}
	err := &Error{Code: r.Code, Status: r.Status, UpstreamCode: r.UpstreamCode, Message: r.Message}
	if g.book.refuse(t.id, err, time.Unix(0, r.At).Add(g.book.refusedTTL)) {
		g.evict(t.id)
	}
	out := *err
	out.Endpoint = endpoint
	return &out
}

// Introduce asks allow whether t's credentials may be used when they are
// new to the client (never seen, or forgotten): a new key costs one
// upstream call to verify; later requests with it wait on that call, or are
// refused locally once it was refused. So callers limit how fast one
// address may bring new keys. A key allow refuses stays new.
func (t *Tenant) Introduce(allow func() bool) bool {
	if t.c.keys.book == nil {
		return true
	}
	if _, inserted := t.c.keys.book.entries.SetIfAbsent(t.id, &keyEntry{}); !inserted || allow() {
		return true
	}
	t.c.keys.book.entries.Invalidate(t.id)
	return false
}

// evictTenant drops every cached response of a tenant.
func (c *Client) evictTenant(tenant string) {
	if c.cache == nil {
		return
	}
	prefix := tenant + " "
	for k := range c.cache.c.Keys() {
		if strings.HasPrefix(k, prefix) {
			c.cache.c.Invalidate(k)
		}
	}
}
