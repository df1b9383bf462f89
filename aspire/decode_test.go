package aspire_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// simPages fetches a few small real pages and records from the simulator
// speaking w: each list endpoint, and a post and a member by id.
func simPages(t testing.TB, w aspiretest.Wire) [][]byte {
	t.Helper()
	sim := aspiretest.New(aspiretest.WithSizes(small), aspiretest.WithRateLimit(0, 0), aspiretest.WithWire(w))
	ts := httptest.NewServer(sim)
	defer ts.Close()
	c := w.Contract
	get := func(path string) []byte {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		aspire.Authorize(c, req, aspiretest.DemoKey, aspiretest.DemoClientID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	params := map[string][]string{"limit": {"2"}, "start_date": {"2026-01-01"}, "end_date": {"2026-01-31"}}
	var out [][]byte
	var ids []string
	for _, p := range []string{wire.PathPosts, wire.PathMembers, wire.PathProjects, wire.PathGroups} {
		b := get(aspire.RequestURL(c, p, p, params, aspiretest.DemoClientID))
		out = append(out, b)
		rows, _, err := aspire.DecodeListWith(c, p, b)
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: %v, %d rows", p, err, len(rows))
		}
		var r struct{ ID string }
		_ = json.Unmarshal(rows[0], &r)
		ids = append(ids, r.ID)
	}
	for i, p := range []string{wire.PathPosts, wire.PathMembers} {
		out = append(out, get(aspire.RequestURL(c, p+"/{id}", p+"/"+ids[i], params, aspiretest.DemoClientID)))
	}
	return out
}

// oddBodies are hand-made bodies at encoding/json's edges: numbers, escapes,
// nulls, invalid UTF-8, times, duplicate keys, trailing bytes.
var oddBodies = []string{
	`[{"id":"1","metrics":{"impressions":9223372036854775807,"likes":-9223372036854775808,"tmv":1.7976931348623157e308,"engagement_rate":4.9406564584124654e-324}}]`,
	`[{"metrics":{"likes":9223372036854775808}}]`, `[{"metrics":{"likes":1.0}}]`, `[{"metrics":{"likes":1e2}}]`, `[{"metrics":{"tmv":1e400}}]`,
	`[{"metrics":{"tmv":-0,"engagement_rate":0.30000000000000004441,"reach":01}}]`, `[{"metrics":{"tmv":123456789012345678901234567890}}]`,
	`[{"metrics":{"likes":"1"}}]`, `[{"metrics":{"tmv":NaN}}]`, `[{"post_count":1.}]`, `[{"post_count":+1}]`, `[{"post_count":-}]`,
	`[{"id":null,"project_ids":null,"metrics":null,"posted_at":null,"by_network":null}]`, `[{"project_ids":[null,"a"]}]`,
	`[{"caption":"\/\b\f\n\r\t\"\\\u00e9\u2028\ud83d\ude00"}]`, `[{"caption":"\ud800"}]`, `[{"caption":"\ud800\u0041"}]`,
	"[{\"caption\":\"\xff\xfe\xed\xa0\x80\xc0\xaf\"}]", "[{\"caption\":\"a\x01\"}]", `[{"caption":"\x"}]`, `[{"caption":"\u00"}]`,
	`[{"ID":"1","Metrics":{"TMV":1},"mEtRiCs":{"tMv":2}}]`, `[{"id":"1","id":"2"}]`,
	`[{"by_network":{"instagram":{"tmv":1},"instagram":{"likes":2}},"by_post_type":{"":{}}}]`,
	`[{"posted_at":"2026-01-01T00:00:00Z"}]`, `[{"posted_at":"2026-01-01T00:00:00.123456789123Z"}]`, `[{"posted_at":"2026-01-01T00:00:00,5Z"}]`,
	`[{"posted_at":"2026-01-01T00:00:00.5+01:00"}]`, `[{"posted_at":"2026-01-01T00:00:00-00:00"}]`, `[{"posted_at":"2026-01-01T00:00:00+24:00"}]`,
	`[{"posted_at":"2026-01-01T1:00:00Z"}]`, `[{"posted_at":"2026-01/01T00:00:00Z"}]`, `[{"posted_at":"2026-02-30T00:00:00Z"}]`, `[{"posted_at":"2026-01-01T00:00:60Z"}]`,
	`[{"posted_at":"2026-01-01t00:00:00z"}]`, `[{"posted_at":"2026-01-01T00:00:00\u005a"}]`, `[{"posted_at":"2026-01-01T00:00:00Z\""}]`, `[{"posted_at":1}]`,
	`[{"created_at":"0000-01-01T00:00:00Z","member_count":-0}]`, `[{"is_estimated":"true"}]`, `[{"handles":{"instagram":null}}]`, `[{"handles":[]}]`,
	`[{"id":1}]`, `[{"id":"1"}] x`, "\ufeff[]", ` [ ] `, `[{"id":"k"},null]`, `null`, `{}`, `[1]`, `[{"project_ids":"a"}]`, `[{"metrics":{"tmv":1}}, ]`,
	`[{"projects":[{"id":"1","name":"a"},{"id":2},{},null,true,[1]],"group_id":3,"groups":"4","metrics":{"likes":"1e3","tmv":"x","saves":true}}]`,
	`{"data":{"id":"1","posted_at":"2026-01-01T00:00:00Z","unknown":{"a":[1,2,{"b":"\ud83d"}]}}}`,
}

// decodeBoth decodes body into a T with encoding/json and with the client's
// decoder (directly, and through the client's list and by-id paths under
// each contract) and fails unless both give the same value, or the same
// error.
func decodeBoth[T any](t *testing.T, formats []*aspire.WireFormat, endpoint string, body []byte) {
	t.Helper()
	check := func(how string, a, b any, ea, eb error) {
		t.Helper()
		if fmt.Sprint(ea) != fmt.Sprint(eb) {
			t.Fatalf("%T %s %q: encoding/json: %v; ours: %v", a, how, body, ea, eb)
		}
		if ea == nil && !reflect.DeepEqual(a, b) {
			t.Fatalf("%T %s %q:\nencoding/json: %+v\nours:          %+v", a, how, body, a, b)
		}
	}
	var a, b []T
	check("direct", a, b, json.Unmarshal(body, &a), aspire.DecodeRecords(body, &b))
	var ra, rb T
	check("direct", ra, rb, json.Unmarshal(body, &ra), aspire.DecodeRecords(body, &rb))
	for _, c := range formats {
		la, ta, ea := aspire.DecodeRows[T](c, endpoint, body, json.Unmarshal)
		lb, tb, eb := aspire.DecodeRows[T](c, endpoint, body, aspire.DecodeRecords)
		check("list", la, lb, ea, eb)
		if !reflect.DeepEqual(ta, tb) {
			t.Fatalf("totals %v %v", ta, tb)
		}
		oa, ea := aspire.DecodeRecord[T](c, endpoint, body, json.Unmarshal)
		ob, eb := aspire.DecodeRecord[T](c, endpoint, body, aspire.DecodeRecords)
		check("record", oa, ob, ea, eb)
	}
}

// FuzzDecodeMatchesEncodingJSON: the client's decoder of record pages gives
// what encoding/json gives, value for value and error for error, on any body,
// as is and as rewritten by the built-in contract and by one with renamed
// fields, respelled enums and bare records. Seeds: real simulator pages under
// both, and oddBodies.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	renamed := aspiretest.Profiles["raw-renamed-upper"]()
	for _, w := range []aspiretest.Wire{aspiretest.Profiles["builtin"](), renamed} {
		for _, b := range simPages(f, w) {
			f.Add(string(b))
		}
	}
	for _, b := range oddBodies {
		f.Add(b)
	}
	formats := []*aspire.WireFormat{aspire.Compile(contract.Default()), aspire.Compile(renamed.Contract)}
	f.Fuzz(func(t *testing.T, body string) {
		b := []byte(body)
		decodeBoth[aspire.Post](t, formats, wire.PathPosts, b)
		decodeBoth[aspire.Member](t, formats, wire.PathMembers, b)
		decodeBoth[aspire.Project](t, formats, wire.PathProjects, b)
		decodeBoth[aspire.Group](t, formats, wire.PathGroups, b)
	})
}

