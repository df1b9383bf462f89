package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/doctor"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// TestDoctorLearnsEveryProfileFromNothing meets each wire variant as a
// stranger does: the doctor with no contract file and --write-contract,
// then the real server started on the written file over the same simulator.
// The README's queries answer as with the variant's own contract, with the
// same upstream calls; the doctor's requests are counted in the simulator's
// log, and the key is in none of its output.
func TestDoctorLearnsEveryProfileFromNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		profile  string
		requests int      // the doctor's, in the simulator's log
		finds    []string // lines of the first report
		lacks    []string // not in the "optional fields not sent" line
	}{
		// The built-in contract's 11 checks, 3 to confirm the date
		// parameters (posts without a range, over a range in the past) and
		// the limit (one row over the last year), 1 to confirm that two
		// member ids in a comma list both come back.
		{profile: "builtin", requests: 15},
		// Two more: the key refused as a bearer, then in Authorization
		// with no scheme, before X-API-Key.
		{profile: "array-camel-xapikey", requests: 17, finds: []string{
			"✗ where the key goes: the key is accepted only in the X-API-Key header",
		}},
		// The key in four places; /projects under six prefixes with the
		// client id in the query, then as /{client_id} under six and
		// /clients/{client_id} under four; the dates as start_date, then
		// startDate in two formats.
		// (One more: /v1/projects answering 404, /v1/posts is asked
		// whether only that endpoint is absent.)
		{profile: "envelope-token-path", requests: 36, finds: []string{
			"✗ where the key goes: the key is accepted only in the token query parameter",
			"✗ where the endpoints are: the endpoints are under /api/v2; the client id goes in the path: /api/v2/clients/{client_id}/projects, not /v1/projects?client_id={client_id} as the contract says",
			"✗ query parameters: the dates are startDate and endDate (not start_date and end_date); the other parameters are taken to be camelCase like them",
			"dates are written MM/DD/YYYY (not YYYY-MM-DD)",
		}},
		// /v1/projects?client_id= is refused for want of the client id
		// (400 naming it): at /v1, the other three query names, the four
		// path forms (404), then the X-Client-Id header; the rest is the
		// built-in contract's 15.
		{profile: "header-client-id", requests: 23, finds: []string{
			"✓ where the key goes: Authorization: Bearer <key>",
			"✗ where the endpoints are: the client id goes in the X-Client-Id header: /v1/projects with X-Client-Id: {client_id}, not /v1/projects?client_id={client_id} as the contract says",
		}},
		// Fields renamed beyond case and separators (display_name,
		// permalink, published_time, total_media_value) are found by the
		// usual synonyms: nothing is left to write by hand.
		// The API as Aspire's FAQ documents it: /v1/projects answers 404
		// where /v1/posts answers, so projects and groups are absent (one
		// call each to tell), not elsewhere; embedded projects and groups
		// are learnt; a quiet month is ✓ (two calls widen the range).
		{profile: "two-endpoints", requests: 15, finds: []string{
			"✓ endpoints: /v1/projects and /v1/groups absent (HTTP 404 where /v1/posts answers)",
			"; a quiet workspace: the latest posts are in the last 90 days (",
			"/v1/posts data[].project_ids (sent as projects)",
		}, lacks: []string{
			// The names arrive in the embedded objects: sent.
			"project_names", "group_names",
		}},
		{profile: "raw-renamed-upper", requests: 16, finds: []string{
			"✗ where the key goes: the key is accepted only in Authorization: <key> (no scheme)",
			"/v1/members/{id} display_name (unknown)",
		}},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			t.Parallel()
			w := aspiretest.Profiles[tc.profile]()
			sim := aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes), aspiretest.WithWire(w))
			up := httptest.NewServer(sim)
			t.Cleanup(up.Close)
			file := filepath.Join(t.TempDir(), "written.json")
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"aspire-graphql", "doctor", "--write-contract", file},
				with(up.URL, aspiretest.DemoKey, aspiretest.DemoClientID)...), func(string) string { return "" }, &out, &errOut)
			t.Logf("%s\n%s", out.String(), errOut.String())
			if tc.profile == "builtin" && err != nil || tc.profile != "builtin" && !errors.Is(err, errChecksFailed) {
				t.Fatalf("err %v", err)
			}
			for _, f := range tc.finds {
				if !found(out.String(), f) {
					t.Errorf("no finding %q", f)
				}
			}
			for _, line := range strings.Split(out.String(), "\n") {
				for _, f := range tc.lacks {
					if strings.Contains(line, "optional fields not sent") && strings.Contains(line, f) {
						t.Errorf("%s listed as not sent: %s", f, line)
					}
				}
			}
			if strings.Contains(out.String()+errOut.String(), aspiretest.DemoKey) {
				t.Fatal("the doctor printed the key")
			}
			n := sim.Count("")
			if n != tc.requests || n > doctor.MaxRequests {
				t.Errorf("the doctor made %d requests, want %d (at most %d)", n, tc.requests, doctor.MaxRequests)
			}
			if said := fmt.Sprintf("  %d requests to the API (at most %d)\n", n, doctor.MaxRequests); !strings.Contains(out.String(), said) {
				t.Errorf("the report does not say %q", said)
			}
			if b, _ := os.ReadFile(file); bytes.Contains(b, []byte(aspiretest.DemoKey)) {
				t.Fatal("the written contract holds the key")
			}
			written, err := contract.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			// The written file equals the variant's contract but for one
			// thing no answer shows: envelope-token-path batches ids as
			// repeated parameters, and the simulator (like many APIs) takes
			// a comma list as well, so the doctor keeps the built-in comma;
			// the calls are the same, which the counts below hold.
			want := w.Contract.Clone()
			want.IDs = written.IDs
			if want, err = contract.Parse(want.Marshal()); err != nil { // read as a file is, like written
				t.Fatal(err)
			}
			if !bytes.Equal(written.Marshal(), want.Marshal()) {
				t.Errorf("the written contract differs from the variant's beyond ids.batch:\n%s\nwant\n%s", written.Marshal(), w.Contract.Marshal())
			}
			sim.Reset()
			// The server started on the written file answers as on the
			// variant's own contract.
			srv := start(t, append([]string{"-contract", file, "-rate-limit", "0"}, with(up.URL, aspiretest.DemoKey, aspiretest.DemoClientID)...), nil)
			for i, q := range aspiretest.READMEQueries {
				_, g := post(t, srv.base, q.Query, q.Vars, nil)
				want := readmeAnswer(t, w, w.Contract, i)
				if len(g.Errors) > 0 || !sameJSON(g.Data, want.data) {
					t.Errorf("%s through the server on the written contract: %s %+v\nwant %s", q.Name, g.Data, g.Errors, want.data)
				}
				// The upstream calls, through the handler with a loader wait
				// long enough that batches do not split under load.
				if got := readmeAnswer(t, w, written, i); got.calls != want.calls || !sameJSON(got.data, want.data) {
					t.Errorf("%s on the written contract: %d upstream calls, want %d", q.Name, got.calls, want.calls)
				}
			}
		})
	}
}

