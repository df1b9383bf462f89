// Package playground serves GraphiQL from assets built into the binary, so
// the playground works on a machine with no internet. The assets are built
// from the npm graphiql package by scripts/build-playground.sh into dist/
// (committed); the server writes config.js, which tells the page its
// endpoint, example query and headers.
package playground

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Config is what the page is told.
type Config struct {
	Endpoint  string `json:"endpoint"`
	Query     string `json:"query"`
	Variables string `json:"variables"` // JSON text, as the editor shows it
	Headers   string `json:"headers"`   // JSON text
	// Tabs are the tabs of a first visit, the first being Query/Variables
	// (GraphiQL keeps the tabs in the browser after).
	Tabs []Tab `json:"tabs,omitempty"`
	// Notice, when set, is shown above the editors on load (what to fill in).
	Notice string `json:"notice,omitempty"`
	// Tools is the editor tool open on load: "headers" or "" (variables).
	Tools string            `json:"tools,omitempty"`
	Extra map[string]string `json:"extra,omitempty"`
}

// Tab is one default tab: a query and its variables (JSON text).
type Tab struct {
	Query     string `json:"query"`
	Variables string `json:"variables"`
}

// Handler serves the playground at the root of whatever prefix it is
// mounted under: index.html, config.js and the hashed assets. config is
// called per request, so the example can name today's dates.
func Handler(config func(*http.Request) Config) http.Handler {
	root, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err)
	}
	assets := http.FileServerFS(root)
	index, err := fs.ReadFile(root, "index.html")
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		switch p := r.URL.Path; {
		case p == "/" || p == "/index.html":
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
			_, _ = w.Write(index)
		case p == "/config.js":
			b, _ := json.Marshal(config(r))
			h.Set("Content-Type", "text/javascript; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			_, _ = w.Write([]byte("window.ASPIRE_PLAYGROUND = " + string(b) + ";\n"))
		case strings.HasPrefix(p, "/assets/"):
			// Hashed names: a file never changes under its name.
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
			assets.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
