package aspire

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/net/http/httpguts"

	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// wireFormat is a contract compiled for the hot path. Requests are built
// with our names (the built-in contract's) and translated here; responses
// are rewritten, in one linear pass over the bytes, into the shape and
// field names of the records' json tags and then decoded as plain structs
// (decodeRecords). That keeps the records' decoding free of the wire's names
// and makes every wire name a table lookup.
//
// Lenient by default: a list may be a bare array or the contract's
// envelope; every record field is accepted under its contract name, its
// snake_case and its camelCase spelling.
type wireFormat struct {
	c        *contract.Contract
	builtin  bool // c is the built-in contract: requests need no translation
	rows     []string
	total    []string
	hasMore  []string
	data     []string
	post     *node
	member   *node
	project  *node
	group    *node
	enumOut  map[string]map[string]string // enum → our value → wire spelling
	paramFor map[string]string            // our parameter → enum it holds
}

func compile(c *contract.Contract) *wireFormat {
	f := &wireFormat{c: c, builtin: c.IsBuiltinFormat(), rows: split(c.List.Rows), total: split(c.List.Total),
		hasMore: split(c.List.HasMore), data: split(c.Record.Data), enumOut: c.Enums}
	enumIn := func(e string) *node {
		m := map[string]string{}
		identity := true
		for ours, w := range c.Enums[e] {
			m[w] = ours
			identity = identity && ours == w
		}
		if identity {
			return nil
		}
		return &node{kind: nodeEnum, enum: m}
	}
	obj := func(rec string, children map[string]*node) *node {
		n := &node{kind: nodeObject, fields: map[string]field{}, names: map[string]string{}, rec: rec}
		ours := contract.RecordFields[rec]
		for i, f := range ours { // the contract's names first: they win over lenient spellings
			w := c.Field(rec, f)
			n.fields[w] = field{out: strconv.Quote(f) + ":", child: children[f], bit: uint(i)}
			n.order = append(n.order, w)
			n.orderF = append(n.orderF, n.fields[w])
			n.names[f] = w
		}
		for i, f := range ours {
			w := c.Field(rec, f)
			for _, alt := range []string{snake(w), camel(w)} {
				if _, taken := n.fields[alt]; !taken {
					n.fields[alt] = field{out: strconv.Quote(f) + ":", child: children[f], alias: true, bit: uint(i)}
				}
			}
		}
		return n
	}
	intNode, floatNode, boolNode := &node{kind: nodeInt}, &node{kind: nodeFloat}, &node{kind: nodeBool}
	metricKinds := map[string]*node{"engagement_rate": floatNode, "tmv": floatNode}
	for _, f := range contract.RecordFields["metrics"] {
		if metricKinds[f] == nil {
			metricKinds[f] = intNode
		}
	}
	metrics := obj("metrics", metricKinds)
	mapOf := func(e string) *node {
		n := &node{kind: nodeMap, elem: metrics}
		if en := enumIn(e); en != nil {
			n.enum = en.enum
		}
		return n
	}
	refs := map[string]*node{"project_ids": {kind: nodeRefs, namesOut: `"project_names":`}, "group_ids": {kind: nodeRefs, namesOut: `"group_names":`},
		"project_names": {kind: nodeRefs}, "group_names": {kind: nodeRefs}}
	f.post = obj("post", map[string]*node{"project_ids": refs["project_ids"], "group_ids": refs["group_ids"],
		"project_names": refs["project_names"], "group_names": refs["group_names"], "metrics": metrics, "network": enumIn("network"), "post_type": enumIn("post_type"),
		"mention_source": enumIn("mention_source"), "status": enumIn("post_status"), "is_estimated": boolNode})
	handles := obj("handles", nil)
	handles.optional = true
	f.member = obj("member", map[string]*node{"project_ids": refs["project_ids"], "group_ids": refs["group_ids"],
		"project_names": refs["project_names"], "group_names": refs["group_names"], "metrics": metrics, "handles": handles,
		"by_network": mapOf("network"), "by_post_type": mapOf("post_type"), "post_count": intNode})
	// Embedded records and single ids under their usual names read as the
	// id lists too: "projects": [{"id": …, "name": …}], "project_id": "…";
	// so do single names: "project_name", "campaign_name".
	for _, n := range []*node{f.post, f.member} {
		alias := func(ours string, keys ...string) {
			fl := n.fields[n.names[ours]]
			fl.alias = true
			for _, k := range keys {
				if _, taken := n.fields[k]; !taken {
					n.fields[k] = fl
				}
			}
		}
		alias("project_ids", "projects", "project_id", "projectId", "campaigns", "campaign_id", "campaignId")
		alias("group_ids", "groups", "group_id", "groupId")
		alias("project_names", "project_name", "projectName", "campaign_name", "campaignName", "campaign_names")
		alias("group_names", "group_name", "groupName")
	}
	f.project = obj("project", map[string]*node{"status": enumIn("project_status"), "member_count": intNode})
	f.group = obj("group", map[string]*node{"member_count": intNode})
	f.paramFor = map[string]string{wire.ParamNetwork: "network", wire.ParamPostType: "post_type",
		wire.ParamMentionSource: "mention_source", wire.ParamPostStatus: "post_status",
		wire.ParamMetricsWindow: "metrics_window", wire.ParamSortBy: "sort_by", wire.ParamSortOrder: "sort_order"}
	return f
}

