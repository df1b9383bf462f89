package aspire

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// Page is one page of a list.
type Page[T any] struct {
	Items []T // each id once (see dups.go)
	// Rows is how many rows the upstream sent for this page, repeated ids
	// included: the paging arithmetic (the next offset, a short page as the
	// end) runs on it, never on len(Items).
	Rows    int
	Offset  int
	Limit   int
	Total   int  // rows matching the query, over all pages; -1 when unknown (see TotalErr)
	HasMore bool // whether rows follow this page
	// TotalErr says why Total is unknown when the upstream sends no total
	// and counting the rows failed (say, past the operation's budget): the
	// page itself is good.
	TotalErr error
	repeats  int // rows of this page dropped as repeats of an earlier row
}

// Paging limits, as the upstream has them.
const (
	DefaultLimit = wire.DefaultLimit
	MaxLimit     = wire.MaxLimit
	MaxIDs       = wire.MaxIDsPerCall
)

// list fetches one page and counts its repeated ids as drift (once).
func list[T any](ctx context.Context, t *Tenant, path string, v url.Values, offset, limit int, count ...bool) (*Page[T], error) {
	p, err := listPage[T](ctx, t, path, v, offset, limit, count...)
	if err == nil && p.repeats > 0 {
		t.c.repeated(ctx, path)
	}
	return p, err
}

// listPage fetches one page. Where the upstream sends no total, count says
// whether to count the rows by paging on with the largest page (each page a
// call, counted against the budget and cached); without count Total is -1
// unless the page itself shows the end.
func listPage[T any](ctx context.Context, t *Tenant, path string, v url.Values, offset, limit int, count ...bool) (*Page[T], error) {
	if err := checkPaging(path, offset, limit); err != nil {
		return nil, err
	}
	l, err := fetchList[T](ctx, t, path, v, offset, limit)
	if err != nil {
		return nil, err
	}
	eff := limit
	if eff == 0 {
		eff = DefaultLimit
	}
	p := &Page[T]{Items: l.Rows, Rows: l.Raw, Offset: offset, Limit: eff, Total: -1, repeats: l.Raw - len(l.Rows)}
	switch {
	case l.Total != nil:
		p.Total = *l.Total
	case l.Raw < eff || (l.HasMore != nil && !*l.HasMore):
		p.Total = offset + l.Raw // the page shows the end
	case len(count) > 0 && count[0]:
		n, err := countFrom[T](ctx, t, path, v, offset+l.Raw)
		if err != nil {
			p.TotalErr = err
			break
		}
		p.Total = n
	}
	switch {
	case l.HasMore != nil:
		p.HasMore = *l.HasMore
	case p.Total >= 0:
		p.HasMore = offset+l.Raw < p.Total
	default:
		p.HasMore = l.Raw == eff
	}
	return p, nil
}

func fetchList[T any](ctx context.Context, t *Tenant, path string, v url.Values, offset, limit int) (listBody[T], error) {
	if offset > 0 {
		v.Set(wire.ParamOffset, strconv.Itoa(offset))
	}
	if limit > 0 {
		v.Set(wire.ParamLimit, strconv.Itoa(limit))
	}
	eff := limit
	if eff == 0 {
		eff = DefaultLimit
	}
	return get(ctx, t, path, path, v, func(b []byte) (listBody[T], error) {
		if err := checkRowCount(t.c.wf, path, b, eff); err != nil { // pagecheck.go
			return listBody[T]{}, err
		}
		l, err := decodeList[T](t.c.wf, path, b, t.c.cfg.decode)
		t.c.unreadable(ctx, path, l.Bad)
		l.Raw = len(l.Rows)
		l.Rows = dropRepeats(l.Rows) // dups.go; before the page is cached
		return l, err
	})
}

// maxCountPages bounds counting: an upstream that ignores the offset would
// otherwise send full pages for ever.
const maxCountPages = 1000

// countFrom counts the rows from offset on by paging with the largest page.
func countFrom[T any](ctx context.Context, t *Tenant, path string, v url.Values, offset int) (int, error) {
	for range maxCountPages {
		l, err := fetchList[T](ctx, t, path, cloneValues(v), offset, MaxLimit)
		if err != nil {
			return 0, err
		}
		offset += l.Raw
		if l.Raw < MaxLimit || (l.HasMore != nil && !*l.HasMore) {
			return offset, nil
		}
	}
	return 0, &Error{Code: CodeUnavailable, Endpoint: path,
		Message: fmt.Sprintf("the Aspire API sent no total and more than %d full pages while counting", maxCountPages)}
}

