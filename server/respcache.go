package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
	"github.com/aspire-graphql/aspire-graphql/telemetry"
)

// responses merges identical requests in flight and keeps whole responses,
// per tenant. Identical requests of one tenant (same body or query string,
// same response media type) that arrive while one of them runs wait for its
// answer instead of running again (merge-inflight); with the cache on, an
// error-free answer is also reused for a short TTL. Every request is a query
// (the schema has no mutations), so every answer may be shared.
//
// Merging is not caching, and is on without the cache: a merged answer was
// built by an execution that started after the request arrived at most a
// few moments before it, never earlier. That is what a GraphQL gateway's
// "dedupe" does (the peer's), and what lets a dashboard whose panels fire
// the same query at once cost one execution.
//
// Staleness: a cached answer may be up to its TTL older than the upstream
// responses it was built from, which the client caches for cache-ttl; keep
// response-cache-ttl short (default 5 s).
type responses struct {
	c      *otter.Cache[string, *recorded] // nil: merging only
	flight singleflight.Group
	ttl    time.Duration
	limit  time.Duration          // the request deadline, for the shared execution
	l2     aspire.SharedCache     // shared by replicas; nil: none
	shared *prometheus.CounterVec // how: cached, merged; nil: not counted
}

type recorded struct {
	status int
	header http.Header
	body   []byte
	apq    string // what the persisted-query store said to the execution
	// expired: the execution ran out of its starter's time (deadline
	// errors); never cached, since such an answer has errors.
	expired bool
}

func newResponses(maxBytes int64, ttl, requestTimeout time.Duration, merge bool) *responses {
	rs := &responses{ttl: ttl, limit: requestTimeout}
	if maxBytes > 0 && ttl > 0 {
		rs.c = otter.Must(&otter.Options[string, *recorded]{
			MaximumWeight:    uint64(maxBytes),
			Weigher:          func(k string, r *recorded) uint32 { return uint32(len(k) + len(r.body) + 256) },
			ExpiryCalculator: otter.ExpiryWriting[string, *recorded](ttl),
		})
	} else if !merge {
		return nil
	}
	return rs
}

func (rs *responses) close() {
	if rs != nil && rs.c != nil {
		rs.c.StopAllGoroutines()
	}
}

