package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/doctor"
)

// TestDoctorSearches meets APIs that differ where the profiles do not: the
// simulator speaking a contract, some behind a front that changes what the
// simulator cannot (a header for the client id, 404 before the key, an
// ignored limit, no comma lists). The doctor with no contract learns what
// it can, within its request bound, and says plainly what it cannot; where
// it learns everything, the doctor passes with the written file and the
// client reads what the built-in simulator serves.
func TestDoctorSearches(t *testing.T) {
	t.Parallel()
	under := func(prefix string) aspiretest.Wire {
		c := contract.Default()
		c.Paths = contract.Paths{Posts: prefix + "/posts", Members: prefix + "/members", Projects: prefix + "/projects", Groups: prefix + "/groups",
			Post: prefix + "/posts/{id}", Member: prefix + "/members/{id}", Project: prefix + "/projects/{id}", Group: prefix + "/groups/{id}"}
		return aspiretest.Wire{Contract: c}
	}
	notFound := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"code":"not_found","message":"no such endpoint"}}`))
	}
	for _, tc := range []struct {
		name     string
		wire     aspiretest.Wire
		front    func(http.Handler) http.Handler
		urlPath  string // added to the upstream URL given
		requests int    // one of them, where /v1/projects answers 404, asks /v1/posts whether only that endpoint is absent
		finds    []string
		learns   bool // the written contract serves
	}{
		{name: "under /api/v1", wire: under("/api/v1"), requests: 18, learns: true, finds: []string{
			"✗ where the endpoints are: the endpoints are under /api/v1; the client id goes in the client_id query parameter: /api/v1/projects?client_id={client_id}, not /v1/projects?client_id={client_id} as the contract says",
		}},
		{name: "the URL given holds the base path", wire: under("/api/v1"), urlPath: "/api/v1", requests: 17, learns: true, finds: []string{
			"✗ where the endpoints are: the endpoints are under the URL given; the client id goes in the client_id query parameter: /projects?client_id={client_id}",
		}},
		{name: "client id as clientId", wire: func() aspiretest.Wire {
			w := under("/v1")
			w.Contract.ClientID.Name = "clientId"
			return w
		}(), requests: 16, learns: true, finds: []string{
			"✗ where the endpoints are: the client id goes in the clientId query parameter: /v1/projects?clientId={client_id}, not /v1/projects?client_id={client_id} as the contract says",
		}},
		{name: "client id in a header", wire: under("/v1"), front: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				q.Del("client_id")
				if id := r.Header.Get("X-Client-Id"); id != "" {
					q.Set("client_id", id)
				}
				r.URL.RawQuery = q.Encode()
				h.ServeHTTP(w, r)
			})
		}, requests: 23, learns: true, finds: []string{
			"✗ where the endpoints are: the client id goes in the X-Client-Id header: /v1/projects with X-Client-Id: {client_id}, not /v1/projects?client_id={client_id} as the contract says",
		}},
		{name: "nowhere to be found", wire: under("/private/gateway"), requests: 37, finds: []string{
			"✗ where the endpoints are: no projects list found in 30 places tried: /v1/projects?client_id={client_id}, and under /v1, /api/v1, /api/v2, /v2, /api, with the client id as client_id, clientId, workspace_id, workspaceId, a path segment",
			`ask Aspire for the API's paths and write them in a contract file`,
		}},
		{name: "404 before the key", wire: aspiretest.Profiles["envelope-token-path"](), front: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasPrefix(r.URL.Path, "/api/v2/clients/") {
					notFound(w)
					return
				}
				h.ServeHTTP(w, r)
			})
		}, requests: 36, learns: true, finds: []string{
			"✗ where the key goes: the key is accepted only in the token query parameter, not in Authorization: Bearer <key> as the contract says (the API answers 404 before it checks the key)",
			"✗ where the endpoints are: the endpoints are under /api/v2; the client id goes in the path: /api/v2/clients/{client_id}/projects",
		}},
		{name: "no two errors alike", wire: aspiretest.Profiles["envelope-token-path"](), front: func(h http.Handler) http.Handler {
			var n atomic.Int64
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				body := rec.Body.Bytes()
				if rec.Code >= 400 { // a request id in every message, as many APIs do
					body = bytes.Replace(body, []byte(`","message":"`), []byte(fmt.Sprintf(`","message":"[req %d] `, n.Add(1))), 1)
				}
				maps.Copy(w.Header(), rec.Header())
				w.Header().Del("Content-Length")
				w.WriteHeader(rec.Code)
				w.Write(body)
			})
		}, requests: 36, learns: true, finds: []string{
			"✗ query parameters: the dates are startDate and endDate (not start_date and end_date)",
		}},
		{name: "limit as per_page", wire: under("/v1"), front: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				q.Del("limit")
				if n := q.Get("per_page"); n != "" {
					q.Set("limit", n)
					q.Del("per_page")
				}
				r.URL.RawQuery = q.Encode()
				h.ServeHTTP(w, r)
			})
		}, requests: 16, learns: true, finds: []string{"✗ query parameters: the page size is per_page (not limit)"}},
		{name: "no comma lists", wire: under("/v1"), front: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Query().Get("member_id"), ",") {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					w.Write([]byte(`{"error":{"code":"invalid_parameter","message":"member_id: not an id"}}`))
					return
				}
				h.ServeHTTP(w, r)
			})
		}, requests: 16, learns: true, finds: []string{"✗ ids in one call: the API takes repeated parameters (member_id=1&member_id=2), not a comma list (member_id=1,2) as the contract says"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes), aspiretest.WithWire(tc.wire))
			var h http.Handler = sim
			if tc.front != nil {
				h = tc.front(sim)
			}
			var requests atomic.Int64 // the doctor's, some of which the front answers
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				h.ServeHTTP(w, r)
			}))
			t.Cleanup(up.Close)
			file := filepath.Join(t.TempDir(), "written.json")
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"aspire-graphql", "doctor", "--write-contract", file},
				with(up.URL+tc.urlPath, aspiretest.DemoKey, aspiretest.DemoClientID)...), func(string) string { return "" }, &out, &errOut)
			if !errors.Is(err, errChecksFailed) {
				t.Fatalf("err %v\n%s", err, out.String())
			}
			for _, f := range tc.finds {
				if !strings.Contains(out.String(), f) {
					t.Errorf("no finding %q in:\n%s", f, out.String())
				}
			}
			if strings.Contains(out.String()+errOut.String(), aspiretest.DemoKey) {
				t.Fatal("the doctor printed the key")
			}
			if n := int(requests.Load()); n != tc.requests || n > doctor.MaxRequests {
				t.Errorf("the doctor made %d requests, want %d (at most %d)", n, tc.requests, doctor.MaxRequests)
			}
			if !tc.learns {
				return
			}
			written, err := contract.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			again, err := runDoctor(t, append(with(up.URL+tc.urlPath, aspiretest.DemoKey, aspiretest.DemoClientID), "-contract", file)...)
			if err != nil || strings.Contains(again, "✗") {
				t.Fatalf("with the written contract: err %v\n%s", err, again)
			}
			ref := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes)))
			t.Cleanup(ref.Close)
			if got, want := readAll(t, up.URL+tc.urlPath, written), readAll(t, ref.URL, contract.WithEndpoints()); !reflect.DeepEqual(got, want) {
				t.Fatal("the written contract reads different data")
			}
		})
	}
}
