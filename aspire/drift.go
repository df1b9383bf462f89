package aspire

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
)

// Contract drift: the client decodes leniently (unknown fields are ignored,
// missing ones stay null, other spellings are accepted), but it notices.
// Every so often per endpoint it compares a response's keys with the active
// contract's (file or built-in) and reports each difference as an
// EventDrift.

// Drift is one difference between a response and the contract.
type Drift struct {
	Field string `json:"field"` // dotted path in the contract's names, "[]" for list elements: "data[].metrics.tmv"
	// Kind is "unknown" (sent, not in the contract), "missing" (in the
	// contract, not sent), "spelling" (sent as Got, another spelling of the
	// contract's name: accepted), "bare array" (a list sent as a bare array
	// where the contract has an envelope: accepted) or "envelope" (the
	// reverse).
	Kind string `json:"kind"`
	Got  string `json:"got,omitempty"`

	rec, ours string // for "missing": the record type and our field name
}

var builtinFormat = compile(contract.Default())

// ShapeDiff compares body, the answer of endpoint (a list or a by-id
// endpoint such as "/v1/posts" or "/v1/posts/{id}"), with the built-in
// contract.
func ShapeDiff(endpoint string, body []byte) []Drift { return shapeDiff(builtinFormat, endpoint, body) }

// ShapeDiffWith compares body with contract c (see ShapeDiff).
func ShapeDiffWith(c *contract.Contract, endpoint string, body []byte) []Drift {
	return shapeDiff(compile(c), endpoint, body)
}

