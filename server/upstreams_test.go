package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
)

// rewriteUpstream wraps an upstream for a test that needs it to send what
// the simulator would not: each answer that is JSON is decoded and handed to
// edit, which changes it in place and says whether it did; a changed answer
// is sent re-encoded, with the upstream's status and headers but the old
// body's length and ETag. The answers are asked for uncompressed.
func rewriteUpstream(next http.Handler, edit func(r *http.Request, doc any) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Accept-Encoding")
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var doc any
		if json.Unmarshal(body, &doc) == nil && edit(r, doc) {
			body, _ = json.Marshal(doc)
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" && k != "Etag" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// eachObject calls f on every JSON object in v, an object before the
// objects it holds (after f has changed it).
func eachObject(v any, f func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(x)
		for _, c := range x {
			eachObject(c, f)
		}
	case []any:
		for _, c := range x {
			eachObject(c, f)
		}
	}
}
