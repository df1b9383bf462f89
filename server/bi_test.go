package server_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// TestExportCSVAndNDJSONAgree exports the same month of posts and of
// members as CSV and as NDJSON and checks they parse to identical rows:
// the same columns in the same order; ids strings in NDJSON; timestamps
// RFC 3339 with an explicit offset in both; an absent value an empty cell
// in CSV and null in NDJSON (never ""), as null as GraphQL has it.
func TestExportCSVAndNDJSONAgree(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	offset := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`)
	for _, entity := range []string{"posts", "members"} {
		t.Run(entity, func(t *testing.T) {
			const q = "?start=2026-10-01&end=2026-10-31"
			_, csvBody, err := s.get(t, "/export/"+entity+".csv"+q, demoHeaders)
			if err != nil {
				t.Fatal(err)
			}
			_, ndBody, err := s.get(t, "/export/"+entity+".ndjson"+q, demoHeaders)
			if err != nil {
				t.Fatal(err)
			}
			records, err := csv.NewReader(bytes.NewReader(csvBody)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			header, rows := records[0], records[1:]
			var nd []map[string]any
			var order [][]string
			sc := bufio.NewScanner(bytes.NewReader(ndBody))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
				d.UseNumber()
				var m map[string]any
				if err := d.Decode(&m); err != nil {
					t.Fatalf("NDJSON line %q: %v", sc.Text(), err)
				}
				nd = append(nd, m)
				order = append(order, keysInOrder(t, sc.Bytes()))
			}
			if len(rows) == 0 || len(rows) != len(nd) {
				t.Fatalf("%d CSV rows, %d NDJSON rows", len(rows), len(nd))
			}
			nulls := 0
			for i, row := range rows {
				if !slices.Equal(order[i], header) {
					t.Fatalf("row %d: NDJSON keys %v, CSV header %v", i, order[i], header)
				}
				for j, name := range header {
					v := nd[i][name]
					var asCSV string
					switch x := v.(type) {
					case nil:
						nulls++
					case string:
						if x == "" && name != "caption" {
							t.Fatalf("row %d %s: \"\" in NDJSON; an absent value is null", i, name)
						}
						asCSV = x
					case json.Number:
						asCSV = x.String()
					case bool:
						asCSV = fmt.Sprint(x)
					default:
						t.Fatalf("row %d %s: unexpected %T", i, name, v)
					}
					if asCSV != row[j] {
						t.Fatalf("row %d %s: CSV %q, NDJSON %#v", i, name, row[j], v)
					}
					if strings.HasSuffix(name, "id") || strings.HasSuffix(name, "_ids") {
						if _, ok := v.(string); !ok && v != nil {
							t.Fatalf("row %d %s: an id must be a string in NDJSON, got %#v", i, name, v)
						}
					}
					if name == "posted_at" {
						if !offset.MatchString(row[j]) {
							t.Fatalf("row %d posted_at %q: want RFC 3339 with an explicit offset", i, row[j])
						}
						if _, err := time.Parse(time.RFC3339, row[j]); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			if nulls == 0 {
				t.Fatal("no null at all: the test proves nothing about absent values")
			}
			if entity == "posts" {
				// A handle absent in the export is null in GraphQL too.
				for _, m := range nd {
					if m["member_pinterest"] != nil {
						continue
					}
					r := s.query(t, `query($id: ID!) { post(id: $id) { member { handles { pinterest } } } }`, map[string]any{"id": m["id"]})
					if got := string(r.Data); got != `{"post":{"member":{"handles":{"pinterest":null}}}}` {
						t.Fatalf("post %v: GraphQL %s, the export null", m["id"], got)
					}
					break
				}
			}
		})
	}
}

// keysInOrder lists an object's keys as written.
func keysInOrder(t *testing.T, line []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(line))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
