package graph

import (
	"context"
	"fmt"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
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
	// authenticated says whether the caller passed authentication; only
	// they may introspect.
	authenticated func(context.Context) bool
}

var (
	_ graphql.HandlerExtension        = limitsExtension{}
	_ graphql.OperationContextMutator = limitsExtension{}
)

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
	for _, c := range []struct {
		name       string
		value, max int
		what       string
	}{
		{"max-fields", s.fields, e.limits.Fields, "fields after expanding fragments"},
		{"max-depth", s.depth, e.limits.Depth, "query depth"},
		{"max-aliases", s.aliases, e.limits.Aliases, "aliases"},
		{"max-root-fields", s.top, e.limits.RootFields, "root fields"},
		{"max-directives", s.directives, e.limits.Directives, "directives"},
	} {
		if c.max > 0 && c.value > c.max {
			return limitError(c.name, c.value, c.max, fmt.Sprintf("%s %d exceeds the limit of %d (%s)", c.what, c.value, c.max, c.name))
		}
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
}

func newMeasurer(es graphql.ExecutableSchema, vars map[string]any) *measurer {
	return &measurer{es: es, vars: vars, fragments: map[string]*measure{}}
}

func (w *measurer) set(ctx context.Context, set ast.SelectionSet) measure {
	var m measure
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			m.add(w.field(ctx, s))
		case *ast.InlineFragment:
			m.add(w.set(ctx, s.SelectionSet))
			m.directives = sat(m.directives, len(s.Directives))
		case *ast.FragmentSpread:
			m.directives = sat(m.directives, len(s.Directives))
			if s.Definition == nil {
				continue
			}
			f, seen := w.fragments[s.Name]
			if !seen {
				w.fragments[s.Name] = nil // validation refuses cycles; this guards anyway
				fm := w.set(ctx, s.Definition.SelectionSet)
				fm.directives = sat(fm.directives, len(s.Definition.Directives))
				f = &fm
				w.fragments[s.Name] = f
			}
			if f != nil {
				m.add(*f)
			}
		}
	}
	return m
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
