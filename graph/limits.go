package graph

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Limits bound what one operation may ask for, checked after validation and
// before anything runs. Zero turns a limit off. The defaults follow
// graphql-armor's and are documented in the README.
type Limits struct {
	// Fields bounds the fields of an operation with its fragments expanded:
	// what execution would walk.
	Fields     int
	Depth      int // nesting of fields
	Aliases    int // aliased fields
	RootFields int // fields at the top of the operation
	Directives int // directive uses
	// Complexity is the summed cost of the fields, where a connection's
	// `first` multiplies the cost of what is under it (see complexityRoot).
	Complexity int
}

// DefaultLimits are the limits when none are configured.
var DefaultLimits = Limits{Fields: 2000, Depth: 12, Aliases: 30, RootFields: 20, Directives: 50, Complexity: 50_000}

func init() {
	// A limit error is like a validation error: 400 with
	// application/graphql-response+json.
	errcode.RegisterErrorType(CodeOperationLimit, errcode.KindProtocol)
}

// limitsExtension enforces Limits and the introspection policy.
type limitsExtension struct {
	limits        Limits
	es            graphql.ExecutableSchema
	introspection bool
	// queries is the executor's document cache: a document in it passed
	// validation, so the linear pass before validation skips it.
	queries graphql.Cache[*ast.QueryDocument]
	// tokenLimit is the executor's, so the pass parses what it would.
	tokenLimit int
	// authenticated says whether the caller passed authentication; only
	// they may introspect.
	authenticated func(context.Context) bool
	// strangers bounds the documents parsed at once for callers whose key
	// the upstream has not accepted (nil: no such callers, the server's own
	// key or demo mode). See MutateOperationParameters.
	strangers chan struct{}
}

// strangerWait is how long a caller whose key the upstream has not accepted
// waits for a place to have its document parsed before it is told to come
// back (RATE_LIMITED).
const strangerWait = 250 * time.Millisecond

// newStrangers is the gate of documents from keys not accepted: half the
// CPUs, at least one. 16 connections sending 14,000-field documents with
// made-up keys took both cores of a 2-core machine (a real tenant's p99
// 1 ms → 207 ms); under the gate they share one.
func newStrangers() chan struct{} { return make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)) }

var (
	_ graphql.HandlerExtension          = limitsExtension{}
	_ graphql.OperationContextMutator   = limitsExtension{}
	_ graphql.OperationParameterMutator = limitsExtension{}
)

// maxSameName bounds the fields answering under one response name in one
// selection set (inline fragments and spreads merged): gqlparser's
// OverlappingFieldsCanBeMerged compares them pairwise, so its work grows
// with the square of that count. No real query repeats a name 100 times.
const maxSameName = 100

// MutateOperationParameters is the linear pass before validation (issue
// #23): gqlgen parses and validates a document before any operation
// context exists, and validation's OverlappingFieldsCanBeMerged is
// quadratic in the fields of a selection set (14,000 repeated __typename
// took 2.2 s and 788 MB before max-fields refused them). So a document the
// cache does not hold is parsed here and its size limits checked over every
// operation and fragment first; only documents within them reach the
// quadratic rules. A document that does not parse is left to the executor,
// which reports the parse error. The parse costs a few per cent of
// validation, and only on a document-cache miss.
func (e limitsExtension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" || (e.limits == Limits{}) {
		return nil
	}
	if e.queries != nil {
		if _, ok := e.queries.Get(ctx, p.Query); ok {
			return nil
		}
	}
	// A caller whose key the upstream has not accepted (any Bearer string
	// in passthrough mode) parses under a gate of its own, so that made-up
	// keys cannot take every CPU from the tenants Aspire knows. Only the
	// parse and the measure are gated, not the key's upstream check nor the
	// execution: a restarted replica's first requests are all from keys not
	// yet accepted here and must not queue behind one another's calls.
	if e.strangers != nil && !keyAccepted(ctx) {
		wait := time.NewTimer(strangerWait)
		select {
		case e.strangers <- struct{}{}:
			wait.Stop()
			defer func() { <-e.strangers }()
		case <-wait.C:
			return &gqlerror.Error{Message: "too many documents at once from keys the Aspire API has not accepted yet; retry in a second",
				Extensions: map[string]any{"code": CodeRateLimited, "retryAfter": 1}}
		case <-ctx.Done():
			wait.Stop()
			return &gqlerror.Error{Message: "the request ended before its document was read", Extensions: map[string]any{"code": CodeDeadlineExceeded}}
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, e.tokenLimit)
	if err != nil || doc == nil {
		return nil
	}
	m := newMeasurer(e.es, nil)
	if e.limits.Fields > 0 {
		m.stop = e.limits.Fields
	}
	m.byName = make(map[string]*ast.FragmentDefinition, len(doc.Fragments))
	for _, f := range doc.Fragments {
		if _, dup := m.byName[f.Name]; !dup { // the first of duplicates, as the validator
			m.byName[f.Name] = f
		}
	}
	for _, op := range doc.Operations {
		s := m.set(ctx, op.SelectionSet)
		s.directives = sat(s.directives, len(op.Directives))
		if err := e.limits.check(s, true); err != nil {
			return err
		}
	}
	// Validation walks every fragment on its own too, used or not.
	for _, f := range doc.Fragments {
		s := m.set(ctx, ast.SelectionSet{&ast.FragmentSpread{Name: f.Name}})
		if err := e.limits.check(s, false); err != nil {
			return err
		}
	}
	return m.repeated
}

