package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// rawTransport is one of gqlgen's HTTP transports (POST, GET) whose
// executed operations' answers are written with their data as is. gqlgen
// writes json.Marshal(response), and encoding/json validates and compacts
// the data, a json.RawMessage that gqlgen wrote compact, all over again:
// an eighth of a raw W1 query's CPU. Everything else stays gqlgen's own
// (media types, status codes, answers before execution): its transport
// runs as before, and only the executed answer is written here, gqlgen's
// encoding of a stand-in being dropped.
type rawTransport struct{ graphql.Transport }

func (t rawTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	rw := &rawWriter{ResponseWriter: w, GraphExecutor: exec}
	t.Transport.Do(rw, r, rw)
}

// rawWriter is both the executor the transport calls and the writer it
// writes to (one allocation): it writes the executed answer itself and
// drops the transport's next write, its encoding of standIn.
type rawWriter struct {
	http.ResponseWriter
	graphql.GraphExecutor
	written, drop bool
}

// standIn is what the transport encodes, and rawWriter drops, in place of
// an answer already written (its data set, so that encoding it allocates
// no "null").
var standIn = &graphql.Response{Data: json.RawMessage(`null`)}

func (w *rawWriter) DispatchOperation(ctx context.Context, opCtx *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	next, ctx := w.GraphExecutor.DispatchOperation(ctx, opCtx)
	return func(ctx context.Context) *graphql.Response {
		resp := next(ctx)
		// POST and GET ask once; nil and missing data are left to gqlgen.
		if resp == nil || len(resp.Data) == 0 || w.written {
			return resp
		}
		writeResponse(w.ResponseWriter, resp)
		w.written, w.drop = true, true
		return standIn
	}, ctx
}

func (w *rawWriter) Write(b []byte) (int, error) {
	if w.drop {
		w.drop = false
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *rawWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeResponse writes the bytes json.Marshal(resp) would: the keys in the
// struct's order, errors and extensions through encoding/json, and the
// data as is but for the HTML escaping encoding/json applies (<, >, &,
// U+2028, U+2029), which only a copy of data holding them pays for.
func writeResponse(w io.Writer, resp *graphql.Response) {
	head := dataKey
	if len(resp.Errors) > 0 {
		errs, err := json.Marshal(resp.Errors)
		if err != nil {
			panic(err) // as gqlgen's transports
		}
		head = append(append(append([]byte(`{"errors":`), errs...), ','), dataKey[1:]...)
	}
	data := resp.Data
	if needsHTMLEscape(data) {
		var b bytes.Buffer
		json.HTMLEscape(&b, data)
		data = b.Bytes()
	}
	tail := closeBrace
	if resp.Label != "" || len(resp.Path) > 0 || resp.HasNext != nil || len(resp.Extensions) > 0 {
		b, err := json.Marshal(struct {
			Label      string         `json:"label,omitempty"`
			Path       ast.Path       `json:"path,omitempty"`
			HasNext    *bool          `json:"hasNext,omitempty"`
			Extensions map[string]any `json:"extensions,omitempty"`
		}{resp.Label, resp.Path, resp.HasNext, resp.Extensions})
		if err != nil {
			panic(err)
		}
		tail = append([]byte{','}, b[1:]...) // b is {…}
	}
	_, _ = w.Write(head)
	_, _ = w.Write(data)
	_, _ = w.Write(tail)
}

var (
	dataKey    = []byte(`{"data":`)
	closeBrace = []byte{'}'}
)

// needsHTMLEscape reports whether b holds a byte sequence encoding/json
// escapes in its output: <, >, & or U+2028/U+2029 (E2 80 A8/A9).
func needsHTMLEscape(b []byte) bool {
	if bytes.IndexByte(b, '<') >= 0 || bytes.IndexByte(b, '>') >= 0 || bytes.IndexByte(b, '&') >= 0 {
		return true
	}
	for i := bytes.IndexByte(b, 0xE2); i >= 0; {
		if i+2 < len(b) && b[i+1] == 0x80 && b[i+2]&^1 == 0xA8 {
			return true
		}
		j := bytes.IndexByte(b[i+1:], 0xE2)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}
