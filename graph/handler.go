package graph

import (
	"context"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/graph/model"
	"github.com/aspire-graphql/aspire-graphql/loaders"
	"github.com/aspire-graphql/aspire-graphql/report"
	"github.com/aspire-graphql/aspire-graphql/tracing"
)

// HandlerConfig tunes the GraphQL handler.
type HandlerConfig struct {
	// QueryCacheBytes bounds the parsed and validated documents kept, by
	// the size of their text (default DefaultDocBytes; see apq.go).
	QueryCacheBytes int64
	// APQCacheBytes bounds the in-process persisted queries of accepted
	// keys (default DefaultAPQBytes; see apq.go).
	APQCacheBytes int64
	DisableAPQ    bool
	// APQCache, if set, replaces the in-process APQ cache (replicas share
	// one in Redis).
	APQCache graphql.Cache[string]
	// APQObserve, when set, hears each persisted-query look-up: "hit",
	// "miss" (hash unknown) or "registered" (query stored under its hash).
	APQObserve func(ctx context.Context, result string)
	// Introspection allows __schema and __type queries to authenticated
	// callers; when false, nobody may introspect and validation errors
	// suggest no field names.
	Introspection bool
	// Authenticated reports whether the caller passed authentication; nil
	// means every caller did.
	Authenticated func(context.Context) bool
	// Limits bound each operation (zero value: no limits; see DefaultLimits).
	Limits Limits
	// TokenLimit bounds the tokens of a document (0: gqlgen's default, 15,000).
	TokenLimit int
	// Tracing adds the operation span and, on a document-cache miss, parse
	// and validate spans (package tracing) to traced requests.
	Tracing bool

	// ReportMaxPoints bounds the points of a performance series
	// (report-max-points; 0: report.DefaultMaxPoints).
	ReportMaxPoints int

	// gqlgenTransports keeps gqlgen's own POST and GET, which the tests
	// compare rawTransport's answers with.
	gqlgenTransports bool
}

// NewHandler returns the GraphQL executor with its transports, caches,
// limits, error presenter and panic recovery. The caller wraps it with the
// HTTP middleware that puts loaders.With into each request's context; it
// bounds no executions: the caller installs Admission for that (server
// does, right after NewHandler).
func NewHandler(cfg HandlerConfig) *handler.Server {
	if cfg.QueryCacheBytes <= 0 {
		cfg.QueryCacheBytes = DefaultDocBytes
	}
	if cfg.APQCacheBytes <= 0 {
		cfg.APQCacheBytes = DefaultAPQBytes
	}
	c := Config{Resolvers: &Resolver{}, Schema: servedSchema()}
	setComplexity(&c.Complexity)
	es := NewExecutableSchema(c)
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	if cfg.gqlgenTransports {
		srv.AddTransport(transport.GET{})
		srv.AddTransport(transport.POST{})
	} else {
		srv.AddTransport(rawTransport{transport.GET{}})
		srv.AddTransport(rawTransport{transport.POST{}})
	}
	docs := newDocCache(cfg.QueryCacheBytes)
	if cfg.Tracing {
		srv.SetQueryCache(tracing.QueryCache[*ast.QueryDocument](docs))
		srv.Use(tracing.Operations{})
	} else {
		srv.SetQueryCache(docs)
	}
	if cfg.TokenLimit > 0 {
		srv.SetParserTokenLimit(cfg.TokenLimit)
	}
	// Field suggestions ("Did you mean …") reveal the schema: off when
	// introspection is.
	srv.SetDisableSuggestion(!cfg.Introspection)
	if !cfg.DisableAPQ {
		accepted := cfg.APQCache
		if accepted == nil {
			accepted = NewAPQCache(cfg.APQCacheBytes)
		}
		var apq graphql.Cache[string] = apqShares{accepted: accepted, unverified: NewAPQCache(APQUnverifiedBytes)}
		if cfg.APQObserve != nil {
			apq = observedAPQ{Cache: apq, observe: cfg.APQObserve}
		}
		srv.Use(extension.AutomaticPersistedQuery{Cache: apq})
	}
	srv.Use(errorCap{})
	lim := limitsExtension{limits: cfg.Limits, es: es, introspection: cfg.Introspection, authenticated: cfg.Authenticated,
		queries: docs, tokenLimit: cfg.TokenLimit}
	if cfg.Authenticated != nil { // callers bring keys of their own (passthrough)
		lim.strangers = newStrangers()
	}
	srv.Use(lim)
	if n := cfg.ReportMaxPoints; n > 0 && n != report.DefaultMaxPoints {
		// Only a non-default setting costs a context per operation (the
		// Resolver stays zero-sized: see runtime.go).
		srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
			return next(report.WithMaxPoints(ctx, n))
		})
	}
	srv.SetErrorPresenter(suggestionsHidden(cfg, ErrorPresenter))
	srv.SetRecoverFunc(Recover)
	return srv
}

