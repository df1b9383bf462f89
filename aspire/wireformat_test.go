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
			tags = append(tags, tag)
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
		`[{"id":1}]`, `{"data":[{"posted_at":"yesterday"}]}`, `{"data":[{"metrics":{"tmv":"lots"}}]}`, `[{"id":"1"}] x`, `{"pagination":{}}`, `nul`} {
		if _, _, err := DecodePosts(contract.Default(), []byte(body)); err == nil {
			t.Errorf("%q: no error", body)
		}
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
		_, _ = decodeOne[Post](wf, wire.PathPosts, []byte(body), json.Unmarshal)
		_ = shapeDiff(wf, wire.PathMembers, []byte(body))
	})
}
