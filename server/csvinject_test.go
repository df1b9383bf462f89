package server_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"hash/fnv"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// hostileTexts are what creators can write into captions, names and
// handles: formulas a spreadsheet runs on opening, and texts that only look
// like numbers.
var hostileTexts = []string{
	`=HYPERLINK("http://evil.example","u")`,
	`@SUM(1+1)`,
	`+CMD|' /C calc'!A0`,
	`-h`,
	"\t=1+2",
	"\r=1+2",
	`=1+2`,
	`-5`,
	`plain, with "quotes"`,
}

// hostileUpstream rewrites the simulator's answers: every caption, name,
// email and handle becomes one of hostileTexts, chosen by the text it
// replaces, so every answer about a record says the same.
func hostileUpstream(next http.Handler) http.Handler {
	keys := map[string]bool{"caption": true, "name": true, "email": true, "instagram": true, "tiktok": true, "youtube": true, "pinterest": true}
	return rewriteUpstream(next, func(_ *http.Request, doc any) bool {
		eachObject(doc, func(x map[string]any) {
			for k, c := range x {
				if old, ok := c.(string); ok && keys[k] {
					h := fnv.New32a()
					_, _ = io.WriteString(h, k+old)
					x[k] = hostileTexts[h.Sum32()%uint32(len(hostileTexts))]
				}
			}
		})
		return true
	})
}

// spreadsheetCell is a cell as LibreOffice saved it in xlsx.
type spreadsheetCell struct {
	Ref     string  `xml:"r,attr"`
	Type    string  `xml:"t,attr"`
	Formula *string `xml:"f"`
	Value   string  `xml:"v"`
}

// openInSpreadsheet has LibreOffice Calc import a CSV (as a user opening it
// would) and save it as xlsx, and returns its cells row by row.
func openInSpreadsheet(t *testing.T, csvBody []byte) [][]spreadsheetCell {
	t.Helper()
	// Comma, double quote, UTF-8 (76), from line 1: Calc's defaults for
	// a .csv, spelled out so a profile cannot change them.
	return openInSpreadsheetWith(t, csvBody, "CSV:44,34,76,1")
}

// openInSpreadsheetWith is openInSpreadsheet with Calc's CSV import options
// (the --infilter value).
func openInSpreadsheetWith(t *testing.T, csvBody []byte, infilter string) [][]spreadsheetCell {
	t.Helper()
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("ASPIRE_GRAPHQL_REQUIRE_SPREADSHEET") == "1" {
			t.Fatal("soffice (Debian's libreoffice-calc-nogui) is required here: scripts/test.sh installs it")
		}
		t.Skip("soffice (libreoffice-calc-nogui) is not installed")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "export.csv")
	if err := os.WriteFile(in, csvBody, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--infilter="+infilter, "--convert-to", "xlsx", "--outdir", dir, in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	z, err := zip.OpenReader(filepath.Join(dir, "export.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	read := func(name string, v any) {
		f, err := z.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := xml.NewDecoder(f).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var sst struct {
		SI []struct {
			T string `xml:"t"`
			R []struct {
				T string `xml:"t"`
			} `xml:"r"`
		} `xml:"si"`
	}
	read("xl/sharedStrings.xml", &sst)
	var sheet struct {
		Rows []struct {
			Cells []spreadsheetCell `xml:"c"`
		} `xml:"sheetData>row"`
	}
	read("xl/worksheets/sheet1.xml", &sheet)
	var rows [][]spreadsheetCell
	for _, r := range sheet.Rows {
		for i, c := range r.Cells {
			if c.Type == "s" {
				k, _ := strconv.Atoi(c.Value)
				s := sst.SI[k].T
				for _, run := range sst.SI[k].R {
					s += run.T
				}
				r.Cells[i].Value = s
			}
		}
		rows = append(rows, r.Cells)
	}
	return rows
}

// column is the 0-based column of a cell reference (A1, AB7).
func column(ref string) int {
	n := 0
	for _, ch := range ref {
		if ch < 'A' || ch > 'Z' {
			break
		}
		n = n*26 + int(ch-'A'+1)
	}
	return n - 1
}

// TestCSVExportCannotRunInASpreadsheet (issue #23): an upstream whose
// creators wrote formulas into captions, names and handles. LibreOffice
// Calc opens the CSV export: no cell is a formula, and every text cell is
// the upstream's text (from the NDJSON export, which is never altered),
// with the one leading ' the guard adds to a text starting with = + - @,
// a tab or a carriage return. Before the guard Calc read =1+2 as a
// formula (3) and the HYPERLINK ones as live links.
func TestCSVExportCannotRunInASpreadsheet(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, nil, hostileUpstream, aspiretest.WithSizes(aspiretest.SmallSizes))
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
			var want []map[string]any
			sc := bufio.NewScanner(bytes.NewReader(ndBody))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var m map[string]any
				d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
				d.UseNumber()
				if err := d.Decode(&m); err != nil {
					t.Fatal(err)
				}
				want = append(want, m)
			}
			rows := openInSpreadsheet(t, csvBody)
			if len(rows) != len(want)+1 || len(want) == 0 {
				t.Fatalf("%d spreadsheet rows for %d records", len(rows), len(want))
			}
			header := map[int]string{}
			for _, c := range rows[0] {
				header[column(c.Ref)] = c.Value
			}
			hostile, texts := 0, 0
			for i, row := range rows[1:] {
				got := map[string]spreadsheetCell{}
				for _, c := range row {
					if c.Formula != nil {
						t.Fatalf("row %d, %s: a formula (%s)", i+1, header[column(c.Ref)], *c.Formula)
					}
					got[header[column(c.Ref)]] = c
				}
				for name, v := range want[i] {
					text, ok := v.(string)
					if !ok || text == "" {
						continue
					}
					texts++
					exp := text
					if strings.ContainsAny(text[:1], "=+-@\t\r") {
						exp, hostile = "'"+text, hostile+1
					}
					// A spreadsheet keeps a line break as LF.
					exp = strings.ReplaceAll(exp, "\r", "\n")
					c := got[name]
					if c.Type == "n" && c.Value == text { // an id of digits
						continue
					}
					if c.Type != "s" || c.Value != exp {
						t.Errorf("row %d, %s: Calc read %q (type %q), the upstream wrote %q", i+1, name, c.Value, c.Type, text)
					}
				}
			}
			if hostile == 0 {
				t.Fatal("no hostile text reached the export: the test upstream did not rewrite")
			}
			t.Logf("%s: %d rows, %d text cells, %d neutralised, no formula", entity, len(want), texts, hostile)
		})
	}
	t.Run("the guard off: the pipeline's choice", func(t *testing.T) {
		t.Parallel()
		off := newStackWith(t, []string{"-csv-formula-guard=false"}, hostileUpstream, aspiretest.WithSizes(aspiretest.SmallSizes))
		_, body, err := off.get(t, "/export/members.csv?start=2026-10-01&end=2026-10-31", demoHeaders)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(body, []byte("\n=1+2,")) && !bytes.Contains(body, []byte(",=1+2,")) {
			t.Fatalf("with the guard off a text cell is written as the upstream wrote it:\n%.500s", body)
		}
		if bytes.Contains(body, []byte(`"'=`)) {
			t.Fatal("with the guard off nothing is neutralised")
		}
	})
}
