// Package aspiretest is a faithful, deterministic simulator of the Aspire
// REST API as ../shared/design/aspire-rest-contract.md describes it: seeded
// workspaces, keys with scopes and expiry, every filter, sort and paging rule,
// per-key rate limiting, injected faults, and a request log that tests use as
// the witness of how many upstream calls a query made.
//
// It speaks the wire format of aspire/internal/wire and the json tags of the
// aspire records, so the client and the simulator cannot drift apart on an
// ASSUMED detail without one edit showing in both.
package aspiretest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// The seeded credentials. Client ids are 32 alphanumerics like real ones;
// keys are whatever the simulator is told.
const (
	DemoClientID  = "5a1e0d3m0w0rk5pac3000000000000a1"
	OtherClientID = "0th3rw0rk5pac3000000000000000b2"

	DemoKey           = "sim_demo_key_9f8e7d6c5b4a"      // demo workspace, every scope
	DemoSecondKey     = "sim_demo_second_key_1a2b3c4d5e" // demo workspace, every scope: a second key of one workspace
	DemoMemberOnlyKey = "sim_demo_member_only_key_77aa"  // demo workspace, read:member only
	DemoExpiredKey    = "sim_demo_expired_key_0000dead"  // demo workspace, expired
	OtherKey          = "sim_other_key_5e4d3c2b1a09"     // other workspace, every scope
)

// Key is an API key the simulator accepts.
type Key struct {
	Name      string // shown in the request log instead of the token
	Token     string
	ClientID  string
	Scopes    []string
	ExpiresAt time.Time // zero: never
}

// Server is the simulator; it is an http.Handler. Its workspaces are
// generated once and never change; faults, latency and the log may be
// changed at any time, concurrently with requests.
type Server struct {
	workspaces map[string]*workspace
	keys       map[string]Key
	revoked    sync.Map // token → true: revoked since the start
	now        func() time.Time

	rateLimit  int
	rateWindow time.Duration
	rlMu       sync.Mutex
	windows    map[string]*window

	mu       sync.Mutex
	rnd      *rand.Rand
	latency  time.Duration
	jitter   time.Duration
	slowBody time.Duration
	faults   []*Fault
	drift    map[string]string // field → new name, "" to drop it
	log      []Request
	logMax   int
	counts   map[string]int
	total    int

	sp *speaker // the wire format
}

type window struct {
	start time.Time
	n     int
}

// Request is one entry of the request log.
type Request struct {
	Method   string
	Path     string
	Endpoint string // route template: "/v1/posts" or "/v1/posts/{id}"
	Query    url.Values
	Key      string // the key's Name, never its token; "" when unknown
	Status   int
	Injected bool      // answered by an injected fault, not by the API's rules
	At       time.Time // when it arrived, on the simulator's clock
}

// IDs returns the ids of param in r, from comma lists and repeats alike.
func (r Request) IDs(param string) []string { return splitList(r.Query[param]) }

// Fault makes matching requests fail.
type Fault struct {
	// Endpoint limits the fault to a path such as "/v1/members" (its by-id
	// path too); "" matches every endpoint.
	Endpoint string
	// Status is answered with the contract's error body, unless Reset.
	Status int
	// Reset closes the connection without an answer.
	Reset bool
	// Rate is the probability that a matching request fails; 0 means always.
	Rate float64
	// Count, when > 0, makes the fault end after that many failures.
	Count int
	// RetryAfter is sent as Retry-After (whole seconds, at least 1) on a 429.
	RetryAfter time.Duration
	// When, if set, limits the fault to the requests it accepts (say, pages
	// after the first).
	When func(*http.Request) bool
}

// Option configures a Server.
type Option func(*options)

type options struct {
	seed       uint64
	sizes      Sizes
	otherSizes Sizes
	keys       []Key
	rateLimit  int
	rateWindow time.Duration
	latency    time.Duration
	jitter     time.Duration
	faults     []Fault
	now        func() time.Time
	logMax     int
	wire       Wire
}

// WithSeed seeds the demo workspace (default 1); the other workspace uses
// seed+1. Same seed, same data, byte for byte.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithSizes sizes the demo workspace (default DefaultSizes).
func WithSizes(s Sizes) Option { return func(o *options) { o.sizes = s } }

// WithOtherSizes sizes the other workspace (default SmallSizes).
func WithOtherSizes(s Sizes) Option { return func(o *options) { o.otherSizes = s } }