// suggestionsHidden strips the validator's "Did you mean …" hints (they
// name fields, arguments, types, enum values and input fields: the schema)
// when introspection is off, or when callers bring keys of their own
// (Authenticated set) and this one has not been accepted by the upstream.
// gqlgen's SetDisableSuggestion covers field names only. Acceptance is
// what the client already knows: no upstream call is made to find out.
func suggestionsHidden(cfg HandlerConfig, present graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := present(ctx, err)
		i := strings.Index(gerr.Message, " Did you mean ")
		if i < 0 || !hideSuggestions(ctx, cfg) {
			return gerr
		}
		gerr.Message = gerr.Message[:i]
		return gerr
	}
}

func hideSuggestions(ctx context.Context, cfg HandlerConfig) bool {
	if !cfg.Introspection {
		return true
	}
	if cfg.Authenticated == nil {
		return false // the server's own key, or a handler without credentials
	}
	l := loaders.For(ctx)
	return l == nil || l.Tenant() == nil || !l.Tenant().Accepted(ctx)
}

// observedAPQ reports the persisted-query store's hits, misses and
// registrations, whatever store it wraps.
type observedAPQ struct {
	graphql.Cache[string]
	observe func(context.Context, string)
}

func (c observedAPQ) Get(ctx context.Context, hash string) (string, bool) {
	q, ok := c.Cache.Get(ctx, hash)
	if ok {
		c.observe(ctx, "hit")
	} else {
		c.observe(ctx, "miss")
	}
	return q, ok
}

func (c observedAPQ) Add(ctx context.Context, hash, query string) {
	c.Cache.Add(ctx, hash, query)
	c.observe(ctx, "registered")
}

// setComplexity makes a connection cost `first` times what is under it, so
// that `first: 500` three levels deep is refused before it runs.
func setComplexity(c *ComplexityRoot) {
	conn := func(child int, first *int) int {
		n := DefaultFirst
		if first != nil {
			n = min(max(*first, 1), MaxFirst)
		}
		return 1 + n*child
	}
	c.Query.Posts = func(child int, _ model.DateRangeInput, _ *model.PostFilter, _ *model.PostSort, first *int, _ *string) int {
		return conn(child, first)
	}
	c.Query.Members = func(child int, _ model.DateRangeInput, _ *model.MemberFilter, _ *model.MemberSort, first *int, _ *string) int {
		return conn(child, first)
	}
	c.Query.Projects = func(child int, first *int, _ *string) int { return conn(child, first) }
	c.Query.Groups = func(child int, first *int, _ *string) int { return conn(child, first) }
	c.Member.Posts = func(child int, _ model.DateRangeInput, _ *model.PostFilter, _ *model.PostSort, first *int, _ *string) int {
		return conn(child, first)
	}
	c.Project.Posts = func(child int, _ model.DateRangeInput, _ *model.PostFilter, _ *model.PostSort, first *int, _ *string) int {
		return conn(child, first)
	}
	c.Group.Posts = c.Project.Posts
	c.Project.Members = func(child int, _ model.DateRangeInput, _ *model.MemberSort, first *int, _ *string) int {
		return conn(child, first)
	}
	c.Group.Members = c.Project.Members
	// A roll-up pages the upstream: it costs what a full page of rows
	// would (MaxFirst) plus its answer; a series costs its most points
	// (over the longest range the upstream takes, bounded by the default
	// report-max-points) times a point; topMembers first times a member.
	rollUp := func(child int, _ model.DateRangeInput, _ *model.PostFilter) int { return sat(MaxFirst, child) }
	c.Query.Performance, c.Project.Performance, c.Group.Performance = rollUp, rollUp, rollUp
	c.Performance.Series = func(child int, interval report.Interval) int {
		return 1 + min(report.DefaultMaxPoints, interval.Points(aspire.Range{Start: aspire.NewDate(2000, 1, 1), End: aspire.NewDate(2000, 1, 1).AddDays(aspire.MaxRangeDays - 1)}))*child
	}
	c.Performance.TopMembers = func(child int, first *int, _ *aspire.SortField) int {
		n := 5
		if first != nil {
			n = min(max(*first, 1), maxTopMembers)
		}
		return 1 + n*child
	}
}

// servedSchema is the schema without gqlgen's built-in @defer. The server
// answers every operation as one JSON object (its transports implement no
// incremental delivery), so introspection advertised a directive that was
// silently ignored; without it, a query using @defer fails validation
// ("Unknown directive") instead of waiting for parts that never come apart.
// The schema is shared by every handler; the copy is shallow (only the
// directives differ) and made once.
var servedSchema = sync.OnceValue(func() *ast.Schema {
	s := *parsedSchema
	s.Directives = make(map[string]*ast.DirectiveDefinition, len(parsedSchema.Directives))
	for name, d := range parsedSchema.Directives {
		if name != "defer" {
			s.Directives[name] = d
		}
	}
	return &s
})

// SDL is the schema in the GraphQL schema language, with its
// descriptions, for tools that read a file (codegen, Relay, linters).
func SDL() string {
	var b strings.Builder
	formatter.NewFormatter(&b).FormatSchema(NewExecutableSchema(Config{Resolvers: &Resolver{}, Schema: servedSchema()}).Schema())
	return b.String()
}
