package graph

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/aspire-graphql/aspire-graphql/graph/internal/gqlexec"
)

// TestRelationsAreTheBatchResolvers keeps gqlexec.MarshalSlice's list of fields that
// can wait on a loader in step with the schema: every batch resolver (a
// method taking the parents as a slice) is in it, nothing else is, and the
// other object resolvers are the known ones that compute from their parent.
func TestRelationsAreTheBatchResolvers(t *testing.T) {
	batch := map[string]bool{}
	var plain []string
	for _, it := range []reflect.Type{
		reflect.TypeFor[PostResolver](), reflect.TypeFor[MemberResolver](),
		reflect.TypeFor[ProjectResolver](), reflect.TypeFor[GroupResolver](),
		reflect.TypeFor[PostConnectionResolver](), reflect.TypeFor[MemberConnectionResolver](),
		reflect.TypeFor[ProjectConnectionResolver](), reflect.TypeFor[GroupConnectionResolver](),
	} {
		typ := strings.TrimSuffix(it.Name(), "Resolver")
		for m := range it.Methods() {
			field := typ + "." + strings.ToLower(m.Name[:1]) + m.Name[1:]
			if m.Type.NumIn() > 1 && m.Type.In(1).Kind() == reflect.Slice {
				batch[field] = true
			} else {
				plain = append(plain, field)
			}
		}
	}
	if !reflect.DeepEqual(batch, relations) {
		t.Errorf("batch resolvers %v, relations %v", batch, relations)
	}
	known := map[string]bool{"Member.handles": true, "PostConnection.edges": true, "MemberConnection.edges": true,
		"ProjectConnection.edges": true, "GroupConnection.edges": true,
		// totalCount reads the connection (null with the error when counting failed): no loader.
		"PostConnection.totalCount": true, "MemberConnection.totalCount": true,
		"ProjectConnection.totalCount": true, "GroupConnection.totalCount": true}
	for _, f := range plain {
		if !known[f] {
			t.Errorf("%s is a resolver that is not a batch one: if it can wait on a loader, add it to relations", f)
		}
	}
}

// parentIndex must read what graphql.BatchParentIndex reads from the whole
// path, for every shape of field-context chain.
func TestParentIndexIsBatchParentIndex(t *testing.T) {
	idx := func(i int) *graphql.FieldContext { return &graphql.FieldContext{Index: &i} }
	named := func(name string) *graphql.FieldContext {
		return &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: name, Name: name}}}
	}
	for _, chain := range [][]*graphql.FieldContext{
		nil,
		{named("posts")},
		{named("posts"), named("nodes")},
		{named("posts"), named("nodes"), idx(7), named("member")},
		{named("posts"), named("nodes"), idx(7), {}, named("member")},
		{named("posts"), named("nodes"), idx(3), named("member"), named("projects"), idx(1), named("name")},
		{named("posts"), idx(2), idx(5)},
		{idx(4), named("x")},
	} {
		ctx := context.Background()
		for _, fc := range chain {
			ctx = graphql.WithFieldContext(ctx, fc)
		}
		wantIdx, wantOK := graphql.BatchParentIndex(ctx)
		gotIdx, gotOK := gqlexec.ParentIndex(ctx)
		if gotIdx != wantIdx || gotOK != wantOK {
			t.Errorf("path %v: got %v %v, want %v %v", graphql.GetPath(ctx), gotIdx, gotOK, wantIdx, wantOK)
		}
	}
}

// gqlexec.ResolveField's fast path for plain leaves (plainLeaf) assumes a string,
// int or bool field is marshalled by a marshaller that cannot fail. This
// lists the marshallers generated.go uses for them: a new one (a custom
// scalar bound to string, say) must be checked, then added here.
func TestPlainLeafMarshallersCannotFail(t *testing.T) {
	src, err := os.ReadFile("generated.go")
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]bool{
		"marshalNString2string": true, "marshalOString2string": true, "marshalNID2string": true,
		"marshalNInt2int": true, "marshalNBoolean2bool": true, "marshalOBoolean2bool": true,
		"marshalN__TypeKind2string": true, // __Type.kind is a method: never a plain leaf
	}
	re := regexp.MustCompile(`selections ast\.SelectionSet, v (?:string|int|bool)\) graphql\.Marshaler \{\n\t+return ec\.(\w+)\(`)
	found := re.FindAllSubmatch(src, -1)
	if len(found) == 0 {
		t.Fatal("no string, int or bool field found in generated.go: the pattern is stale")
	}
	for _, m := range found {
		if !ok[string(m[1])] {
			t.Errorf("%s marshals a string, int or bool field: can it fail? (see plainLeaf in internal/gqlexec/exec.go)", m[1])
		}
	}
}

// gqlexec.MarshalSlice keeps a list in order unless its elements nest a relation
// under a relation that the outer one does not prefetch.
func TestNestsRelations(t *testing.T) {
	for q, want := range map[string]bool{
		`{ posts(range: $r) { nodes { id member { id name projects { id } groups { id } performance(range: $r) { postCount } } } } }`: false,
		`{ posts(range: $r) { nodes { ... on Post { member { ...M } } } } } fragment M on Member { projects { id } }`:                 false,
		`{ posts(range: $r) { nodes { member { posts(range: $r) { totalCount } } } } }`:                                               true,
		`{ posts(range: $r) { nodes { member { projects { members(range: $r) { totalCount } } } } } }`:                                true,
		`{ posts(range: $r) { nodes { projects { posts(range: $r) { totalCount } } } } }`:                                             true,
		`{ posts(range: $r) { nodes { member { id } projects { id } groups { id } } } }`:                                              false,
	} {
		doc := "query($r: DateRangeInput!) " + q
		oc, errs := executor.New(NewExecutableSchema(Config{Resolvers: &Resolver{}})).CreateOperationContext(
			graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: doc,
				Variables: map[string]any{"r": map[string]any{"start": "2026-01-01", "end": "2026-01-31"}}})
		if errs != nil {
			t.Fatal(errs)
		}
		nodes := oc.Operation.SelectionSet[0].(*ast.Field).SelectionSet[0].(*ast.Field)
		if got := gqlexec.NestsRelations(nodes.SelectionSet, nil, false); got != want {
			t.Errorf("%s: nests %v, want %v", q, got, want)
		}
	}
}
