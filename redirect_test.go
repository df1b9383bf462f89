package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/server"
)

// redirecting is an upstream that answers every request with a 302 to
// another host, which records what reaches it.
type redirecting struct {
	up, other *httptest.Server
	mu        sync.Mutex
	seen      []string // what reached the other host: URL and headers
	referers  int      // requests to the redirecting host carrying a Referer
}

func newRedirecting(t *testing.T) *redirecting {
	r := &redirecting{}
	r.other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.URL.String()+" "+strings.Join(func() []string {
			var h []string
			for k, v := range req.Header {
				h = append(h, k+": "+strings.Join(v, ","))
			}
			return h
		}(), "; "))
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":[],"total":0}`))
	}))
	r.up = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Referer") != "" {
			r.mu.Lock()
			r.referers++
			r.mu.Unlock()
		}
		http.Redirect(w, req, r.other.URL+req.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(r.up.Close)
	t.Cleanup(r.other.Close)
	return r
}

func (r *redirecting) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) != 0 || r.referers != 0 {
		t.Fatalf("the other host got %d requests (%q), %d with a Referer", len(r.seen), r.seen, r.referers)
	}
}

// TestSecretsNeverFollowARedirect (issue #23): an upstream that answers
// 302 to another host. Doctor, with the key in a header and in a query
// parameter, and the server's readiness probe send nothing there and say
// where the redirect goes. Before, doctor sent the key there in 18 of 19
// requests and reported "key accepted"; with the key in the query it went
// out in Referer too.
func TestSecretsNeverFollowARedirect(t *testing.T) {
	t.Parallel()
	const key = "sk-redirect-secret-1234"
	for _, placement := range []contract.Auth{{In: contract.AuthBearer}, {In: contract.AuthQuery, Name: "api_key"}} {
		t.Run("doctor, key in "+placement.In, func(t *testing.T) {
			t.Parallel()
			r := newRedirecting(t)
			c := contract.Default().Clone()
			c.Auth = placement
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "contract.json")
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := runDoctor(t, "-upstream-url", r.up.URL, "-api-key", key, "-client-id", "c1", "-contract", file)
			if err == nil {
				t.Fatalf("doctor passed against a redirect:\n%s", out)
			}
			host := strings.TrimPrefix(r.other.URL, "http://")
			if !strings.Contains(out, "the API answered with a redirect to "+host+": point the upstream URL at it") {
				t.Fatalf("doctor does not say where the redirect goes:\n%s", out)
			}
			if strings.Contains(out, key) {
				t.Fatalf("the key in doctor's output:\n%s", out)
			}
			r.check(t)
		})
	}
	t.Run("readiness probe", func(t *testing.T) {
		t.Parallel()
		r := newRedirecting(t)
		err := server.UpstreamProbe(r.up.URL)(t.Context())
		host := strings.TrimPrefix(r.other.URL, "http://")
		if err == nil || err.Error() != "the API answered with a redirect to "+host+": point the upstream URL at it" {
			t.Fatalf("probe: %v", err)
		}
		r.check(t)
	})
}