func split(path string) []string {
	if path == "" {
		return nil
	}
	return strings.Split(path, ".")
}

// recordNode returns the node of the records of an endpoint ("/v1/posts"…).
func (f *wireFormat) recordNode(endpoint string) *node {
	switch strings.TrimSuffix(endpoint, "/{id}") {
	case wire.PathPosts:
		return f.post
	case wire.PathMembers:
		return f.member
	case wire.PathProjects:
		return f.project
	case wire.PathGroups:
		return f.group
	}
	return nil
}

// url builds the path and query of a call: path is ours ("/v1/posts" or
// "/v1/posts/<id>"), params ours. The key is not in it (see authorize): the
// result keys caches and is safe to log. A client id that travels in a
// header is not in it either: the cache keys start with the tenant's
// fingerprint, which hashes the client id, so they stay per workspace.
func (f *wireFormat) url(endpoint, path string, params url.Values, clientID string) string {
	if f.builtin {
		params.Set(wire.ParamClientID, clientID)
		return path + "?" + params.Encode() // Encode sorts by key
	}
	c := f.c
	base := strings.TrimSuffix(endpoint, "/{id}")
	var p string
	if base != endpoint {
		p = strings.Replace(c.RecordPath(base), "{id}", strings.TrimPrefix(path, base+"/"), 1)
	} else {
		p = c.ListPath(base)
	}
	q := url.Values{}
	switch c.ClientID.In {
	case contract.ClientIDPath:
		p = strings.Replace(p, "{client_id}", url.PathEscape(clientID), 1)
	case contract.ClientIDHeader: // authorize puts it on the request
	default:
		q.Set(c.ClientID.Name, clientID)
	}
	for k, vs := range params {
		name := c.Param(k)
		for _, v := range vs {
			switch k {
			case wire.ParamStartDate, wire.ParamEndDate:
				if d, err := ParseDate(v); err == nil {
					v = contract.FormatDate(c.DateFormat, d.Time())
				}
				q.Add(name, v)
				continue
			}
			parts := strings.Split(v, ",")
			if e, ok := f.paramFor[k]; ok {
				for i, s := range parts {
					parts[i] = c.Enum(e, s)
				}
			}
			if c.IDs.Batch == contract.BatchRepeat {
				q[name] = append(q[name], parts...)
			} else {
				q.Add(name, strings.Join(parts, ","))
			}
		}
	}
	return p + "?" + q.Encode()
}

