// Package contract is the Aspire REST wire format as one value: every detail
// that ../shared/design/aspire-rest-contract.md marks ASSUMED (paths, where
// the key and the client id travel, query parameter names, the date format,
// the list and record shapes, record field names, enum spellings, id
// batching) is a field of Contract. Default is the built-in contract, the
// values of aspire/internal/wire and the json tags of aspire/records.go; a
// contract file (JSON, see Load) overrides any of it, so that meeting the
// real API where it differs is a file, not a code change.
//
// Decisions:
//   - JSON, not YAML: no dependency, the same syntax as the wire itself, and
//     strictness (unknown keys, duplicate keys, wrong types) with the line is
//     a small token walk over encoding/json.
//   - A file overlays the built-in contract: it names only what differs. The
//     whole result is validated before use, so a bad file is refused whole.
//   - Record field maps are keyed by our canonical name (the built-in wire
//     name) and hold the wire name: `"posted_at": "postedAt"`.
package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// Contract is the whole wire format.
type Contract struct {
	// Paths of the list endpoints and of the by-id look-ups ("{id}" marks the
	// id; "{client_id}" the client id when ClientID.In is "path", and only
	// then).
	Paths Paths `json:"paths"`
	// Auth says where the API key travels.
	Auth Auth `json:"auth"`
	// ClientID says where the workspace's client id travels.
	ClientID ClientID `json:"client_id"`
	// Params are the query parameter names, keyed by our name.
	Params map[string]string `json:"params"`
	// DateFormat is how start and end dates are written: a layout with
	// YYYY, MM and DD ("YYYY-MM-DD", "MM/DD/YYYY"), or "rfc3339",
	// "epoch_seconds", "epoch_millis".
	DateFormat string `json:"date_format"`
	// List is the shape of a list response.
	List List `json:"list"`
	// Record is the shape of a by-id response.
	Record Record `json:"record"`
	// IDs says how ids are batched in one call.
	IDs IDs `json:"ids"`
	// Fields maps, per record type, our field name to the wire name.
	Fields map[string]map[string]string `json:"fields"`
	// Enums maps, per enum, our value to the wire spelling.
	Enums map[string]map[string]string `json:"enums"`
}

// Paths of the endpoints. Projects and Groups (with Project and Group, their
// by-id look-ups) may be empty: the API has no such endpoint (null or "" in
// a file). Aspire's FAQ documents two endpoints, /v1/posts and /v1/members;
// without the others the client builds projects and groups from what
// members carry (see aspire's projects.go).
type Paths struct {
	Posts    string `json:"posts"`
	Members  string `json:"members"`
	Projects string `json:"projects"`
	Groups   string `json:"groups"`
	Post     string `json:"post"`
	Member   string `json:"member"`
	Project  string `json:"project"`
	Group    string `json:"group"`
}

// Auth placements.
const (
	AuthBearer        = "bearer"        // Authorization: Bearer <key>
	AuthAuthorization = "authorization" // Authorization: <key>
	AuthHeader        = "header"        // <Name>: <key>
	AuthQuery         = "query"         // ?<Name>=<key>
)

// Auth is where the key goes.
type Auth struct {
	In   string `json:"in"`             // bearer, authorization, header or query
	Name string `json:"name,omitempty"` // the header or parameter, for header and query
}

// Client id placements.
const (
	ClientIDQuery  = "query"  // ?<Name>=<client id>
	ClientIDPath   = "path"   // "{client_id}" in every path
	ClientIDHeader = "header" // <Name>: <client id>
)

// ClientID is where the client id goes: a query parameter, the path, or a
// header (named, as "X-Client-Id"; not the one the key travels in). In a
// header the client id is not part of the URL, but caches stay per
// workspace: their keys start with the tenant's fingerprint, a hash of key
// and client id (aspire.Creds.TenantID).
type ClientID struct {
	In   string `json:"in"`             // query, path or header
	Name string `json:"name,omitempty"` // the query parameter or the header, for query and header
}

// reservedHeaders are set by the client on every call (or by net/http), so
// a client id cannot travel in them.
var reservedHeaders = []string{"Accept", "User-Agent", "Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Traceparent", "Tracestate"}

