package gqlexec

import (
	"sync"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// CollectedFields replaces graphql.CollectFields in every object's
// marshaller (execpatch rewrites the calls; it lives in executionContext,
// one per operation). gqlgen memoises the result per operation too, but
// builds each call's key by boxing the selection slice (reflect.ValueOf)
// and hashing the type names with FNV: an allocation and a hash per object
// marshalled, 7 % of W3's CPU. Here the key is the slices' addresses and
// lengths, which needs neither; a miss asks gqlgen (whose result, and own
// cache, it keeps). The implementors lists are package variables, so one
// list always has one address; equal lists at other addresses only miss.
// TestCollectFieldsIsGqlgens pins the results to gqlgen's.
type CollectedFields struct {
	mu sync.Mutex
	m  map[collectKey][]graphql.CollectedField
}

type collectKey struct {
	sel       *ast.Selection
	n         int
	satisfies *string
	k         int
}

func (c *CollectedFields) Collect(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	key := collectKey{unsafe.SliceData(sel), len(sel), unsafe.SliceData(satisfies), len(satisfies)}
	c.mu.Lock()
	fields, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return fields
	}
	fields = graphql.CollectFields(oc, sel, satisfies)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[collectKey][]graphql.CollectedField, 16)
	}
	c.m[key] = fields
	c.mu.Unlock()
	return fields
}

// Len is how many selection sets c holds (graph's tests read it).
func (c *CollectedFields) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
