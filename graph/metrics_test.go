package graph

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// TestMetricsMarshalsAsGqlgen: marshalMetrics writes the very bytes of
// gqlgen's generated _Metrics, for selections with aliases, repeats,
// fragments, directives and __typename, over nulls, zeros, extremes and
// random numbers.
func TestMetricsMarshalsAsGqlgen(t *testing.T) {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{}})
	selections := []string{
		`impressions engagements tmv`,
		`tmv engagementRate impressions reach views viewTimeSeconds likes comments shares saves clicks engagements __typename`,
		`a: tmv b: tmv tmv impressions impressions`,
		`...on Metrics { likes tmv } ...M likes @include(if: true) saves @skip(if: true) clicks @include(if: false)`,
		`__typename t: __typename`,
	}
	i64 := func(v int64) *int64 { return &v }
	f64 := func(v float64) *float64 { return &v }
	values := []aspire.Metrics{
		{},
		{Impressions: i64(0), TMV: f64(0), EngagementRate: f64(math.Copysign(0, -1))},
		{Impressions: i64(math.MaxInt64), Reach: i64(math.MinInt64), TMV: f64(math.MaxFloat64), EngagementRate: f64(math.SmallestNonzeroFloat64)},
		{TMV: f64(1e21), EngagementRate: f64(1e-7), Likes: i64(-1)},
		{TMV: f64(123456.789), EngagementRate: f64(0.0123), Engagements: i64(42)},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		m := aspire.Metrics{}
		for _, p := range []**int64{&m.Impressions, &m.Reach, &m.Views, &m.ViewTimeSeconds, &m.Likes, &m.Comments, &m.Shares, &m.Saves, &m.Clicks, &m.Engagements} {
			if r.IntN(5) > 0 {
				*p = i64(r.Int64N(1<<40) - 1<<20)
			}
		}
		for _, p := range []**float64{&m.EngagementRate, &m.TMV} {
			switch r.IntN(4) {
			case 0:
			case 1:
				*p = f64(math.Float64frombits(r.Uint64()))
			case 2:
				*p = f64(float64(r.IntN(1e9)) / 100)
			default:
				*p = f64(r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20)))
			}
		}
		values = append(values, m)
	}
	for _, s := range selections {
		q := `query { posts(range: {start: "2026-01-01", end: "2026-01-31"}) { nodes { metrics { ` + s + ` } } } }`
		if strings.Contains(s, "...M") {
			q += ` fragment M on Metrics { shares tmv }`
		}
		ctx := graphql.StartOperationTrace(context.Background())
		oc, errs := executor.New(es).CreateOperationContext(ctx, &graphql.RawParams{Query: q})
		if errs != nil {
			t.Fatalf("%s: %v", s, errs)
		}
		sel := metricsSelection(oc.Operation.SelectionSet)
		if sel == nil {
			t.Fatalf("%s: no metrics selection", s)
		}
		ctx = graphql.WithOperationContext(ctx, oc)
		ec := newExecutionContext(oc, es.(*executableSchema), nil)
		n := 0
		for _, v := range values {
			if !finite(v.TMV) || !finite(v.EngagementRate) {
				continue // handed to gqlgen's own marshaller
			}
			n++
			var want, got bytes.Buffer
			want.WriteString("[")
			got.WriteString("[")
			ec._Metrics(ctx, sel, &v).MarshalGQL(&want)
			m := ec.marshalMetrics(ctx, sel, &v)
			if _, ok := m.(*metricsJSON); !ok {
				t.Fatalf("%s: the fast marshaller was not used", s)
			}
			m.MarshalGQL(&got)
			if !bytes.Equal(want.Bytes(), got.Bytes()) {
				t.Fatalf("%s over %+v:\n gqlgen %s\n    ours %s", s, v, want.Bytes(), got.Bytes())
			}
		}
		if n < 400 {
			t.Fatalf("only %d values compared", n)
		}
	}
}

func metricsSelection(sel ast.SelectionSet) ast.SelectionSet {
	for _, s := range sel {
		if f, ok := s.(*ast.Field); ok {
			if f.Name == "metrics" {
				return f.SelectionSet
			}
			if in := metricsSelection(f.SelectionSet); in != nil {
				return in
			}
		}
	}
	return nil
}
