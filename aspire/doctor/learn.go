package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// What the doctor learns from the upstream's answers, written into the
// contract that --write-contract saves: where the key goes (the common
// placements tried in turn), the list and record shapes, the field names
// (matched exactly, then ignoring case and separators) and enum spellings.
// Paths, the client id's place, parameter names and the date format are
// learned by a bounded search (learnpaths.go).

// placements are tried in this order when the contract's is refused.
var placements = []contract.Auth{
	{In: contract.AuthBearer},
	{In: contract.AuthAuthorization},
	{In: contract.AuthHeader, Name: "X-API-Key"},
	{In: contract.AuthQuery, Name: "token"},
	{In: contract.AuthQuery, Name: "api_key"},
}

func describe(a contract.Auth) string {
	switch a.In {
	case contract.AuthAuthorization:
		return "Authorization: <key> (no scheme)"
	case contract.AuthHeader:
		return "the " + a.Name + " header"
	case contract.AuthQuery:
		return "the " + a.Name + " query parameter"
	}
	return "Authorization: Bearer <key>"
}

// keyPlacement checks that the key is accepted where the contract puts it;
// if it is refused there (401, not for a scope), it tries the common
// placements and returns the one accepted. The key is never printed. at is
// the answer of the placement kept, the first probe of learnLocation.
func keyPlacement(ctx context.Context, in Input, r *Report) (kept contract.Auth, at answer) {
	ep, q := probeOf(in.Contract, in.Now)
	probe := func(c *contract.Contract) answer {
		return getAs(ctx, in, c, in.Creds.ClientID, ep, ep, q, true)
	}
	cur := in.Contract.Auth
	first := probe(in.Contract)
	if first.err != nil {
		return cur, first
	}
	if keyAccepted(first) {
		r.Checks = append(r.Checks, Check{Name: "where the key goes", OK: true, Detail: describe(cur)})
		return cur, first
	}
	if a, at, ok := otherPlacement(ctx, in, in.Contract, probe); ok {
		r.Checks = append(r.Checks, Check{Name: "where the key goes",
			Detail: "the key is accepted only in " + describe(a) + ", not in " + describe(cur) + " as the contract says",
			Advice: "`doctor --write-contract FILE` writes a contract with it; start the server with -contract FILE"})
		return a, at
	}
	return cur, first
}

// keyAccepted: anything but a 401 that is not about a scope.
func keyAccepted(a answer) bool {
	return a.err == nil && a.status != http.StatusUnauthorized || a.code == wire.ErrInsufficientScope
}

// otherPlacement tries the placements other than c's with probe.
func otherPlacement(ctx context.Context, in Input, c *contract.Contract, probe func(*contract.Contract) answer) (contract.Auth, answer, bool) {
	for _, a := range placements {
		if a == c.Auth || in.spent() {
			continue
		}
		try := c.Clone()
		try.Auth = a
		if at := probe(try); keyAccepted(at) {
			return a, at, true
		}
	}
	return c.Auth, answer{}, false
}

// foreignClientID asks for posts with a client id that is no workspace's:
// an API that answers it with an empty list, not 403, makes "no posts" no
// proof of a good client id.
func foreignClientID(ctx context.Context, in Input, start, end aspire.Date) *Check {
	const foreign = "doctorcheck0000000000000000000000"
	if in.Creds.ClientID == foreign {
		return nil
	}
	a := getAs(ctx, in, in.Contract, foreign, wire.PathPosts, wire.PathPosts,
		url.Values{wire.ParamStartDate: {start.String()}, wire.ParamEndDate: {end.String()}, wire.ParamLimit: {"1"}}, true)
	switch {
	case a.err != nil:
		return nil
	case a.status == http.StatusOK:
		rows, _, err := aspire.DecodeListWith(in.Contract, wire.PathPosts, a.body)
		if err == nil && len(rows) == 0 {
			return &Check{Name: "a wrong client id is refused", OK: true,
				Detail: "no: it gets an empty list (HTTP 200), so an empty answer is no proof of a good client id"}
		}
	case a.status == http.StatusForbidden:
		return &Check{Name: "a wrong client id is refused", OK: true, Detail: "yes (HTTP 403)"}
	}
	return &Check{Name: "a wrong client id is refused", OK: true, Detail: fmt.Sprintf("HTTP %d", a.status)}
}

func norm(s string) string {
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
}

