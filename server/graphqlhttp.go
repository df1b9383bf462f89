package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// Media types of the GraphQL-over-HTTP specification.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// graphqlHTTP applies the GraphQL-over-HTTP specification where gqlgen does
// not, before gqlgen sees the request:
//
//   - methods other than GET and POST: 405 with Allow;
//   - an Accept that allows neither JSON media type: 406;
//   - POST whose Content-Type is not application/json: 415;
//   - a POST body that is not one JSON object — invalid JSON, or a batch (a
//     JSON array), which would multiply every limit: 400, never echoing the
//     body (gqlgen's own decode error quotes it);
//   - a mutation or subscription over GET: 405 with Allow: POST (gqlgen: 406);
//   - with application/json, a well-formed request that fails validation is
//     answered 200, as the specification asks (gqlgen: 422).
//
// It also serves saved queries: GET /graphql?id=NAME&variables=… runs the
// document saved as NAME (saved-queries-dir), so a BI tool can refresh a
// fixed URL.
func graphqlHTTP(saved map[string]string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			q := r.URL.Query()
			if id := q.Get("id"); id != "" && q.Get("query") == "" {
				doc, ok := saved[id]
				if !ok {
					writeGraphQLError(w, r, http.StatusNotFound, graph.CodeNotFound,
						"no saved query named "+strconv.Quote(id)+" (saved-queries-dir holds NAME.graphql files)")
					return
				}
				q.Set("query", doc)
				q.Del("id")
				r.URL.RawQuery = q.Encode()
			}
		}
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodOptions:
		default:
			w.Header().Set("Allow", "GET, POST")
			writeGraphQLError(w, r, http.StatusMethodNotAllowed, graph.CodeBadUserInput, "use POST (or GET for queries)")
			return
		}
		if !acceptable(r.Header.Get("Accept")) {
			writeGraphQLError(w, r, http.StatusNotAcceptable, graph.CodeBadUserInput,
				"this server answers "+mediaGraphQLResponse+" or "+mediaJSON+"; the Accept header allows neither")
			return
		}
		switch r.Method {
		case http.MethodPost:
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != mediaJSON {
				writeGraphQLError(w, r, http.StatusUnsupportedMediaType, graph.CodeBadUserInput,
					"send the request as Content-Type: application/json")
				return
			}
			body, err := io.ReadAll(r.Body)
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					writeGraphQLError(w, r, http.StatusRequestEntityTooLarge, graph.CodeOperationLimit,
						"request body over the limit of "+strconv.FormatInt(tooBig.Limit, 10)+" bytes (max-body-bytes)")
					return
				}
				writeGraphQLError(w, r, http.StatusBadRequest, graph.CodeBadUserInput, "could not read the request body")
				return
			}
			if msg := checkBody(body); msg != "" {
				writeGraphQLError(w, r, http.StatusBadRequest, graph.CodeBadUserInput, msg)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
		case http.MethodGet:
			if operationType(r) != ast.Query {
				w.Header().Set("Allow", "POST")
				writeGraphQLError(w, r, http.StatusMethodNotAllowed, graph.CodeBadUserInput,
					"only queries may be sent with GET; send mutations and subscriptions with POST")
				return
			}
		}
		next.ServeHTTP(&specStatus{ResponseWriter: w}, r)
	})
}

// checkBody says what is wrong with a POST body, or "".
func checkBody(body []byte) string {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return "the request body is empty: send {\"query\": \"…\"}"
	case trimmed[0] == '[':
		return "batched requests (a JSON array of operations) are not supported: send one operation per request"
	case !json.Valid(trimmed):
		return "the request body is not valid JSON"
	case trimmed[0] != '{':
		return "the request body must be a JSON object: {\"query\": \"…\", \"variables\": {…}}"
	}
	return ""
}

// operationType is the type of the operation a GET request would run; a
// document that does not parse counts as a query, for gqlgen to report.
func operationType(r *http.Request) ast.Operation {
	q := r.URL.Query()
	doc, err := parser.ParseQuery(&ast.Source{Input: q.Get("query")})
	if err != nil || len(doc.Operations) == 0 {
		return ast.Query
	}
	op := doc.Operations.ForName(q.Get("operationName"))
	if op == nil {
		return ast.Query
	}
	return op.Operation
}

// acceptable reports whether an Accept header allows one of the JSON media
// types (no header allows everything).
func acceptable(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
				continue
			}
		}
		switch mt {
		case mediaGraphQLResponse, mediaJSON, "application/*", "*/*":
			return true
		}
	}
	return false
}

// specStatus answers 200 where gqlgen answers 422 with application/json.
type specStatus struct {
	http.ResponseWriter
}

func (w *specStatus) WriteHeader(code int) {
	if code == http.StatusUnprocessableEntity && strings.HasPrefix(w.Header().Get("Content-Type"), mediaJSON) {
		code = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *specStatus) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// authenticated says whether the caller may introspect: always in demo and
// server-key modes (the middleware let them in); in passthrough mode only
// with a key the upstream accepts (a key lacking a scope still counts). The
// check is one cheap call, cached like any other.
func authenticated(o Options) func(context.Context) bool {
	if o.Config.Mode() != config.Passthrough {
		return nil
	}
	return func(ctx context.Context) bool {
		l := loaders.For(ctx)
		if l == nil {
			return false
		}
		_, err := l.Tenant().Projects(ctx, aspire.ListQuery{Limit: 1})
		var ae *aspire.Error
		return err == nil || (errors.As(err, &ae) && ae.MissingScope())
	}
}

// LoadSavedQueries reads every NAME.graphql file of dir ("" for none); each
// must parse as a GraphQL document.
func LoadSavedQueries(dir string) (map[string]string, error) {
	out := map[string]string{}
	if dir == "" {
		return out, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.graphql"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("saved-queries-dir %s holds no .graphql files", dir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if _, err := parser.ParseQuery(&ast.Source{Name: f, Input: string(b)}); err != nil {
			return nil, fmt.Errorf("saved query %s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".graphql")] = string(b)
	}
	return out, nil
}

// bodyKey carries the request body graphqlHTTP read and checked, so that
// later middleware (the response cache's key) need not read it again.
type bodyKey struct{}
