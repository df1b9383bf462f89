package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// blankMemberIDs empties member_id of every post whose id ends in 1 or 6.
func blankMemberIDs(next http.Handler) http.Handler {
	return rewriteUpstream(next, func(_ *http.Request, doc any) bool {
		d, ok := doc.(map[string]any)
		rows, _ := d["data"].([]any)
		for _, row := range rows {
			if m, ok := row.(map[string]any); ok {
				if id, _ := m["id"].(string); m["member_id"] != nil && (strings.HasSuffix(id, "1") || strings.HasSuffix(id, "6")) {
					m["member_id"] = ""
				}
			}
		}
		return ok
	})
}

// TestPostWithoutMemberSaysWhatIsMissing (issue #23 point 7): a post the
// upstream sent without member_id has a null member with an error naming
// the post and the missing field (was NOT_FOUND "record  not found").
func TestPostWithoutMemberSaysWhatIsMissing(t *testing.T) {
	s := newStackWith(t, nil, blankMemberIDs, aspiretest.WithSizes(aspiretest.SmallSizes))
	r := s.query(t, `query($r: DateRangeInput!) { posts(range: $r, first: 50) { nodes { id member { id } } } }`, oct)
	var data struct {
		Posts struct {
			Nodes []struct {
				ID     string
				Member *struct{ ID string }
			}
		}
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err, string(r.body))
	}
	blank := 0
	msgs := map[string]string{}
	for _, e := range r.Errors {
		msgs[fmt.Sprint(e.Path...)] = fmt.Sprint(e.Extensions["code"], " ", e.Message)
	}
	for i, p := range data.Posts.Nodes {
		if !strings.HasSuffix(p.ID, "1") && !strings.HasSuffix(p.ID, "6") {
			if p.Member == nil {
				t.Errorf("post %s lost its member", p.ID)
			}
			continue
		}
		blank++
		want := "UPSTREAM_CONTRACT_DRIFT post " + p.ID + " has no member_id"
		if got := msgs[fmt.Sprint("posts", "nodes", i, "member")]; p.Member != nil || !strings.HasPrefix(got, want) {
			t.Errorf("post %s: member %v, error %q, want null and %q…", p.ID, p.Member, got, want)
		}
	}
	if blank == 0 || len(r.Errors) != blank {
		t.Fatalf("%d posts without member_id, %d errors: %s", blank, len(r.Errors), r.body)
	}
	t.Logf("%d of %d posts without member_id, each with its error", blank, len(data.Posts.Nodes))
}