// transportHeaders are dropped or refused on the way: net/http's HTTP/1
// writer leaves Trailer out, its HTTP/2 transport drops or refuses the
// connection-specific ones (and Te other than "trailers"), proxies consume
// the hop-by-hop ones, and net/http sets Accept-Encoding to decompress.
var transportHeaders = []string{"Accept-Encoding", "Trailer", "Te", "Upgrade", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate"}

// List is the shape of a list response. Empty Rows means a bare JSON array;
// otherwise the dotted paths of the rows, the total and the has-more flag in
// an envelope object, Total and HasMore may be empty (absent).
type List struct {
	Rows    string `json:"rows"`
	Total   string `json:"total"`
	HasMore string `json:"has_more"`
}

// Record is the shape of a by-id response: Data is the dotted path of the
// record in an envelope, empty for a bare record.
type Record struct {
	Data string `json:"data"`
}

// Id batching forms.
const (
	BatchComma  = "comma"  // member_id=1,2
	BatchRepeat = "repeat" // member_id=1&member_id=2
	BatchSingle = "single" // one by-id call per id
)

// IDs is how ids are batched.
type IDs struct {
	Batch string `json:"batch"`
	Max   int    `json:"max"` // ids per call
}

// Our names of the query parameters (the keys of Params).
var ParamNames = []string{
	wire.ParamStartDate, wire.ParamEndDate, wire.ParamNetwork, wire.ParamProjectID, wire.ParamGroupID,
	wire.ParamMemberID, wire.ParamPostID, wire.ParamPostType, wire.ParamMentionSource, wire.ParamPostStatus,
	wire.ParamMetricsWindow, wire.ParamSortBy, wire.ParamSortOrder, wire.ParamOffset, wire.ParamLimit,
}

// RecordFields lists, per record type, our field names (the json tags of
// aspire/records.go; a test there holds them equal).
var RecordFields = map[string][]string{
	"post": {"id", "member_id", "project_ids", "group_ids", "project_names", "group_names", "network", "post_type", "mention_source", "status",
		"url", "caption", "thumbnail_url", "posted_at", "is_estimated", "metrics"},
	"member":  {"id", "name", "email", "handles", "project_ids", "group_ids", "project_names", "group_names", "post_count", "metrics", "by_network", "by_post_type"},
	"metrics": {"impressions", "reach", "views", "view_time_seconds", "likes", "comments", "shares", "saves", "clicks", "engagements", "engagement_rate", "tmv"},
	"handles": {"instagram", "tiktok", "youtube", "pinterest"},
	"project": {"id", "name", "status", "created_at", "member_count"},
	"group":   {"id", "name", "member_count"},
}

// RequiredFields lists, per record type, the fields without which a record
// cannot be used (its id, the member of a post, when it was posted, the
// lists of projects and groups): one of them missing is contract drift. Every
// other field is optional: an upstream may leave it out when it has no
// value, and it reads as null (aspire's drift sampler tells a field the
// upstream stopped sending apart, see aspire/drift.go).
var RequiredFields = map[string][]string{
	"post":    {"id", "member_id", "project_ids", "group_ids", "posted_at"},
	"member":  {"id", "project_ids", "group_ids"},
	"project": {"id"},
	"group":   {"id"},
}

// Required reports whether field f of record type rec is required.
func Required(rec, f string) bool { return slices.Contains(RequiredFields[rec], f) }

// EnumValues lists, per enum, our values (aspire/enums.go).
var EnumValues = map[string][]string{
	"network":        {"instagram", "tiktok", "youtube", "pinterest"},
	"post_type":      {"instagram_post", "instagram_reel", "instagram_story", "tiktok_video", "youtube_video", "youtube_short", "pinterest_pin"},
	"mention_source": {"brand_initiated", "creator_submitted", "social_listening"},
	"post_status":    {"live", "expired", "deleted"},
	"project_status": {"active", "archived"},
	"metrics_window": {"lifetime", "date_range"},
	"sort_by":        {"impressions", "engagements", "engagement_rate", "tmv", "view_time", "views", "posted_at"},
	"sort_order":     {"desc", "asc"},
}

// Default returns the built-in contract: the API as Aspire's FAQ documents
// it, two endpoints (/v1/posts and /v1/members, with their by-id look-ups)
// and no /v1/projects or /v1/groups, so that against a real Aspire the
// client never calls an endpoint Aspire does not document. WithEndpoints
// adds them back, as does a contract file naming paths.projects and
// paths.groups.
func Default() *Contract {
	c := &Contract{
		Paths: Paths{
			Posts: wire.PathPosts, Members: wire.PathMembers,
			Post: wire.PathPosts + "/{id}", Member: wire.PathMembers + "/{id}",
		},
		Auth:       Auth{In: AuthBearer},
		ClientID:   ClientID{In: ClientIDQuery, Name: wire.ParamClientID},
		Params:     map[string]string{},
		DateFormat: "YYYY-MM-DD",
		List:       List{Rows: "data", Total: "pagination.total", HasMore: "pagination.has_more"},
		Record:     Record{Data: "data"},
		IDs:        IDs{Batch: BatchComma, Max: wire.MaxIDsPerCall},
		Fields:     map[string]map[string]string{},
		Enums:      map[string]map[string]string{},
	}
	for _, p := range ParamNames {
		c.Params[p] = p
	}
	for rec, fs := range RecordFields {
		m := map[string]string{}
		for _, f := range fs {
			m[f] = f
		}
		c.Fields[rec] = m
	}
	for e, vs := range EnumValues {
		m := map[string]string{}
		for _, v := range vs {
			m[v] = v
		}
		c.Enums[e] = m
	}
	return c
}

// WithEndpoints returns the built-in contract with /v1/projects and
// /v1/groups (and their by-id look-ups): for an upstream that has them, and
// the shape the simulator serves by default (aspire/aspiretest).
func WithEndpoints() *Contract {
	c := Default()
	c.Paths.Projects, c.Paths.Project = wire.PathProjects, wire.PathProjects+"/{id}"
	c.Paths.Groups, c.Paths.Group = wire.PathGroups, wire.PathGroups+"/{id}"
	return c
}

// IsBuiltinFormat reports whether c speaks the built-in wire format: equal
// to the built-in contract but for projects and groups endpoints at our
// paths (WithEndpoints), so that requests and bodies need no translation.
func (c *Contract) IsBuiltinFormat() bool {
	d := c.Clone()
	if d.Paths.Projects == wire.PathProjects && d.Paths.Project == wire.PathProjects+"/{id}" {
		d.Paths.Projects, d.Paths.Project = "", ""
	}
	if d.Paths.Groups == wire.PathGroups && d.Paths.Group == wire.PathGroups+"/{id}" {
		d.Paths.Groups, d.Paths.Group = "", ""
	}
	return d.IsDefault()
}

// Clone returns a deep copy of c.
func (c *Contract) Clone() *Contract {
	out := *c
	out.Params = maps.Clone(c.Params)
	out.Fields = map[string]map[string]string{}
	for k, v := range c.Fields {
		out.Fields[k] = maps.Clone(v)
	}
	out.Enums = map[string]map[string]string{}
	for k, v := range c.Enums {
		out.Enums[k] = maps.Clone(v)
	}
	return &out
}

// Marshal writes c in the file format, indented, keys in a stable order.
func (c *Contract) Marshal() []byte {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		panic(err) // maps of strings and plain structs always encode
	}
	return append(b, '\n')
}