// checkCreds refuses credentials a header cannot carry (a control byte:
// the client id comes from the caller in passthrough mode, URL-decoded by
// ClientIDFrom). net/http would refuse to send them, and that transport
// error would count as an unreachable upstream: the circuit breaker is
// shared, so a few such calls would stop every tenant's. The error names
// neither value.
func (f *wireFormat) checkCreds(endpoint string, creds Creds) error {
	what := ""
	switch {
	case f.c.ClientID.In == contract.ClientIDHeader && !httpguts.ValidHeaderFieldValue(creds.ClientID):
		what = "client id"
	case f.c.Auth.In != contract.AuthQuery && !httpguts.ValidHeaderFieldValue(creds.APIKey):
		what = "API key"
	}
	if what == "" {
		return nil
	}
	return &Error{Code: CodeInvalid, Endpoint: endpoint, Message: "the " + what + " holds a control character, which cannot travel in an HTTP header"}
}

// authorize puts the key where the contract says, and the client id when
// the contract puts it in a header (url put it anywhere else).
func (f *wireFormat) authorize(req *http.Request, key, clientID string) {
	PlaceClientID(f.c, req, clientID)
	switch f.c.Auth.In {
	case contract.AuthAuthorization:
		req.Header.Set("Authorization", key)
	case contract.AuthHeader:
		req.Header.Set(f.c.Auth.Name, key)
	case contract.AuthQuery:
		q := req.URL.Query()
		q.Set(f.c.Auth.Name, key)
		req.URL.RawQuery = q.Encode()
	default:
		req.Header.Set("Authorization", "Bearer "+key)
	}
}

// listBody is a list response in our shape.
type listBody[T any] struct {
	Rows    []T
	Raw     int // rows the body held, repeated ids included (fetchList sets it)
	Total   *int
	HasMore *bool
	Bad     badValues // values that could not be read (each nulled in its record)
}

var errNoRows = errors.New("no list rows where the contract puts them")

// decodeList reads a list response: a bare array, or an envelope with the
// rows, total and has-more flag at the contract's paths.
func decodeList[T any](f *wireFormat, endpoint string, body []byte, decode func([]byte, any) error) (listBody[T], error) {
	var out listBody[T]
	root := skipSpace(body, 0)
	var rows []byte
	var sink *rowsSink
	bp := rewritePool.Get().(*[]byte)
	if root < len(body) && body[root] == '[' {
		rows = body
	} else {
		paths := [][]string{f.rows, f.total, f.hasMore}
		if f.rows == nil {
			paths[0] = []string{"data"} // an object where a bare array was expected: try the usual envelope
		}
		// The rows are rewritten as the walk meets them: one pass, not two.
		sink = &rowsSink{node: &node{kind: nodeArray, elem: f.recordNode(endpoint)}, dst: (*bp)[:0], bad: &out.Bad}
		got, err := extract(body, paths, sink)
		if err != nil {
			rewritePool.Put(bp)
			return out, err
		}
		if rows = got[0]; rows == nil {
			rewritePool.Put(bp)
			return out, errNoRows
		}
		if got[1] != nil {
			n, err := strconv.Atoi(string(bytes.TrimSpace(got[1])))
			if err == nil {
				out.Total = &n
			}
		}
		if got[2] != nil {
			switch string(bytes.TrimSpace(got[2])) {
			case "true":
				out.HasMore = new(bool)
				*out.HasMore = true
			case "false":
				out.HasMore = new(bool)
			}
		}
	}
	var b []byte
	var err error
	if sink != nil && sink.done {
		b = sink.dst
	} else {
		b, err = rewrite((*bp)[:0], rows, &node{kind: nodeArray, elem: f.recordNode(endpoint)}, &out.Bad)
	}
	if err == nil {
		err = decode(b, &out.Rows)
		*bp = b
	}
	if cap(*bp) <= 4<<20 { // let the GC have outsized buffers rather than pin them
		rewritePool.Put(bp)
	}
	return out, err
}