// wrap serves next through the cache. It runs after the credentials
// middleware (the key includes the tenant) and after graphqlHTTP (the body
// has been read and checked).
func (rs *responses) wrap(next http.Handler) http.Handler {
	if rs == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := loaders.For(r.Context())
		if l == nil || (r.Method != http.MethodPost && r.Method != http.MethodGet) {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := r.Context().Value(bodyKey{}).([]byte) // POST: read by graphqlHTTP
		h := sha256.New()
		for _, part := range []string{l.Tenant().ID(), r.Method, r.Header.Get("Accept"), r.URL.RawQuery} {
			h.Write([]byte(part))
			h.Write([]byte{0})
		}
		h.Write(body)
		key := hex.EncodeToString(h.Sum(nil))

		// A key due for its re-check (key-recheck) is not answered from the
		// cache: the execution re-checks it with the upstream.
		if rs.c != nil && l.Tenant().Accepted(r.Context()) {
			rec, ok := rs.c.GetIfPresent(key)
			if !ok {
				if rec, ok = rs.sharedGet(r.Context(), key); ok {
					rs.c.Set(key, rec)
				}
			}
			if ok {
				rs.answered(r, "cached")
				rec.write(w)
				return
			}
		}
		// A key known to be refused joins no execution in flight: that one
		// began while the key was good, and, as from the caches, the key gets
		// no more data. Its own execution is refused without an upstream call.
		if l.Tenant().Refused() {
			next.ServeHTTP(w, r)
			return
		}
		// The shared execution runs on a context of its own: a caller that
		// leaves must not fail the others.
		ran := false // this request's goroutine is the one that ran next
		ch := rs.flight.DoChan(key, func() (any, error) {
			ran = true
			// It ends with the deadline of the request that started it, so that
			// nothing runs after that request was answered.
			base := context.WithoutCancel(r.Context())
			ctx, cancel := context.WithCancel(base)
			if dl, ok := r.Context().Deadline(); ok {
				cancel()
				ctx, cancel = context.WithDeadline(base, dl)
			}
			defer cancel()
			rec := &recorder{header: http.Header{}}
			next.ServeHTTP(rec, r.Clone(ctx))
			out := &recorded{status: rec.status, header: rec.header, body: rec.buf.Bytes()}
			// The execution answers its deadline a moment before it passes.
			out.expired = ctx.Err() != nil || bytes.Contains(out.body, []byte(`"code":"`+graph.CodeDeadlineExceeded+`"`))
			if s := telemetry.StatsFrom(r.Context()); s != nil {
				out.apq = s.APQ()
			}
			if out.status == 0 {
				out.status = http.StatusOK
			}
			if rs.c != nil && out.status == http.StatusOK && !hasErrors(out.body) {
				rs.c.Set(key, out)
				rs.sharedSet(ctx, key, out)
			}
			return out, nil
		})
		// Wait for the shared answer until this request's own deadline, and
		// a moment more: when this request started the execution, its
		// deadline is the execution's, and the answer (with its deadline
		// errors) is on its way.
		var grace <-chan time.Time
		if dl, ok := r.Context().Deadline(); ok {
			t := time.NewTimer(time.Until(dl) + 100*time.Millisecond)
			defer t.Stop()
			grace = t.C
		}
		select {
		case res := <-ch:
			rec := res.Val.(*recorded)
			// The execution ran out of its starter's time; a request that
			// joined it later has time of its own left, and runs on its own
			// (often on what the first one cached) rather than take the
			// starter's deadline error.
			if rec.expired && !ran && r.Context().Err() == nil {
				next.ServeHTTP(w, r)
				return
			}
			if res.Shared && !ran {
				rs.answered(r, "merged")
				// graphqlHTTP marked a hash-only request a hit until the store
				// answers, and the store answered the execution (same body).
				if s := telemetry.StatsFrom(r.Context()); s != nil && s.APQ() == "hit" && rec.apq != "" {
					s.SetAPQ(rec.apq)
				}
			}
			rec.write(w)
		case <-grace:
			writeGraphQLError(w, r, http.StatusOK, graph.CodeDeadlineExceeded, graph.DeadlineMessage)
		}
	})
}

// answered counts a request answered without its own execution, and names
// it so in its access line: "(cached)" or "(merged)".
func (rs *responses) answered(r *http.Request, how string) {
	if s := telemetry.StatsFrom(r.Context()); s != nil {
		s.SetOperation("(" + how + ")")
	}
	if rs.shared != nil {
		rs.shared.WithLabelValues(how).Inc()
	}
	if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
		span.SetAttributes(attribute.String("graphql.answered", how))
	}
}

// hasErrors reports whether a GraphQL response carries errors; gqlgen
// writes "errors" before "data".
func hasErrors(body []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(body, " \n"), []byte(`{"errors"`)) || bytes.Contains(body, []byte(`"errors":[`))
}

func (rec *recorded) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range rec.header {
		if !strings.EqualFold(k, HeaderRequestID) {
			h[k] = v
		}
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body)
}

// recorder is a ResponseWriter that keeps what is written.
type recorder struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.buf.Write(b)
}

// sharedGet and sharedSet keep answers in the cache replicas share, encoded
// as "status content-type\n" and the body.
func (rs *responses) sharedGet(ctx context.Context, key string) (*recorded, bool) {
	if rs.l2 == nil {
		return nil, false
	}
	b, ok := rs.l2.Get(ctx, key)
	if !ok {
		return nil, false
	}
	head, body, ok := bytes.Cut(b, []byte{'\n'})
	code, ctype, ok2 := strings.Cut(string(head), " ")
	status, err := strconv.Atoi(code)
	if !ok || !ok2 || err != nil || status != http.StatusOK {
		return nil, false
	}
	return &recorded{status: status, header: http.Header{"Content-Type": {ctype}}, body: body}, true
}

func (rs *responses) sharedSet(ctx context.Context, key string, rec *recorded) {
	if rs.l2 == nil {
		return
	}
	b := make([]byte, 0, len(rec.body)+64)
	b = append(b, strconv.Itoa(rec.status)+" "+rec.header.Get("Content-Type")+"\n"...)
	b = append(b, rec.body...)
	rs.l2.Set(ctx, key, b, rs.ttl)
}
