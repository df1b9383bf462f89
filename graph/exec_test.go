package graph

import (
	"reflect"
	"strings"
	"testing"
)

// TestRelationsAreTheBatchResolvers keeps marshalSlice's list of fields that
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
		"ProjectConnection.edges": true, "GroupConnection.edges": true}
	for _, f := range plain {
		if !known[f] {
			t.Errorf("%s is a resolver that is not a batch one: if it can wait on a loader, add it to relations", f)
		}
	}
}
