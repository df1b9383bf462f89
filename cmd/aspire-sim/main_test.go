package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

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