// TestDecodedRecordsOwnTheirBytes: the records hold no byte of the buffer
// they were decoded from (the client's is pooled and reused at once).
func TestDecodedRecordsOwnTheirBytes(t *testing.T) {
	body := simPages(t, aspiretest.Profiles["builtin"]())[1] // members: strings, slices, maps
	var want, got []aspire.Member
	if err := json.Unmarshal(body, &struct{ Data *[]aspire.Member }{&want}); err != nil {
		t.Fatal(err)
	}
	rows, _, err := aspire.DecodeListWith(contract.Default(), wire.PathMembers, body)
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte("[" + string(rows[0]))
	for _, r := range rows[1:] {
		buf = append(append(buf, ','), r...)
	}
	buf = append(buf, ']')
	if err := aspire.DecodeRecords(buf, &got); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if !reflect.DeepEqual(got, want) || len(got) == 0 {
		t.Fatalf("after overwriting the input:\n%+v\nwant %+v", got, want)
	}
}

// TestDecodeRecordsRefusesAsEncodingJSON: times are read as encoding/json
// reads them (a comma before the fraction is taken, a slash in the date is
// not: segmentio/encoding, tried first, had both the other way round), and
// a refusal carries encoding/json's own message and leaves its value.
func TestDecodeRecordsRefusesAsEncodingJSON(t *testing.T) {
	var p []aspire.Post
	if err := aspire.DecodeRecords([]byte(`[{"id":"1","posted_at":"2026-01-01T00:00:00,5Z"}]`), &p); err != nil || len(p) != 1 ||
		p[0].PostedAt.Nanosecond() != 5e8 || p[0].ID != "1" {
		t.Fatalf("%+v, %v", p, err)
	}
	if err := aspire.DecodeRecords([]byte(`[{"id":"1","posted_at":"2026-01/01T00:00:00Z"}]`), &p); err == nil {
		t.Fatalf("a slash in a date: %+v", p)
	}
	body := []byte(`[{"id":"1","metrics":{"likes":"many"}}]`)
	var q []aspire.Post
	want := json.Unmarshal(body, &q)
	if err := aspire.DecodeRecords(body, &p); err == nil || err.Error() != want.Error() {
		t.Fatalf("%v, want %v", err, want)
	}
	// The value left beside an error is encoding/json's too (it goes on
	// past a type error).
	body = []byte(`{"id":"1","by_network":{"instagram":{"tmv":1}},"metrics":{"tmv":"x"},"name":"n"}`)
	var ma, mb aspire.Member
	ea, eb := json.Unmarshal(body, &ma), aspire.DecodeRecords(body, &mb)
	if ea == nil || eb == nil || ea.Error() != eb.Error() || !reflect.DeepEqual(ma, mb) {
		t.Fatalf("%+v, %v\nwant %+v, %v", mb, eb, ma, ea)
	}
}
