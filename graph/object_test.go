package graph

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/graph/internal/gqlexec"
)

// TestObjectJSONIsFieldSet: fieldsJSON writes what graphql.FieldSet writes,
// repeated response keys, nested objects and nulls included.
func TestObjectJSONIsFieldSet(t *testing.T) {
	field := func(alias string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: alias}}
	}
	inner := graphql.NewFieldSet([]graphql.CollectedField{field("id"), field("name")})
	inner.Values = []graphql.Marshaler{graphql.MarshalString("7"), graphql.MarshalString("Ann \"A\"\n")}
	for _, keys := range [][]string{
		{},
		{"id"},
		{"id", "caption", "member", "metrics"},
		{"a", "a", "b", "a", "c", "b"},
		{"x", "__typename", "x"},
	} {
		fields := make([]graphql.CollectedField, len(keys))
		values := make([]graphql.Marshaler, len(keys))
		for i, k := range keys {
			fields[i] = field(k)
			switch i % 3 {
			case 0:
				values[i] = graphql.MarshalInt(i)
			case 1:
				values[i] = graphql.Null
			default:
				values[i] = inner
			}
		}
		fs := graphql.NewFieldSet(fields)
		copy(fs.Values, values)
		var want, got bytes.Buffer
		fs.MarshalGQL(&want)
		gqlexec.ObjectJSON(fs, fields, 0).MarshalGQL(&got)
		if !bytes.Equal(want.Bytes(), got.Bytes()) {
			t.Fatalf("%v:\n gqlgen %s\n    ours %s", keys, want.Bytes(), got.Bytes())
		}
	}
}