func checkPaging(endpoint string, offset, limit int) error {
	if offset < 0 || limit < 0 || limit > MaxLimit {
		return invalid(endpoint, "offset must be >= 0 and limit 0…%d (0: the upstream's default of %d), got offset %d, limit %d",
			MaxLimit, DefaultLimit, offset, limit)
	}
	return nil
}

// pages yields every page from offset on, fetching up to the client's page
// concurrency ahead while delivering in order, and stops at the first error,
// when the consumer stops, or when ctx is done. limit 0 means MaxLimit.
func pages[T any](ctx context.Context, t *Tenant, path string, v url.Values, offset, limit int) iter.Seq2[*Page[T], error] {
	if limit == 0 {
		limit = MaxLimit
	}
	return func(deliver func(*Page[T], error) bool) {
		checks := pageChecks[T]{endpoint: path, start: offset}
		seen := newSeenIDs(seenWindow) // dups.go
		counted := false
		yield := func(p *Page[T], err error) bool {
			if err == nil {
				if err = checks.check(p); err != nil {
					deliver(nil, err)
					return false
				}
				// Repeats within the page were dropped as it was decoded;
				// those of earlier pages of this walk are dropped here. One
				// drift event per walk, whichever kind.
				var dropped int
				if p, dropped = filterPage(seen, p); (dropped > 0 || p.repeats > 0) && !counted {
					counted = true
					t.c.repeated(ctx, path)
				}
			}
			return deliver(p, err)
		}
		first, err := listPage[T](ctx, t, path, cloneValues(v), offset, limit)
		if err != nil {
			yield(nil, err)
			return
		}
		if !yield(first, nil) || !first.HasMore || first.Rows == 0 {
			return
		}
		// The first page's total says how many pages follow: fetch them
		// concurrently, at most `conc` ahead of the consumer.
		var offsets []int // none when the upstream sends no total: one page at a time then
		for o := offset + limit; o < first.Total; o += limit {
			offsets = append(offsets, o)
		}
		last, ok := fetchAhead(ctx, t, path, v, offsets, limit, yield)
		if last == nil {
			last = first
		}
		// Rows added since the first page: carry on one page at a time rather
		// than stop short.
		for ok && last != nil && last.HasMore && last.Rows > 0 {
			p, err := listPage[T](ctx, t, path, cloneValues(v), last.Offset+last.Rows, limit)
			if err != nil {
				yield(nil, err)
				return
			}
			ok, last = yield(p, nil), p
		}
	}
}

// fetchAhead fetches the pages at offsets with bounded concurrency and yields
// them in order. It returns the last page yielded and whether to go on.
func fetchAhead[T any](ctx context.Context, t *Tenant, path string, v url.Values, offsets []int, limit int,
	yield func(*Page[T], error) bool) (*Page[T], bool) {
	if len(offsets) == 0 {
		return nil, true
	}
	type result struct {
		p   *Page[T]
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	slots := make([]chan result, len(offsets))
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	ahead := make(chan struct{}, t.c.cfg.pageConcurrency)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, o := range offsets {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := listPage[T](ctx, t, path, cloneValues(v), o, limit)
				slots[i] <- result{p, err}
			}()
		}
	}()
	var last *Page[T]
	for _, slot := range slots {
		var r result
		select {
		case r = <-slot:
		case <-ctx.Done():
			yield(nil, contextError(path, ctx.Err()))
			return last, false
		}
		<-ahead
		if r.err != nil {
			yield(nil, r.err)
			return last, false
		}
		if !yield(r.p, nil) {
			return last, false
		}
		last = r.p
		if r.p.Rows == 0 {
			return last, false // rows removed since the first page: nothing further
		}
	}
	return last, true
}

// collect gathers every item of a page sequence.
func collect[T any](seq iter.Seq2[*Page[T], error]) ([]T, error) {
	var all []T
	for p, err := range seq {
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
	}
	return all, nil
}