// learnList sets the list shape of c from a list body.
func learnList(c *contract.Contract, body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		if _, isArr := v.([]any); isArr {
			c.List = contract.List{}
		}
		return
	}
	type found struct {
		path string
		v    any
	}
	var all []found // every value at depth 1 and 2
	for k, x := range obj {
		all = append(all, found{k, x})
		if inner, ok := x.(map[string]any); ok {
			for k2, y := range inner {
				all = append(all, found{k + "." + k2, y})
			}
		}
	}
	slices.SortFunc(all, func(a, b found) int { return strings.Compare(a.path, b.path) })
	pick := func(cur string, fits func(any) bool, names ...string) string {
		for _, f := range all {
			if f.path == cur && fits(f.v) {
				return cur
			}
		}
		for _, f := range all {
			last := f.path[strings.LastIndex(f.path, ".")+1:]
			if fits(f.v) && (names == nil || slices.Contains(names, norm(last))) {
				return f.path
			}
		}
		return ""
	}
	isRows := func(x any) bool { _, ok := x.([]any); return ok }
	isNum := func(x any) bool { _, ok := x.(float64); return ok }
	isBool := func(x any) bool { _, ok := x.(bool); return ok }
	rows := pick(c.List.Rows, isRows, "data", "results", "items", "records", "rows", "posts", "members", "projects", "groups")
	if rows == "" {
		rows = pick(c.List.Rows, isRows)
	}
	if rows == "" {
		return
	}
	c.List = contract.List{Rows: rows,
		Total:   pick(c.List.Total, isNum, "total", "totalcount", "count", "totalresults", "totalitems"),
		HasMore: pick(c.List.HasMore, isBool, "hasmore", "hasnext", "hasnextpage", "more")}
}

var recordOf = map[string]string{wire.PathPosts: "post", wire.PathMembers: "member", wire.PathProjects: "project", wire.PathGroups: "group"}

// learnRecords maps the fields of the first record of a list body into c
// and returns its id, for a by-id probe.
func learnRecords(c *contract.Contract, endpoint string, body []byte, unmapped map[string][]string) (string, bool) {
	rec := firstRecord(c, body)
	if rec == nil {
		return "", false
	}
	learnFields(c, recordOf[endpoint], rec, unmapped)
	id, _ := rec[c.Field(recordOf[endpoint], "id")].(string)
	return id, id != ""
}

// firstRecord is the first record of a list body as c reads it (nil: none).
func firstRecord(c *contract.Contract, body []byte) map[string]any {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	if obj, ok := v.(map[string]any); ok && c.List.Rows != "" {
		for _, p := range strings.Split(c.List.Rows, ".") {
			v = obj[p]
			if obj, ok = v.(map[string]any); !ok {
				break
			}
		}
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil
	}
	rec, _ := arr[0].(map[string]any)
	return rec
}

// embeddedNames lists the name fields (project_names, group_names) that
// the first record of a list body carries inside its id list's objects
// ("projects": [{"id", "name"}]), under the field names c has learnt: sent,
// though under no key of their own. empty lists those whose id list is
// empty: nothing to name, so no evidence either way.
func embeddedNames(c *contract.Contract, endpoint string, body []byte) (names, empty []string) {
	rec := firstRecord(c, body)
	if rec == nil {
		return nil, nil
	}
	for _, rel := range []string{"project", "group"} {
		v := rec[c.Field(recordOf[endpoint], rel+"_ids")]
		if embedsNames(v) {
			names = append(names, rel+"_names")
		} else if arr, ok := v.([]any); ok && len(arr) == 0 {
			empty = append(empty, rel+"_names")
		}
	}
	return names, empty
}

// Which fields hold nested records, enums, or maps keyed by an enum.
var (
	nested  = map[string]map[string]string{"post": {"metrics": "metrics"}, "member": {"metrics": "metrics", "handles": "handles"}}
	enumsOf = map[string]map[string]string{"post": {"network": "network", "post_type": "post_type", "mention_source": "mention_source", "status": "post_status"},
		"project": {"status": "project_status"}}
	keyedBy = map[string]map[string]string{"member": {"by_network": "network", "by_post_type": "post_type"}}
)