// decodeOne reads a by-id response: the record in the contract's envelope,
// or bare.
func decodeOne[T any](f *wireFormat, endpoint string, body []byte, decode func([]byte, any) error, bad *badValues) (T, error) {
	var out T
	rec := body
	if f.data != nil {
		got, err := extract(body, [][]string{f.data}, nil)
		if err != nil {
			return out, err
		}
		if got[0] != nil {
			rec = got[0]
		}
	}
	bp := rewritePool.Get().(*[]byte)
	b, err := rewrite((*bp)[:0], rec, f.recordNode(endpoint), bad)
	if err == nil {
		err = decode(b, &out)
		*bp = b
	}
	if cap(*bp) <= 4<<20 { // let the GC have outsized buffers rather than pin them
		rewritePool.Put(bp)
	}
	return out, err
}

// The rewriter.

type nodeKind uint8

const (
	nodeLeaf nodeKind = iota
	nodeObject
	nodeArray
	nodeMap  // an object whose keys are enum values (enum, if set, translates them)
	nodeEnum // a string value translated by enum
	// Scalars read leniently (see rewriteScalar): an integer, a float, a
	// boolean. A value they cannot read becomes null and sets the field's
	// bit in the record's unreadable mask.
	nodeInt
	nodeFloat
	nodeBool
	// nodeRefs is a list of ids (project_ids, group_ids), read as a list
	// of strings, a list of numbers, a list of objects with an id
	// (embedded records: [{"id": "1", "name": …}]) or one id alone.
	nodeRefs
)

type node struct {
	kind   nodeKind
	fields map[string]field  // object: wire key → our key
	names  map[string]string // object: our key → the contract's wire name
	elem   *node             // array and map elements
	enum   map[string]string // wire spelling → ours
	order  []string          // object: the contract's names, in record order
	orderF []field           // object: their fields
	rec    string            // object: the record type ("post", "metrics"…)
	// namesOut: refs, the key (`"project_names":`) the names of embedded
	// objects are written under.
	namesOut string
	// optional: an absent field is not drift (handles: a member has no
	// account on most networks).
	optional bool
}

// lookup finds the field of key; hint is where the previous key was in
// n.order: upstreams send a record's keys in one order, so comparing with
// the next expected key first saves hashing most keys.
func (n *node) lookup(key []byte, hint *int) (field, bool) {
	if *hint < len(n.order) && string(key) == n.order[*hint] {
		f := n.orderF[*hint]
		*hint++
		return f, true
	}
	f, ok := n.fields[string(key)]
	return f, ok
}

type field struct {
	out   string // `"ours":`
	child *node
	alias bool // matched by a lenient spelling, not the contract's name
	bit   uint // the field's index in contract.RecordFields[rec]: its bit in the unreadable mask
}

var errSyntax = errors.New("malformed JSON")

// rewritePool holds the buffers responses are rewritten into.
var rewritePool = sync.Pool{New: func() any { return new([]byte) }}

// rewrite appends src (one JSON value) to dst with object keys renamed and
// enum values translated as n says; keys n does not know are dropped.
func rewrite(dst, src []byte, n *node, bad *badValues) ([]byte, error) {
	i := skipSpace(src, 0)
	dst, i, err := rewriteValue(dst, src, i, n, bad)
	if err != nil {
		return nil, err
	}
	if skipSpace(src, i) != len(src) {
		return nil, errSyntax
	}
	return dst, nil
}

