// Package export writes complete, flat tables of posts or members as CSV
// (RFC 4180, with a header row) or NDJSON, streaming: every upstream page is
// fetched for the caller (bounded concurrency, within the client's rate
// limit) and its rows written as it arrives, so memory stays flat whatever
// the size. Members' names and handles are looked up in batches of 100;
// project and group names are fetched once.
//
// Creators write captions, names and handles, so a text cell may be a
// spreadsheet formula (=HYPERLINK(…), @SUM(…)). With Options.FormulaGuard
// (the server's default) a CSV text cell starting with = + - @, a tab or a
// carriage return gets a leading single quote and double quotes, as OWASP's
// CSV-injection guidance says; numbers the export writes itself are never
// touched, so a negative metric stays a number. NDJSON is data for programs
// and is never altered.
//
// A failure after rows have gone out is never silent: the caller (HTTP
// handler or command) learns it from the error and ends the output so a
// reader sees it (an NDJSON error line; a CSV download cut short).
package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/codes"
)

// Format is an output format.
type Format string

// Formats.
const (
	CSV    Format = "csv"
	NDJSON Format = "ndjson"
)

// Options shape the output.
type Options struct {
	Format Format
	// BOM starts a CSV with a UTF-8 byte-order mark, so Excel reads UTF-8.
	BOM bool
	// FormulaGuard neutralises CSV text cells a spreadsheet would run as
	// formulas (see the package comment).
	FormulaGuard bool
	// Progress is told after every page: rows written, pages, and the
	// upstream's total (0 while unknown).
	Progress func(rows, pages, total int)
	// Started is called once the first page has arrived, before anything is
	// written: a caller can still choose its status then. total is -1 when
	// the upstream sends no total.
	Started func(total int)
}

