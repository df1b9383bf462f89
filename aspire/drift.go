package aspire

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// Contract drift: the client decodes leniently (unknown fields are ignored,
// missing ones stay null), but it notices. Every so often per endpoint it
// compares a response's keys with the contract's (the json tags of the
// records and the envelope) and reports each difference as an EventDrift.

// Drift is one difference between a response and the contract.
type Drift struct {
	Field string // dotted path, "[]" for list elements: "data[].metrics.tmv"
	Kind  string // "unknown" (sent, not in the contract) or "missing" (in the contract, not sent)
}

// ShapeDiff compares body, the answer of path (a list or a by-id path such
// as "/v1/posts" or "/v1/posts/{id}"), with the contract.
func ShapeDiff(endpoint string, body []byte) []Drift {
	t := contractType(endpoint)
	if t == nil {
		return nil
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return []Drift{{Field: "(body)", Kind: "unreadable"}}
	}
	var out []Drift
	diff(&out, "", v, t)
	sort.Slice(out, func(i, j int) bool { return out[i].Field+out[i].Kind < out[j].Field+out[j].Kind })
	return out
}

func contractType(endpoint string) reflect.Type {
	one := strings.HasSuffix(endpoint, "/{id}")
	var rec reflect.Type
	switch strings.TrimSuffix(endpoint, "/{id}") {
	case wire.PathPosts:
		rec = reflect.TypeFor[Post]()
	case wire.PathMembers:
		rec = reflect.TypeFor[Member]()
	case wire.PathProjects:
		rec = reflect.TypeFor[Project]()
	case wire.PathGroups:
		rec = reflect.TypeFor[Group]()
	default:
		return nil
	}
	if one {
		return reflect.StructOf([]reflect.StructField{{Name: "Data", Type: rec, Tag: `json:"data"`}})
	}
	return reflect.StructOf([]reflect.StructField{
		{Name: "Data", Type: reflect.SliceOf(rec), Tag: `json:"data"`},
		{Name: "Pagination", Type: reflect.TypeFor[wire.Pagination](), Tag: `json:"pagination"`},
	})
}

var timeType = reflect.TypeFor[time.Time]()

// diff compares a decoded JSON value with the Go type it should fill.
func diff(out *[]Drift, path string, v any, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == timeType || reflect.PointerTo(t).Implements(reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()) {
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return // null or a wrong type: json decoding reports the latter
		}
		known := map[string]bool{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			known[name] = true
			child, present := obj[name]
			if !present {
				if !strings.Contains(opts, "omitempty") {
					*out = append(*out, Drift{Field: join(path, name), Kind: "missing"})
				}
				continue
			}
			diff(out, join(path, name), child, f.Type)
		}
		for k := range obj {
			if !known[k] {
				*out = append(*out, Drift{Field: join(path, k), Kind: "unknown"})
			}
		}
	case reflect.Slice:
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			diff(out, path+"[]", arr[0], t.Elem())
		}
	case reflect.Map:
		if obj, ok := v.(map[string]any); ok {
			for _, child := range obj {
				diff(out, path+"{}", child, t.Elem())
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
	for _, d := range ShapeDiff(endpoint, body) {
		c.observe(ctx, Event{Kind: EventDrift, Endpoint: endpoint, Field: d.Field, Drift: d.Kind})
	}
}
