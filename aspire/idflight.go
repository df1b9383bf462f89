package aspire

import "sync"

// idFlights makes concurrent by-id look-ups fetch each record once. The
// response cache already holds by-id rows one by one, but when they expire
// under load every request's loader asks again for its own batch, and
// batches differ from request to request (a loader's tick is a matter of
// timing), so the in-flight de-duplication by URL merges none of them: W3 at
// 128 connections made 8.3 upstream calls per query where a cold query makes
// a handful. A look-up claims the ids nobody is fetching, fetches those, and
// waits for the others' fetches of the rest.
type idFlights struct {
	mu sync.Mutex
	m  map[string]*idBatch // cache key (tenant, path, query, id) → its fetch
}

// idBatch is one look-up's fetch of the ids it claimed. rows and err are
// written before done is closed and only read after.
type idBatch struct {
	done chan struct{}
	rows map[string]any
	err  error
	// abandoned: the fetch stopped because its own caller went away. A
	// waiter fetches itself the ids such a fetch, or a failed one, did not
	// bring.
	abandoned bool
}

func newIDFlights() *idFlights { return &idFlights{m: make(map[string]*idBatch)} }

// claim splits ids (sorted, distinct) into those this look-up fetches, under
// the returned batch, and those others are fetching, by their batch. hit
// looks an id up in the cache again, under the lock: a fetch that finished
// since the caller's first look filled the cache before it let go of its ids.
func (f *idFlights) claim(prefix string, ids []string, hit func(id string) bool) (mine []string, b *idBatch, others map[*idBatch][]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		if hit(id) {
			continue
		}
		if o, ok := f.m[prefix+id]; ok {
			if others == nil {
				others = make(map[*idBatch][]string)
			}
			others[o] = append(others[o], id)
			continue
		}
		if b == nil {
			b = &idBatch{done: make(chan struct{})}
		}
		f.m[prefix+id] = b
		mine = append(mine, id)
	}
	return mine, b, others
}

// release publishes b's outcome to its waiters and forgets its ids.
func (f *idFlights) release(prefix string, ids []string, b *idBatch, rows map[string]any, err error, abandoned bool) {
	b.rows, b.err, b.abandoned = rows, err, abandoned
	f.mu.Lock()
	for _, id := range ids {
		if f.m[prefix+id] == b {
			delete(f.m, prefix+id)
		}
	}
	f.mu.Unlock()
	close(b.done)
}