// check refuses a measure over the size limits; op says whether it is an
// operation's: a fragment's own top fields are not root fields, and its depth
// counts where it is spread (the introspection rule exempts a TypeRef
// fragment only under __schema).
func (l Limits) check(s measure, op bool) *gqlerror.Error {
	top, depth := s.top, s.depth
	if !op {
		top, depth = 0, 0
	}
	for _, c := range []struct {
		name       string
		value, max int
		what       string
	}{
		{"max-fields", s.fields, l.Fields, "fields after expanding fragments"},
		{"max-depth", depth, l.Depth, "query depth"},
		{"max-aliases", s.aliases, l.Aliases, "aliases"},
		{"max-root-fields", top, l.RootFields, "root fields"},
		{"max-directives", s.directives, l.Directives, "directives"},
	} {
		if c.max > 0 && c.value > c.max {
			return limitError(c.name, c.value, c.max, fmt.Sprintf("%s %d exceeds the limit of %d (%s)", c.what, c.value, c.max, c.name))
		}
	}
	return nil
}

func (limitsExtension) ExtensionName() string                   { return "OperationLimits" }
func (limitsExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (e limitsExtension) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	op := rc.Operation
	if op == nil {
		return nil
	}
	m := newMeasurer(e.es, rc.Variables)
	s := m.set(ctx, op.SelectionSet)
	s.directives = sat(s.directives, len(op.Directives))
	if err := e.limits.check(s, true); err != nil {
		return err
	}
	if s.introspection {
		switch {
		case !e.introspection:
			return &gqlerror.Error{Message: "introspection is disabled on this server",
				Extensions: map[string]any{"code": "INTROSPECTION_DISABLED"}}
		case e.authenticated != nil && !e.authenticated(ctx):
			return &gqlerror.Error{Message: "introspection needs a valid Aspire key or access token",
				Extensions: map[string]any{"code": CodeUnauthenticated}}
		}
		rc.DisableIntrospection = false
	}
	if c := s.complexity; e.limits.Complexity > 0 && c > e.limits.Complexity {
		return limitError("max-complexity", c, e.limits.Complexity, fmt.Sprintf(
			"query complexity %d exceeds the limit of %d (max-complexity); ask for fewer rows (first) or fewer nested lists", c, e.limits.Complexity))
	}
	return nil
}

func limitError(limit string, value, max int, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeOperationLimit, "limit": limit, "value": value, "max": max}}
}

// measure is what a selection set asks for, fragments expanded. Counts
// saturate instead of overflowing: a fan-out of fragments can describe far
// more fields than an int holds.
type measure struct {
	fields     int // fields after expanding fragments
	depth      int // deepest field nesting; introspection subtrees count 1
	aliases    int
	directives int
	top        int // fields at the top of the set, through fragments
	complexity int // as gqlgen's complexity.Calculate computes it
	// introspection: the set selects __schema or __type somewhere.
	introspection bool
	// names counts the set's fields by response name, inline fragments
	// and spreads merged (only in the pass before validation).
	names map[string]int
}

// add combines the measure of a sibling (a field's or a spread's).
func (m *measure) add(o measure) {
	m.fields = sat(m.fields, o.fields)
	m.depth = max(m.depth, o.depth)
	m.aliases = sat(m.aliases, o.aliases)
	m.directives = sat(m.directives, o.directives)
	m.top = sat(m.top, o.top)
	m.complexity = sat(m.complexity, o.complexity)
	m.introspection = m.introspection || o.introspection
}

// measurer measures an operation in one pass over the document: each
// fragment definition is measured once and its measure reused at every
// spread, so the cost is linear in the document however the fragments fan
// out (8 levels of 10 spreads describe 10^8 fields in under 1 KB).
type measurer struct {
	es        graphql.ExecutableSchema
	vars      map[string]any
	fragments map[string]*measure // nil while being measured: a cycle
	// byName, set before validation, finds fragment definitions (the
	// validator links spreads to them later); it also turns on counting
	// response names for maxSameName.
	byName map[string]*ast.FragmentDefinition
	// stop: past this many fields a set stops counting names (the document
	// is refused for its size anyway), so the counting stays linear.
	stop     int
	repeated *gqlerror.Error
}