func rewriteValue(dst, src []byte, i int, n *node, bad *badValues) ([]byte, int, error) {
	if i >= len(src) {
		return nil, i, errSyntax
	}
	if n == nil || n.kind == nodeLeaf {
		end, err := skipValue(src, i)
		if err != nil {
			return nil, i, err
		}
		return append(dst, src[i:end]...), end, nil
	}
	switch src[i] {
	case '{':
		if n.kind != nodeObject && n.kind != nodeMap {
			break
		}
		dst = append(dst, '{')
		i = skipSpace(src, i+1)
		first, hint := true, 0
		var mask uint64 // the fields whose values could not be read
		if i < len(src) && src[i] == '}' {
			return append(dst, '}'), i + 1, nil
		}
		for {
			key, end, err := readString(src, i)
			if err != nil {
				return nil, i, err
			}
			i = skipSpace(src, end)
			if i >= len(src) || src[i] != ':' {
				return nil, i, errSyntax
			}
			i = skipSpace(src, i+1)
			if n.kind == nodeObject {
				if fl, ok := n.lookup(key, &hint); ok {
					if !first {
						dst = append(dst, ',')
					}
					first = false
					dst = append(dst, fl.out...)
					if fl.child != nil && fl.child.kind == nodeRefs {
						if dst, i, err = rewriteRefs(dst, src, i, fl.child.namesOut); err != nil {
							return nil, i, err
						}
					} else if fl.child != nil && fl.child.kind >= nodeInt {
						var ok bool
						if dst, i, ok, err = rewriteScalar(dst, src, i, fl.child.kind); err != nil {
							return nil, i, err
						}
						if !ok {
							mask |= 1 << fl.bit
							bad.add(n.rec, fl.out)
						}
					} else if dst, i, err = rewriteValue(dst, src, i, fl.child, bad); err != nil {
						return nil, i, err
					}
				} else if i, err = skipValue(src, i); err != nil {
					return nil, i, err
				}
			} else {
				if !first {
					dst = append(dst, ',')
				}
				first = false
				if ours, ok := n.enum[string(key)]; ok {
					dst = strconv.AppendQuote(dst, ours)
				} else {
					dst = strconv.AppendQuote(dst, string(key))
				}
				dst = append(dst, ':')
				if dst, i, err = rewriteValue(dst, src, i, n.elem, bad); err != nil {
					return nil, i, err
				}
			}
			i = skipSpace(src, i)
			if i >= len(src) {
				return nil, i, errSyntax
			}
			if src[i] == '}' {
				if mask != 0 {
					if !first {
						dst = append(dst, ',')
					}
					dst = strconv.AppendUint(append(dst, unreadableKey...), mask, 10)
				}
				return append(dst, '}'), i + 1, nil
			}
			if src[i] != ',' {
				return nil, i, errSyntax
			}
			i = skipSpace(src, i+1)
		}
	case '[':
		if n.kind != nodeArray {
			break
		}
		dst = append(dst, '[')
		i = skipSpace(src, i+1)
		if i < len(src) && src[i] == ']' {
			return append(dst, ']'), i + 1, nil
		}
		for first := true; ; first = false {
			if !first {
				dst = append(dst, ',')
			}
			var err error
			if dst, i, err = rewriteValue(dst, src, i, n.elem, bad); err != nil {
				return nil, i, err
			}
			i = skipSpace(src, i)
			if i >= len(src) {
				return nil, i, errSyntax
			}
			if src[i] == ']' {
				return append(dst, ']'), i + 1, nil
			}
			if src[i] != ',' {
				return nil, i, errSyntax
			}
			i = skipSpace(src, i+1)
		}
	case '"':
		if n.kind != nodeEnum {
			break
		}
		s, end, err := readString(src, i)
		if err != nil {
			return nil, i, err
		}
		if ours, ok := n.enum[string(s)]; ok {
			return strconv.AppendQuote(dst, ours), end, nil
		}
		return append(dst, src[i:end]...), end, nil
	}
	// A value of another type than n expects: copied, for encoding/json to
	// judge (null is fine, a wrong type is an error it names).
	end, err := skipValue(src, i)
	if err != nil {
		return nil, i, err
	}
	return append(dst, src[i:end]...), end, nil
}

// unreadableKey carries a record's unreadable mask (the Unreadable field of
// the records): a bit per field, by its index in contract.RecordFields. Only
// the rewriter writes it: an upstream key of that name is dropped with the
// other keys the contract does not name.
const unreadableKey = `"_unreadable":`

