package server

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/codes"
	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
	"github.com/aspire-graphql/aspire-graphql/telemetry"
)

// Media types of the GraphQL-over-HTTP specification.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// graphqlHTTP applies the GraphQL-over-HTTP specification where gqlgen does
// not, before gqlgen sees the request:
//
//   - a WebSocket upgrade (graphql-ws) or an Accept of text/event-stream
//     alone (graphql-sse): 400 or 406 BAD_REQUEST saying the server has no
//     subscriptions and what to use instead;
//   - methods other than GET and POST: 405 with Allow;
//   - an Accept that allows neither JSON media type: 406;
//   - POST whose Content-Type is not application/json: 415;
//   - a POST body that is not one JSON object — invalid JSON, or a batch (a
//     JSON array), which would multiply every limit: 400, never echoing the
//     body (gqlgen's own decode error quotes it);
//   - request parameters of the wrong JSON type (query, operationName not
//     a string; variables, extensions not an object), a malformed APQ
//     extension or one whose hash is not its query's: 400 BAD_REQUEST; an
//     APQ version other than 1: 400 PERSISTED_QUERY_NOT_SUPPORTED, which
//     makes Apollo's and urql's links fall back to sending the query;
//     gqlgen would answer these with a panic or INTERNAL_SERVER_ERROR;
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
		// Subscription transports, before anything that would answer them
		// with an unrelated complaint (no query, Accept, method).
		if websocketUpgrade(r.Header) {
			writeGraphQLError(w, r, http.StatusBadRequest, graph.CodeBadRequest, "no WebSocket here: "+noSubscriptions)
			return
		}
		if eventStream(r.Header.Get("Accept")) && !acceptable(r.Header.Get("Accept")) {
			writeGraphQLError(w, r, http.StatusNotAcceptable, graph.CodeBadRequest, "no text/event-stream here: "+noSubscriptions)
			return
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
			body, err := readBody(r)
			if errors.Is(err, errEncoding) {
				writeGraphQLError(w, r, http.StatusUnsupportedMediaType, graph.CodeBadUserInput,
					"Content-Encoding "+strconv.Quote(r.Header.Get("Content-Encoding"))+" is not supported: send the body plain or gzip")
				return
			}
			var gz gzipError
			if errors.As(err, &gz) {
				writeGraphQLError(w, r, http.StatusBadRequest, graph.CodeBadUserInput,
					"the request body is labelled Content-Encoding: gzip but is not valid gzip")
				return
			}
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
				writeGraphQLError(w, r, http.StatusBadRequest, graph.CodeBadRequest, msg)
				return
			}
			var p rawParams
			_ = json.Unmarshal(body, &p) // checkBody: a JSON object
			if code, msg := checkParams(r.Context(), p); msg != "" {
				writeGraphQLError(w, r, http.StatusBadRequest, code, msg)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.Header.Del("Content-Encoding") // decoded above
			r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
		case http.MethodGet:
			q, err := url.ParseQuery(r.URL.RawQuery)
			if err != nil {
				writeGraphQLError(w, r, http.StatusBadRequest, graph.CodeBadRequest, "the query string is not valid URL encoding")
				return
			}
			p := rawParams{Query: jsonString(q, "query"), OperationName: jsonString(q, "operationName")}
			for name, dst := range map[string]*json.RawMessage{"variables": &p.Variables, "extensions": &p.Extensions} {
				if v := q.Get(name); v != "" {
					if !json.Valid([]byte(v)) {
						writeGraphQLError(w, r, http.StatusBadRequest, graph.CodeBadRequest, "the "+name+" parameter is not valid JSON")
						return
					}
					*dst = json.RawMessage(v)
				}
			}
			if code, msg := checkParams(r.Context(), p); msg != "" {
				writeGraphQLError(w, r, http.StatusBadRequest, code, msg)
				return
			}
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

var errEncoding = errors.New("unsupported Content-Encoding")

type gzipError struct{ error }

// readBody reads a POST body, plain or gzip (Content-Encoding). A gzip
// body is bounded after decompression by the same max-body-bytes as a
// plain one (a zip bomb gets 413); other encodings are refused (415).
func readBody(r *http.Request) ([]byte, error) {
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return io.ReadAll(r.Body)
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, err
			}
			return nil, gzipError{err}
		}
		defer zr.Close()
		limit, _ := r.Context().Value(bodyLimitKey{}).(int64)
		var src io.Reader = zr
		if limit > 0 {
			src = io.LimitReader(zr, limit+1)
		}
		body, err := io.ReadAll(src)
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return nil, err
		case err != nil:
			return nil, gzipError{err}
		case limit > 0 && int64(len(body)) > limit:
			return nil, &http.MaxBytesError{Limit: limit}
		}
		return body, nil
	default:
		return nil, errEncoding
	}
}

