package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The harness's own parts, briefly: the closed-loop generator counts every
// answer and error, and the report renders with its targets and charts.
func TestLoadAndReport(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req struct{ Query string }
		if json.Unmarshal(b, &req) != nil || !strings.Contains(req.Query, "posts") || r.Header.Get("Authorization") == "" {
			http.Error(w, "bad", 400)
			return
		}
		if n.Add(1)%10 == 0 {
			w.Write([]byte(`{"errors":[{"message":"x"}]}`))
			return
		}
		w.Write([]byte(`{"data":{}}`))
	}))
	defer srv.Close()
	lat, errs, elapsed := load(context.Background(), srv.URL, "Bearer k", w1First(100), "ours", 4, 50*time.Millisecond, 300*time.Millisecond)
	if len(lat) < 10 || elapsed < 300*time.Millisecond {
		t.Fatalf("%d answers in %v", len(lat), elapsed)
	}
	if errs == 0 || errs > len(lat)/5 {
		t.Fatalf("%d errors of %d answers; every tenth answer had errors", errs, len(lat))
	}
	r := result{Server: oursName, Workload: "W1", Conns: 4, Latency: "0 ms"}
	summarize(&r, lat, elapsed)
	if r.RPS <= 0 || r.P50 > r.P99 {
		t.Fatalf("%+v", r)
	}
	peer := r
	peer.Server, peer.RPS = peerName, r.RPS/2
	rep := &report{Results: []result{r, peer}, Growth: []result{r}, Cold: []coldWarm{{Server: oursName, Latency: "0 ms", Cold: 2}}}
	dir := t.TempDir()
	if err := rep.write(dir); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "latest.md"))
	for _, want := range []string{"W1 ≥ 1.2 × peer req/s (0 ms, 4 conns) | 2.00 ×", "| yes |", "W1 cold = 2 upstream requests"} {
		if !strings.Contains(string(md), want) {
			t.Fatalf("report lacks %q:\n%s", want, md)
		}
	}
	for _, f := range []string{"rps.png", "growth.png", "latest.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

// W5 must defeat every cache of whole answers: no two requests of a run
// alike, for either server's spelling of the variables.
func TestW5RequestsAreDistinct(t *testing.T) {
	for _, kind := range []string{"ours", "peer"} {
		seen := map[string]int{}
		for n := range 200_000 {
			b, _ := json.Marshal(w5Vars(kind, n))
			if m, ok := seen[string(b)]; ok {
				t.Fatalf("%s: requests %d and %d are both %s", kind, m, n, b)
			}
			seen[string(b)] = n
		}
	}
}

// The edges variants ask what W1 and W3 ask, in the other shape.
func TestEdgesWorkloads(t *testing.T) {
	for _, c := range []struct {
		w    workload
		want string
	}{
		{w1First(100), `query W1($r: DateRangeInput!) { posts(range: $r, first: 100) { edges { node { id caption postedAt metrics { impressions engagements tmv } member { id name } } } } }`},
		{w3(3), `query W3($r: DateRangeInput!) { posts(range: $r, first: 100) { edges { node { id member { id name projects { id name } groups { id name } performance(range: $r) { postCount metrics { tmv engagements } } } } } } }`},
	} {
		if got := edgesOf(c.w).query["ours"]; got != c.want {
			t.Errorf("%s edges:\n got %s\nwant %s", c.w.name, got, c.want)
		}
	}
}

// The abuse workload's attackers send the 14,000-field document, each
// request with a key and a workspace never sent before, and count the codes
// they get back.
func TestAttackSendsMadeUpKeys(t *testing.T) {
	var keys sync.Map
	var repeats atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if _, dup := keys.LoadOrStore(r.Header.Get("Authorization")+" "+r.Header.Get("X-Aspire-Client-Id"), true); dup {
			repeats.Add(1)
		}
		if strings.Count(string(b), "__typename") != 14000 {
			http.Error(w, "bad", 400)
			return
		}
		w.Write([]byte(`{"errors":[{"extensions":{"code":"OPERATION_LIMIT_EXCEEDED"}}]}`))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	codes, n := attack(ctx, srv.URL, 4)
	if n < 4 || codes["OPERATION_LIMIT_EXCEEDED"] != n || repeats.Load() != 0 {
		t.Fatalf("%d answers %v, %d repeated keys", n, codes, repeats.Load())
	}
}
