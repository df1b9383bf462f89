// Package server is the HTTP face of aspire-graphql: the routes (/graphql,
// the playground, /healthz, /readyz, /metrics) and the middleware every
// request passes (request id, access log and metrics, CORS, body limit,
// credentials, deadline, per-request loaders).
package server

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspire-graphql/aspire-graphql/admission"
	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
	"github.com/aspire-graphql/aspire-graphql/playground"
	"github.com/aspire-graphql/aspire-graphql/telemetry"
	"github.com/aspire-graphql/aspire-graphql/tracing"
)

// Options are the server's dependencies, built by the caller (see run in
// server.go at the repository root).
type Options struct {
	Logger  zerolog.Logger
	Config  *config.Config
	Client  *aspire.Client
	Metrics *telemetry.Metrics
	// Demo, in demo mode, are the credentials injected into every request.
	Demo *aspire.Creds
	// Ready reports whether the upstream answers; nil means always ready.
	Ready func(context.Context) error
	// Now is the clock (the playground's example range is last month).
	Now func() time.Time
	// SavedQueries are the documents GET /graphql?id=NAME runs (see
	// LoadSavedQueries).
	SavedQueries map[string]string
	// SharedResponses, APQ and Degraded come from the store replicas share
	// (redisstore); nil keeps everything in process. SharedResponses is a
	// second level under the whole-response cache, APQ replaces the
	// in-process APQ cache, and Degraded (non-nil error) makes /readyz say
	// "degraded" while still answering 200.
	SharedResponses aspire.SharedCache
	APQ             graphql.Cache[string]
	Degraded        func() error
	// Tracer, when set, traces requests (package tracing); nil: tracing off.
	Tracer trace.TracerProvider

	responses  *responses
	unverified *addressLimits
}

// New returns the server's whole HTTP handler and a func that releases
// what it holds (its caches' goroutines).
func New(o Options) (http.Handler, func()) {
	if o.Now == nil {
		o.Now = time.Now
	}
	o.responses = newResponses(o.Config.ResponseCacheBytes, o.Config.ResponseCacheTTL, o.Config.RequestTimeout, o.Config.MergeInFlight)
	if o.responses != nil {
		o.responses.l2 = o.SharedResponses
		if o.Metrics != nil {
			o.responses.shared = o.Metrics.Shared
		}
	}
	if o.Config.Mode() == config.Passthrough {
		o.unverified = newAddressLimits(o.Config.UnverifiedRate, o.Config.Proxies)
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", graphqlHTTP(o.SavedQueries, credentials(o, o.responses.wrap(graphqlHandler(o)))))
	mux.Handle("GET /export/{file}", withCredentials(o, o.Config.ExportTimeout, 0, exportHandler(o)))
	mux.Handle("GET /schema.graphql", withCredentials(o, o.Config.RequestTimeout, 0, schemaHandler(o)))
	// Browsers ask for /favicon.ico on every page; a 404 was the
	// playground's only console error. No icon: "nothing", cached a day.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if open, left := o.Client.CircuitOpen(); open {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: the Aspire API could not be reached; upstream calls fail at once for " + left.Round(time.Second).String() + " more (circuit breaker)\n"))
			return
		}
		if o.Ready != nil {
			if err := o.Ready(r.Context()); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
				return
			}
		}
		if o.Degraded != nil {
			if err := o.Degraded(); err != nil {
				_, _ = w.Write([]byte("ready, degraded: " + err.Error() + "\n"))
				return
			}
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Metrics.Registry, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	pg := playground.Handler(func(*http.Request) playground.Config { return playgroundConfig(o) })
	mux.Handle("GET /{$}", pg)
	mux.Handle("GET /config.js", pg)
	mux.Handle("GET /assets/", pg)
	mux.Handle("GET /graphiql/", http.StripPrefix("/graphiql", pg))
	mux.Handle("GET /graphiql", http.RedirectHandler("/graphiql/", http.StatusMovedPermanently))

	var h http.Handler = mux
	h = limitBody(o.Config.MaxBodyBytes, h)
	h = corsFor(o.Config)(h)
	h = accessLog(o, h)
	h = requestID(h)
	if o.Tracer != nil {
		h = tracing.Handler(o.Tracer, routeOf, h) // outermost: the access log reads its trace id
	}
	return h, func() { o.responses.close(); o.unverified.close() }
}

