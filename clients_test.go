package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStandardClients runs clients nobody here wrote against the demo
// server, from the npm packages pinned in clients/package-lock.json
// (scripts/test.sh runs `npm ci` there): graphql-js's standard
// introspection query and buildClientSchema, the graphql-http
// GraphQL-over-HTTP audit (no warning, no error), and graphql-codegen and
// relay-compiler over the recipes of docs/clients.md. CI sets
// ASPIRE_GRAPHQL_REQUIRE_NPM=1 so that missing packages fail there.
func TestStandardClients(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("clients", "node_modules", "graphql-http"))
	}
	if err != nil {
		if os.Getenv("ASPIRE_GRAPHQL_REQUIRE_NPM") == "1" {
			t.Fatalf("the npm checks cannot run (cd clients && npm ci): %v", err)
		}
		t.Skip("clients/node_modules is not installed (cd clients && npm ci)")
	}
	r := start(t, nil, nil)
	for _, script := range []string{"introspection.mjs", "audit.mjs", "recipes.mjs"} {
		t.Run(script, func(t *testing.T) {
			out, err := exec.Command(node, filepath.Join("clients", script), r.base).CombinedOutput()
			t.Logf("%s", out)
			if err != nil {
				t.Fatalf("%s: %v", script, err)
			}
		})
	}
}
