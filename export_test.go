package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/export"
)

func TestExportCommand(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "q1.csv")
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"aspire-graphql", "export", "posts", "--start", "2026-01-01", "--end", "2026-03-31",
		"--network", "tiktok", "--format", "csv", "--out", out}, func(string) string { return "" }, io.Discard, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	f, _ := os.Open(out)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The demo's simulator is seeded: the same data, served here, is the reference.
	up := httptest.NewServer(aspiretest.New())
	defer up.Close()
	c, _ := aspire.New(up.URL, aspire.WithRateLimit(0, 0))
	defer c.Close()
	want, err := c.As(aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID}).AllPosts(context.Background(),
		aspire.PostQuery{Filter: aspire.Filter{Range: aspire.Range{Start: aspire.NewDate(2026, 1, 1), End: aspire.NewDate(2026, 3, 31)}, Networks: []aspire.Network{aspire.TikTok}}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(records[0], export.ColumnNames("posts")) || len(records)-1 != len(want) || records[1][0] != want[0].ID {
		t.Fatalf("%d rows (REST %d), first %v", len(records)-1, len(want), records[1][:3])
	}
	if !strings.Contains(stderr.String(), "posts written to "+out) || !strings.Contains(stderr.String(), "rows") {
		t.Fatalf("no progress or summary on stderr: %q", stderr.String())
	}

	// A failure exits non-zero and leaves no file.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	err = run(context.Background(), []string{"aspire-graphql", "export", "members", "--start", "2026-03-01", "--end", "2026-01-01", "--out", bad},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "before start") {
		t.Fatalf("err %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(bad)); len(entries) != 0 {
		t.Fatalf("a failed export left %v", entries)
	}
	if err := run(context.Background(), []string{"aspire-graphql", "export", "payments"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Fatal("an unknown table was accepted")
	}
}