// WithKey adds an accepted key.
func WithKey(k Key) Option { return func(o *options) { o.keys = append(o.keys, k) } }

// WithRateLimit allows n requests per key per window (default 600 a
// minute); n <= 0 turns rate limiting off.
func WithRateLimit(n int, per time.Duration) Option {
	return func(o *options) { o.rateLimit, o.rateWindow = n, per }
}

// WithLatency delays every answer by fixed ± jitter (uniform).
func WithLatency(fixed, jitter time.Duration) Option {
	return func(o *options) { o.latency, o.jitter = fixed, jitter }
}

// WithFault injects a fault from the start.
func WithFault(f Fault) Option { return func(o *options) { o.faults = append(o.faults, f) } }

// WithClock replaces time.Now (key expiry, rate windows).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogSize keeps at most n requests in the log (default 100,000); the
// counters count every request regardless.
func WithLogSize(n int) Option { return func(o *options) { o.logMax = n } }

// New returns a simulator serving two workspaces, the demo one
// (DemoClientID) and a small other one (OtherClientID), with the seeded keys.
func New(opts ...Option) *Server {
	o := options{seed: 1, sizes: DefaultSizes, otherSizes: SmallSizes, rateLimit: 600, rateWindow: time.Minute,
		now: time.Now, logMax: 100_000}
	for _, f := range opts {
		f(&o)
	}
	both := []string{wire.ScopeSocial, wire.ScopeMember, "read:affiliate", "read:payment", "read:product-fulfillment"}
	keys := append([]Key{
		{Name: "demo", Token: DemoKey, ClientID: DemoClientID, Scopes: both},
		{Name: "demo-second", Token: DemoSecondKey, ClientID: DemoClientID, Scopes: both},
		{Name: "demo-member-only", Token: DemoMemberOnlyKey, ClientID: DemoClientID, Scopes: []string{wire.ScopeMember}},
		{Name: "demo-expired", Token: DemoExpiredKey, ClientID: DemoClientID, Scopes: both, ExpiresAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Name: "other", Token: OtherKey, ClientID: OtherClientID, Scopes: both},
	}, o.keys...)
	s := &Server{
		workspaces: map[string]*workspace{
			DemoClientID:  genWorkspace(0, DemoClientID, o.seed, o.sizes),
			OtherClientID: genWorkspace(1, OtherClientID, o.seed+1, o.otherSizes),
		},
		keys:       map[string]Key{},
		now:        o.now,
		rateLimit:  o.rateLimit,
		rateWindow: o.rateWindow,
		windows:    map[string]*window{},
		rnd:        rand.New(rand.NewPCG(o.seed, 42)),
		latency:    o.latency,
		jitter:     o.jitter,
		logMax:     o.logMax,
		counts:     map[string]int{},
		sp:         newSpeaker(o.wire),
	}
	if o.wire.EmbedNames {
		for id, w := range s.workspaces {
			s.workspaces[id] = w.named() // generated workspaces are shared between simulators: a copy
		}
	}
	for _, k := range keys {
		s.keys[k.Token] = k
	}
	for _, f := range o.faults {
		s.Inject(f)
	}
	return s
}

// Revoke revokes the key token: from now on it is answered 401
// invalid_token, as a key deleted in Aspire's settings would be.
func (s *Server) Revoke(token string) { s.revoked.Store(token, true) }

// SetLatency changes the added latency.
func (s *Server) SetLatency(fixed, jitter time.Duration) {
	s.mu.Lock()
	s.latency, s.jitter = fixed, jitter
	s.mu.Unlock()
}