// graphqlHandler is the gqlgen executor with the hooks that count
// operations.
func graphqlHandler(o Options) http.Handler {
	c := o.Config
	srv := graph.NewHandler(graph.HandlerConfig{
		Introspection:   c.Introspection,
		Authenticated:   authenticated(o),
		TokenLimit:      c.MaxTokens,
		APQCache:        o.APQ,
		Tracing:         o.Tracer != nil,
		ReportMaxPoints: c.ReportMaxPoints,
		Limits: graph.Limits{Fields: c.MaxFields, Depth: c.MaxDepth, Aliases: c.MaxAliases, RootFields: c.MaxRootFields,
			Directives: c.MaxDirectives, Complexity: c.MaxComplexity},
		APQObserve: func(ctx context.Context, result string) {
			if s := telemetry.StatsFrom(ctx); s != nil {
				s.SetAPQ(result)
			}
		},
	})
	// Admission right after NewHandler's extensions: outside the hooks
	// below, which count the operations it ran, as when NewHandler
	// installed it.
	srv.Use(graph.Admission(admission.New(c.MaxExecuting, tenantShare(c))))
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if st := requestStateFrom(ctx); st != nil {
			st.executed = true
		}
		if s := telemetry.StatsFrom(ctx); s != nil {
			s.SetOperation(operationName(ctx))
		}
		return next(ctx)
	})
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		outcome := "ok"
		if resp != nil && len(resp.Errors) > 0 {
			outcome = "partial"
			if len(resp.Data) == 0 || string(resp.Data) == "null" {
				outcome = "error"
			}
		}
		if st := requestStateFrom(ctx); st != nil && !st.executed && resp != nil {
			for _, e := range resp.Errors {
				if e.Extensions["code"] == graph.CodeBadRequest {
					st.badRequest = true
				}
			}
		}
		o.Metrics.ObserveOperation(operationName(ctx), outcome)
		if oc := graphql.GetOperationContext(ctx); !oc.Stats.OperationStart.IsZero() {
			o.Metrics.ObserveOperationDuration(operationName(ctx), time.Since(oc.Stats.OperationStart))
		}
		return resp
	})
	return beforeExecution(srv)
}

// corsFor allows the configured origins; in demo mode any origin when none
// are configured, and outside it none. Credentials (cookies) are never
// allowed: callers authenticate with an Authorization header, which CORS
// lets through.
func corsFor(c *config.Config) func(http.Handler) http.Handler {
	origins := c.CORSOrigins
	if len(origins) == 0 && c.Mode() == config.Demo {
		origins = []string{"*"}
	}
	if len(origins) == 0 {
		// rs/cors reads an empty list as "*": no CORS handling at all.
		return func(h http.Handler) http.Handler { return h }
	}
	return cors.New(cors.Options{
		AllowedOrigins:   origins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "Accept", HeaderClientID, "X-Request-Id"},
		ExposedHeaders:   []string{"X-Request-Id"},
		AllowCredentials: false,
		MaxAge:           600,
	}).Handler
}

// limitBody refuses bodies over n bytes with 413 before reading them whole.
func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			writeGraphQLError(w, r, http.StatusRequestEntityTooLarge, graph.CodeOperationLimit,
				"request body of "+itoa(r.ContentLength)+" bytes is over the limit of "+itoa(n)+" bytes (max-body-bytes)")
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, n)
		}
		r = r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, n))
		next.ServeHTTP(w, r)
	})
}

// loaderOptions are the per-request loader settings.
func loaderOptions(o Options) []loaders.Option {
	opts := []loaders.Option{loaders.WithBatchObserver(o.Metrics.ObserveBatch)}
	if !o.Config.Batching {
		opts = append(opts, loaders.WithoutBatching())
	}
	return opts
}

// operationName is the name of the operation run: the one asked for, or
// the document's only operation's.
func operationName(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return "" // the request failed before it had an operation
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.OperationName != "" {
		return oc.OperationName
	}
	if oc.Operation != nil {
		return oc.Operation.Name
	}
	return ""
}

// tenantShare: in passthrough mode, where any caller brings a key, each
// tenant is guaranteed an eighth of the execution slots and an eighth stays
// in reserve for tenants under theirs (one busy tenant may use the other
// seven eighths); in the other modes there is one tenant and it may use
// them all.
func tenantShare(c *config.Config) int {
	if c.Mode() == config.Passthrough {
		return 8
	}
	return 0
}
