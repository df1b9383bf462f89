package server_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// TestLibreOfficeImportKeepsIDsText (issue 26 point 6): docs/bi.md's
// LibreOffice recipe, run as written. Each export (posts, members,
// performance by project) is converted by soffice with the recipe's
// --infilter: every id cell (id, member_id, *_ids, key) is text, equal to
// the CSV's, and the metrics stay numbers; the recipe names exactly the id
// columns of the export's header. With Calc's default import the same ids
// come out as numbers: the recipe is what keeps them text.
func TestLibreOfficeImportKeepsIDsText(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/bi.md")
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t, nil, aspiretest.WithSizes(aspiretest.SmallSizes))
	for _, c := range []struct{ name, target, metric string }{
		{"posts", "/export/posts.csv?start=2026-10-01&end=2026-10-31", "impressions"},
		{"members", "/export/members.csv?start=2026-10-01&end=2026-10-31", "post_count"},
		{"performance", "/export/performance.csv?start=2026-10-01&end=2026-10-31&interval=week&group_by=project", "post_count"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := regexp.MustCompile(`<!-- libreoffice: ` + c.name + ` -->\n` + "```sh\n" + `soffice --headless --infilter="([^"]+)" --convert-to ods ` + c.name + `\.csv\n` + "```").FindSubmatch(doc)
			if m == nil {
				t.Fatalf("docs/bi.md has no LibreOffice line for %s", c.name)
			}
			infilter := string(m[1])
			resp, body, err := s.get(t, c.target, demoHeaders)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s: %v %d %.300s", c.target, err, resp.StatusCode, body)
			}
			records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil || len(records) < 2 {
				t.Fatalf("%d records: %v", len(records), err)
			}
			// The id columns, from the header; the recipe must name exactly these (1-based, Text = 2).
			var ids []int
			metric := -1
			var want []string
			for i, h := range records[0] {
				if h == "id" || h == "member_id" || h == "key" || strings.HasSuffix(h, "_ids") {
					ids = append(ids, i)
					want = append(want, strconv.Itoa(i+1), "2")
				}
				if h == c.metric {
					metric = i
				}
			}
			if fields := strings.Split(infilter, ","); len(fields) < 5 || fields[4] != strings.Join(want, "/") {
				t.Fatalf("the recipe's column formats %q, the export's id columns want %q (header %v)", infilter, strings.Join(want, "/"), records[0])
			}

			cells := func(rows [][]spreadsheetCell) map[[2]int]spreadsheetCell {
				out := map[[2]int]spreadsheetCell{}
				for r, row := range rows {
					for _, cell := range row {
						out[[2]int{r, column(cell.Ref)}] = cell
					}
				}
				return out
			}
			got := cells(openInSpreadsheetWith(t, body, infilter))
			checked, numbers := 0, 0
			for r, rec := range records[1:] {
				for _, col := range ids {
					if rec[col] == "" {
						continue
					}
					cell := got[[2]int{r + 1, col}]
					if cell.Type != "s" || cell.Value != rec[col] {
						t.Fatalf("row %d, %s: Calc read %q (type %q), the CSV has %q", r+1, records[0][col], cell.Value, cell.Type, rec[col])
					}
					checked++
				}
				if metric >= 0 && rec[metric] != "" {
					if cell := got[[2]int{r + 1, metric}]; cell.Type != "" && cell.Type != "n" {
						t.Fatalf("row %d, %s: %q is not a number (type %q)", r+1, c.metric, cell.Value, cell.Type)
					}
					numbers++
				}
			}
			if checked == 0 || numbers == 0 {
				t.Fatalf("%d id cells, %d metric cells checked", checked, numbers)
			}

			// Calc's default import: the same ids become numbers.
			def := cells(openInSpreadsheet(t, body))
			asNumber := 0
			for r := range records[1:] {
				if cell := def[[2]int{r + 1, ids[0]}]; cell.Type != "s" {
					asNumber++
				}
			}
			if asNumber == 0 {
				t.Fatalf("with the default import no %s cell became a number: the recipe would not be needed", records[0][ids[0]])
			}
			t.Logf("%s: %d id cells kept as text (columns %s); by default %d of %d %s cells became numbers",
				c.name, checked, strings.Join(want, "/"), asNumber, len(records)-1, records[0][ids[0]])
		})
	}
}