// rewriteScalar appends the value at src[i] as a JSON value of kind, read
// leniently: an integer as 12, 12.0, 1e3 or "12"; a float as a number or a
// number in a string; a boolean as true, "true", "1" or 1 (strconv.ParseBool).
// null and "" are null. What it cannot read (a boolean where a number goes,
// a fraction for an integer, an object, a non-finite number) it writes as
// null with ok false: one field lost, not the page.
func rewriteScalar(dst, src []byte, i int, kind nodeKind) (out []byte, end int, ok bool, err error) {
	if i >= len(src) {
		return nil, i, false, errSyntax
	}
	var tok []byte
	switch src[i] {
	case '"':
		s, e, err := readString(src, i)
		if err != nil {
			return nil, i, false, err
		}
		tok, end = bytes.TrimSpace(s), e
		if len(tok) == 0 || string(tok) == "null" {
			return append(dst, "null"...), end, true, nil
		}
	case '{', '[':
		e, err := skipValue(src, i)
		if err != nil {
			return nil, i, false, err
		}
		return append(dst, "null"...), e, false, nil
	default:
		e, err := skipValue(src, i)
		if err != nil {
			return nil, i, false, err
		}
		tok, end = src[i:e], e
		if string(tok) == "null" {
			return append(dst, "null"...), end, true, nil
		}
		if src[i] != '"' && jsonNumber(tok) && kind != nodeBool {
			if kind == nodeFloat {
				if f, err := strconv.ParseFloat(string(tok), 64); err == nil && !math.IsInf(f, 0) {
					return append(dst, tok...), end, true, nil // as sent: both decoders read the same bytes
				}
				return append(dst, "null"...), end, false, nil
			}
			if !bytes.ContainsAny(tok, ".eE") {
				if _, err := strconv.ParseInt(string(tok), 10, 64); err == nil {
					return append(dst, tok...), end, true, nil
				}
			}
		}
	}
	switch kind {
	case nodeBool:
		if b, err := strconv.ParseBool(string(tok)); err == nil {
			return strconv.AppendBool(dst, b), end, true, nil
		}
	case nodeInt:
		if n, err := strconv.ParseInt(string(tok), 10, 64); err == nil {
			return strconv.AppendInt(dst, n, 10), end, true, nil
		}
		if f, err := strconv.ParseFloat(string(tok), 64); err == nil && isNumberText(tok) &&
			f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
			return strconv.AppendInt(dst, int64(f), 10), end, true, nil
		}
	case nodeFloat:
		if f, err := strconv.ParseFloat(string(tok), 64); err == nil && isNumberText(tok) && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return strconv.AppendFloat(dst, f, 'g', -1, 64), end, true, nil
		}
	}
	return append(dst, "null"...), end, false, nil
}

// rewriteRefs appends the id list at src[i] as a JSON list of strings:
// strings are kept, numbers quoted, objects replaced by their "id" (an
// object without one is left out), a lone id wrapped in a list; null stays
// null, anything else is copied for the decoder to judge.
func rewriteRefs(dst, src []byte, i int, namesOut string) ([]byte, int, error) {
	if i >= len(src) {
		return nil, i, errSyntax
	}
	id := func(dst []byte, v []byte) ([]byte, bool) {
		switch {
		case len(v) > 0 && v[0] == '"':
			return append(dst, v...), true
		case jsonNumber(v):
			return strconv.AppendQuote(dst, string(v)), true
		case string(v) == "null":
			return append(dst, v...), true
		}
		return dst, false
	}
	switch src[i] {
	case '[':
		dst = append(dst, '[')
		i = skipSpace(src, i+1)
		if i < len(src) && src[i] == ']' {
			return append(dst, ']'), i + 1, nil
		}
		first := true
		var names [][]byte // of embedded objects, parallel to the ids written; nil: none named
		named := false
		for {
			end, err := skipValue(src, i)
			if err != nil {
				return nil, i, err
			}
			v := src[i:end]
			var name []byte
			if v[0] == '{' {
				got, err := extract(v, [][]string{{"id"}, {"name"}}, nil)
				if err != nil {
					return nil, i, err
				}
				v = bytes.TrimSpace(got[0])
				if name = bytes.TrimSpace(got[1]); len(name) > 0 && name[0] == '"' && namesOut != "" {
					named = true
				} else {
					name = nil
				}
			}
			if v != nil {
				mark := len(dst)
				if !first {
					dst = append(dst, ',')
				}
				var ok bool
				if dst, ok = id(dst, v); ok {
					first = false
					names = append(names, name)
				} else if v[0] == '[' || v[0] == '{' || v[0] == 't' || v[0] == 'f' {
					dst = append(dst, v...) // a wrong type: the decoder names it
					first = false
					names = append(names, nil)
				} else {
					dst = dst[:mark]
				}
			}
			i = skipSpace(src, end)
			if i >= len(src) {
				return nil, i, errSyntax
			}
			if src[i] == ']' {
				dst = append(dst, ']')
				if named {
					dst = append(append(append(dst, ','), namesOut...), '[')
					for j, nm := range names {
						if j > 0 {
							dst = append(dst, ',')
						}
						if nm == nil {
							nm = []byte(`""`)
						}
						dst = append(dst, nm...)
					}
					dst = append(dst, ']')
				}
				return dst, i + 1, nil
			}
			if src[i] != ',' {
				return nil, i, errSyntax
			}
			i = skipSpace(src, i+1)
		}
	case '"':
		end, err := stringEnd(src, i)
		if err != nil {
			return nil, i, err
		}
		return append(append(append(dst, '['), src[i:end]...), ']'), end, nil
	}
	end, err := skipValue(src, i)
	if err != nil {
		return nil, i, err
	}
	if v := src[i:end]; jsonNumber(v) {
		return append(strconv.AppendQuote(append(dst, '['), string(v)), ']'), end, nil
	}
	return append(dst, src[i:end]...), end, nil
}

