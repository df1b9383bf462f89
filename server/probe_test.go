package server_test

import (
	"net/http/httptest"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/server"
)

// The readiness probe asks an endpoint Aspire documents: against the
// two-endpoint API (the built-in contract's shape) it makes exactly one call,
// to /v1/posts, never /v1/projects.
func TestUpstreamProbeAsksADocumentedEndpoint(t *testing.T) {
	sim := aspiretest.New(aspiretest.WithWire(aspiretest.Profiles["two-endpoints"]()))
	up := httptest.NewServer(sim)
	defer up.Close()
	if err := server.UpstreamProbe(up.URL)(t.Context()); err != nil {
		t.Fatalf("probe: %v", err)
	}
	reqs := sim.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/v1/posts" {
		t.Fatalf("probe's upstream calls: %+v, want one to /v1/posts", reqs)
	}
}
