package server_test

import (
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// suggestionDocs each draw a "Did you mean …" from gqlparser's validator:
// a field, an argument, a type, an enum value, an input field.
var suggestionDocs = map[string]string{
	"field":       `{ projectz { totalCount } }`,
	"argument":    `{ posts(rnge: {start: "2026-10-01", end: "2026-10-31"}) { totalCount } }`,
	"type":        `query { posts(range: {start: "2026-10-01", end: "2026-10-31"}) { nodes { ...F } } } fragment F on Pots { id }`,
	"enum value":  `{ posts(range: {start: "2026-10-01", end: "2026-10-31"}, filter: {networks: [INSTAGRAMM]}) { totalCount } }`,
	"input field": `{ posts(range: {start: "2026-10-01", ends: "2026-10-31"}) { totalCount } }`,
}

// TestNoSuggestionsWithoutIntrospection (issue #23 point 7): suggestions
// name the schema, so they are given only where introspection is: on, and
// to a key the upstream accepted. Before, -introspection=false hid field
// suggestions alone and a refused key got them all.
func TestNoSuggestionsWithoutIntrospection(t *testing.T) {
	t.Parallel()
	on := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	off := newStack(t, []string{"-introspection=false"}, aspiretest.WithSizes(aspiretest.SmallSizes))
	if r := on.query(t, `{ projects { totalCount } }`, nil); len(r.Errors) > 0 { // the demo key is now accepted
		t.Fatal(r.body)
	}
	if r := off.query(t, `{ projects { totalCount } }`, nil); len(r.Errors) > 0 {
		t.Fatal(r.body)
	}
	refused := map[string]string{"Authorization": "Bearer made-up-key-0001", "X-Aspire-Client-Id": aspiretest.DemoClientID}
	on.sim.Reset()
	for name, doc := range suggestionDocs {
		if r := on.query(t, doc, nil); len(r.Errors) == 0 || !strings.Contains(string(r.body), "Did you mean") {
			t.Errorf("%s, introspection on, accepted key: no suggestion: %s", name, r.body)
		}
		for who, r := range map[string]reply{
			"introspection off":             off.query(t, doc, nil),
			"introspection on, made-up key": on.queryAs(t, refused, doc, nil),
		} {
			if len(r.Errors) == 0 || strings.Contains(string(r.body), "Did you mean") {
				t.Errorf("%s, %s: %s", name, who, r.body)
			}
		}
	}
	if n := on.sim.Count(""); n != 0 {
		t.Errorf("documents refused by validation made %d upstream calls, want 0", n)
	}
}