// SetSlowBody makes every successful body trickle out over d (0: off).
func (s *Server) SetSlowBody(d time.Duration) {
	s.mu.Lock()
	s.slowBody = d
	s.mu.Unlock()
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

// FailNext makes the next n requests to endpoint ("" for any) answer status.
func (s *Server) FailNext(endpoint string, n, status int) {
	s.Inject(Fault{Endpoint: endpoint, Status: status, Count: n})
}

// SetDrift makes the simulator drift from the contract, as the real API
// might: every record field named k is renamed to drift[k], or dropped when
// that is "" (nil: back to the contract).
func (s *Server) SetDrift(drift map[string]string) {
	s.mu.Lock()
	s.drift = drift
	s.mu.Unlock()
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// Count returns the number of requests to an endpoint template ("" for all)
// since the last Reset.
func (s *Server) Count(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if endpoint == "" {
		return s.total
	}
	return s.counts[endpoint]
}

// Counts returns the requests per endpoint template since the last Reset.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Reset clears the log, the counters and the rate-limit windows.
func (s *Server) Reset() {
	s.mu.Lock()
	s.log, s.counts, s.total = nil, map[string]int{}, 0
	s.mu.Unlock()
	s.rlMu.Lock()
	s.windows = map[string]*window{}
	s.rlMu.Unlock()
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	s.counts[r.Endpoint]++
	if len(s.log) >= s.logMax {
		s.log = s.log[1:]
	}
	s.log = append(s.log, r)
}

// ServeHTTP serves the contract, plus GET /_sim/stats and POST /_sim/reset
// for harnesses that run the simulator as a separate process.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_sim/stats":
		s.serveStats(w)
		return
	case "/_sim/reset":
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	endpoint, id, pathClientID := s.sp.route(r.URL.Path)
	query, qerr := s.sp.query(r) // our names; never the key
	rec := Request{Method: r.Method, Path: r.URL.Path, Endpoint: endpoint, Query: query, At: s.now()}
	// The request is logged when its status is decided, before a byte goes
	// out, so that a test reading the log after its call returns sees it.
	rw := &statusWriter{ResponseWriter: w, onStatus: func(status int) {
		rec.Status = status
		s.record(rec)
	}}

	if !s.delay(r.Context()) {
		rw.onStatus(499) // the client went away
		return
	}
	if f := s.fault(endpoint, r); f != nil {
		rec.Injected = true
		if f.Reset {
			rw.onStatus(0)
			resetConnection(w)
			return
		}
		if f.Status == http.StatusTooManyRequests {
			w.Header().Set(wire.HeaderRetryAfter, strconv.Itoa(max(1, int(f.RetryAfter/time.Second))))
		}
		writeError(rw, f.Status, faultCode(f.Status), "injected fault")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(rw, http.StatusMethodNotAllowed, wire.ErrInvalidParameter, "only GET is supported")
		return
	}
	key, ok := s.authenticate(rw, r)
	if !ok {
		return
	}
	rec.Key = key.Name
	if !s.allow(rw, key) {
		return
	}
	if endpoint == "" {
		writeError(rw, http.StatusNotFound, wire.ErrNotFound, "no such endpoint")
		return
	}
	base := strings.TrimSuffix(endpoint, "/{id}")
	if scope := wire.ScopeFor(base); !slices.Contains(key.Scopes, scope) {
		writeError(rw, http.StatusUnauthorized, wire.ErrInsufficientScope, "the key lacks the "+scope+" scope")
		return
	}
	clientID := s.sp.clientID(r)
	if clientID == "" {
		clientID = pathClientID
	}
	if clientID == "" {
		writeError(rw, http.StatusBadRequest, wire.ErrInvalidParameter, s.sp.noClientID())
		return
	}
	if clientID != key.ClientID {
		if s.sp.w.ForeignClientEmpty && id == "" {
			s.writeBody(rw, s.sp.emptyList(endpoint))
			return
		}
		writeError(rw, http.StatusForbidden, wire.ErrForbidden, "the key does not belong to this client_id")
		return
	}
	if qerr != nil {
		writeError(rw, http.StatusBadRequest, wire.ErrInvalidParameter, qerr.Error())
		return
	}
	body, status, err := s.answer(s.workspaces[key.ClientID], base, id, query)
	if err != nil {
		writeError(rw, status, errCode(status), err.Error())
		return
	}
	s.writeBody(rw, s.sp.body(endpoint, body))
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Key, bool) {
	token, placed := s.sp.key(r)
	k, ok := s.keys[token]
	switch {
	case !placed:
		writeError(w, http.StatusUnauthorized, wire.ErrInvalidToken, "missing API key")
	case !ok:
		writeError(w, http.StatusUnauthorized, wire.ErrInvalidToken, "unknown API key")
	case s.isRevoked(token):
		writeError(w, http.StatusUnauthorized, wire.ErrInvalidToken, "the API key was revoked")
	case !k.ExpiresAt.IsZero() && !s.now().Before(k.ExpiresAt):
		writeError(w, http.StatusUnauthorized, wire.ErrTokenExpired, "the API key has expired")
	default:
		return k, true
	}
	return Key{}, false
}

func (s *Server) isRevoked(token string) bool {
	_, ok := s.revoked.Load(token)
	return ok
}

// allow applies the per-key fixed-window rate limit and writes its headers.
func (s *Server) allow(w http.ResponseWriter, k Key) bool {
	if s.rateLimit <= 0 {
		return true
	}
	now := s.now()
	s.rlMu.Lock()
	win := s.windows[k.Token]
	if win == nil || now.Sub(win.start) >= s.rateWindow {
		win = &window{start: now}
		s.windows[k.Token] = win
	}
	win.n++
	n, reset := win.n, win.start.Add(s.rateWindow)
	s.rlMu.Unlock()
	h := w.Header()
	h.Set(wire.HeaderRateLimitLimit, strconv.Itoa(s.rateLimit))
	h.Set(wire.HeaderRateLimitRemaining, strconv.Itoa(max(0, s.rateLimit-n)))
	h.Set(wire.HeaderRateLimitReset, strconv.FormatInt(reset.Unix(), 10))
	if n > s.rateLimit {
		secs := int((reset.Sub(now) + time.Second - 1) / time.Second)
		h.Set(wire.HeaderRetryAfter, strconv.Itoa(max(1, secs)))
		writeError(w, http.StatusTooManyRequests, wire.ErrRateLimited, "rate limit exceeded")
		return false
	}
	return true
}

// delay sleeps the configured latency; false if the client went away.
func (s *Server) delay(ctx context.Context) bool {
	s.mu.Lock()
	d := s.latency
	if s.jitter > 0 {
		d += time.Duration(s.rnd.Int64N(int64(2*s.jitter)+1)) - s.jitter
	}
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// fault returns the fault this request meets, if any.
func (s *Server) fault(endpoint string, r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Endpoint != "" && f.Endpoint != endpoint && f.Endpoint+"/{id}" != endpoint {
			continue
		}
		if f.When != nil && !f.When(r) {
			continue
		}
		if f.Rate > 0 && s.rnd.Float64() >= f.Rate {
			continue
		}
		hit := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return &hit
	}
	return nil
}

func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		_ = tc.SetLinger(0) // RST rather than FIN
	}
	_ = conn.Close()
}