// bodyLimitKey carries max-body-bytes, for the bound after decompression.
type bodyLimitKey struct{}

// checkBody says what is wrong with a POST body, or "". It says what and
// where (a byte offset), never quoting the body: gqlgen's own decode error
// quotes it whole, and it reaches the log. checkParams then checks the
// fields' types, in the same way.
func checkBody(body []byte) string {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return "the request body is empty: send {\"query\": \"…\"}"
	case trimmed[0] == '[':
		return "batched requests (a JSON array of operations) are not supported: send one operation per request"
	case !json.Valid(trimmed):
		// Where, never what: the byte offset of the first error.
		var syntax *json.SyntaxError
		if errors.As(json.Unmarshal(trimmed, new(any)), &syntax) {
			return fmt.Sprintf("the request body is not valid JSON (at byte %d)", syntax.Offset+int64(len(body)-len(trimmed)))
		}
		return "the request body is not valid JSON"
	case trimmed[0] != '{':
		return "the request body must be a JSON object: {\"query\": \"…\", \"variables\": {…}}"
	}
	return ""
}

// rawParams are a GraphQL-over-HTTP request's parameters, undecoded.
type rawParams struct {
	Query         json.RawMessage `json:"query"`
	Variables     json.RawMessage `json:"variables"`
	OperationName json.RawMessage `json:"operationName"`
	Extensions    json.RawMessage `json:"extensions"`
}

// jsonString is a URL parameter as a JSON string, or nil when absent.
func jsonString(q url.Values, name string) json.RawMessage {
	if !q.Has(name) {
		return nil
	}
	b, _ := json.Marshal(q.Get(name))
	return b
}

// checkParams says what is wrong with a request's parameters (code and
// message), or "" when nothing is. An APQ request is also marked in the
// access line and the metrics: a hash-only one as a hit until the store
// says otherwise.
func checkParams(ctx context.Context, p rawParams) (code, msg string) {
	bad := func(format string, args ...any) (string, string) {
		return graph.CodeBadRequest, fmt.Sprintf(format, args...)
	}
	var query string
	switch {
	case !isNull(p.Query) && json.Unmarshal(p.Query, &query) != nil:
		return bad("query must be a string holding a GraphQL document, not %s", jsonKind(p.Query))
	case !isNull(p.OperationName) && json.Unmarshal(p.OperationName, new(string)) != nil:
		return bad("operationName must be a string or null, not %s", jsonKind(p.OperationName))
	case !isNull(p.Variables) && jsonKind(p.Variables) != "an object":
		return bad("variables must be a JSON object (or null), not %s", jsonKind(p.Variables))
	case !isNull(p.Extensions) && jsonKind(p.Extensions) != "an object":
		return bad("extensions must be a JSON object (or null), not %s", jsonKind(p.Extensions))
	}
	var ext struct {
		PersistedQuery json.RawMessage `json:"persistedQuery"`
	}
	if isNull(p.Extensions) || json.Unmarshal(p.Extensions, &ext) != nil || isNull(ext.PersistedQuery) {
		if strings.TrimSpace(query) == "" {
			return bad("the request has no query: send the GraphQL document as {\"query\": \"…\"}")
		}
		return "", ""
	}
	var pq struct {
		Version json.RawMessage `json:"version"`
		Hash    json.RawMessage `json:"sha256Hash"`
	}
	var hash string
	switch {
	case json.Unmarshal(ext.PersistedQuery, &pq) != nil:
		return bad("extensions.persistedQuery must be an object {\"version\": 1, \"sha256Hash\": \"…\"}, not %s", jsonKind(ext.PersistedQuery))
	case string(pq.Version) != "1":
		return graph.CodePersistedQueryNotSupported, "persisted query version " + string(orNull(pq.Version)) + " is not supported: send version 1, or the query itself"
	case json.Unmarshal(pq.Hash, &hash) != nil || !isSHA256(hash):
		return bad("extensions.persistedQuery.sha256Hash must be the query's SHA-256 as 64 lowercase hex digits")
	}
	stats := telemetry.StatsFrom(ctx)
	if query != "" {
		if sum := sha256.Sum256([]byte(query)); hex.EncodeToString(sum[:]) != hash {
			if stats != nil {
				stats.SetAPQ("mismatch")
			}
			return bad("extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it")
		}
	} else if stats != nil {
		stats.SetAPQ("hit") // until the store says it does not know the hash
	}
	return "", ""
}

