package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
	"github.com/aspire-graphql/aspire-graphql/telemetry"
)

// HeaderClientID carries the caller's workspace id in passthrough mode.
const HeaderClientID = "X-Aspire-Client-Id"

// HeaderRequestID carries the request id, in and out.
const HeaderRequestID = "X-Request-Id"

type requestIDKey struct{}

// requestID takes a well-formed X-Request-Id or makes one, echoes it, and
// puts it in the context.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set(HeaderRequestID, id)
		next.ServeHTTP(w, r.WithContext(contextWithRequestID(r.Context(), id)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// accessLog writes one line per request and the HTTP metrics. It never logs
// headers or query strings: they may carry keys.
func accessLog(o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id, _ := r.Context().Value(requestIDKey{}).(string)
		log := o.Logger.With().Str("request_id", id).Logger()
		stats := &telemetry.Stats{}
		ctx := telemetry.WithStats(log.WithContext(r.Context()), stats)
		rw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rw, r.WithContext(ctx))

		route := routeOf(r.URL.Path)
		d := time.Since(start)
		o.Metrics.HTTPRequests.WithLabelValues(route, strconv.Itoa(rw.status)).Inc()
		sc := trace.SpanContextFromContext(r.Context())
		o.Metrics.ObserveHTTPDuration(route, d, sc)
		if route == "/graphql" {
			o.Metrics.UpstreamPerOp.Observe(float64(stats.Upstream.Load()))
		}
		ev := log.Info()
		if rw.status >= 500 {
			ev = log.Error()
		} else if route != "/graphql" {
			ev = log.Debug() // health checks and assets would drown the log
		}
		if sc.IsValid() {
			ev.Str("trace_id", sc.TraceID().String())
		}
		ev.Str("method", r.Method).Str("route", route).Int("status", rw.status).
			Float64("duration_ms", float64(d.Microseconds())/1000).Int64("bytes", rw.bytes)
		if route == "/graphql" {
			ev.Str("operation", stats.Operation()).Int64("upstream_requests", stats.Upstream.Load()).
				Int64("cache_hits", stats.CacheHits.Load()).Int64("shared", stats.Shared.Load())
			if apq := stats.APQ(); apq != "" {
				ev.Str("apq", apq)
				o.Metrics.APQ.WithLabelValues(apq).Inc()
			}
		}
		ev.Msg("request")
	})
}

// routeOf maps a path to a bounded metrics label.
func routeOf(path string) string {
	switch {
	case path == "/graphql", path == "/healthz", path == "/readyz", path == "/metrics", path == "/schema.graphql":
		return path
	case strings.HasPrefix(path, "/export/"):
		return "/export"
	case path == "/", path == "/config.js", strings.HasPrefix(path, "/graphiql"), strings.HasPrefix(path, "/assets/"):
		return "/playground"
	}
	return "other"
}

type statusRecorder struct {
	http.ResponseWriter
	status  int
	bytes   int64
	written bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.written {
		w.status, w.written = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	w.written = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// credentials decides whose Aspire key serves the request (see config.Mode),
// refuses callers without credentials, and gives the request its deadline
// and its loaders.
func credentials(o Options, next http.Handler) http.Handler {
	return withCredentials(o, o.Config.RequestTimeout, o.Config.UpstreamBudget, next)
}

// withCredentials is credentials with a deadline and an upstream budget of
// its own (exports run longer and page through everything).
func withCredentials(o Options, timeout time.Duration, budget int, next http.Handler) http.Handler {
	mode := o.Config.Mode()
	tokens := hashTokens(o.Config.AccessTokens)
	guard := newHostGuard(o.Config)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if !guard.allow(w, r) {
			return
		}
		var creds aspire.Creds
		switch mode {
		case config.Demo:
			creds = *o.Demo
		case config.Passthrough:
			key := bearer(r)
			if key == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="aspire-graphql"`)
				writeGraphQLError(w, r, http.StatusUnauthorized, graph.CodeUnauthenticated,
					"send your Aspire API key as Authorization: Bearer <key>")
				return
			}
			if placeholder(key) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="aspire-graphql"`)
				writeGraphQLError(w, r, http.StatusUnauthorized, graph.CodeUnauthenticated,
					"fill in your Aspire API key: Authorization holds a <placeholder>, not a key (in the playground: the Headers tab, bottom left)")
				return
			}
			if id := strings.TrimSpace(r.Header.Get(HeaderClientID)); placeholder(id) {
				writeGraphQLError(w, r, http.StatusBadRequest, graph.CodeBadUserInput,
					"fill in your workspace's client id: "+HeaderClientID+" holds a <placeholder> (the id is in your Aspire URL, after /client/)")
				return
			}
			creds = aspire.Creds{APIKey: key, ClientID: aspire.ClientIDFrom(r.Header.Get(HeaderClientID))}
			if creds.ClientID == "" {
				creds.ClientID = o.Config.ClientID
			}
			if creds.ClientID == "" {
				writeGraphQLError(w, r, http.StatusBadRequest, graph.CodeBadUserInput,
					"send your workspace's client id as "+HeaderClientID+" (it is in your Aspire URL, after /client/)")
				return
			}
		case config.ServerKey:
			if len(tokens) > 0 && !tokenAllowed(tokens, bearer(r)) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="aspire-graphql"`)
				writeGraphQLError(w, r, http.StatusUnauthorized, graph.CodeUnauthenticated,
					"send one of this server's access tokens as Authorization: Bearer <token>")
				return
			}
			creds = aspire.Creds{APIKey: o.Config.APIKey, ClientID: o.Config.ClientID}
		}
		ctx := r.Context()
		if timeout > 0 {
			var cancel func()
			ctx, cancel = contextWithTimeout(ctx, timeout)
			defer cancel()
		}
		tenant := o.Client.As(creds)
		if mode == config.Passthrough && !tenant.Introduce(func() bool { return o.unverified.allow(w, r) }) {
			return
		}
		ctx = aspire.WithBudget(ctx, budget)
		ctx = loaders.With(ctx, tenant, loaderOptions(o)...)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func bearer(r *http.Request) string {
	scheme, v, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(v)
}

// Tokens are compared as SHA-256 digests in constant time, so neither their
// content nor their length leaks through timing.
func hashTokens(tokens []string) [][32]byte {
	out := make([][32]byte, len(tokens))
	for i, t := range tokens {
		out[i] = sha256.Sum256([]byte(t))
	}
	return out
}

func tokenAllowed(allowed [][32]byte, token string) bool {
	h := sha256.Sum256([]byte(token))
	ok := 0
	for _, a := range allowed {
		ok |= subtle.ConstantTimeCompare(a[:], h[:])
	}
	return token != "" && ok == 1
}

// writeGraphQLError answers a request refused before GraphQL ran, in the
// GraphQL response shape so clients can read it.
func writeGraphQLError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	ct := "application/json"
	if strings.Contains(r.Header.Get("Accept"), "application/graphql-response+json") {
		ct = "application/graphql-response+json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Logger returns the request's logger (with its request id).
func Logger(r *http.Request) *zerolog.Logger { return zerolog.Ctx(r.Context()) }
