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
	// Kind is "unknown" (sent, not in the contract), "missing" (a required
	// field of the contract not sent, or an optional one the upstream
	// stopped sending, see driftSampler), "absent" (an optional field this
	// record does not carry: information, it reads as null), "spelling" (sent as Got, another spelling of the
	// contract's name: accepted), "bare array" (a list sent as a bare array
	// where the contract has an envelope: accepted) or "envelope" (the
	// reverse).
	Kind string `json:"kind"`
	Got  string `json:"got,omitempty"`

	rec, ours string // for "missing": the record type and our field name
}

// Record returns the record type and our field name of a "missing" or
// "absent" drift ("metrics", "tmv"); empty for the other kinds.
func (d Drift) Record() (rec, field string) { return d.rec, d.ours }

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
			if !present { // another key the rewriter reads it from ("projects" for project_ids)
				for _, k := range slices.Sorted(maps.Keys(obj)) {
					if fl, ok := n.fields[k]; ok && fl.out == n.fields[w].out && k != w {
						child, present, got = obj[k], true, k
						*out = append(*out, Drift{Field: join(path, w), Kind: "spelling", Got: k})
						break
					}
				}
			}
			if !present {
				switch {
				case n.optional:
				case contract.Required(n.rec, ours):
					*out = append(*out, Drift{Field: join(path, w), Kind: "missing", rec: n.rec, ours: ours})
				default:
					*out = append(*out, Drift{Field: join(path, w), Kind: "absent", rec: n.rec, ours: ours})
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
//
// Absent is not drift: an optional field (not in contract.RequiredFields)
// that a record leaves out reads as null, silently. It is drift only once
// the upstream stopped sending it: every record of every earlier sample of
// the endpoint carried it (it is "established"; a stopped field back in
// every record of a sample is established again), and no record of the
// latest sample does. It stays drift until a sample carries it again. A
// sparse upstream, leaving a field out of some records, never establishes
// it; a field no sample carried is simply never sent.
type driftSampler struct {
	mu          sync.Mutex
	last        map[string]time.Time
	established map[string]map[string]fieldRef // endpoint → path → optional fields every sampled record carried
	stopped     map[string]map[string]fieldRef // endpoint → path → established fields the latest sample lacked
	missing     map[string]map[string]bool     // endpoint → "record.field" its latest sample lacked
	counted     bool                           // this client is counted in driftingClients
	absent      atomic.Pointer[map[string]bool]
}

// driftingClients counts the clients whose latest samples lack a field. While
// it is zero, the normal case, graph's per-field check of drift is this one
// atomic load (see Drifting); a process normally holds one client.
var driftingClients atomic.Int32

// sawUnreadable is set once any client has met a value it could not read
// (see rewriteScalar): from then on graph checks each record field's
// unreadable mask. It stays set: the check is cheap, and an upstream that
// sent one such value will likely send more.
var sawUnreadable atomic.Bool

// SawUnreadable reports whether any record in this process carried a value
// that could not be read (a field nulled, its bit set in the record's
// Unreadable mask).
func SawUnreadable() bool { return sawUnreadable.Load() }

// unreadable counts a response's unreadable values as drift: one event per
// response, naming the first such field.
func (c *Client) unreadable(ctx context.Context, endpoint string, bad badValues) {
	if bad.n == 0 {
		return
	}
	sawUnreadable.Store(true)
	if c.cfg.observer != nil {
		c.observe(ctx, Event{Kind: EventDrift, Endpoint: endpoint, Field: bad.field, Drift: "unreadable"})
	}
}

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
	diffs = append(diffs, c.drift.stoppedFields(endpoint, carriage(c.wf, endpoint, body))...)
	c.drift.setMissing(endpoint, diffs)
	if c.cfg.observer == nil {
		return
	}
	for _, d := range diffs {
		if d.Kind != "absent" { // information: an optional field this record leaves out
			c.observe(ctx, Event{Kind: EventDrift, Endpoint: endpoint, Field: d.Field, Drift: d.Kind})
		}
	}
}

// fieldRef is an optional record field: its wire path in a response, and
// our record type and name.
type fieldRef struct{ rec, ours string }

// carried is which optional fields a sample's records carry: every one of
// them (all), or at least one (some).
type carried struct{ all, some map[string]fieldRef }

// carriage reads a response's records and reports which optional fields
// (top level and nested records: metrics, not maps) they carry; nil when
// it has no records.
func carriage(f *wireFormat, endpoint string, body []byte) *carried {
	rec := f.recordNode(endpoint)
	var v any
	if rec == nil || json.Unmarshal(body, &v) != nil {
		return nil
	}
	var rows []any
	prefix := ""
	if strings.HasSuffix(endpoint, "/{id}") {
		if f.data != nil {
			v, _ = at(v, f.data)
			prefix = strings.Join(f.data, ".")
		}
		rows = []any{v}
	} else {
		switch obj := v.(type) {
		case []any:
			rows = obj
		case map[string]any:
			p := f.rows
			if p == nil {
				p = []string{"data"}
			}
			r, _ := at(v, p)
			rows, _ = r.([]any)
			prefix = strings.Join(p, ".") + "[]"
		}
	}
	c := &carried{all: map[string]fieldRef{}, some: map[string]fieldRef{}}
	for i, r := range rows {
		seen := map[string]fieldRef{}
		carriedIn(seen, prefix, r, rec)
		for p, ref := range seen {
			c.some[p] = ref
		}
		if i == 0 {
			maps.Copy(c.all, seen)
			continue
		}
		maps.DeleteFunc(c.all, func(p string, _ fieldRef) bool { _, ok := seen[p]; return !ok })
	}
	if len(rows) == 0 {
		return nil
	}
	return c
}

// carriedIn adds to seen the optional fields of n that obj carries with a
// value (null counts as carried: the key is there).
func carriedIn(seen map[string]fieldRef, path string, v any, n *node) {
	obj, ok := v.(map[string]any)
	if !ok || n == nil || n.kind != nodeObject || n.optional {
		return
	}
	for k, child := range obj {
		fl, ok := n.fields[k]
		if !ok {
			continue
		}
		ours := strings.Trim(fl.out, `":`)
		p := join(path, n.names[ours])
		if fl.child != nil && fl.child.kind == nodeObject {
			carriedIn(seen, p, child, fl.child)
			continue
		}
		if !contract.Required(n.rec, ours) {
			seen[p] = fieldRef{n.rec, ours}
		}
	}
}

// stoppedFields updates what endpoint's samples carried with the latest, c,
// and returns, as "missing" drift, the optional fields the upstream stopped
// sending (see driftSampler).
func (d *driftSampler) stoppedFields(endpoint string, c *carried) []Drift {
	if c == nil {
		return nil // no records: nothing to learn
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.established == nil {
		d.established, d.stopped = map[string]map[string]fieldRef{}, map[string]map[string]fieldRef{}
	}
	est, had := d.established[endpoint]
	stopped := map[string]fieldRef{}
	for p, ref := range est {
		if _, ok := c.some[p]; !ok {
			stopped[p] = ref
		}
	}
	for p, ref := range d.stopped[endpoint] {
		if _, ok := c.some[p]; !ok {
			stopped[p] = ref
		}
	}
	if !had {
		d.established[endpoint] = c.all
	} else {
		// Established stays what every sample carried; a field that was
		// stopped and is back in every record is established again.
		maps.DeleteFunc(est, func(p string, _ fieldRef) bool { _, ok := c.all[p]; return !ok })
		for p, ref := range d.stopped[endpoint] {
			if _, ok := c.all[p]; ok {
				est[p] = ref
			}
		}
	}
	d.stopped[endpoint] = stopped
	var out []Drift
	for _, p := range slices.Sorted(maps.Keys(stopped)) {
		out = append(out, Drift{Field: p, Kind: "missing", rec: stopped[p].rec, ours: stopped[p].ours})
	}
	return out
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