// Posts writes every post q selects. Its pages bypass the response cache
// (a table is read once; caching it would evict everything useful).
func Posts(ctx context.Context, t *aspire.Tenant, q aspire.PostQuery, w io.Writer, o Options) (int, error) {
	n, err := lookupNames(ctx, t)
	if err != nil {
		return 0, err
	}
	cols := postColumns()
	return write(ctx, t.PostPages(aspire.WithoutCache(ctx), q), cols, n, w, o, func(ctx context.Context, rows []aspire.Post) error {
		var missing []string
		for i := range rows {
			if _, ok := n.members[rows[i].MemberID]; !ok {
				missing = append(missing, rows[i].MemberID)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		found, err := t.MembersByID(ctx, missing, aspire.MemberQuery{})
		for id, m := range found {
			n.members[id] = &aspire.Member{ID: m.ID, Name: m.Name, Handles: m.Handles}
		}
		return err
	})
}

// Members writes every member q selects, with its roll-up.
func Members(ctx context.Context, t *aspire.Tenant, q aspire.MemberQuery, w io.Writer, o Options) (int, error) {
	n, err := lookupNames(ctx, t)
	if err != nil {
		return 0, err
	}
	return write(ctx, t.MemberPages(aspire.WithoutCache(ctx), q), memberColumns(), n, w, o, nil)
}

// lookupNames fetches the project and group names once. A key without the
// scope for them still exports, with those name columns empty.
func lookupNames(ctx context.Context, t *aspire.Tenant) (*names, error) {
	n := &names{projects: map[string]string{}, groups: map[string]string{}, members: map[string]*aspire.Member{}}
	projects, err := t.AllProjects(ctx)
	if err != nil && !missingScope(err) {
		return nil, err
	}
	for _, p := range projects {
		if p.Name != nil {
			n.projects[p.ID] = *p.Name
		}
	}
	groups, err := t.AllGroups(ctx)
	if err != nil && !missingScope(err) {
		return nil, err
	}
	for _, g := range groups {
		if g.Name != nil {
			n.groups[g.ID] = *g.Name
		}
	}
	return n, nil
}

func missingScope(err error) bool {
	var e *aspire.Error
	return errors.As(err, &e) && e.MissingScope()
}

// write streams pages of rows.
func write[T any](ctx context.Context, pages iter.Seq2[*aspire.Page[T], error], cols []column[T], n *names, out io.Writer, o Options,
	enrich func(context.Context, []T) error) (int, error) {
	bw := bufio.NewWriterSize(out, 64<<10)
	rw := newRowWriter(o.Format, bw, cols, o.FormulaGuard)
	rows, pageCount := 0, 0
	for p, err := range pages {
		if err != nil {
			_ = bw.Flush()
			return rows, err
		}
		if enrich != nil {
			if err := enrich(ctx, p.Items); err != nil {
				_ = bw.Flush()
				return rows, err
			}
		}
		if pageCount == 0 {
			if o.Started != nil {
				o.Started(p.Total)
			}
			if o.BOM && o.Format == CSV {
				_, _ = bw.WriteString("\ufeff")
			}
			if err := rw.header(); err != nil {
				return rows, err
			}
		}
		pageCount++
		for i := range p.Items {
			if err := rw.row(&p.Items[i], n); err != nil {
				return rows, err
			}
			rows++
		}
		if err := rw.flush(); err != nil {
			return rows, err
		}
		if err := bw.Flush(); err != nil {
			return rows, err
		}
		if f, ok := out.(interface{ Flush() }); ok {
			f.Flush()
		}
		if o.Progress != nil {
			o.Progress(rows, pageCount, p.Total)
		}
	}
	if pageCount == 0 { // no page at all: still a header
		if o.Started != nil {
			o.Started(0)
		}
		if err := rw.header(); err != nil {
			return 0, err
		}
		_ = rw.flush()
	}
	return rows, bw.Flush()
}

type rowWriter[T any] interface {
	header() error
	row(*T, *names) error
	flush() error
}

func newRowWriter[T any](f Format, w *bufio.Writer, cols []column[T], guard bool) rowWriter[T] {
	if f == NDJSON {
		return &ndjsonWriter[T]{w: w, cols: cols}
	}
	return &csvWriter[T]{w: w, csv: csv.NewWriter(w), cols: cols, rec: make([]string, len(cols)), guard: guard}
}

type csvWriter[T any] struct {
	w     *bufio.Writer
	csv   *csv.Writer // for rows without a cell to neutralise
	cols  []column[T]
	rec   []string
	risky []bool
	guard bool
}

func (c *csvWriter[T]) header() error {
	for i, col := range c.cols {
		c.rec[i] = col.name
	}
	return c.csv.Write(c.rec)
}

func (c *csvWriter[T]) row(r *T, n *names) error {
	neutralise := false
	for i, col := range c.cols {
		v := col.get(r, n)
		c.rec[i] = cell(v)
		if s, ok := v.(string); ok && c.guard && formulaLike(s) {
			if c.risky == nil {
				c.risky = make([]bool, len(c.cols))
			}
			c.risky[i], neutralise = true, true
		} else if c.risky != nil {
			c.risky[i] = false
		}
	}
	if !neutralise {
		return c.csv.Write(c.rec)
	}
	// encoding/csv cannot force quotes on a field; this row is written
	// here, with its rules for the other fields.
	c.csv.Flush()
	if err := c.csv.Error(); err != nil {
		return err
	}
	for i, f := range c.rec {
		if i > 0 {
			_ = c.w.WriteByte(',')
		}
		switch {
		case c.risky[i]:
			writeQuoted(c.w, "'"+f)
		case needsQuotes(f):
			writeQuoted(c.w, f)
		default:
			_, _ = c.w.WriteString(f)
		}
	}
	return c.w.WriteByte('\n')
}

func (c *csvWriter[T]) flush() error { c.csv.Flush(); return c.csv.Error() }

// formulaLike says whether a spreadsheet could read a text cell as a
// formula (OWASP's list: = + - @ tab carriage return).
func formulaLike(s string) bool {
	return s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0
}

// needsQuotes is encoding/csv's rule for a field with Comma ','.
func needsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` || strings.ContainsAny(f, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}

// writeQuoted writes f in double quotes, its quotes doubled; line breaks
// stay as they are, as encoding/csv writes them without UseCRLF.
func writeQuoted(w *bufio.Writer, f string) {
	_ = w.WriteByte('"')
	_, _ = w.WriteString(strings.ReplaceAll(f, `"`, `""`))
	_ = w.WriteByte('"')
}

// cell renders a value for CSV: a null is an empty cell.
func cell(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case *int64:
		if x == nil {
			return ""
		}
		return strconv.FormatInt(*x, 10)
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

type ndjsonWriter[T any] struct {
	w    *bufio.Writer
	cols []column[T]
	buf  []byte
}

func (j *ndjsonWriter[T]) header() error { return nil }

// row writes one object with the columns in their order (json.Marshal of a
// map would sort them).
func (j *ndjsonWriter[T]) row(r *T, n *names) error {
	b := append(j.buf[:0], '{')
	for i, col := range j.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, col.name)
		b = append(b, ':')
		b = appendJSON(b, col.get(r, n))
	}
	b = append(b, '}', '\n')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

func (j *ndjsonWriter[T]) flush() error { return nil }

func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		s, _ := json.Marshal(x)
		return append(b, s...)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case *int64:
		if x == nil {
			return append(b, "null"...)
		}
		return strconv.AppendInt(b, *x, 10)
	case *float64:
		if x == nil {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, *x, 'f', -1, 64)
	}
	return append(b, "null"...)
}

// ErrorLine is the last line of an NDJSON export that failed midway.
func ErrorLine(err error) []byte {
	code, msg := codes.Of(err), "the export failed"
	var e *aspire.Error
	if errors.As(err, &e) {
		msg = e.Message
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	return append(b, '\n')
}