// IsDefault reports whether c equals the built-in contract.
func (c *Contract) IsDefault() bool { return bytes.Equal(c.Marshal(), Default().Marshal()) }

// Param returns the wire name of our parameter p.
func (c *Contract) Param(p string) string {
	if n, ok := c.Params[p]; ok {
		return n
	}
	return p
}

// Field returns the wire name of our field f of record type rec.
func (c *Contract) Field(rec, f string) string {
	if n, ok := c.Fields[rec][f]; ok {
		return n
	}
	return f
}

// Enum returns the wire spelling of our value v of enum e.
func (c *Contract) Enum(e, v string) string {
	if n, ok := c.Enums[e][v]; ok {
		return n
	}
	return v
}

// HasEndpoint reports whether the API has our list endpoint ("/v1/projects"):
// posts and members always; projects and groups where the paths say.
func (c *Contract) HasEndpoint(endpoint string) bool { return c.ListPath(endpoint) != "" }

// ListPath returns the list path of our endpoint ("/v1/posts" and so on).
func (c *Contract) ListPath(endpoint string) string {
	switch endpoint {
	case wire.PathPosts:
		return c.Paths.Posts
	case wire.PathMembers:
		return c.Paths.Members
	case wire.PathProjects:
		return c.Paths.Projects
	case wire.PathGroups:
		return c.Paths.Groups
	}
	return endpoint
}

// RecordPath returns the by-id path template of our endpoint.
func (c *Contract) RecordPath(endpoint string) string {
	switch endpoint {
	case wire.PathPosts:
		return c.Paths.Post
	case wire.PathMembers:
		return c.Paths.Member
	case wire.PathProjects:
		return c.Paths.Project
	case wire.PathGroups:
		return c.Paths.Group
	}
	return endpoint + "/{id}"
}