func (s *Server) writeBody(w http.ResponseWriter, body []byte) {
	s.mu.Lock()
	slow, drift := s.slowBody, s.drift
	s.mu.Unlock()
	if len(drift) > 0 {
		var v any
		if json.Unmarshal(body, &v) == nil {
			renameFields(v, drift, 0)
			body, _ = json.Marshal(v)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if slow <= 0 {
		_, _ = w.Write(body)
		return
	}
	const chunks = 10
	step := (len(body) + chunks - 1) / chunks
	for i := 0; i < len(body); i += step {
		_, _ = w.Write(body[i:min(len(body), i+step)])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		time.Sleep(slow / chunks)
	}
}

func (s *Server) serveStats(w http.ResponseWriter) {
	s.mu.Lock()
	stats := struct {
		Total      int            `json:"total"`
		ByEndpoint map[string]int `json:"by_endpoint"`
	}{s.total, s.counts}
	b, _ := json.Marshal(stats)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(wire.ErrorBody{Error: wire.ErrorDetail{Code: code, Message: msg}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func errCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return wire.ErrNotFound
	case http.StatusBadRequest:
		return wire.ErrInvalidParameter
	}
	return wire.ErrInternal
}

func faultCode(status int) string {
	if status == http.StatusTooManyRequests {
		return wire.ErrRateLimited
	}
	return errCode(status)
}

type statusWriter struct {
	http.ResponseWriter
	onStatus func(int)
	done     bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		w.onStatus(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// String describes the simulator's credentials, for the standalone server.
func (s *Server) String() string {
	keys := slices.SortedFunc(maps.Values(s.keys), func(a, b Key) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%-18s key %s  client id %s\n", k.Name, k.Token, k.ClientID)
	}
	return b.String()
}

// renameFields applies a drift below the envelope (depth 0 is the envelope
// itself, whose keys stay).
func renameFields(v any, drift map[string]string, depth int) {
	switch x := v.(type) {
	case map[string]any:
		if depth > 0 {
			for from, to := range drift {
				if val, ok := x[from]; ok {
					delete(x, from)
					if to != "" {
						x[to] = val
					}
				}
			}
		}
		for _, child := range x {
			renameFields(child, drift, depth+1)
		}
	case []any:
		for _, child := range x {
			renameFields(child, drift, depth+1)
		}
	}
}
