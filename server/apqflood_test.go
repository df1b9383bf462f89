package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/internal/teststack"
)

// TestAPQFloodBoundedInBytes is the attack of issue #23 point 4: distinct
// persisted-query registrations of ~900 KB each (a comment pads them) with a
// made-up key, which `{ __typename }` never sends upstream. 150 by default
// (135 MB: past the server's memory limit under a count bound of 1,000);
// ASPIRE_APQ_FLOOD=1100 is the figure. It reports the live heap
// after and asserts it stays under the server's own memory limit, and that a
// real tenant's registration still works by hash afterwards.
func TestAPQFloodBoundedInBytes(t *testing.T) {
	n := 150
	if s := os.Getenv("ASPIRE_APQ_FLOOD"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	s := newStack(t, []string{"-response-cache-ttl", "0", "-unverified-rate", "0"}, aspiretest.WithSizes(aspiretest.SmallSizes))
	made := map[string]string{"Authorization": "Bearer made-up-key", "X-Aspire-Client-Id": aspiretest.DemoClientID, "Content-Type": "application/json"}
	register := func(h map[string]string, doc string) reply {
		sum := sha256.Sum256([]byte(doc))
		b, _ := json.Marshal(map[string]any{"query": doc, "extensions": map[string]any{
			"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}})
		return s.send(t, http.MethodPost, "/graphql", bytes.NewReader(b), h)
	}
	byHash := func(h map[string]string, doc string) reply {
		sum := sha256.Sum256([]byte(doc))
		return s.send(t, http.MethodPost, "/graphql", strings.NewReader(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"`+
			hex.EncodeToString(sum[:])+`"}}}`), h)
	}
	pad := strings.Repeat("x", 900_000)
	serverMemoryLimit := teststack.ServerMemoryLimit(t)
	before := teststack.LiveHeap()
	for i := range n {
		if r := register(made, fmt.Sprintf("{ __typename } # %d %s", i, pad)); r.status != 200 || len(r.Errors) > 0 {
			t.Fatalf("registration %d: %d %.300s", i, r.status, r.body)
		}
	}
	after := teststack.LiveHeap()
	t.Logf("%d registrations of ~900 KB with a made-up key: live heap %.1f → %.1f MB (server memory limit %d MiB)",
		n, float64(before)/1e6, float64(after)/1e6, serverMemoryLimit>>20)
	if after > serverMemoryLimit {
		t.Fatalf("live heap %d B after the flood, over the server's memory limit %d B", after, serverMemoryLimit)
	}
	// A made-up key's small registration still works; the demo key's too.
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range demoHeaders {
		h[k] = v
	}
	const doc = `{ projects { totalCount } }`
	if r := s.query(t, doc, nil); len(r.Errors) > 0 { // the demo key accepted
		t.Fatal(string(r.body))
	}
	if r := register(h, doc); len(r.Errors) > 0 {
		t.Fatal(string(r.body))
	}
	if r := byHash(h, doc); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "totalCount") {
		t.Fatalf("by hash after the flood: %s", r.body)
	}
	if r := register(made, `{ __typename }`); len(r.Errors) > 0 {
		t.Fatal(string(r.body))
	}
	if r := byHash(made, `{ __typename }`); len(r.Errors) > 0 {
		t.Fatalf("a made-up key's small document by hash: %s", r.body)
	}
}
