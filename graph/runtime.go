package graph

import (
	"bytes"
	"context"
	"io"
	"math"
	"strconv"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/graph/internal/gqlexec"
	"github.com/aspire-graphql/aspire-graphql/graph/model"
)

// This file is what the executor's stand-ins (graph/internal/gqlexec,
// swapped into generated.go by graph/internal/execpatch) need of this
// schema: its tables, handed over once from init, and the stand-ins that
// need the generated types (the resolver getters, the edge wrappers, the
// Metrics marshaller).

func init() {
	gqlexec.Use(gqlexec.Schema{
		Relations:   relations,
		Prefetched:  prefetched,
		EdgeGroup:   edgeGroup,
		EdgeTypes:   edgeTypes,
		PassThrough: func() graphql.ExecutableSchema { return NewExecutableSchema(Config{Resolvers: &Resolver{}}) },
		DriftError:  driftError,
	})
}

// relations are the fields that can wait on a loader, by "Type.field": the
// batch resolvers of gqlgen.yml (TestRelationsAreTheBatchResolvers keeps the
// two in step). The other resolvers (handles, edges) compute from their
// parent and never wait.
var relations = map[string]bool{
	"Post.member": true, "Post.projects": true, "Post.groups": true,
	"Member.projects": true, "Member.groups": true, "Member.posts": true, "Member.performance": true,
	"Project.members": true, "Project.posts": true,
	"Group.members": true, "Group.posts": true,
	"Project.performance": true, "Group.performance": true,
}

// edgeGroup names the batch group of each node type's edges, apart from
// the type's own (a list of nodes), so a relation under an edge never reads
// the group of an enclosing list of the same type.
var edgeGroup = map[string]string{
	"Post": "PostEdge.node", "Member": "MemberEdge.node", "Project": "ProjectEdge.node", "Group": "GroupEdge.node",
}

// edgeTypes are the edge types' names.
var edgeTypes = map[string]bool{"PostEdge": true, "MemberEdge": true, "ProjectEdge": true, "GroupEdge": true}

func withPostEdgeParents(ctx context.Context, sel ast.SelectionSet, v []*model.PostEdge) context.Context {
	return gqlexec.WithEdgeParents(ctx, sel, "Post", v, func(e *model.PostEdge) *aspire.Post { return e.Node })
}

func withMemberEdgeParents(ctx context.Context, sel ast.SelectionSet, v []*model.MemberEdge) context.Context {
	return gqlexec.WithEdgeParents(ctx, sel, "Member", v, func(e *model.MemberEdge) *aspire.Member { return e.Node })
}

func withProjectEdgeParents(ctx context.Context, sel ast.SelectionSet, v []*model.ProjectEdge) context.Context {
	return gqlexec.WithEdgeParents(ctx, sel, "Project", v, func(e *model.ProjectEdge) *aspire.Project { return e.Node })
}

func withGroupEdgeParents(ctx context.Context, sel ast.SelectionSet, v []*model.GroupEdge) context.Context {
	return gqlexec.WithEdgeParents(ctx, sel, "Group", v, func(e *model.GroupEdge) *aspire.Group { return e.Node })
}

// prefetched lists, by outer relation, the inner relations it enqueues.
// gqlexec.MarshalSlice and ResolveConcurrently rely on it: what is listed here must
// be enqueued, or the in-order path would cost an upstream call per element.
var prefetched = map[string]map[string]bool{
	"Post.member": {"Member.projects": true, "Member.groups": true, "Member.performance": true},
}

// memberResolverOf and postResolverOf replace ec.Resolvers.Member() and
// .Post() (execpatch): gqlgen's getters, which it rewrites on every
// generate, allocate a resolver on every relation field of every member and
// post. Resolver holds nothing (the array below fails to compile if it
// gets a field), so one of each serves every *Resolver; another
// ResolverRoot keeps its own getters.
func memberResolverOf(r ResolverRoot) MemberResolver {
	if _, ok := r.(*Resolver); ok {
		return theMemberResolver
	}
	return r.Member()
}

func postResolverOf(r ResolverRoot) PostResolver {
	if _, ok := r.(*Resolver); ok {
		return thePostResolver
	}
	return r.Post()
}