// byID looks records up by id in calls of at most MaxIDs ids, run
// concurrently. It returns the rows found keyed by id and the first error;
// rows of the calls that succeeded are returned even when another failed, so
// a caller can fail only the ids that were in the failed call.
//
// Rows are also cached one by one (per tenant and query), and only the ids
// not cached are asked for: batches that split differently from one request
// to the next (a loader's tick is a matter of timing) still hit the cache.
// With de-duplication on, an id another look-up is fetching is waited for,
// not fetched again (idFlights).
func byID[T interface{ key() string }](ctx context.Context, t *Tenant, path, param string, ids []string, v url.Values) (map[string]T, error) {
	// An id that is empty or holds a comma names no record, and sent in a
	// comma list it would ask for others: leave it out (it comes back missing).
	ids = slices.DeleteFunc(uniqueSorted(ids), func(id string) bool { return id == "" || strings.Contains(id, ",") })
	out := make(map[string]T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	prefix := t.id + " " + path + "?" + v.Encode() + "#"
	missing := ids
	if c := t.c.cache; c != nil && t.c.keys.fresh(t.id) { // else the call verifies the key first
		missing = missing[:0:0]
		for _, id := range ids {
			if r, ok := c.get(prefix + id); ok {
				out[id] = r.(T)
			} else {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			t.c.observe(ctx, Event{Kind: EventCacheHit, Endpoint: path})
			return out, nil
		}
	}
	var (
		mu       sync.Mutex
		firstErr error
		ttl      = t.c.ttlFor(v)
	)
	single, size := t.c.wf.c.IDs.Batch == contract.BatchSingle, min(MaxIDs, t.c.wf.c.IDs.Max)
	if single {
		size = 1
	}
	// fetch asks the upstream for ids, concurrently in calls of size ids,
	// and files the rows in out (and in got, for the look-ups waiting on them).
	fetch := func(ids []string, got map[string]any) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, t.c.cfg.pageConcurrency)
		for chunk := range slices.Chunk(ids, size) {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				var p *Page[T]
				var err error
				if single { // one by-id call per id; an unknown id is not an error
					var r *T
					if r, err = one[T](ctx, t, path, chunk[0], cloneValues(v)); err == nil {
						p = &Page[T]{Items: []T{*r}}
					} else if e, ok := err.(*Error); ok && e.Code == CodeNotFound {
						p, err = &Page[T]{}, nil
					}
				} else {
					q := cloneValues(v)
					q.Set(param, strings.Join(chunk, ","))
					p, err = list[T](ctx, t, path, q, 0, len(chunk))
				}
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					return
				}
				for _, r := range p.Items {
					k := r.key()
					out[k] = r
					var boxed any = r
					if got != nil {
						got[k] = boxed
					}
					if c := t.c.cache; c != nil {
						c.set(prefix+k, boxed, entityWeight, ttl)
					}
				}
			}()
		}
		wg.Wait()
	}
	f := t.c.ids
	if f == nil {
		fetch(missing, nil)
		return out, firstErr
	}
	mine, b, others := f.claim(prefix, missing, func(id string) bool {
		if c := t.c.cache; c != nil {
			if r, ok := c.get(prefix + id); ok {
				out[id] = r.(T)
				return true
			}
		}
		return false
	})
	if b != nil {
		got := make(map[string]any, len(mine))
		fetch(mine, got)
		mu.Lock()
		err := firstErr
		mu.Unlock()
		f.release(prefix, mine, b, got, err, ctx.Err() != nil)
	}
	var again []string
	if len(others) > 0 {
		// Another caller's fetch may need a CPU slot this caller holds to
		// hand its rows over (graph/admission.go): a wait like any other.
		resume := waiting(ctx)
		defer resume()
	}
	for o, ids := range others {
		select {
		case <-o.done:
		case <-ctx.Done():
			return out, contextError(path, ctx.Err())
		}
		for _, id := range ids {
			switch r, ok := o.rows[id]; {
			case ok:
				out[id] = r.(T)
			case o.abandoned || o.err != nil:
				// Its fetch failed or its caller left: try on our own, with our
				// own retries, as before the ids were shared, so that one
				// caller's bad luck under faults does not fail every waiter.
				again = append(again, id)
			}
		}
	}
	if len(again) > 0 {
		slices.Sort(again)
		fetch(again, nil)
	}
	return out, firstErr
}

// entityWeight is what one cached record counts against the cache's bytes:
// a member with its roll-ups encodes to about 2 KB, a post to under 1 KB.
const entityWeight = 1 << 10

// one fetches the record at path/id.
func one[T any](ctx context.Context, t *Tenant, path, id string, v url.Values) (*T, error) {
	if id == "" || strings.ContainsAny(id, "/?#%") {
		return nil, invalid(path, "invalid id %q", id)
	}
	r, err := get(ctx, t, path+"/{id}", path+"/"+url.PathEscape(id), v, func(b []byte) (T, error) {
		var bad badValues
		r, err := decodeOne[T](t.c.wf, path, b, t.c.cfg.decode, &bad)
		t.c.unreadable(ctx, path+"/{id}", bad)
		return r, err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func invalid(endpoint, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Endpoint: endpoint, Message: fmt.Sprintf(format, args...)}
}

func uniqueSorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+3)
	for k, vs := range v {
		out[k] = vs
	}
	return out
}