type readmeResult struct {
	data  json.RawMessage
	calls int
}

// readmeAnswer runs README query i through the GraphQL handler over a fresh
// simulator speaking w, the client speaking c.
func readmeAnswer(t *testing.T, w aspiretest.Wire, c *contract.Contract, i int) readmeResult {
	t.Helper()
	sim := aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes), aspiretest.WithRateLimit(0, 0), aspiretest.WithWire(w))
	up := httptest.NewServer(sim)
	defer up.Close()
	cl, err := aspire.New(up.URL, aspire.WithRateLimit(0, 0), aspire.WithContract(c))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	tn := cl.As(aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID})
	h := graph.NewHandler(graph.HandlerConfig{})
	gql := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(rw, r.WithContext(loaders.With(r.Context(), tn, loaders.WithWait(100*time.Millisecond))))
	}))
	defer gql.Close()
	q := aspiretest.READMEQueries[i]
	_, g := post(t, gql.URL, q.Query, q.Vars, nil)
	if len(g.Errors) > 0 {
		t.Fatalf("%s: %+v", q.Name, g.Errors)
	}
	return readmeResult{g.Data, sim.Count("")}
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

var driftFinding = regexp.MustCompile(`^(/\S+) (\S+) \((.+)\)$`)

// found reports whether the doctor's output holds f: a check's words, or a
// shape difference written "ENDPOINT FIELD (KIND)", which the output holds
// once, as a row of its table (issue 26: it was listed twice, in the
// check's line too).
func found(out, f string) bool {
	m := driftFinding.FindStringSubmatch(f)
	if m == nil {
		return strings.Contains(out, f)
	}
	row := fmt.Sprintf("  %-15s %-30s %s\n", m[1], m[2], m[3])
	return strings.Count(out, row) == 1 && !strings.Contains(out, m[1]+" "+m[2]+" ("+m[3]+")")
}
