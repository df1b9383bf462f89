package aspire

import (
	"fmt"
	"net/http"
)

// Pages are checked against what was asked, because the upstream's data is
// not ours to trust (docs/security.md, "The upstream's data"): a page of ten
// million `{}` records for limit=500 is 30 MB on the wire, under the body
// limit, and gigabytes once decoded; an upstream that ignores the offset
// would make an export page on for ever. Each is a contract violation
// (CodeContract → UPSTREAM_CONTRACT_DRIFT), never retried, never cached.
//
//   - A list page holding more rows than its limit is refused before a row is
//     rewritten or decoded: the rows are counted on the raw body (a linear
//     scan that stops at limit+1), so the decoded page is bounded by the
//     limit whatever the body held. Values read back from the shared cache go
//     through the same decoder and are refused the same way (a miss).
//   - An offset page whose rows are the previous page's rows (same first and
//     last id) is refused.
//   - Rows past the total the upstream itself announced are refused.

// checkRowCount refuses a list body whose rows array holds more than limit
// elements. It runs on the raw body, before the wire format rewrites a row:
// one linear scan, no allocation past the path lookup.
func checkRowCount(f *wireFormat, endpoint string, body []byte, limit int) error {
	rows := body
	if i := skipSpace(body, 0); i < len(body) && body[i] != '[' {
		path := f.rows
		if path == nil {
			path = []string{"data"} // as decodeList tries
		}
		got, err := extract(body, [][]string{path}, nil)
		if err != nil || got[0] == nil {
			return nil // the decoder says why
		}
		rows = got[0]
	}
	if n, over := countElements(rows, limit); over {
		return &Error{Code: CodeContract, Endpoint: endpoint, Status: http.StatusOK, final: true,
			Message: fmt.Sprintf("the Aspire API sent more rows than the %d asked for (at least %d): refused", limit, n)}
	}
	return nil
}

// countElements counts the elements of the JSON array b, stopping once past
// limit (over reports that). Anything not an array is left to the decoder.
func countElements(b []byte, limit int) (n int, over bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return 0, false
	}
	for i < len(b) {
		end, err := skipValue(b, i)
		if err != nil {
			return n, false // malformed: the decoder says why
		}
		if n++; n > limit {
			return n, true
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ',' {
			return n, false
		}
		i = skipSpace(b, i+1)
	}
	return n, false
}

// pageChecks refuses a page that repeats the previous one or brings the rows
// past the announced total. start is the offset the sequence began at.
type pageChecks[T any] struct {
	endpoint string
	prev     *Page[T]
	rows     int
	start    int
}

func (c *pageChecks[T]) check(p *Page[T]) error {
	defer func() { c.prev = p }()
	c.rows += p.Rows
	if prev := c.prev; prev != nil && len(p.Items) > 0 && p.Rows == prev.Rows && p.Offset != prev.Offset &&
		idOf(p.Items[0]) != "" && idOf(p.Items[0]) == idOf(prev.Items[0]) && idOf(p.Items[len(p.Items)-1]) == idOf(prev.Items[len(prev.Items)-1]) {
		return &Error{Code: CodeContract, Endpoint: c.endpoint, Status: http.StatusOK, final: true,
			Message: fmt.Sprintf("the Aspire API sent the same rows for offset %d as for offset %d (it ignores the offset): refused", p.Offset, prev.Offset)}
	}
	if p.Total >= 0 && c.start+c.rows > p.Total {
		return &Error{Code: CodeContract, Endpoint: c.endpoint, Status: http.StatusOK, final: true,
			Message: fmt.Sprintf("the Aspire API sent more rows (%d from offset %d) than the total of %d it announced: refused", c.rows, c.start, p.Total)}
	}
	return nil
}

func idOf(v any) string {
	if k, ok := v.(interface{ key() string }); ok {
		return k.key()
	}
	return ""
}
