package graph

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestWriteResponseIsJSONMarshal: writeResponse writes json.Marshal's bytes
// for what the handler tests cannot provoke: the characters encoding/json
// escapes in every position of the data, and an incremental answer's
// label, path and hasNext.
func TestWriteResponseIsJSONMarshal(t *testing.T) {
	yes, no := true, false
	errs := gqlerror.List{{Message: "<b> & \u2028", Path: ast.Path{ast.PathName("a"), ast.PathIndex(1)},
		Extensions: map[string]any{"code": "X", "n": 1.5}}}
	for _, data := range []string{
		`null`, `{}`, `{"a":1}`, `{"a":"<"}`, `{"a":">&<"}`, `{"<":"&"}`,
		"{\"a\":\"\u2028\"}", "{\"a\":\"x\u2029y\"}", "{\"a\":\"\u202a\u2027\"}", "{\"a\":\"é✨👇\"}",
		"{\"a\":\"\xe2\x80\"}", "{\"a\":\"\xe2\"}", "{\"a\":\"\xff\xfe\"}", `{"a":"\u003c\"\\"}`,
	} {
		for _, resp := range []graphql.Response{
			{Data: json.RawMessage(data)},
			{Data: json.RawMessage(data), Errors: errs},
			{Data: json.RawMessage(data), Errors: gqlerror.List{}},
			{Data: json.RawMessage(data), Extensions: map[string]any{"hint:posts": "a <b>", "z": []int{1}}},
			{Data: json.RawMessage(data), Label: "l&", Path: ast.Path{ast.PathName("posts"), ast.PathIndex(0)}, HasNext: &yes},
			{Data: json.RawMessage(data), Errors: errs, HasNext: &no, Extensions: map[string]any{"k": nil}},
		} {
			want, err := json.Marshal(&resp)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			writeResponse(&got, &resp)
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("\n json.Marshal %s\nwriteResponse %s", want, got.Bytes())
			}
		}
	}
}
