package graph_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/graph"
)

// TestSchemaIsDocumented walks the schema the server serves and fails on
// any type, field, argument, input field or enum value of ours without a
// description: the Docs tab, codegen's comments and linters read them.
func TestSchemaIsDocumented(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	var missing []string
	for name, def := range s.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		if strings.TrimSpace(def.Description) == "" {
			missing = append(missing, "type "+name)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if strings.TrimSpace(f.Description) == "" {
				missing = append(missing, name+"."+f.Name)
			}
			for _, a := range f.Arguments {
				if strings.TrimSpace(a.Description) == "" {
					missing = append(missing, name+"."+f.Name+"("+a.Name+")")
				}
			}
		}
		for _, v := range def.EnumValues {
			if strings.TrimSpace(v.Description) == "" {
				missing = append(missing, name+"."+v.Name)
			}
		}
	}
	for _, d := range s.Directives {
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn {
			continue
		}
		if strings.TrimSpace(d.Description) == "" {
			missing = append(missing, "@"+d.Name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Fatalf("%d schema elements without a description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}
