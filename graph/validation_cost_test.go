package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/graph"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestQuadraticValidationRefusedFirst (issue #23): documents that make
// gqlparser's OverlappingFieldsCanBeMerged quadratic are refused by the
// linear pass before validation. 14,000 repeated __typename took 2.2 s of
// CPU and 788 MB of allocation before (refused by max-fields only after
// validation); 2,000 (within max-fields) 49 ms and 16.6 MB. Measured in
// allocated bytes (testing.Benchmark) and in process CPU time, not
// wall-clock; under -race the CPU bound is 5 times looser.
func TestQuadraticValidationRefusedFirst(t *testing.T) {
	h := graph.NewHandler(graph.HandlerConfig{Limits: graph.DefaultLimits})
	for _, tc := range []struct {
		name, query, limit string
	}{
		{"14,000 __typename", "{" + strings.Repeat(" __typename", 14000) + " }", "max-fields"},
		{"1,990 __typename", "{ projects { nodes {" + strings.Repeat(" __typename", 1990) + " } } }", "max-repeated-fields"},
		{"through fragments", "{ projects { ...A ...B } } fragment A on ProjectConnection {" + strings.Repeat(" __typename", 60) + " } fragment B on ProjectConnection { ... on ProjectConnection {" + strings.Repeat(" __typename", 60) + " } }", "max-repeated-fields"},
		{"an unused fragment", "{ __typename } fragment A on Query {" + strings.Repeat(" __typename", 3000) + " }", "max-fields"},
		{"a second operation", "query A { __typename } query B {" + strings.Repeat(" __typename", 3000) + " }", "max-fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": tc.query, "operationName": "A"})
			run := func() []byte {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				h.ServeHTTP(rec, req)
				return rec.Body.Bytes()
			}
			if b := run(); !bytes.Contains(b, []byte(`"limit":"`+tc.limit+`"`)) {
				t.Fatalf("not refused by %s: %.300s", tc.limit, b)
			}
			const n = 5
			start := cpuTime(t)
			for range n {
				run()
			}
			perOp := (cpuTime(t) - start) / n
			res := testing.Benchmark(func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					run()
				}
			})
			t.Logf("%s: %v CPU, %d B, %d allocs per request", tc.name, perOp, res.AllocedBytesPerOp(), res.AllocsPerOp())
			if perOp > raceSlowdown*50*time.Millisecond {
				t.Errorf("%v of CPU per refusal, over 50 ms (×%d under -race)", perOp, raceSlowdown)
			}
			if b := res.AllocedBytesPerOp(); b > 10<<20 {
				t.Errorf("%d bytes allocated per refusal, over 10 MB", b)
			}
		})
	}
}

func BenchmarkRepeatedTypename(b *testing.B) {
	for _, n := range []int{2000, 14000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			h := graph.NewHandler(graph.HandlerConfig{Limits: graph.DefaultLimits})
			body, _ := json.Marshal(map[string]any{"query": "{" + strings.Repeat(" __typename", n) + " }"})
			b.ReportAllocs()
			for range b.N {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				h.ServeHTTP(rec, req)
			}
		})
	}
}
