package graph

import (
	"context"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/graph/internal/gqlexec"
)

// TestCollectFieldsIsGqlgens: gqlexec.CollectedFields.Collect answers what
// graphql.CollectFields answers, for every selection set of operations with
// fragments, aliases, merged fields and @skip/@include, on a miss and on a
// hit.
func TestCollectFieldsIsGqlgens(t *testing.T) {
	implementors := map[string][]string{"Post": postImplementors, "Member": memberImplementors, "Project": projectImplementors,
		"Group": groupImplementors, "PostConnection": postConnectionImplementors, "Metrics": metricsImplementors, "Performance": performanceImplementors}
	for _, q := range []string{
		`query W3($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { id name projects { id name } groups { id name } performance(range: $r) { postCount metrics { tmv engagements } } } } } }`,
		`query($r: DateRangeInput!, $s: Boolean!) { posts(range: $r) { nodes { id ...P a: member { id } member { name projects @skip(if: $s) { id } } member { groups @include(if: $s) { name } } } } }
		 fragment P on Post { caption member { ... on Member { id email } } metrics { tmv } }`,
		`query($r: DateRangeInput!) { posts(range: $r) { nodes { __typename id @skip(if: true) caption @include(if: false) } pageInfo { hasNextPage } } }`,
	} {
		ex := executor.New(NewExecutableSchema(Config{Resolvers: &Resolver{}}))
		oc, errs := ex.CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: q,
			Variables: map[string]any{"r": map[string]any{"start": "2026-01-01", "end": "2026-01-31"}, "s": true}})
		if errs != nil {
			t.Fatal(errs)
		}
		var c gqlexec.CollectedFields
		var walk func(sel ast.SelectionSet, typ string)
		walk = func(sel ast.SelectionSet, typ string) {
			sat, ok := implementors[typ]
			if !ok {
				return
			}
			want := graphql.CollectFields(oc, sel, sat)
			for range 2 { // a miss, then a hit
				if got := c.Collect(oc, sel, sat); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s under %s: %+v, gqlgen %+v", q, typ, got, want)
				}
			}
			for _, f := range want {
				walk(f.Selections, f.Definition.Type.Name())
			}
		}
		for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
			walk(f.Selections, f.Definition.Type.Name())
		}
		if c.Len() < 2 {
			t.Errorf("%s: %d selection sets collected", q, c.Len())
		}
	}
}
