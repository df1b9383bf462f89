package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one operation may ask for, checked after validation and
// before anything runs. Zero turns a limit off. The defaults follow
// graphql-armor's and are documented in the README.
type Limits struct {
	Depth      int // nesting of fields
	Aliases    int // aliased fields
	RootFields int // fields at the top of the operation
	Directives int // directive uses
	// Complexity is the summed cost of the fields, where a connection's
	// `first` multiplies the cost of what is under it (see complexityRoot).
	Complexity int
}

// DefaultLimits are the limits when none are configured.
var DefaultLimits = Limits{Depth: 12, Aliases: 30, RootFields: 20, Directives: 50, Complexity: 50_000}

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
	w := &walker{}
	w.selections(op.SelectionSet, 1, map[string]bool{})
	w.directives += len(op.Directives)
	for _, c := range []struct {
		name       string
		value, max int
		what       string
	}{
		{"max-depth", w.depth, e.limits.Depth, "query depth"},
		{"max-aliases", w.aliases, e.limits.Aliases, "aliases"},
		{"max-root-fields", len(rootFields(op.SelectionSet)), e.limits.RootFields, "root fields"},
		{"max-directives", w.directives, e.limits.Directives, "directives"},
	} {
		if c.max > 0 && c.value > c.max {
			return limitError(c.name, c.value, c.max, fmt.Sprintf("%s %d exceeds the limit of %d (%s)", c.what, c.value, c.max, c.name))
		}
	}
	if w.introspection {
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
	if e.limits.Complexity > 0 {
		if c := complexity.Calculate(ctx, e.es, op, rc.Variables); c > e.limits.Complexity {
			return limitError("max-complexity", c, e.limits.Complexity, fmt.Sprintf(
				"query complexity %d exceeds the limit of %d (max-complexity); ask for fewer rows (first) or fewer nested lists", c, e.limits.Complexity))
		}
	}
	return nil
}

func limitError(limit string, value, max int, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeOperationLimit, "limit": limit, "value": value, "max": max}}
}

// walker measures a selection set, fragments expanded (validation has
// already refused fragment cycles; seen guards anyway).
//
// The introspection rule (issue #12; keep it when rewriting the walker):
// the subtrees under __schema and __type do not count towards the depth
// limit, because every standard client's introspection query (graphql-js's
// getIntrospectionQuery, GraphiQL, Apollo, Relay) nests ofType 9 levels
// deep and is refused by any useful depth limit. What makes introspection
// expensive is nesting its lists (types { fields { type { fields … ), and
// validation already refuses that: gqlparser's MaxIntrospectionDepth rule
// (graphql-js's MaxIntrospectionDepthRule) allows fields, interfaces,
// possibleTypes and inputFields nested at most 2 deep. Every other limit
// still applies inside introspection: tokens, aliases, directives, root
// fields and complexity.
type walker struct {
	depth, aliases, directives int
	introspection              bool
	// inIntrospection counts the __schema/__type fields enclosing the
	// current selection: their subtrees do not count towards depth.
	inIntrospection int
}

func (w *walker) selections(set ast.SelectionSet, depth int, seen map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if w.inIntrospection == 0 {
				w.depth = max(w.depth, depth)
			}
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			enter := s.Name == "__schema" || s.Name == "__type"
			if enter {
				w.introspection = true
				w.inIntrospection++
			}
			w.directives += len(s.Directives)
			w.selections(s.SelectionSet, depth+1, seen)
			if enter {
				w.inIntrospection--
			}
		case *ast.InlineFragment:
			w.directives += len(s.Directives)
			w.selections(s.SelectionSet, depth, seen)
		case *ast.FragmentSpread:
			w.directives += len(s.Directives)
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				w.directives += len(s.Definition.Directives)
				w.selections(s.Definition.SelectionSet, depth, seen)
				delete(seen, s.Name)
			}
		}
	}
}

// rootFields lists the top-level fields, through fragments.
func rootFields(set ast.SelectionSet) []*ast.Field {
	var out []*ast.Field
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.InlineFragment:
			out = append(out, rootFields(s.SelectionSet)...)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				out = append(out, rootFields(s.Definition.SelectionSet)...)
			}
		}
	}
	return out
}
