package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
)

// TestDoctorWritesTheContract runs the doctor against wire variants: without
// a contract it fails with what it found; --write-contract writes a file
// with which the next doctor passes and the client reads the same data.
func TestDoctorWritesTheContract(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		profile string
		// given is what the user tells the doctor first (what answers
		// cannot show: paths, parameter names, the client id's place).
		given func(c *contract.Contract) *contract.Contract
		finds []string
		// byHand maps the fields the doctor could not (renamed beyond case
		// and separators), as the user would in the written file.
		byHand func(c *contract.Contract)
	}{
		{profile: "array-camel-xapikey", finds: []string{
			"✗ where the key goes: the key is accepted only in the X-API-Key header, not in Authorization: Bearer <key> as the contract says",
			"✓ a wrong client id is refused: no: it gets an empty list (HTTP 200), so an empty answer is no proof of a good client id",
			"/v1/posts (list) (bare array)",
			"/v1/posts data[].posted_at (sent as postedAt)",
			"/v1/members data[].metrics.engagement_rate (sent as engagementRate)",
		}},
		{profile: "envelope-token-path",
			given: func(c *contract.Contract) *contract.Contract {
				g := contract.Default()
				g.Paths, g.ClientID, g.Params, g.DateFormat = c.Paths, c.ClientID, c.Params, c.DateFormat
				return g
			},
			finds: []string{
				"✗ where the key goes: the key is accepted only in the token query parameter",
				"/v1/posts results (unknown)", "/v1/posts data (missing)", "/v1/posts pagination.total (missing)",
				"/v1/posts/{id} result (unknown)",
			}},
		{profile: "raw-renamed-upper",
			finds: []string{
				"✗ where the key goes: the key is accepted only in Authorization: <key> (no scheme)",
				"/v1/posts items (unknown)",
				// Renamed beyond case and separators, and found by the
				// usual synonyms: nothing is left to map by hand.
				"/v1/members/{id} display_name (unknown)", "/v1/posts/{id} published_time (unknown)",
			}},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			t.Parallel()
			w := aspiretest.Profiles[tc.profile]()
			up := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes), aspiretest.WithWire(w)))
			t.Cleanup(up.Close)
			dir := t.TempDir()
			args := with(up.URL, aspiretest.DemoKey, aspiretest.DemoClientID)
			if tc.given != nil {
				given := filepath.Join(dir, "given.json")
				if err := os.WriteFile(given, tc.given(w.Contract).Marshal(), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-contract", given)
			}
			file := filepath.Join(dir, "written.json")
			out, err := runDoctor(t, append(args, "--write-contract", file)...)
			if !errors.Is(err, errChecksFailed) {
				t.Fatalf("without the right contract: err %v\n%s", err, out)
			}
			for _, f := range tc.finds {
				if !found(out, f) {
					t.Errorf("no finding %q in:\n%s", f, out)
				}
			}
			if strings.Contains(out, aspiretest.DemoKey) {
				t.Fatal("the doctor printed the key")
			}
			written, err := contract.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if tc.byHand != nil {
				tc.byHand(written)
				if err := os.WriteFile(file, written.Marshal(), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			out, err = runDoctor(t, append(with(up.URL, aspiretest.DemoKey, aspiretest.DemoClientID), "-contract", file)...)
			if err != nil || strings.Contains(out, "✗") {
				t.Fatalf("with the written contract: err %v\n%s", err, out)
			}
			// The client speaking the written contract reads what the
			// simulator's default contract (contract.WithEndpoints: the
			// built-in one has no /v1/projects) reads from the default
			// simulator.
			ref := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes)))
			t.Cleanup(ref.Close)
			got, want := readAll(t, up.URL, written), readAll(t, ref.URL, contract.WithEndpoints())
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("the written contract reads different data")
			}
		})
	}
}

func with(base, key, client string) []string {
	return []string{"-upstream-url", base, "-api-key", key, "-client-id", client}
}

type snapshot struct {
	Posts    []aspire.Post
	Members  map[string]aspire.Member
	Projects []aspire.Project
	Groups   []aspire.Group
}

func readAll(t *testing.T, base string, c *contract.Contract) snapshot {
	t.Helper()
	opts := []aspire.Option{aspire.WithRateLimit(0, 0)}
	if c != nil {
		opts = append(opts, aspire.WithContract(c))
	}
	cl, err := aspire.New(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	tn := cl.As(aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID})
	ctx := context.Background()
	var s snapshot
	r := aspire.Range{Start: aspire.NewDate(2026, 10, 1), End: aspire.NewDate(2026, 10, 31)}
	p, err := tn.Posts(ctx, aspire.PostQuery{Filter: aspire.Filter{Range: r, Networks: []aspire.Network{aspire.Instagram}}, Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	s.Posts = p.Items
	var ids []string
	for _, p := range p.Items {
		ids = append(ids, p.MemberID)
	}
	if s.Members, err = tn.MembersByID(ctx, ids, aspire.MemberQuery{Filter: aspire.Filter{Range: r}}); err != nil {
		t.Fatal(err)
	}
	if s.Projects, err = tn.AllProjects(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Groups, err = tn.AllGroups(ctx); err != nil {
		t.Fatal(err)
	}
	if len(s.Posts) == 0 || len(s.Members) == 0 || len(s.Projects) == 0 {
		t.Fatalf("nothing read: %+v", s)
	}
	return s
}

func TestContractCommandAndRefusal(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"aspire-graphql", "contract"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	c, err := contract.Parse(out.Bytes())
	if err != nil || !c.IsDefault() {
		t.Fatalf("`contract` printed what does not read back as the built-in contract: %v\n%s", err, out.String())
	}
	// A bad file stops the server before it listens, with the line.
	file := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(file, []byte("{\n  \"paths\": {\"posts\": \"v1/posts\"}\n}"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "ASPIRE_GRAPHQL_CONTRACT" {
			return file
		}
		return ""
	}
	err = run(context.Background(), []string{"aspire-graphql", "-addr", "127.0.0.1:0"}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), file+":2: paths.posts: path \"v1/posts\" must start with a slash") {
		t.Fatalf("start-up with a bad contract: %v", err)
	}
}