// jsonNumber reports whether b is a number as JSON writes one.
func jsonNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i == len(b)
}

// isNumberText refuses what strconv.ParseFloat reads but no one writes for a
// metric: "inf", "NaN", hexadecimal, underscores.
func isNumberText(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return false
		}
	}
	return true
}

// rowsSink, given to extract, receives the value at paths[0] rewritten.
type rowsSink struct {
	node *node
	dst  []byte
	done bool
	bad  *badValues
}

// badValues counts the values of a response the rewriter could not read,
// and names the first (for the drift count).
type badValues struct {
	n     int
	field string // "metrics.reach"
}

func (b *badValues) add(rec, out string) {
	if b == nil {
		return
	}
	if b.n++; b.field == "" {
		b.field = rec + "." + strings.Trim(out, `":`)
	}
}

// extract finds the values at dotted paths in the object src (nil where a
// path is absent or nil), in one pass; with a sink, the value at paths[0]
// is also rewritten into it.
func extract(src []byte, paths [][]string, sink *rowsSink) ([][]byte, error) {
	out := make([][]byte, len(paths))
	i := skipSpace(src, 0)
	if _, err := extractAt(src, i, paths, 0, out, sink); err != nil {
		return nil, err
	}
	return out, nil
}

func extractAt(src []byte, i int, paths [][]string, depth int, out [][]byte, sink *rowsSink) (int, error) {
	if i >= len(src) || src[i] != '{' {
		return skipValue(src, i)
	}
	i = skipSpace(src, i+1)
	if i < len(src) && src[i] == '}' {
		return i + 1, nil
	}
	for {
		key, end, err := readString(src, i)
		if err != nil {
			return i, err
		}
		i = skipSpace(src, end)
		if i >= len(src) || src[i] != ':' {
			return i, errSyntax
		}
		i = skipSpace(src, i+1)
		var deeper [][]string
		var at []int
		for j, p := range paths {
			if len(p) > depth && p[depth] == string(key) {
				if len(p) == depth+1 {
					at = append(at, j)
				} else {
					deeper = append(deeper, p)
				}
			}
		}
		start := i
		if len(deeper) > 0 {
			sub := make([][]byte, len(deeper))
			var subSink *rowsSink
			if len(paths[0]) > depth+1 && paths[0][depth] == string(key) {
				subSink = sink // paths[0] is deeper[0]
			}
			if i, err = extractAt(src, i, deeper, depth+1, sub, subSink); err != nil {
				return i, err
			}
			k := 0
			for j, p := range paths {
				if len(p) > depth+1 && p[depth] == string(key) {
					out[j] = sub[k]
					k++
				}
			}
		} else if sink != nil && !sink.done && len(at) > 0 && at[0] == 0 {
			if sink.dst, i, err = rewriteValue(sink.dst, src, i, sink.node, sink.bad); err != nil {
				return i, err
			}
			sink.done = true
		} else if i, err = skipValue(src, i); err != nil {
			return i, err
		}
		for _, j := range at {
			out[j] = src[start:i]
		}
		i = skipSpace(src, i)
		if i >= len(src) {
			return i, errSyntax
		}
		if src[i] == '}' {
			return i + 1, nil
		}
		if src[i] != ',' {
			return i, errSyntax
		}
		i = skipSpace(src, i+1)
	}
}

