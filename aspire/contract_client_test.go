package aspire_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
)

// Id batching as the contract says: a comma list, the parameter repeated, or
// one by-id call per id; the rows are the same.
func TestIDBatching(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var want map[string]aspire.Member
	ids := []string{}
	for _, batch := range []string{contract.BatchComma, contract.BatchRepeat, contract.BatchSingle} {
		c := contract.Default()
		c.IDs.Batch = batch
		c.Params["member_id"] = "memberId" // so that the built-in fast path is not taken
		sim, cl := setup(t, []aspiretest.Option{aspiretest.WithWire(aspiretest.Wire{Contract: c})}, aspire.WithContract(c))
		tn := cl.As(demo)
		if len(ids) == 0 {
			all, err := tn.AllMembers(ctx, aspire.MemberQuery{Filter: aspire.Filter{Range: q1}})
			if err != nil || len(all) < 3 {
				t.Fatal(err, len(all))
			}
			for _, m := range all[:3] {
				ids = append(ids, m.ID)
			}
			sim.Reset()
		}
		got, err := tn.MembersByID(ctx, append(slices.Clone(ids), "99999999"), aspire.MemberQuery{Filter: aspire.Filter{Range: q1}})
		if err != nil || len(got) != 3 {
			t.Fatalf("%s: %d members, %v", batch, len(got), err)
		}
		if want == nil {
			want = got
		}
		for id, m := range want {
			if got[id].Name != m.Name || got[id].PostCount != m.PostCount || !reflect.DeepEqual(got[id].Metrics, m.Metrics) {
				t.Fatalf("%s: member %s differs", batch, id)
			}
		}
		reqs := sim.Requests()
		switch batch {
		case contract.BatchSingle:
			if len(reqs) != 4 || reqs[0].Endpoint != "/v1/members/{id}" {
				t.Fatalf("single: %d requests (%v), want one by-id call per id", len(reqs), reqs)
			}
		default:
			if len(reqs) != 1 || len(reqs[0].IDs("member_id")) != 4 {
				t.Fatalf("%s: %d requests, want one with 4 ids", batch, len(reqs))
			}
		}
	}
}

// The repeated form is what goes on the wire.
func TestRepeatedIDsOnTheWire(t *testing.T) {
	t.Parallel()
	c := contract.WithEndpoints() // project ids go to /v1/projects
	c.IDs.Batch = contract.BatchRepeat
	var seen url.Values
	_, cl := setup(t, []aspiretest.Option{aspiretest.WithWire(aspiretest.Wire{Contract: c})}, aspire.WithContract(c),
		aspire.WithTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
			seen = r.URL.Query()
			return http.DefaultTransport.RoundTrip(r)
		})))
	if _, err := cl.As(demo).ProjectsByID(context.Background(), []string{"b", "a"}); err != nil {
		t.Fatal(err)
	}
	if got := seen["project_id"]; !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("project_id %v, want the parameter repeated", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A key sent as a query parameter never shows in an error, escaped or not.
func TestKeyInQueryNeverInErrors(t *testing.T) {
	t.Parallel()
	c := contract.Default()
	c.Auth = contract.Auth{In: contract.AuthQuery, Name: "token"}
	const key = "sk_live/with+odd=chars&more"
	cl, err := aspire.New("http://upstream.invalid", aspire.WithContract(c), aspire.WithRetry(1, 0, 0), aspire.WithRateLimit(0, 0),
		aspire.WithTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.URL.Query().Get("token") != key {
				t.Errorf("the key did not travel as ?token=: %s", r.URL.RawQuery)
			}
			return nil, errors.New("connection reset")
		})))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	_, err = cl.As(aspire.Creds{APIKey: key, ClientID: "c"}).Projects(context.Background(), aspire.ListQuery{})
	var e *aspire.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v", err)
	}
	for _, s := range []string{e.Error(), e.Detail, e.Message} {
		if strings.Contains(s, key) || strings.Contains(s, url.QueryEscape(key)) {
			t.Fatalf("the key in %q", s)
		}
	}
}