var (
	theMemberResolver = &memberResolver{&Resolver{}}
	thePostResolver   = &postResolver{&Resolver{}}
	_                 = [1]struct{}{}[unsafe.Sizeof(Resolver{})]
)

// marshalMetrics replaces the generated _Metrics (go generate rewrites the
// two calls to it, graph/internal/execpatch). Metrics is on every post and
// every roll-up, and its fields are plain numbers read from a struct, yet
// gqlgen gave each field a FieldContext, a context and closures, and each
// object a field set, a map and an iterator: a third of a W1 post's cost.
// This one writes the same bytes (TestMetricsMarshalsAsGqlgen) straight from
// the struct. It hands over to gqlgen's marshaller where its answer could
// differ: the upstream drifting, a deferred field, or a float JSON cannot
// hold (gqlgen reports an error on the field's path; the upstream's JSON
// can hold no such number).
func (ec *executionContext) marshalMetrics(ctx context.Context, sel ast.SelectionSet, obj *aspire.Metrics) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, metricsImplementors)
	for _, f := range fields {
		if f.IsDeferred() {
			return ec._Metrics(ctx, sel, obj)
		}
	}
	// While the upstream drops a field, gqlexec.ResolveField reports it per field
	// (UPSTREAM_CONTRACT_DRIFT at its path): gqlgen's path does that.
	if aspire.Drifting() || obj.Unreadable != 0 || !finite(obj.EngagementRate) || !finite(obj.TMV) {
		return ec._Metrics(ctx, sel, obj)
	}
	for _, f := range fields {
		switch f.Name {
		case "__typename", "impressions", "reach", "views", "viewTimeSeconds", "likes", "comments",
			"shares", "saves", "clicks", "engagements", "engagementRate", "tmv":
		default:
			return ec._Metrics(ctx, sel, obj) // a field added to the schema and not here
		}
	}
	return &metricsJSON{fields: fields, m: obj}
}

func finite(f *float64) bool { return f == nil || !(math.IsInf(*f, 0) || math.IsNaN(*f)) }

type metricsJSON struct {
	fields []graphql.CollectedField
	m      *aspire.Metrics
}

// MarshalGQL writes what graphql.FieldSet writes: fields in order, a
// response key once, numbers as gqlgen's Long (base 10) and Float (%g).
func (j *metricsJSON) MarshalGQL(w io.Writer) {
	// The executor writes into a bytes.Buffer: append to its free space.
	var b []byte
	if bb, ok := w.(*bytes.Buffer); ok {
		b = bb.AvailableBuffer()
	}
	b = append(b, '{')
	start := len(b)
	for i, f := range j.fields {
		if gqlexec.Seen(j.fields[:i], f.Alias) {
			continue
		}
		if len(b) > start {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, f.Alias) // a GraphQL name: nothing to escape
		b = append(b, ':')
		m := j.m
		switch f.Name {
		case "__typename":
			b = append(b, `"Metrics"`...)
		case "impressions":
			b = appendLong(b, m.Impressions)
		case "reach":
			b = appendLong(b, m.Reach)
		case "views":
			b = appendLong(b, m.Views)
		case "viewTimeSeconds":
			b = appendLong(b, m.ViewTimeSeconds)
		case "likes":
			b = appendLong(b, m.Likes)
		case "comments":
			b = appendLong(b, m.Comments)
		case "shares":
			b = appendLong(b, m.Shares)
		case "saves":
			b = appendLong(b, m.Saves)
		case "clicks":
			b = appendLong(b, m.Clicks)
		case "engagements":
			b = appendLong(b, m.Engagements)
		case "engagementRate":
			b = appendFloat(b, m.EngagementRate)
		case "tmv":
			b = appendFloat(b, m.TMV)
		}
	}
	b = append(b, '}')
	_, _ = w.Write(b)
}

func appendLong(b []byte, v *int64) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *v, 10)
}

// appendFloat is fmt's %g, which gqlgen's MarshalFloatContext uses: the
// shortest representation, exponent at least two digits.
func appendFloat(b []byte, v *float64) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, *v, 'g', -1, 64)
}
