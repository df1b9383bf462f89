package aspire

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
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
					*out = append(*out, Drift{Field: join(path, w), Kind: "missing"})
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

// driftSampler checks an endpoint's responses at most once a minute.
type driftSampler struct {
	mu   sync.Mutex
	last map[string]time.Time
}

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
	if c.cfg.observer == nil || !c.drift.due(endpoint, c.cfg.now()) {
		return
	}
	for _, d := range shapeDiff(c.wf, endpoint, body) {
		c.observe(ctx, Event{Kind: EventDrift, Endpoint: endpoint, Field: d.Field, Drift: d.Kind})
	}
}
