package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

func TestServesPageableWorkspace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-posts", "700", "-members", "30"}, pw, io.Discard)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	base := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	if base == "" {
		t.Fatalf("no address in %q", line)
	}
	total, seen := -1, 0
	for offset := 0; total < 0 || seen < total; offset += 500 {
		req, _ := http.NewRequest("GET", base+"/v1/posts?limit=500&start_date=2025-01-01&end_date=2026-12-31&client_id="+aspiretest.DemoClientID+"&offset="+itoa(offset), nil)
		req.Header.Set("Authorization", "Bearer "+aspiretest.DemoKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Data       []json.RawMessage
			Pagination struct{ Total int }
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || len(page.Data) == 0 {
			t.Fatalf("status %d, %d rows, err %v", resp.StatusCode, len(page.Data), err)
		}
		total, seen = page.Pagination.Total, seen+len(page.Data)
	}
	if total != 700 || seen != 700 {
		t.Fatalf("paged %d of %d posts, want 700", seen, total)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no shutdown after cancel")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestServesAWireVariant(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-posts", "50", "-members", "10", "-wire", "array-camel-xapikey"}, pw, io.Discard)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	base := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	get := func(header string) (int, []map[string]any) {
		req, _ := http.NewRequest("GET", base+"/v1/posts?limit=5&start_date=2025-01-01&end_date=2026-12-31&client_id="+aspiretest.DemoClientID, nil)
		req.Header.Set(header, aspiretest.DemoKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rows []map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&rows)
		return resp.StatusCode, rows
	}
	if status, _ := get("Authorization"); status != 401 {
		t.Fatalf("the key in Authorization: %d, want 401", status)
	}
	status, rows := get("X-API-Key")
	if status != 200 || len(rows) != 5 || rows[0]["postedAt"] == nil || rows[0]["posted_at"] != nil {
		t.Fatalf("status %d, rows %v", status, rows)
	}
	if err := run(ctx, []string{"-wire", "nope"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "array-camel-xapikey") {
		t.Fatalf("unknown variant: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestTryCurlWorksForEveryWire: the banner's curl line, sent as it is, lists
// two posts from the simulator speaking each variant (the key and the
// client id where the variant puts them).
func TestTryCurlWorksForEveryWire(t *testing.T) {
	headers := regexp.MustCompile(`-H '([^:]+): ([^']*)'`)
	target := regexp.MustCompile(`'(http://[^']+)'$`)
	for _, name := range aspiretest.ProfileNames() {
		w := aspiretest.Profiles[name]()
		ts := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes), aspiretest.WithWire(w)))
		line := tryCurl(w.Contract, strings.TrimPrefix(ts.URL, "http://"))
		m := target.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("%s: no URL in %q", name, line)
		}
		req, _ := http.NewRequest("GET", m[1], nil)
		for _, h := range headers.FindAllStringSubmatch(line, -1) {
			req.Header.Set(h[1], h[2])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ts.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %q: HTTP %d %s", name, line, resp.StatusCode, b)
		}
		if rows, _, err := aspire.DecodeListWith(w.Contract, "/v1/posts", b); err != nil || len(rows) != 2 {
			t.Errorf("%s: %q: %d posts (%v), want 2", name, line, len(rows), err)
		}
	}
}

// TestHelpExitsZero: -h prints the usage and succeeds; a bad flag fails.
func TestHelpExitsZero(t *testing.T) {
	var usage strings.Builder
	if code := exitCode(run(context.Background(), []string{"-h"}, io.Discard, &usage), io.Discard); code != 0 || !strings.Contains(usage.String(), "-latency") {
		t.Fatalf("-h: exit %d, usage %q", code, usage.String())
	}
	if code := exitCode(run(context.Background(), []string{"-nope"}, io.Discard, io.Discard), io.Discard); code != 1 {
		t.Fatalf("-nope: exit %d, want 1", code)
	}
}