func shapeDiff(f *wireFormat, endpoint string, body []byte) []Drift {
	rec := f.recordNode(endpoint)
	if rec == nil {
		return nil
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return []Drift{{Field: "(body)", Kind: "unreadable"}}
	}
	var out []Drift
	if strings.HasSuffix(endpoint, "/{id}") {
		path := strings.Join(f.data, ".")
		if f.data != nil {
			if r, ok := at(v, f.data); ok {
				v = r
			} else {
				out = append(out, Drift{Field: path, Kind: "missing"})
				path = ""
			}
		}
		diffNode(&out, path, v, rec)
	} else {
		rows := v
		prefix := strings.Join(f.rows, ".")
		switch obj := v.(type) {
		case []any:
			if f.rows != nil {
				out = append(out, Drift{Field: "(list)", Kind: "bare array"})
			}
		case map[string]any:
			if f.rows == nil {
				out = append(out, Drift{Field: "(list)", Kind: "envelope"})
				prefix = "data"
				rows, _ = obj["data"]
				break
			}
			var ok bool
			if rows, ok = at(v, f.rows); !ok {
				out = append(out, Drift{Field: prefix, Kind: "missing"})
			}
			for _, p := range [][]string{f.total, f.hasMore} {
				if _, ok := at(v, p); p != nil && !ok {
					out = append(out, Drift{Field: strings.Join(p, "."), Kind: "missing"})
				}
			}
			for k := range obj {
				if !slices.ContainsFunc([][]string{f.rows, f.total, f.hasMore}, func(p []string) bool { return len(p) > 0 && p[0] == k }) {
					out = append(out, Drift{Field: k, Kind: "unknown"})
				}
			}
		}
		if arr, ok := rows.([]any); ok && len(arr) > 0 {
			diffNode(&out, prefix+"[]", arr[0], rec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field+out[i].Kind < out[j].Field+out[j].Kind })
	return out
}

// at returns the value at a dotted path.
func at(v any, path []string) (any, bool) {
	for _, p := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

// diffNode compares a decoded JSON value with the node that reads it.
func diffNode(out *[]Drift, path string, v any, n *node) {
	if n == nil {
		return
	}
	switch n.kind {
	case nodeObject:
		obj, ok := v.(map[string]any)
		if !ok {
			return // null or a wrong type: decoding reports the latter
		}
		seen := map[string]bool{}
		for _, ours := range slices.Sorted(maps.Keys(n.names)) {
			w := n.names[ours]
			child, present := obj[w]
			got := w
			if !present {
				for _, alt := range []string{snake(w), camel(w)} {
					if child, present = obj[alt]; present {
						got = alt
						*out = append(*out, Drift{Field: join(path, w), Kind: "spelling", Got: alt})
						break
					}
				}
			}
			if !present {
				if !n.optional {
					*out = append(*out, Drift{Field: join(path, w), Kind: "missing", rec: n.rec, ours: ours})
				}
				continue
			}
			seen[got] = true
			diffNode(out, join(path, w), child, n.fields[got].child)
		}
		for k := range obj {
			if !seen[k] {
				*out = append(*out, Drift{Field: join(path, k), Kind: "unknown"})
			}
		}
	case nodeArray:
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			diffNode(out, path+"[]", arr[0], n.elem)
		}
	case nodeMap:
		if obj, ok := v.(map[string]any); ok {
			for _, child := range obj {
				diffNode(out, path+"{}", child, n.elem)
				break
			}
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// driftSampler checks an endpoint's responses at most once a minute, and
// remembers which record fields the latest sample of each endpoint lacked.
type driftSampler struct {
	mu      sync.Mutex
	last    map[string]time.Time
	missing map[string]map[string]bool // endpoint → "record.field" its latest sample lacked
	counted bool                       // this client is counted in driftingClients
	absent  atomic.Pointer[map[string]bool]
}

// driftingClients counts the clients whose latest samples lack a field. While
// it is zero, the normal case, graph's per-field check of drift is this one
// atomic load (see Drifting); a process normally holds one client.
var driftingClients atomic.Int32

// Drifting reports whether any client's latest samples lacked a field the
// contract names: the cheap test before Tenant.Missing.
func Drifting() bool { return driftingClients.Load() > 0 }

func (d *driftSampler) due(endpoint string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		d.last = map[string]time.Time{}
	}
	if now.Sub(d.last[endpoint]) < time.Minute {
		return false
	}
	d.last[endpoint] = now
	return true
}

func (c *Client) checkDrift(ctx context.Context, endpoint string, body []byte) {
	if !c.drift.due(endpoint, c.cfg.now()) {
		return
	}
	diffs := shapeDiff(c.wf, endpoint, body)
	c.drift.setMissing(endpoint, diffs)
	if c.cfg.observer == nil {
		return
	}
	for _, d := range diffs {
		c.observe(ctx, Event{Kind: EventDrift, Endpoint: endpoint, Field: d.Field, Drift: d.Kind})
	}
}

// setMissing remembers the fields the latest sample of endpoint lacked (nil
// diffs: none) and publishes the union over the endpoints, nil when empty.
func (d *driftSampler) setMissing(endpoint string, diffs []Drift) {
	var set map[string]bool
	for _, x := range diffs {
		if x.Kind == "missing" && x.rec != "" {
			if set == nil {
				set = map[string]bool{}
			}
			set[x.rec+"."+x.ours] = true
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if set == nil && d.missing[endpoint] == nil {
		return // the normal case: nothing was, nothing is
	}
	if d.missing == nil {
		d.missing = map[string]map[string]bool{}
	}
	d.missing[endpoint] = set
	union := map[string]bool{}
	for _, s := range d.missing {
		maps.Copy(union, s)
	}
	if len(union) == 0 {
		d.absent.Store(nil)
	} else {
		d.absent.Store(&union)
	}
	d.count(len(union) > 0)
}

// count keeps driftingClients in step with this client; d.mu is held.
func (d *driftSampler) count(drifting bool) {
	if drifting != d.counted {
		d.counted = drifting
		if drifting {
			driftingClients.Add(1)
		} else {
			driftingClients.Add(-1)
		}
	}
}

// close forgets the drift seen, so a closed client no longer counts.
func (d *driftSampler) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.missing = nil
	d.absent.Store(nil)
	d.count(false)
}

// Missing reports whether the latest sample of any endpoint lacked field
// (our name, "tmv") of record type rec ("metrics"): a null or zero value
// there is drift, not data.
func (t *Tenant) Missing(rec, field string) bool {
	if m := t.c.drift.absent.Load(); m != nil {
		return (*m)[rec+"."+field]
	}
	return false
}
