package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestDuckDBOverThePerformanceExport runs docs/bi.md's DuckDB query (the
// npm package @duckdb/node-api, pinned in clients/package-lock.json) over
// /export/performance.csv and .ndjson of the demo server: the same rows from
// both, bucket_start a TIMESTAMP WITH TIME ZONE, every project 14 ISO weeks,
// its shares adding up to 1. Gated like TestStandardClients.
func TestDuckDBOverThePerformanceExport(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("clients", "node_modules", "@duckdb", "node-api"))
	}
	if err != nil {
		if os.Getenv("ASPIRE_GRAPHQL_REQUIRE_NPM") == "1" {
			t.Fatalf("the DuckDB check cannot run (cd clients && npm ci): %v", err)
		}
		t.Skip("clients/node_modules is not installed (cd clients && npm ci)")
	}
	r := start(t, nil, nil)
	out, err := exec.Command(node, filepath.Join("clients", "duckdb.mjs"), r.base).Output()
	if err != nil {
		t.Fatalf("duckdb.mjs: %v %s", err, out)
	}
	var got struct {
		CSV []struct {
			ProjectID   string `json:"project_id"`
			BucketStart string `json:"bucket_start"`
			PostCount   string `json:"post_count"`
			Share       *float64
			BucketType  string `json:"bucket_type"`
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	weeks, shares := map[string]int{}, map[string]float64{}
	for _, row := range got.CSV {
		if row.BucketType != "TIMESTAMP WITH TIME ZONE" {
			t.Fatalf("bucket_start is %s, want TIMESTAMP WITH TIME ZONE", row.BucketType)
		}
		if _, err := strconv.Atoi(row.ProjectID); err != nil {
			t.Fatalf("project_id %q: not an id kept as text", row.ProjectID)
		}
		weeks[row.ProjectID]++
		if row.Share != nil {
			shares[row.ProjectID] += *row.Share
		}
	}
	if len(weeks) < 3 {
		t.Fatalf("%d projects: %s", len(weeks), out)
	}
	for p, n := range weeks {
		if n != 14 {
			t.Errorf("project %s: %d weeks, want 14", p, n)
		}
		if math.Abs(shares[p]-1) > 0.001*14 {
			t.Errorf("project %s: shares add up to %v, want 1", p, shares[p])
		}
	}
	t.Logf("%d projects × 14 weeks, the same rows from CSV and NDJSON", len(weeks))
}
