package server_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// hostileLinks are links a creator can give that are not web URLs, and the
// last few that are (kept as sent).
var hostileLinks = []string{
	`=HYPERLINK("http://evil.example","u")`,
	`javascript:alert(1)`,
	`JavaScript:alert(document.domain)`,
	`/relative/path.jpg`,
	`//evil.example/scheme-relative`,
	`data:text/html,<script>alert(1)</script>`,
	`https://`,
	"https://evil.example/\nx",
	`ftp://files.example/x`,
}

var goodLinks = []string{"https://www.instagram.com/p/ok/", "HTTP://cdn.example/thumb.jpg"}

// hostileLinkUpstream rewrites the simulator's post url and thumbnail_url
// by post id: hostileLinks or goodLinks, the same for every answer about a
// post. want maps "id/field" to what a client may see ("" for null).
func hostileLinkUpstream(want map[string]string) func(http.Handler) http.Handler {
	all := append(append([]string{}, hostileLinks...), goodLinks...)
	return func(next http.Handler) http.Handler {
		return rewriteUpstream(next, func(_ *http.Request, doc any) bool {
			eachObject(doc, func(x map[string]any) {
				id, _ := x["id"].(string)
				for _, f := range []string{"url", "thumbnail_url"} {
					if _, ok := x[f].(string); ok && id != "" {
						h := fnv.New32a()
						_, _ = io.WriteString(h, f+id)
						link := all[h.Sum32()%uint32(len(all))]
						x[f] = link
						ok := ""
						for _, g := range goodLinks {
							if g == link {
								ok = link
							}
						}
						want[id+"/"+f] = ok
					}
				}
			})
			return true
		})
	}
}

// TestUpstreamLinksAreWebURLs (issue #23 point 2): a post's url and
// thumbnailUrl reach clients only when they are absolute http(s) URLs;
// anything else a creator wrote (a spreadsheet formula, javascript:, a
// relative or scheme-relative path) is null with UPSTREAM_CONTRACT_DRIFT
// at its path in GraphQL, and an empty cell in the exports.
func TestUpstreamLinksAreWebURLs(t *testing.T) {
	want := map[string]string{}
	s := newStackWith(t, nil, hostileLinkUpstream(want), aspiretest.WithSizes(aspiretest.SmallSizes))

	s.sim.Reset()
	r := s.query(t, `query($r: DateRangeInput!) { posts(range: $r, first: 50) { nodes { id url thumbnailUrl } } }`, oct)
	if n := s.sim.Count(""); n != 1 {
		t.Errorf("%d upstream calls, want 1", n)
	}
	var data struct {
		Posts struct {
			Nodes []struct {
				ID           string
				URL          *string
				ThumbnailURL *string
			}
		}
	}
	if err := json.Unmarshal(r.Data, &data); err != nil || len(data.Posts.Nodes) == 0 {
		t.Fatalf("no posts: %v %s", err, r.body)
	}
	errAt := map[string]bool{}
	for _, e := range r.Errors {
		if e.Extensions["code"] != "UPSTREAM_CONTRACT_DRIFT" || len(e.Path) != 4 {
			t.Errorf("unexpected error %+v", e)
			continue
		}
		errAt[fmt.Sprint(e.Path[2], "/", e.Path[3])] = true
	}
	nulls, kept := 0, 0
	for i, p := range data.Posts.Nodes {
		for _, f := range []struct {
			gql, wire string
			got       *string
		}{{"url", "url", p.URL}, {"thumbnailUrl", "thumbnail_url", p.ThumbnailURL}} {
			exp, ok := want[p.ID+"/"+f.wire]
			if !ok {
				t.Fatalf("post %s: the test upstream did not rewrite %s", p.ID, f.wire)
			}
			switch {
			case exp == "" && f.got != nil:
				t.Errorf("post %s %s = %q, want null", p.ID, f.gql, *f.got)
			case exp != "" && (f.got == nil || *f.got != exp):
				t.Errorf("post %s %s = %v, want %q", p.ID, f.gql, f.got, exp)
			}
			if at := errAt[fmt.Sprint(i, "/", f.gql)]; at != (exp == "") {
				t.Errorf("post %s %s: error at its path %v, want %v", p.ID, f.gql, at, exp == "")
			}
			if exp == "" {
				nulls++
			} else {
				kept++
			}
		}
	}
	if nulls == 0 || kept == 0 {
		t.Fatalf("%d nulls, %d kept: the test upstream did not mix links", nulls, kept)
	}
	if len(r.Errors) != nulls {
		t.Errorf("%d errors for %d refused links", len(r.Errors), nulls)
	}
	t.Logf("GraphQL: %d posts, %d links refused, %d kept", len(data.Posts.Nodes), nulls, kept)

	_, body, err := s.get(t, "/export/posts.csv?start=2026-10-01&end=2026-10-31", demoHeaders)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("csv: %v, %d rows", err, len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	cells := 0
	for _, row := range rows[1:] {
		for _, f := range []string{"url", "thumbnail_url"} {
			exp, ok := want[row[col["id"]]+"/"+f]
			if !ok {
				t.Fatalf("export row %s: %s not rewritten", row[col["id"]], f)
			}
			if got := row[col[f]]; got != exp {
				t.Errorf("export row %s %s = %q, want %q", row[col["id"]], f, got, exp)
			}
			cells++
		}
	}
	t.Logf("CSV export: %d rows, %d link cells checked", len(rows)-1, cells)
}