// Validate reports the first inconsistency of c, naming the key at fault.
func (c *Contract) Validate() error { return c.validate().err() }

type problem struct {
	key, msg string
}

type problems []problem

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Key: p[0].key, Msg: p[0].msg}
}

func (c *Contract) validate() problems {
	var ps problems
	bad := func(key, format string, args ...any) { ps = append(ps, problem{key, fmt.Sprintf(format, args...)}) }
	paths := []struct{ key, v string }{
		{"paths.posts", c.Paths.Posts}, {"paths.members", c.Paths.Members}, {"paths.projects", c.Paths.Projects}, {"paths.groups", c.Paths.Groups},
		{"paths.post", c.Paths.Post}, {"paths.member", c.Paths.Member}, {"paths.project", c.Paths.Project}, {"paths.group", c.Paths.Group},
	}
	seen := map[string]string{}
	for i, p := range paths {
		if p.v == "" && (i == 2 || i == 3 || i == 6 || i == 7) {
			if i >= 6 && paths[i-4].v != "" {
				bad(p.key, "%s is set but %s is not: a by-id path needs its list", paths[i-4].key, p.key)
			}
			continue // an endpoint the API does not have
		}
		switch {
		case !strings.HasPrefix(p.v, "/"):
			bad(p.key, "path %q must start with a slash", p.v)
		case strings.ContainsAny(p.v, "?#"):
			bad(p.key, "path %q must not hold a query or fragment", p.v)
		case i >= 4 && strings.Count(p.v, "{id}") != 1:
			bad(p.key, "path %q must hold {id} once", p.v)
		case i < 4 && strings.Contains(p.v, "{id}"):
			bad(p.key, "list path %q must not hold {id}", p.v)
		case c.ClientID.In == ClientIDPath && strings.Count(p.v, "{client_id}") != 1:
			bad(p.key, "path %q must hold {client_id} once (client_id.in is path)", p.v)
		case c.ClientID.In != ClientIDPath && strings.Contains(p.v, "{client_id}"):
			bad(p.key, "path %q holds {client_id} but client_id.in is %q (only path puts it in the path)", p.v, c.ClientID.In)
		}
		if other, dup := seen[p.v]; dup {
			bad(p.key, "path %q is also %s", p.v, other)
		}
		seen[p.v] = p.key
	}
	switch c.Auth.In {
	case AuthBearer, AuthAuthorization:
	case AuthHeader, AuthQuery:
		if !token(c.Auth.Name) {
			bad("auth.name", "auth.in %q needs a header or parameter name, got %q", c.Auth.In, c.Auth.Name)
		}
	default:
		bad("auth.in", "want bearer, authorization, header or query, got %q", c.Auth.In)
	}
	switch c.ClientID.In {
	case ClientIDQuery:
		if !token(c.ClientID.Name) {
			bad("client_id.name", "client_id.in query needs a parameter name, got %q", c.ClientID.Name)
		}
	case ClientIDPath:
	case ClientIDHeader:
		switch authHeader := c.authHeader(); {
		case !token(c.ClientID.Name):
			bad("client_id.name", "client_id.in header needs a header name, got %q", c.ClientID.Name)
		case authHeader != "" && strings.EqualFold(c.ClientID.Name, authHeader):
			bad("client_id.name", "header %q is where the key goes (auth.in %s)", c.ClientID.Name, c.Auth.In)
		case containsFold(reservedHeaders, c.ClientID.Name):
			bad("client_id.name", "header %q is set by the client on every call; name another", c.ClientID.Name)
		case containsFold(transportHeaders, c.ClientID.Name):
			bad("client_id.name", "header %q does not reach the API as sent (net/http or a proxy drops or refuses it); name another", c.ClientID.Name)
		}
	default:
		bad("client_id.in", "want query, path or header, got %q", c.ClientID.In)
	}
	names := map[string]string{}
	if c.ClientID.In == ClientIDQuery {
		names[c.ClientID.Name] = "client_id.name"
	}
	if c.Auth.In == AuthQuery {
		if other, dup := names[c.Auth.Name]; dup {
			bad("auth.name", "parameter %q is also %s", c.Auth.Name, other)
		}
		names[c.Auth.Name] = "auth.name"
	}
	for _, p := range slices.Sorted(maps.Keys(c.Params)) {
		key := "params." + p
		if !slices.Contains(ParamNames, p) {
			bad(key, "unknown parameter %q (want one of %s)", p, strings.Join(ParamNames, ", "))
			continue
		}
		n := c.Params[p]
		if !token(n) {
			bad(key, "invalid parameter name %q", n)
			continue
		}
		if other, dup := names[n]; dup {
			bad(key, "parameter %q is also %s", n, other)
		}
		names[n] = key
	}
	if _, err := DateLayout(c.DateFormat); err != nil {
		bad("date_format", "%v", err)
	}
	for _, p := range []struct{ key, v string }{{"list.rows", c.List.Rows}, {"list.total", c.List.Total}, {"list.has_more", c.List.HasMore}, {"record.data", c.Record.Data}} {
		if p.v != "" && slices.Contains(strings.Split(p.v, "."), "") {
			bad(p.key, "invalid dotted path %q", p.v)
		}
	}
	if c.List.Rows == "" && (c.List.Total != "" || c.List.HasMore != "") {
		bad("list.rows", "a bare array (rows empty) has no place for total or has_more")
	}
	for _, p := range []struct{ key, v string }{{"list.total", c.List.Total}, {"list.has_more", c.List.HasMore}} {
		if p.v != "" && (p.v == c.List.Rows || strings.HasPrefix(p.v, c.List.Rows+".") || strings.HasPrefix(c.List.Rows, p.v+".")) {
			bad(p.key, "%q overlaps list.rows %q", p.v, c.List.Rows)
		}
	}
	if c.List.Total != "" && c.List.Total == c.List.HasMore {
		bad("list.has_more", "%q is also list.total", c.List.HasMore)
	}
	switch c.IDs.Batch {
	case BatchComma, BatchRepeat, BatchSingle:
	default:
		bad("ids.batch", "want comma, repeat or single, got %q", c.IDs.Batch)
	}
	if c.IDs.Max < 1 {
		bad("ids.max", "must be at least 1, got %d", c.IDs.Max)
	}
	for _, rec := range slices.Sorted(maps.Keys(c.Fields)) {
		known, ok := RecordFields[rec]
		if !ok {
			bad("fields."+rec, "unknown record type %q (want one of %s)", rec, strings.Join(slices.Sorted(maps.Keys(RecordFields)), ", "))
			continue
		}
		wireNames := map[string]string{}
		for _, f := range slices.Sorted(maps.Keys(c.Fields[rec])) {
			key := "fields." + rec + "." + f
			if !slices.Contains(known, f) {
				bad(key, "unknown field %q of %s (want one of %s)", f, rec, strings.Join(known, ", "))
				continue
			}
			n := c.Fields[rec][f]
			if n == "" {
				bad(key, "empty wire name")
				continue
			}
			if other, dup := wireNames[n]; dup {
				bad(key, "wire name %q is named twice (also %s)", n, other)
			}
			wireNames[n] = key
		}
	}
	for _, e := range slices.Sorted(maps.Keys(c.Enums)) {
		known, ok := EnumValues[e]
		if !ok {
			bad("enums."+e, "unknown enum %q (want one of %s)", e, strings.Join(slices.Sorted(maps.Keys(EnumValues)), ", "))
			continue
		}
		spellings := map[string]string{}
		for _, v := range slices.Sorted(maps.Keys(c.Enums[e])) {
			key := "enums." + e + "." + v
			if !slices.Contains(known, v) {
				bad(key, "unknown value %q of %s (want one of %s)", v, e, strings.Join(known, ", "))
				continue
			}
			s := c.Enums[e][v]
			if s == "" || strings.Contains(s, ",") {
				bad(key, "invalid spelling %q", s)
				continue
			}
			if other, dup := spellings[s]; dup {
				bad(key, "spelling %q is named twice (also %s)", s, other)
			}
			spellings[s] = key
		}
	}
	return ps
}

// containsFold reports whether names holds name in any case (header names).
func containsFold(names []string, name string) bool {
	return slices.ContainsFunc(names, func(h string) bool { return strings.EqualFold(h, name) })
}

// authHeader is the header the key travels in, "" when it is a query
// parameter.
func (c *Contract) authHeader() string {
	switch c.Auth.In {
	case AuthBearer, AuthAuthorization:
		return "Authorization"
	case AuthHeader:
		return c.Auth.Name
	}
	return ""
}

// token reports whether s can be a header or query parameter name.
func token(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}&#%+`, r) {
			return false
		}
	}
	return true
}
