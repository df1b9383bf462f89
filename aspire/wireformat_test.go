package aspire

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// The records' json tags are the built-in contract's field names.
func TestRecordTagsAreTheContract(t *testing.T) {
	for rec, typ := range map[string]reflect.Type{"post": reflect.TypeFor[Post](), "member": reflect.TypeFor[Member](),
		"metrics": reflect.TypeFor[Metrics](), "handles": reflect.TypeFor[Handles](), "project": reflect.TypeFor[Project](), "group": reflect.TypeFor[Group]()} {
		var tags []string
		for i := range typ.NumField() {
			tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if tag != "_unreadable" { // the rewriter's, not a wire field
				tags = append(tags, tag)
			}
		}
		if !slices.Equal(tags, contract.RecordFields[rec]) {
			t.Errorf("%s: json tags %v, contract fields %v", rec, tags, contract.RecordFields[rec])
		}
	}
}

const envelopeBody = `{"data":[{"id":"1","member_id":"9","network":"instagram","post_type":"instagram_reel","posted_at":"2026-01-02T03:04:05Z",
 "project_ids":["p"],"metrics":{"tmv":1.5,"engagement_rate":0.25,"views":null},"unknown":{"x":[1,"]"]}}],
 "pagination":{"offset":0,"limit":100,"total":7,"has_more":true}}`

func TestLenientDecoding(t *testing.T) {
	want, total, err := DecodePosts(contract.Default(), []byte(envelopeBody))
	if err != nil || len(want) != 1 || total == nil || *total != 7 || *want[0].Metrics.TMV != 1.5 || want[0].PostType != InstagramReel {
		t.Fatalf("envelope: %+v, %v, %v", want, total, err)
	}
	for name, body := range map[string]string{
		"bare array, camelCase": `[{"id":"1","memberId":"9","network":"instagram","postType":"instagram_reel","postedAt":"2026-01-02T03:04:05Z",
			"projectIds":["p"],"metrics":{"tmv":1.5,"engagementRate":0.25}}]`,
		"bare array, snake_case, spaces": ` [ {"id" : "1", "member_id":"9","network":"instagram","post_type":"instagram_reel","posted_at":"2026-01-02T03:04:05Z",
			"project_ids":["p"],"metrics":{"tmv":1.5,"engagement_rate":0.25}} ] `,
	} {
		got, total, err := DecodePosts(contract.Default(), []byte(body))
		if err != nil || total != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v (total %v, %v), want %+v", name, got, total, err, want)
		}
	}
}

func TestDecodingUnderAContract(t *testing.T) {
	c := contract.Default()
	c.List = contract.List{Rows: "result.items", Total: "result.count"}
	c.Fields["post"]["posted_at"] = "published"
	c.Fields["metrics"]["tmv"] = "media_value"
	c.Enums["network"]["instagram"] = "IG"
	c.Enums["post_type"]["instagram_reel"] = "REEL"
	body := `{"result":{"count":3,"items":[{"id":"1","network":"IG","post_type":"REEL","published":"2026-01-02T03:04:05Z","metrics":{"mediaValue":2}}]}}`
	got, total, err := DecodePosts(c, []byte(body))
	if err != nil || total == nil || *total != 3 || len(got) != 1 || got[0].Network != Instagram || got[0].PostType != InstagramReel ||
		got[0].PostedAt.IsZero() || got[0].Metrics.TMV == nil || *got[0].Metrics.TMV != 2 {
		t.Fatalf("%+v, %v, %v", got, total, err)
	}
	// Member roll-ups: enum keys of by_network are translated too.
	m, err := decodeList[Member](compile(c), wire.PathMembers, []byte(`[{"id":"1","by_network":{"IG":{"media_value":4}},"by_post_type":{"REEL":{}}}]`), json.Unmarshal)
	if err != nil || len(m.Rows) != 1 || *m.Rows[0].ByNetwork[Instagram].TMV != 4 {
		t.Fatalf("%+v, %v", m, err)
	}
	if _, ok := m.Rows[0].ByPostType[InstagramReel]; !ok {
		t.Fatalf("by_post_type keys: %v", m.Rows[0].ByPostType)
	}
}

func TestMalformedBodiesAreErrors(t *testing.T) {
	for _, body := range []string{``, `{`, `[`, `[{"id":"1"`, `{"data":[{"id":"1",}]}`, `{"data":[1,]}`, `{"data":"x"}`, `{"data":[{"id":"\u00"}]}`,
		`[{"id":1}]`, `{"data":[{"posted_at":"yesterday"}]}`, `[{"id":"1"}] x`, `{"pagination":{}}`, `nul`} {
		if _, _, err := DecodePosts(contract.Default(), []byte(body)); err == nil {
			t.Errorf("%q: no error", body)
		}
	}
}

