package aspiretest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// Wire is the wire format the simulator speaks: a contract, plus the
// behaviours of Aspire's getting-started guide that are not wire names.
type Wire struct {
	Contract *contract.Contract
	// ForeignClientEmpty answers a client id that is not the key's workspace
	// with 200 and an empty list (the guide: "My request returns an empty
	// array. Verify your Client ID"), not 403.
	ForeignClientEmpty bool
	// EmbedNames sends the projects and groups of posts and members as
	// embedded objects, "projects": [{"id": …, "name": …}], in place of
	// the id lists.
	EmbedNames bool
	// OmitNulls leaves out every field whose value is null (a common JSON
	// style): a metric a network does not report is not sent at all.
	OmitNulls bool
	// QuietDays hides the posts of the last QuietDays days (the
	// simulator's clock): a workspace whose campaigns paused.
	QuietDays int
}

// WithWire makes the simulator speak w (default: the built-in contract,
// 403 for a foreign client id).
func WithWire(w Wire) Option { return func(o *options) { o.wire = w } }

// Profiles are named wire variants, for `aspire-sim -wire NAME` and the
// tests that run the README's queries against each.
var Profiles = map[string]func() Wire{
	// builtin is the simulator's default: the built-in contract's wire
	// format with /v1/projects and /v1/groups (contract.WithEndpoints), the
	// shape the demo serves. The built-in contract itself has only the two
	// endpoints Aspire documents: the client speaks this profile only when
	// given its contract.
	"builtin": func() Wire { return Wire{Contract: contract.WithEndpoints()} },
	// array-camel-xapikey is what the getting-started guide suggests: a bare
	// JSON array, camelCase fields, the key in X-API-Key, an empty array for
	// a foreign client id.
	"array-camel-xapikey": func() Wire {
		c := contract.WithEndpoints()
		c.Auth = contract.Auth{In: contract.AuthHeader, Name: "X-API-Key"}
		c.List = contract.List{}
		c.Record = contract.Record{}
		camelFields(c)
		return Wire{Contract: c, ForeignClientEmpty: true}
	},
	// envelope-token-path: another envelope (results, meta.total_count, no
	// has-more flag), the key in a token query parameter, the client id in
	// the path, camelCase parameters, MM/DD/YYYY dates, repeated id
	// parameters.
	"envelope-token-path": func() Wire {
		c := contract.WithEndpoints()
		c.Auth = contract.Auth{In: contract.AuthQuery, Name: "token"}
		c.ClientID = contract.ClientID{In: "path"}
		c.Paths = contract.Paths{
			Posts: "/api/v2/clients/{client_id}/posts", Members: "/api/v2/clients/{client_id}/members",
			Projects: "/api/v2/clients/{client_id}/projects", Groups: "/api/v2/clients/{client_id}/groups",
			Post: "/api/v2/clients/{client_id}/posts/{id}", Member: "/api/v2/clients/{client_id}/members/{id}",
			Project: "/api/v2/clients/{client_id}/projects/{id}", Group: "/api/v2/clients/{client_id}/groups/{id}",
		}
		for k, v := range c.Params {
			c.Params[k] = camelName(v)
		}
		c.DateFormat = "MM/DD/YYYY"
		c.List = contract.List{Rows: "results", Total: "meta.total_count"}
		c.Record = contract.Record{Data: "result"}
		c.IDs.Batch = contract.BatchRepeat
		return Wire{Contract: c}
	},
	// header-client-id: the client id only in an X-Client-Id header, as
	// some APIs take a tenant; a client_id query parameter is ignored, and a
	// call without the header is refused (400, naming it). The rest is the
	// built-in contract.
	"header-client-id": func() Wire {
		c := contract.WithEndpoints()
		c.ClientID = contract.ClientID{In: contract.ClientIDHeader, Name: "X-Client-Id"}
		return Wire{Contract: c}
	},
	// two-endpoints is the API as Aspire's FAQ documents it: /v1/posts and
	// /v1/members only (no /v1/projects, no /v1/groups), project and group
	// names embedded in posts and members ("projects": [{"id", "name"}]),
	// null fields left out, and a quiet last month (no posts in the last
	// 30 days; the list and roll-up filters hide them). The rest, paths
	// included, is the built-in contract.
	"two-endpoints": func() Wire {
		c := contract.Default()                          // the built-in paths: Aspire's two endpoints
		for _, rec := range []string{"post", "member"} { // what EmbedNames sends
			c.Fields[rec]["project_ids"], c.Fields[rec]["group_ids"] = "projects", "groups"
		}
		return Wire{Contract: c, EmbedNames: true, OmitNulls: true, QuietDays: 30}
	},
	// raw-renamed-upper: the raw key in Authorization, rows under "items"
	// with neither total nor has-more flag, bare records, some fields
	// renamed, enums in upper case.
	"raw-renamed-upper": func() Wire {
		c := contract.WithEndpoints()
		c.Auth = contract.Auth{In: contract.AuthAuthorization}
		c.List = contract.List{Rows: "items"}
		c.Record = contract.Record{}
		c.Fields["post"]["posted_at"] = "published_time"
		c.Fields["post"]["url"] = "permalink"
		c.Fields["metrics"]["tmv"] = "total_media_value"
		c.Fields["member"]["name"] = "display_name"
		for _, e := range []string{"network", "post_type", "mention_source", "post_status", "project_status"} {
			for k, v := range c.Enums[e] {
				c.Enums[e][k] = strings.ToUpper(v)
			}
		}
		return Wire{Contract: c, ForeignClientEmpty: true}
	},
}