// learnFields maps our fields of record type rec to the keys of obj: the
// contract's name, else a key equal to it or to ours ignoring case and
// separators. Fields found nowhere are listed in unmapped.
func learnFields(c *contract.Contract, rec string, obj map[string]any, unmapped map[string][]string) {
	for _, f := range contract.RecordFields[rec] {
		w := c.Field(rec, f)
		key := ""
		if _, ok := obj[w]; ok {
			key = w
		} else {
			for k := range obj {
				if norm(k) == norm(w) || norm(k) == norm(f) {
					key = k
					break
				}
			}
		}
		if key == "" {
			key = synonymIn(c, rec, f, obj)
		}
		if key == "" {
			if rec != "handles" && !slices.Contains(unmapped[rec], f) { // a member has no account on most networks
				unmapped[rec] = append(unmapped[rec], f)
			}
			continue
		}
		c.Fields[rec][f] = key
		val := obj[key]
		if sub, ok := nested[rec][f]; ok {
			if o, ok := val.(map[string]any); ok {
				learnFields(c, sub, o, unmapped)
			}
		}
		if e, ok := enumsOf[rec][f]; ok {
			if s, ok := val.(string); ok {
				learnEnum(c, e, s)
			}
		}
		if e, ok := keyedBy[rec][f]; ok {
			if o, ok := val.(map[string]any); ok {
				for k, m := range o {
					learnEnum(c, e, k)
					if mo, ok := m.(map[string]any); ok {
						learnFields(c, "metrics", mo, unmapped)
					}
				}
			}
		}
	}
}

// embedsNames reports whether v is a list of objects carrying a name.
func embedsNames(v any) bool {
	arr, ok := v.([]any)
	if !ok {
		return false
	}
	for _, e := range arr {
		if o, ok := e.(map[string]any); ok {
			if _, ok := o["name"]; ok {
				return true
			}
		}
	}
	return false
}

// synonyms are the other names APIs of the trade give our fields; a field
// found under none of its spellings is looked for under these, in order.
var synonyms = map[string][]string{
	"name":          {"display_name", "full_name", "title"},
	"url":           {"permalink", "link", "post_url", "web_url"},
	"posted_at":     {"published_at", "published_time", "publish_time", "posted_time", "created_time", "timestamp"},
	"tmv":           {"total_media_value", "media_value", "emv", "earned_media_value"},
	"thumbnail_url": {"thumbnail", "image_url", "preview_url"},
	"caption":       {"text", "message", "description"},
	"created_at":    {"created_time", "creation_date"},
	"member_count":  {"members_count", "creator_count"},
	// Projects and groups as embedded objects ([{"id", "name"}], which
	// carry the names too), one id, or one name.
	"project_ids":   {"projects", "campaigns", "project_id", "campaign_id"},
	"group_ids":     {"groups", "group_id"},
	"project_names": {"project_name", "campaign_name", "campaign_names"},
	"group_names":   {"group_name"},
}

// synonymIn returns the key of obj that is a synonym of our field f of
// record type rec and no other field's wire name, or "".
func synonymIn(c *contract.Contract, rec, f string, obj map[string]any) string {
	for _, syn := range synonyms[f] {
		for k := range obj {
			if norm(k) != norm(syn) {
				continue
			}
			taken := false
			for _, other := range contract.RecordFields[rec] {
				taken = taken || other != f && (norm(c.Field(rec, other)) == norm(k) || norm(other) == norm(k))
			}
			if !taken {
				return k
			}
		}
	}
	return ""
}

// learnEnum records the spelling s of one of enum e's values. The answers
// show only some values, so a spelling that is ours in upper case (the
// usual difference) spells the enum's other values the same way.
func learnEnum(c *contract.Contract, e, s string) {
	for ours, w := range c.Enums[e] {
		if w == s {
			return
		}
		if norm(w) == norm(s) || norm(ours) == norm(s) {
			c.Enums[e][ours] = s
			if s == strings.ToUpper(ours) {
				for o, w := range c.Enums[e] {
					if w == o {
						c.Enums[e][o] = strings.ToUpper(o)
					}
				}
			}
			return
		}
	}
}

// learnRecordShape sets where a by-id answer holds the record: bare, or in
// an envelope key.
func learnRecordShape(c *contract.Contract, endpoint, id string, body []byte) {
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		return
	}
	idKey := c.Field(recordOf[endpoint], "id")
	if obj[idKey] == id {
		c.Record.Data = ""
		return
	}
	for k, v := range obj {
		if inner, ok := v.(map[string]any); ok && inner[idKey] == id {
			c.Record.Data = k
			return
		}
	}
}
