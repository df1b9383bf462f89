package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aspire-graphql/aspire-graphql/graph"
)

// TestErrorsEchoCutNames: an error that repeats the caller's document or
// arguments cuts what it repeats: a made-up 200 kB field name comes back as
// its first 64 bytes and its length, not as a 200 kB message (it did, once
// per occurrence). The message still names what was wrong and where.
func TestErrorsEchoCutNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	long := strings.Repeat("x", 200_000)
	for _, tc := range []struct{ name, query, want string }{
		{"unknown field", `{ ` + long + ` }`, `Cannot query field "` + long[:64] + `… (200000 bytes)" on type "Query".`},
		{"unknown nested field", `{ posts(range: {start: "2026-01-01", end: "2026-01-02"}) { nodes { ` + long + ` } } }`, `Cannot query field "` + long[:64] + `… (200000 bytes)" on type "Post".`},
		{"unknown type", `query($v: ` + long + `) { __typename }`, `Unknown type "` + long[:64] + `… (200000 bytes)".`},
		{"unknown directive", `{ __typename @` + long + ` }`, `Unknown directive "@` + long[:63] + `… (200001 bytes)".`},
		{"unknown argument", `{ posts(` + long + `: 1) { nodes { id } } }`, `Unknown argument "` + long[:64] + `… (200000 bytes)" on field "Query.posts".`},
		{"unquoted value", `{ posts(range: ` + long + `) { nodes { id } } }`, `Expected value of type "DateRangeInput!", found ` + long[:64] + `… (200001 bytes)`},
		{"argument value", `{ posts(range: {start: "` + long + `", end: "2026-01-01"}) { nodes { id } } }`, `invalid date "` + long[:64] + `… (200000 bytes)": want YYYY-MM-DD`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := e.raw(t, tc.query, nil)
			if len(body) > 1024 {
				t.Errorf("a %d-byte answer to a %d-byte query", len(body), len(tc.query))
			}
			var r response
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			if len(r.Errors) == 0 || r.Errors[0].Message != tc.want {
				t.Fatalf("errors %+v, want the first to be %q", r.Errors, tc.want)
			}
		})
	}

	// A value of multi-byte characters is cut between characters, never
	// inside one, and a short name is left whole.
	wide := strings.Repeat("é", 1000)
	body := e.raw(t, `{ posts(range: {start: "`+wide+`", end: "2026-01-01"}) { nodes { id } } postz }`, nil)
	if !utf8.Valid(body) {
		t.Fatalf("the answer is not UTF-8: %q", body)
	}
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	want := `Cannot query field "postz" on type "Query". Did you mean "posts" or "post"?`
	if len(r.Errors) != 1 || r.Errors[0].Message != want {
		t.Fatalf("errors %+v, want one: %q", r.Errors, want)
	}
	r = e.do(t, `{ posts(range: {start: "`+wide+`", end: "2026-01-01"}) { nodes { id } } }`, nil)
	if want := `invalid date "` + strings.Repeat("é", 32) + `… (2000 bytes)": want YYYY-MM-DD`; len(r.Errors) != 1 || r.Errors[0].Message != want {
		t.Fatalf("errors %+v, want one: %q", r.Errors, want)
	}
}

// TestDocumentErrorsAreCapped: a document with 150 mistakes gets the first
// graph.MaxDocumentErrors of them and graphql-js's closing error, as
// graphql-js's own validate does.
func TestDocumentErrorsAreCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var q strings.Builder
	q.WriteString("{")
	for i := range 150 {
		fmt.Fprintf(&q, " f%d", i)
	}
	q.WriteString(" }")
	r := e.do(t, q.String(), nil)
	if len(r.Errors) != graph.MaxDocumentErrors+1 {
		t.Fatalf("%d errors, want %d", len(r.Errors), graph.MaxDocumentErrors+1)
	}
	if want := `Cannot query field "f99" on type "Query".`; r.Errors[99].Message != want {
		t.Errorf("error 100: %q, want %q", r.Errors[99].Message, want)
	}
	last := r.Errors[graph.MaxDocumentErrors]
	if last.Message != "Too many validation errors, error limit reached. Validation aborted." || last.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("the last error: %+v", last)
	}
	if r.Data != nil && string(r.Data) != "null" {
		t.Errorf("data %s, want none", r.Data)
	}

	// At the limit, every error is there and none is added.
	q.Reset()
	q.WriteString("{")
	for i := range graph.MaxDocumentErrors {
		fmt.Fprintf(&q, " f%d", i)
	}
	q.WriteString(" }")
	if r := e.do(t, q.String(), nil); len(r.Errors) != graph.MaxDocumentErrors {
		t.Fatalf("%d errors, want %d", len(r.Errors), graph.MaxDocumentErrors)
	}
}