// ProfileNames lists the profiles in a stable order.
func ProfileNames() []string { return slices.Sorted(maps.Keys(Profiles)) }

func camelFields(c *contract.Contract) {
	for _, fs := range c.Fields {
		for k, v := range fs {
			fs[k] = camelName(v)
		}
	}
}

func camelName(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		switch {
		case r == '_':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// speaker translates requests from and responses to a contract.
type speaker struct {
	w        Wire
	builtin  bool
	routes   []route
	params   map[string]string // wire name → ours
	enumsIn  map[string]map[string]string
	paramFor map[string]string
}

type route struct {
	endpoint string // ours: "/v1/posts" or "/v1/posts/{id}"
	segs     []string
}

func newSpeaker(w Wire) *speaker {
	if w.Contract == nil {
		w.Contract = contract.WithEndpoints()
	}
	c := w.Contract
	s := &speaker{w: w, builtin: c.IsBuiltinFormat() && !w.EmbedNames && !w.OmitNulls, params: map[string]string{}, enumsIn: map[string]map[string]string{},
		paramFor: map[string]string{wire.ParamNetwork: "network", wire.ParamPostType: "post_type",
			wire.ParamMentionSource: "mention_source", wire.ParamPostStatus: "post_status",
			wire.ParamMetricsWindow: "metrics_window", wire.ParamSortBy: "sort_by", wire.ParamSortOrder: "sort_order"}}
	for _, base := range []string{wire.PathPosts, wire.PathMembers, wire.PathProjects, wire.PathGroups} {
		if !c.HasEndpoint(base) {
			continue // the API has no such endpoint: 404
		}
		s.routes = append(s.routes, route{base, strings.Split(strings.Trim(c.ListPath(base), "/"), "/")},
			route{base + "/{id}", strings.Split(strings.Trim(c.RecordPath(base), "/"), "/")})
	}
	for ours, w := range c.Params {
		s.params[w] = ours
	}
	for e, m := range c.Enums {
		in := map[string]string{}
		for ours, w := range m {
			in[w] = ours
		}
		s.enumsIn[e] = in
	}
	return s
}

// route maps a wire path to our endpoint template, the id and the client id
// (when the contract puts it in the path).
func (s *speaker) route(path string) (endpoint, id, clientID string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, r := range s.routes {
		if len(r.segs) != len(segs) {
			continue
		}
		var gotID, gotClient string
		ok := true
		for i, seg := range r.segs {
			switch seg {
			case "{id}":
				gotID = segs[i]
				ok = ok && gotID != ""
			case "{client_id}":
				gotClient = segs[i]
			default:
				ok = ok && seg == segs[i]
			}
		}
		if ok {
			if u, err := url.PathUnescape(gotClient); err == nil {
				gotClient = u
			}
			return r.endpoint, gotID, gotClient
		}
	}
	return "", "", ""
}

// key reads the API key where the contract puts it; scheme is false when a
// bearer key lacks its scheme.
func (s *speaker) key(r *http.Request) (token string, ok bool) {
	a := s.w.Contract.Auth
	switch a.In {
	case contract.AuthAuthorization:
		token = r.Header.Get("Authorization")
		return token, token != "" && !strings.Contains(token, " ")
	case contract.AuthHeader:
		token = r.Header.Get(a.Name)
		return token, token != ""
	case contract.AuthQuery:
		token = r.URL.Query().Get(a.Name)
		return token, token != ""
	}
	scheme, token, _ := strings.Cut(r.Header.Get(wire.HeaderAuthorization), " ")
	return token, strings.EqualFold(scheme, wire.AuthScheme) && token != ""
}

// query translates the wire query into ours (client id and key left out).
func (s *speaker) query(r *http.Request) (url.Values, error) {
	if s.builtin {
		return r.URL.Query(), nil
	}
	c := s.w.Contract
	out := url.Values{}
	for name, vs := range r.URL.Query() {
		if (c.ClientID.In == contract.ClientIDQuery && name == c.ClientID.Name) || (c.Auth.In == contract.AuthQuery && name == c.Auth.Name) {
			continue
		}
		ours, ok := s.params[name]
		if !ok {
			continue // unknown parameters are ignored, as most APIs do
		}
		for _, v := range vs {
			switch ours {
			case wire.ParamStartDate, wire.ParamEndDate:
				t, err := contract.ParseDate(c.DateFormat, v)
				if err != nil {
					return nil, bad("%s: %v", name, err)
				}
				v = aspire.DateOf(t).String()
			default:
				if e, ok := s.paramFor[ours]; ok {
					parts := splitList([]string{v})
					for i, p := range parts {
						if o, ok := s.enumsIn[e][p]; ok {
							parts[i] = o
						}
					}
					v = strings.Join(parts, ",")
				}
			}
			out.Add(ours, v)
		}
	}
	return out, nil
}

// clientID reads the client id from the query or the header (the path's is
// routed); only where the contract puts it.
func (s *speaker) clientID(r *http.Request) string {
	switch c := s.w.Contract.ClientID; c.In {
	case contract.ClientIDPath:
		return ""
	case contract.ClientIDHeader:
		return r.Header.Get(c.Name)
	default:
		return r.URL.Query().Get(c.Name)
	}
}

// noClientID is the refusal of a call without a client id.
func (s *speaker) noClientID() string {
	if c := s.w.Contract.ClientID; c.In == contract.ClientIDHeader {
		return "client id is required in the " + c.Name + " header"
	}
	return "client_id is required"
}

// body rewrites a body in our shape ({"data": [...], "pagination": {...}}
// or {"data": {...}}) into the contract's.
func (s *speaker) body(endpoint string, b []byte) []byte {
	if s.builtin {
		return b
	}
	c := s.w.Contract
	var v struct {
		Data       json.RawMessage `json:"data"`
		Pagination *struct {
			Total   int  `json:"total"`
			HasMore bool `json:"has_more"`
		} `json:"pagination"`
	}
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	var data any
	_ = json.Unmarshal(v.Data, &data)
	rec := recordType(endpoint)
	if strings.HasSuffix(endpoint, "/{id}") {
		data = s.record(rec, data)
		if c.Record.Data == "" {
			out, _ := json.Marshal(data)
			return out
		}
		env := map[string]any{}
		setPath(env, c.Record.Data, data)
		out, _ := json.Marshal(env)
		return out
	}
	rows, _ := data.([]any)
	for i := range rows {
		rows[i] = s.record(rec, rows[i])
	}
	if rows == nil {
		rows = []any{}
	}
	if c.List.Rows == "" {
		out, _ := json.Marshal(rows)
		return out
	}
	env := map[string]any{}
	setPath(env, c.List.Rows, rows)
	if v.Pagination != nil && c.List.Total != "" {
		setPath(env, c.List.Total, v.Pagination.Total)
	}
	if v.Pagination != nil && c.List.HasMore != "" {
		setPath(env, c.List.HasMore, v.Pagination.HasMore)
	}
	out, _ := json.Marshal(env)
	return out
}

// emptyList is a list with no rows in the contract's shape.
func (s *speaker) emptyList(endpoint string) []byte {
	b, _ := json.Marshal(map[string]any{"data": []any{}, "pagination": map[string]any{"offset": 0, "limit": 0, "total": 0, "has_more": false}})
	return s.body(endpoint, b)
}

func recordType(endpoint string) string {
	switch strings.TrimSuffix(endpoint, "/{id}") {
	case wire.PathPosts:
		return "post"
	case wire.PathMembers:
		return "member"
	case wire.PathProjects:
		return "project"
	}
	return "group"
}

var children = map[string]map[string]string{ // record type → field → the type of its value
	"post":    {"metrics": "metrics", "network": "=network", "post_type": "=post_type", "mention_source": "=mention_source", "status": "=post_status"},
	"member":  {"metrics": "metrics", "handles": "handles", "by_network": "{}network", "by_post_type": "{}post_type"},
	"project": {"status": "=project_status"},
}

// record renames the fields of one record (ours → the contract's) and
// respells its enums.
func (s *speaker) record(rec string, v any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	c := s.w.Contract
	out := make(map[string]any, len(obj))
	if s.w.EmbedNames && (rec == "post" || rec == "member") {
		for _, rel := range []string{"project", "group"} {
			ids, _ := obj[rel+"_ids"].([]any)
			names, _ := obj[rel+"_names"].([]any)
			embedded := make([]any, len(ids))
			for i, id := range ids {
				e := map[string]any{"id": id}
				if i < len(names) && names[i] != "" {
					e["name"] = names[i]
				}
				embedded[i] = e
			}
			delete(obj, rel+"_ids")
			delete(obj, rel+"_names")
			out[rel+"s"] = embedded
		}
	}
	for k, val := range obj {
		if val == nil && s.w.OmitNulls {
			continue
		}
		switch kind := children[rec][k]; {
		case kind == "":
		case strings.HasPrefix(kind, "="):
			if str, ok := val.(string); ok {
				val = c.Enum(kind[1:], str)
			}
		case strings.HasPrefix(kind, "{}"):
			if m, ok := val.(map[string]any); ok {
				mm := make(map[string]any, len(m))
				for mk, mv := range m {
					mm[c.Enum(kind[2:], mk)] = s.record("metrics", mv)
				}
				val = mm
			}
		default:
			val = s.record(kind, val)
		}
		out[c.Field(rec, k)] = val
	}
	return out
}

func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// String names the wire format, for the standalone server's banner.
func (w Wire) String() string {
	c := w.Contract
	if c == nil || c.IsBuiltinFormat() {
		return "the built-in contract"
	}
	where := c.ClientID.In
	if where != contract.ClientIDPath {
		where += " " + c.ClientID.Name
	}
	return fmt.Sprintf("auth %s %s, client id in %s, list rows %q", c.Auth.In, c.Auth.Name, where, c.List.Rows)
}