func isNull(v json.RawMessage) bool {
	return len(v) == 0 || string(v) == "null"
}

func orNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}

// jsonKind names the JSON type of v for an error message.
func jsonKind(v json.RawMessage) string {
	b := bytes.TrimLeft(v, " \t\r\n")
	if len(b) == 0 {
		return "null"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func isSHA256(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
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
// noSubscriptions is what a subscription attempt (graphql-ws or
// graphql-transport-ws over WebSocket, graphql-sse) is told: there is
// nothing to subscribe to, and what serves instead.
const noSubscriptions = "this server has no subscriptions (the schema has no Subscription type) and answers every operation as one JSON response. " +
	"Send queries as POST application/json and poll them (identical polls of a workspace are answered from the server's caches without a new upstream call), " +
	"or download whole tables from /export/posts.csv and /export/members.csv"

// websocketUpgrade reports a WebSocket handshake (Upgrade: websocket).
func websocketUpgrade(h http.Header) bool {
	for _, v := range h.Values("Upgrade") {
		for p := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "websocket") {
				return true
			}
		}
	}
	return false
}

// eventStream reports an Accept that asks for text/event-stream (graphql-sse).
func eventStream(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
			return true
		}
	}
	return false
}

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
		err := l.Tenant().CheckKey(ctx)
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

// requestState is what the GraphQL hooks learn of one request that the
// HTTP answer depends on.
type requestState struct {
	executed   bool // the operation began to run
	badRequest bool // refused before running with CodeBadRequest
}

type requestStateKey struct{}

func requestStateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(requestStateKey{}).(*requestState)
	return st
}

// beforeExecution shapes the answers gqlgen gives to requests that fail
// before execution (parse, validation, limits, unknown operation, APQ
// miss), as GraphQL over HTTP asks: no "data" entry at all (gqlgen writes
// "data": null, which says execution began), and 400 for a BAD_REQUEST
// (gqlgen: 422 or 200). Such answers are one small JSON object; an
// executed operation's answer passes untouched.
func beforeExecution(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &requestState{}
		bw := &beforeExecutionWriter{ResponseWriter: w, st: st}
		next.ServeHTTP(bw, r.WithContext(context.WithValue(r.Context(), requestStateKey{}, st)))
		if !bw.wrote && bw.status != 0 {
			w.WriteHeader(bw.status)
		}
	})
}

type beforeExecutionWriter struct {
	http.ResponseWriter
	st     *requestState
	status int
	wrote  bool
}

// WriteHeader is held until the body, which gqlgen writes after the hooks
// have seen the errors.
func (w *beforeExecutionWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *beforeExecutionWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.wrote = true
		status := cmp.Or(w.status, http.StatusOK)
		n := len(b)
		if !w.st.executed {
			if w.st.badRequest {
				status = http.StatusBadRequest
			}
			var m map[string]json.RawMessage
			if json.Unmarshal(b, &m) == nil && string(m["data"]) == "null" {
				delete(m, "data")
				if out, err := json.Marshal(m); err == nil {
					b = out
				}
			}
		}
		w.ResponseWriter.WriteHeader(status)
		_, err := w.ResponseWriter.Write(b)
		return n, err
	}
	return w.ResponseWriter.Write(b)
}

func (w *beforeExecutionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// schemaHandler serves the SDL (GET /schema.graphql) to whoever may
// introspect: it is the same information.
func schemaHandler(o Options) http.Handler {
	sdl := []byte(graph.SDL())
	allowed := authenticated(o)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !o.Config.Introspection:
			writeGraphQLError(w, r, http.StatusNotFound, codes.IntrospectionDisabled, "introspection is disabled on this server, and with it the schema file")
			return
		case allowed != nil && !allowed(r.Context()):
			writeGraphQLError(w, r, http.StatusUnauthorized, graph.CodeUnauthenticated, "the schema needs a valid Aspire key or access token")
			return
		}
		w.Header().Set("Content-Type", "application/graphql; charset=utf-8")
		_, _ = w.Write(sdl)
	})
}