func skipSpace(src []byte, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\n' || src[i] == '\t' || src[i] == '\r') {
		i++
	}
	return i
}

// readString reads the string at src[i] and returns its contents (unescaped
// only when it holds escapes) and the index after it.
func readString(src []byte, i int) ([]byte, int, error) {
	end, err := stringEnd(src, i)
	if err != nil {
		return nil, i, err
	}
	raw := src[i+1 : end-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, end, nil
	}
	var s string
	if err := json.Unmarshal(src[i:end], &s); err != nil {
		return nil, i, errSyntax
	}
	return []byte(s), end, nil
}

// stringEnd returns the index after the string at src[i], without
// unescaping it.
func stringEnd(src []byte, i int) (int, error) {
	if i >= len(src) || src[i] != '"' {
		return i, errSyntax
	}
	j := i + 1
	for {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return i, errSyntax
		}
		// The quote ends the string unless an odd run of backslashes
		// escapes it.
		n := 0
		for b := j + k - 1; b > i && src[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			return j + k + 1, nil
		}
		j += k + 1
	}
}

// skipValue returns the index after the JSON value at src[i].
func skipValue(src []byte, i int) (int, error) {
	if i >= len(src) {
		return i, errSyntax
	}
	switch src[i] {
	case '"':
		return stringEnd(src, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(src); j++ {
			switch src[j] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			case '"':
				end, err := stringEnd(src, j)
				if err != nil {
					return j, err
				}
				j = end - 1
			}
		}
		return len(src), errSyntax
	}
	j := i
scalar:
	for ; j < len(src); j++ {
		switch src[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			break scalar
		}
	}
	if j == i {
		return i, errSyntax
	}
	return j, nil
}

// snake and camel spell a field name the other way: postedAt ⇄ posted_at.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func camel(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		switch {
		case r == '_' || r == '-':
			up = b.Len() > 0
		case up:
			b.WriteRune(unicode.ToUpper(r))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// RequestURL is the path and query (without the key) a client speaking c
// sends for endpoint (ours: "/v1/posts", "/v1/posts/{id}"), path (ours,
// with the id) and params (ours), for clientID. The doctor probes with it.
func RequestURL(c *contract.Contract, endpoint, path string, params url.Values, clientID string) string {
	return compile(c).url(endpoint, path, params, clientID)
}

// Authorize puts key where c says, and clientID too when c puts it in a
// header (RequestURL puts it anywhere else).
func Authorize(c *contract.Contract, req *http.Request, key, clientID string) {
	compile(c).authorize(req, key, clientID)
}

// PlaceClientID puts clientID on req when c puts it in a header (what
// Authorize does without the key).
func PlaceClientID(c *contract.Contract, req *http.Request, clientID string) {
	if c.ClientID.In == contract.ClientIDHeader {
		req.Header.Set(c.ClientID.Name, clientID)
	}
}

// DecodeListWith reads a list body as a client speaking c does: the rows
// (as raw JSON objects with our field names) and the total, if sent.
func DecodeListWith(c *contract.Contract, endpoint string, body []byte) ([]json.RawMessage, *int, error) {
	l, err := decodeList[json.RawMessage](compile(c), endpoint, body, json.Unmarshal)
	return l.Rows, l.Total, err
}
