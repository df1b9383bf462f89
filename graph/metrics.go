package graph

import (
	"bytes"
	"context"
	"io"
	"math"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/aspire"
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
	// While the upstream drops a field, resolveField reports it per field
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
		if seen(j.fields[:i], f.Alias) {
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

func seen(before []graphql.CollectedField, alias string) bool {
	for _, f := range before {
		if f.Alias == alias {
			return true
		}
	}
	return false
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