func newMeasurer(es graphql.ExecutableSchema, vars map[string]any) *measurer {
	return &measurer{es: es, vars: vars, fragments: map[string]*measure{}, stop: math.MaxInt}
}

func (w *measurer) set(ctx context.Context, set ast.SelectionSet) measure {
	var m measure
	if w.byName != nil {
		m.names = map[string]int{}
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			m.add(w.field(ctx, s))
			if m.names != nil {
				name := s.Alias
				if name == "" {
					name = s.Name
				}
				w.count(&m, name, 1)
			}
		case *ast.InlineFragment:
			in := w.set(ctx, s.SelectionSet)
			m.add(in)
			m.directives = sat(m.directives, len(s.Directives))
			w.merge(&m, in.names)
		case *ast.FragmentSpread:
			m.directives = sat(m.directives, len(s.Directives))
			def := s.Definition
			if def == nil && w.byName != nil {
				def = w.byName[s.Name]
			}
			if def == nil {
				continue
			}
			f, seen := w.fragments[s.Name]
			if !seen {
				w.fragments[s.Name] = nil // validation refuses cycles; this guards anyway
				fm := w.set(ctx, def.SelectionSet)
				fm.directives = sat(fm.directives, len(def.Directives))
				f = &fm
				w.fragments[s.Name] = f
			}
			if f != nil {
				m.add(*f)
				w.merge(&m, f.names)
			}
		}
	}
	return m
}

// merge adds a fragment's response names to the set it is part of.
func (w *measurer) merge(m *measure, names map[string]int) {
	if m.names == nil || m.fields > w.stop {
		return
	}
	for n, c := range names {
		w.count(m, n, c)
	}
}

func (w *measurer) count(m *measure, name string, c int) {
	m.names[name] = sat(m.names[name], c)
	if k := m.names[name]; k > maxSameName && w.repeated == nil {
		w.repeated = limitError("max-repeated-fields", k, maxSameName, fmt.Sprintf(
			"%d fields answer as %q in one selection set, over the limit of %d (max-repeated-fields): validation compares them pairwise", k, name, maxSameName))
	}
}

func (w *measurer) field(ctx context.Context, f *ast.Field) measure {
	child := w.set(ctx, f.SelectionSet)
	m := measure{
		fields:        sat(child.fields, 1),
		depth:         child.depth + 1,
		aliases:       child.aliases,
		directives:    sat(child.directives, len(f.Directives)),
		top:           1,
		introspection: child.introspection,
	}
	if f.Alias != "" && f.Alias != f.Name {
		m.aliases = sat(m.aliases, 1)
	}
	if f.Name == "__schema" || f.Name == "__type" {
		// The introspection rule (issue #12): the subtrees under __schema
		// and __type do not count towards the depth limit, because every
		// standard client's introspection query (graphql-js, GraphiQL,
		// Apollo, Relay) nests ofType 9 levels deep. What makes
		// introspection expensive is nesting its lists, and validation
		// already refuses that (gqlparser's MaxIntrospectionDepth). Every
		// other limit still applies inside: fields, tokens, aliases,
		// directives, root fields and complexity.
		m.introspection, m.depth = true, 1
	}
	m.complexity = w.complexity(ctx, f, child.complexity)
	return m
}

// complexity is gqlgen's complexity.Calculate for one field given its
// children's: __schema costs nothing, custom complexities win, and a field
// of an interface costs what its most expensive implementation does.
func (w *measurer) complexity(ctx context.Context, f *ast.Field, child int) int {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return 0
	}
	schema := w.es.Schema()
	def := schema.Types[f.Definition.Type.Name()]
	if def == nil || def.Name == "__Schema" {
		return 0
	}
	switch def.Kind {
	case ast.Object, ast.Interface, ast.Union:
	default:
		child = 0
	}
	args := f.ArgumentMap(w.vars)
	cost := func(parent *ast.Definition) int {
		if c, ok := w.es.Complexity(ctx, parent.Name, f.Name, child, args); ok && c >= 1 {
			return c
		}
		return sat(1, child)
	}
	if f.ObjectDefinition.Kind != ast.Interface {
		return cost(f.ObjectDefinition)
	}
	worst := 0
	for _, t := range schema.GetPossibleTypes(f.ObjectDefinition) {
		worst = max(worst, cost(t))
	}
	return worst
}

// sat adds without overflow, ignoring negative operands.
func sat(a, b int) int {
	a, b = max(a, 0), max(b, 0)
	if c := a + b; c >= a {
		return c
	}
	return math.MaxInt
}