// TestLenientNumbers: loose numbers are read, and a value that cannot be
// read nulls that one field with its bit in the record's Unreadable mask,
// never the page (issue 21).
func TestLenientNumbers(t *testing.T) {
	body := `{"data":[
	 {"id":"1","is_estimated":"true","metrics":{"impressions":1e3,"reach":"12","views":12.0,"likes":" 7 ","comments":"","shares":null,
	  "engagement_rate":"0.5","tmv":"1.5e2","saves":true,"clicks":12.5,"engagements":{"x":1}}},
	 {"id":"2","is_estimated":"maybe","metrics":{"tmv":1e400,"engagement_rate":"NaN","impressions":9223372036854775807,"reach":-9.2233720368547758e18}}]}`
	posts, _, err := DecodePosts(contract.Default(), []byte(body))
	if err != nil || len(posts) != 2 {
		t.Fatalf("%+v, %v", posts, err)
	}
	m := posts[0].Metrics
	for name, got := range map[string]*int64{"impressions": m.Impressions, "reach": m.Reach, "views": m.Views, "likes": m.Likes} {
		if got == nil {
			t.Errorf("%s: nil", name)
		}
	}
	if *m.Impressions != 1000 || *m.Reach != 12 || *m.Views != 12 || *m.Likes != 7 || m.Comments != nil || m.Shares != nil ||
		*m.EngagementRate != 0.5 || *m.TMV != 150 || !posts[0].IsEstimated {
		t.Errorf("read: %+v", m)
	}
	bit := func(rec, f string) uint64 { return 1 << slices.Index(contract.RecordFields[rec], f) }
	if m.Saves != nil || m.Clicks != nil || m.Engagements != nil || m.Unreadable != bit("metrics", "saves")|bit("metrics", "clicks")|bit("metrics", "engagements") {
		t.Errorf("unreadable: %+v (mask %b)", m, m.Unreadable)
	}
	if posts[0].Unreadable != 0 || posts[1].Unreadable != bit("post", "is_estimated") || posts[1].IsEstimated {
		t.Errorf("post masks %b %b", posts[0].Unreadable, posts[1].Unreadable)
	}
	m = posts[1].Metrics
	if m.TMV != nil || m.EngagementRate != nil || *m.Impressions != 9223372036854775807 || *m.Reach != -9223372036854775808 ||
		m.Unreadable != bit("metrics", "tmv")|bit("metrics", "engagement_rate") {
		t.Errorf("second: %+v (mask %b)", m, m.Unreadable)
	}
	l, err := decodeList[Post](compile(contract.Default()), wire.PathPosts, []byte(body), decodeRecords)
	if err != nil || l.Bad.n != 6 || l.Bad.field != "metrics.saves" {
		t.Errorf("bad values: %+v, %v", l.Bad, err)
	}
}

// FuzzContractDecoding: any body, under a contract with a nested envelope,
// renamed fields and respelled enums, decodes or fails; never panics.
func FuzzContractDecoding(f *testing.F) {
	f.Add(`{"result":{"count":3,"items":[{"id":"1","network":"IG","published":"2026-01-02T03:04:05Z","metrics":{"mediaValue":2}}]}}`)
	f.Add(`[{"id":"1","by_network":{"IG":{"media_value":4}}}]`)
	f.Add(`{"result":{"items":[{"a\"b":"\\\"","x":[1,{"y":"]"}]}]}}`)
	c := contract.Default()
	c.List = contract.List{Rows: "result.items", Total: "result.count"}
	c.Record = contract.Record{Data: "result"}
	c.Fields["post"]["posted_at"] = "published"
	c.Fields["metrics"]["tmv"] = "media_value"
	c.Enums["network"]["instagram"] = "IG"
	wf := compile(c)
	f.Fuzz(func(t *testing.T, body string) {
		_, _ = decodeList[Post](wf, wire.PathPosts, []byte(body), json.Unmarshal)
		_, _ = decodeList[Member](wf, wire.PathMembers, []byte(body), json.Unmarshal)
		_, _ = decodeOne[Post](wf, wire.PathPosts, []byte(body), json.Unmarshal, nil)
		_ = shapeDiff(wf, wire.PathMembers, []byte(body))
	})
}

// TestEmbeddedRefs: projects and groups sent as embedded objects, numbers,
// or one id alone read as the id lists, and the shape check takes them for
// another spelling, not a required field missing (issue 21).
func TestEmbeddedRefs(t *testing.T) {
	body := `{"data":[{"id":"1","member_id":"9","posted_at":"2026-01-02T03:04:05Z","projects":[{"id":"88100","name":"Spring"},{"name":"no id"},{"id":88101}],
	 "group_ids":[7,"8"]},{"id":"2","project_id":"5","campaign_name":"Autumn","groups":"6"}]}`
	posts, _, err := DecodePosts(contract.Default(), []byte(body))
	if err != nil || len(posts) != 2 {
		t.Fatalf("%+v, %v", posts, err)
	}
	if !slices.Equal(posts[0].ProjectIDs, []string{"88100", "88101"}) || !slices.Equal(posts[0].GroupIDs, []string{"7", "8"}) ||
		!slices.Equal(posts[1].ProjectIDs, []string{"5"}) || !slices.Equal(posts[1].GroupIDs, []string{"6"}) || posts[0].MemberID != "9" {
		t.Fatalf("%+v", posts)
	}
	if !slices.Equal(posts[0].ProjectNames, []string{"Spring", ""}) || posts[0].GroupNames != nil || !slices.Equal(posts[1].ProjectNames, []string{"Autumn"}) {
		t.Fatalf("names %q %q", posts[0].ProjectNames, posts[1].ProjectNames)
	}
	for _, d := range ShapeDiff(wire.PathPosts, []byte(body)) {
		if d.Kind == "missing" && !strings.HasPrefix(d.Field, "pagination.") {
			t.Errorf("drift %+v", d)
		}
	}
}
