package aspire

import "context"

// Repeated ids. A list page that holds the same id twice, or a walk whose
// pages repeat an earlier page's id (an offset page read while rows were
// added before it), would hand a client the same record twice: a GraphQL
// list with one post in two edges, an export with the row twice and its
// metrics summed twice downstream. Repeats are a contract violation
// (UPSTREAM_CONTRACT_DRIFT, counted as drift kind "duplicate" on field
// "data[].id"); the first occurrence is kept and the repeats are dropped.
//
//   - Within a page: dropped as the page is decoded (before it is cached), so
//     Page.Items holds each id once. Page.Rows keeps the count the upstream
//     sent: the next offset and "a short page is the end" run on it, so a
//     page shortened by its repeats neither re-reads rows nor ends a walk
//     early.
//   - Across the pages of one walk (exports, All…): the ids of the last
//     seenWindow rows are remembered (a ring and a map: bounded memory
//     whatever the walk's length) and a later row with one of them is
//     dropped. A repeat farther back than that passes; an upstream that
//     ignores the offset altogether is refused by pageChecks instead.
//   - Counted once: one drift event per page handed out (a GraphQL list) or
//     per walk (an export), however many repeats it held.
//   - Total stays the upstream's: totalCount is the number of rows the
//     upstream says match, repeats included, so it can exceed the distinct
//     ids a client is handed by the number of repeats dropped. Cursors and
//     hasNextPage count upstream rows too (Page.Rows), so paging on never
//     skips or re-reads a row.

// seenWindow is how many of a walk's latest ids are remembered: four full
// pages, about 100 KB of ids.
const seenWindow = 4 * MaxLimit

// dropRepeats returns rows without the rows whose id an earlier row has,
// in place (the rows are freshly decoded). Records without an id are kept.
func dropRepeats[T any](rows []T) []T {
	if len(rows) < 2 || !hasKey[T]() {
		return rows
	}
	seen := make(map[string]struct{}, len(rows))
	out := rows[:0]
	for _, r := range rows {
		if id := idOf(r); id != "" {
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
		}
		out = append(out, r)
	}
	clear(rows[len(out):]) // no stale copies past the end
	return out
}

// hasKey reports whether T's records have ids to compare.
func hasKey[T any]() bool {
	var z T
	_, ok := any(z).(interface{ key() string })
	return ok
}

// seenIDs remembers the ids of a walk's latest rows, at most n of them.
type seenIDs struct {
	ring []string
	next int
	in   map[string]int // id → how many times it is in ring
}

func newSeenIDs(n int) *seenIDs {
	return &seenIDs{ring: make([]string, 0, n), in: make(map[string]int, n)}
}

// filterPage returns p without the rows whose id was seen earlier in the
// walk (a copy: p may be shared through the cache) and how many it dropped,
// and remembers the ids it kept.
func filterPage[T any](s *seenIDs, p *Page[T]) (*Page[T], int) {
	if !hasKey[T]() {
		return p, 0
	}
	var kept []T
	for i, r := range p.Items {
		id := idOf(r)
		if _, dup := s.in[id]; dup && id != "" {
			if kept == nil {
				kept = append(make([]T, 0, len(p.Items)-1), p.Items[:i]...)
			}
			continue
		}
		if kept != nil {
			kept = append(kept, r)
		}
	}
	dropped := 0
	if kept != nil {
		dropped = len(p.Items) - len(kept)
		q := *p
		q.Items = kept
		p = &q
	}
	for _, r := range p.Items {
		if id := idOf(r); id != "" {
			s.remember(id)
		}
	}
	return p, dropped
}

func (s *seenIDs) remember(id string) {
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, id)
	} else {
		old := s.ring[s.next]
		if s.in[old]--; s.in[old] == 0 {
			delete(s.in, old)
		}
		s.ring[s.next] = id
		s.next = (s.next + 1) % len(s.ring)
	}
	s.in[id]++
}

// repeated counts a page or walk that held repeated ids as drift.
func (c *Client) repeated(ctx context.Context, endpoint string) {
	if c.cfg.observer != nil {
		c.observe(ctx, Event{Kind: EventDrift, Endpoint: endpoint, Field: "data[].id", Drift: "duplicate"})
	}
}
