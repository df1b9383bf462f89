package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// What answers cannot show, a bounded search of common variants finds:
// where the endpoints are (the base path) and where the client id goes, each
// probe a one-row /projects (the smallest list); then the names of the date
// parameters and the date format, on /posts; then the limit's name. Common
// cases come first, and the searches stop at searchBudget requests.

// bases are the path prefixes tried, after the contract's own: the given
// URL's path as it is, then the usual version prefixes.
var bases = []string{"", "/v1", "/api/v1", "/api/v2", "/v2", "/api"}

// clientSegments put the client id in the path, before /projects.
var clientSegments = []string{"/{client_id}", "/clients/{client_id}", "/client/{client_id}", "/workspaces/{client_id}"}

// clientParams name the client id in the query.
var clientParams = []string{wire.ParamClientID, "clientId", "workspace_id", "workspaceId"}

// clientHeader is where some APIs take the client id instead.
const clientHeader = "X-Client-Id"

// A place is one guess of where the projects list is.
type place struct {
	prefix  string // "/api/v2"
	segment string // "/clients/{client_id}", or "" for the query
	param   string // the client id's query parameter, when segment and header are ""
	header  string // the client id's header (clientHeader), or "" for the URL
}

// at returns c with every path and the client id's place set as p says.
func (p place) at(c *contract.Contract) *contract.Contract {
	c = c.Clone()
	base := p.prefix + p.segment
	c.Paths = contract.Paths{
		Posts: base + "/posts", Members: base + "/members", Projects: base + "/projects", Groups: base + "/groups",
		Post: base + "/posts/{id}", Member: base + "/members/{id}", Project: base + "/projects/{id}", Group: base + "/groups/{id}",
	}
	switch {
	case p.segment != "":
		c.ClientID = contract.ClientID{In: contract.ClientIDPath}
	case p.header != "":
		c.ClientID = contract.ClientID{In: contract.ClientIDHeader, Name: p.header}
	default:
		c.ClientID = contract.ClientID{In: contract.ClientIDQuery, Name: p.param}
	}
	return c
}

// describeClientID says where the client id goes in c, with the projects path.
func describeClientID(c *contract.Contract) string {
	switch c.ClientID.In {
	case contract.ClientIDPath:
		return "the client id goes in the path: " + c.Paths.Projects
	case contract.ClientIDHeader:
		return "the client id goes in the " + c.ClientID.Name + " header: " + ownURL(c)
	}
	return "the client id goes in the " + c.ClientID.Name + " query parameter: " + ownURL(c)
}

// What one probe of a place says.
type verdict int

const (
	vRows      verdict = iota // a list with rows: found
	vMaybe                    // an empty list, or a 403: the place may be right, the rows or the id wrong
	vNoClient                 // a 400 or 404 naming the client id: the path is right, the client id is not there
	vNotFound                 // a 404: no such path
	vKeyRefuse                // a 401 not about a scope
	vOther                    // anything else (a scope 401, a 5xx, an error)
)

var namesClient = regexp.MustCompile(`(?i)client|workspace`)

// missing says an error is about a parameter not sent.
var missing = regexp.MustCompile(`(?i)\brequired\b|\bmissing\b`)

func judge(a answer) verdict {
	switch {
	case a.err != nil:
		return vOther
	case a.status == http.StatusOK:
		if rows, ok := listRows(a.body); ok && len(rows) > 0 {
			return vRows
		}
		return vMaybe
	case a.status == http.StatusUnauthorized && a.code != wire.ErrInsufficientScope:
		return vKeyRefuse
	case (a.status == http.StatusBadRequest || a.status == http.StatusNotFound) && namesClient.MatchString(errorText(a)):
		return vNoClient
	case a.status == http.StatusForbidden:
		return vMaybe
	case a.status == http.StatusNotFound:
		return vNotFound
	}
	return vOther
}

// errorText is the upstream's error message, or its body when it has none.
func errorText(a answer) string {
	if a.msg != "" {
		return a.msg
	}
	return string(a.body[:min(len(a.body), 512)])
}

// listRows finds the rows of a list body of any shape: a bare array, or the
// array a learned envelope holds.
func listRows(body []byte) ([]any, bool) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil, false
	}
	if arr, ok := v.([]any); ok {
		return arr, true
	}
	c := contract.Default()
	c.List = contract.List{}
	learnList(c, body)
	if c.List.Rows == "" {
		return nil, false
	}
	for _, p := range strings.Split(c.List.Rows, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v = obj[p]
	}
	arr, ok := v.([]any)
	return arr, ok
}

// learnLocation finds where the projects list is and where the client id
// goes, starting from the contract's place (first, answered by
// keyPlacement's probe). It reports false when the search found nothing to
// go on (the checks then say what failed).
func learnLocation(ctx context.Context, in Input, r *Report, first answer) bool {
	switch judge(first) {
	case vRows, vOther:
		return true // found, or nothing a search of paths would change (a scope, a 5xx)
	case vKeyRefuse:
		return false // the key check says it
	case vMaybe:
		if first.status == http.StatusForbidden && namesClient.MatchString(errorText(first)) {
			return true // the API read the client id and refused it: the client id check says so
		}
	}
	c := in.Contract
	keySearched := false
	probe := func(p place) (answer, verdict) {
		try := p.at(c)
		get := func(try *contract.Contract) answer {
			ep, q := probeOf(try, in.Now)
			return getAs(ctx, in, try, in.Creds.ClientID, ep, ep, q, true)
		}
		a := get(try)
		v := judge(a)
		if v == vKeyRefuse && !keySearched {
			// An API that routes before it authenticates answered 404
			// wherever the key was: the key's place is learnt here.
			keySearched = true
			if au, at, ok := otherPlacement(ctx, in, try, get); ok {
				// It replaces keyPlacement's line, which a 404 misled.
				r.Checks = slices.DeleteFunc(r.Checks, func(c Check) bool { return c.Name == "where the key goes" })
				r.Checks = append(r.Checks, Check{Name: "where the key goes",
					Detail: "the key is accepted only in " + describe(au) + ", not in " + describe(c.Auth) + " as the contract says (the API answers 404 before it checks the key)",
					Advice: "`doctor --write-contract FILE` writes a contract with it; start the server with -contract FILE"})
				c.Auth = au
				a, v = at, judge(at)
			}
		}
		return a, v
	}
	own := place{prefix: "", segment: "", param: c.ClientID.Name}
	ownIsPlace := false
	if p, ok := placeOf(c); ok {
		own, ownIsPlace = p, true
	}
	tried := []place{own}
	var tentative *place
	firstV := judge(first)
	if firstV == vMaybe {
		tentative = &own
	}
	found := func(p place) bool {
		learnt := p.at(c)
		if ownIsPlace && p == own {
			in.Contract.Auth = c.Auth
			return true
		}
		detail := describeClientID(learnt)
		if p.prefix != own.prefix {
			detail = "the endpoints are under " + orRoot(p.prefix) + "; " + detail
		}
		r.Checks = append(r.Checks, Check{Name: "where the endpoints are",
			Detail: detail + ", not " + ownURL(in.Contract) + " as the contract says",
			Advice: "`doctor --write-contract FILE` writes a contract with it; start the server with -contract FILE"})
		auth := c.Auth
		*in.Contract = *learnt
		in.Contract.Auth = auth
		return true
	}
	try := func(p place) (verdict, bool) {
		if slices.Contains(tried, p) || in.spent() {
			return vOther, false
		}
		tried = append(tried, p)
		_, v := probe(p)
		if v == vMaybe && tentative == nil {
			tentative = &p
		}
		return v, true
	}
	// The other places at a prefix whose path exists: other query names,
	// the path forms, the header.
	atPrefix := func(prefix string) (place, bool) {
		var cands []place
		for _, n := range clientParams {
			cands = append(cands, place{prefix: prefix, param: n})
		}
		for _, s := range clientSegments {
			cands = append(cands, place{prefix: prefix, segment: s})
		}
		cands = append(cands, place{prefix: prefix, header: clientHeader})
		for _, p := range cands {
			if v, ok := try(p); ok && v == vRows {
				return p, true
			}
		}
		return place{}, false
	}
	conclude := func(prefix string) bool {
		if p, ok := atPrefix(prefix); ok {
			return found(p)
		}
		if tentative != nil {
			return found(*tentative)
		}
		return notFound(in, r, len(tried))
	}
	if ownIsPlace && firstV != vNotFound {
		return conclude(own.prefix) // the path is there; the client id or the rows are not
	}
	// 1. The prefixes, the client id in the query as the contract names it
	// (or client_id).
	param := c.ClientID.Name
	if c.ClientID.In != contract.ClientIDQuery {
		param = wire.ParamClientID
	}
	for _, b := range bases {
		p := place{prefix: b, param: param}
		v, ok := try(p)
		switch {
		case !ok || v == vNotFound:
			continue
		case v == vRows, v == vOther:
			return found(p) // rows, or an answer no other place would change (a scope, a 5xx)
		case v == vKeyRefuse:
			return false
		}
		return conclude(b)
	}
	// 2. The client id in the path, at each prefix.
	prefixes := bases
	if ownIsPlace && !slices.Contains(bases, own.prefix) {
		prefixes = append([]string{own.prefix}, bases...)
	}
	for _, s := range clientSegments {
		for _, b := range prefixes {
			p := place{prefix: b, segment: s}
			v, ok := try(p)
			switch {
			case !ok || v == vNotFound:
				continue
			case v == vRows:
				return found(p)
			case v == vKeyRefuse:
				return false
			}
		}
	}
	if tentative != nil {
		return found(*tentative)
	}
	return notFound(in, r, len(tried))
}

// placeOf reads c's paths as a place, if they have the usual form.
func placeOf(c *contract.Contract) (place, bool) {
	proj := c.Paths.Projects
	if !strings.HasSuffix(proj, "/projects") {
		return place{}, false
	}
	base := strings.TrimSuffix(proj, "/projects")
	p := place{prefix: base, param: c.ClientID.Name}
	switch c.ClientID.In {
	case contract.ClientIDHeader:
		p = place{prefix: base, header: c.ClientID.Name}
	case contract.ClientIDPath:
		i := strings.Index(base, "/{client_id}")
		if i < 0 {
			return place{}, false
		}
		j := strings.LastIndex(base[:i], "/")
		p = place{prefix: base[:i], segment: base[i:]}
		if seg := base[j+1 : i]; j >= 0 && slices.Contains(clientSegments, "/"+seg+"/{client_id}") {
			p = place{prefix: base[:j], segment: base[j:]}
		}
	}
	if p.at(c).Paths != c.Paths {
		return place{}, false
	}
	return p, true
}

func orRoot(prefix string) string {
	if prefix == "" {
		return "the URL given"
	}
	return prefix
}

func ownURL(c *contract.Contract) string {
	switch c.ClientID.In {
	case contract.ClientIDPath:
		return c.Paths.Projects
	case contract.ClientIDHeader:
		return c.Paths.Projects + " with " + c.ClientID.Name + ": {client_id}"
	}
	return c.Paths.Projects + "?" + c.ClientID.Name + "={client_id}"
}

func notFound(in Input, r *Report, tried int) bool {
	r.Checks = append(r.Checks, Check{Name: "where the endpoints are",
		Detail: fmt.Sprintf("no projects list found in %d places tried: %s, and under %s, with the client id as %s, a path segment (%s) or the %s header",
			tried, ownURL(in.Contract), strings.Join(bases[1:], ", "), strings.Join(clientParams, ", "), strings.Join(clientSegments, ", "), clientHeader),
		Advice: "ask Aspire for the API's paths and write them in a contract file (`aspire-graphql contract` prints one to start from): " +
			`"paths" (every list and by-id path, {id} and {client_id} where they go) and "client_id" ({"in": "query", "name": ...}, {"in": "path"} or {"in": "header", "name": ...}); then run doctor -contract FILE`})
	return false
}

// Date parameter names tried, start and end, after the contract's.
var dateNames = [][2]string{
	{"start_date", "end_date"}, {"startDate", "endDate"}, {"from", "to"}, {"start", "end"},
	{"since", "until"}, {"date_from", "date_to"},
}

// Date formats tried, after the contract's.
var dateFormats = []string{"YYYY-MM-DD", "MM/DD/YYYY", "DD/MM/YYYY", "YYYY/MM/DD", "rfc3339", "epoch_seconds"}

// Names of the page size tried when the limit is ignored.
var limitNames = []string{"limit", "per_page", "perPage", "page_size", "pageSize", "size", "count"}

// learnParams finds the date parameters' names and format on /posts, then
// the limit's name. A date range far in the past is asked for: an API that
// understands it answers an empty list (or other rows than without it); one
// that ignores it answers as if no range was sent. Its days are past the
// 12th so that a month and a day cannot be taken for each other.
func learnParams(ctx context.Context, in Input, r *Report) {
	c := in.Contract
	if in.spent() {
		return
	}
	y := aspire.DateOf(in.Now).Time().Year() - 2
	far := [2]string{aspire.NewDate(y, 1, 13).String(), aspire.NewDate(y, 1, 28).String()}
	get := func(c *contract.Contract, q url.Values) answer {
		q.Set(wire.ParamLimit, "1")
		return getAs(ctx, in, c, in.Creds.ClientID, wire.PathPosts, wire.PathPosts, q, true)
	}
	ref := get(c, url.Values{}) // no range at all
	same := func(a answer) bool {
		if a.status != ref.status {
			return false
		}
		if a.status == http.StatusOK {
			x, _ := listRows(a.body)
			y, _ := listRows(ref.body)
			return len(x) > 0 && len(y) > 0 && fmt.Sprint(x[0]) == fmt.Sprint(y[0])
		}
		return errorText(a) == errorText(ref)
	}
	if ref.status == http.StatusOK {
		if rows, _ := listRows(ref.body); len(rows) == 0 {
			return // no posts at all: nothing to tell a range by
		}
	}
	names := append([][2]string{{c.Param(wire.ParamStartDate), c.Param(wire.ParamEndDate)}}, dateNames...)
	formats := append([]string{c.DateFormat}, dateFormats...)
	var tried []string
	foundName, foundFormat := [2]string{}, ""
search:
	for i, n := range names {
		if i > 0 && n == names[0] {
			continue
		}
		for j, f := range formats {
			if (j > 0 && f == formats[0]) || in.spent() {
				continue
			}
			try := c.Clone()
			try.Params[wire.ParamStartDate], try.Params[wire.ParamEndDate], try.DateFormat = n[0], n[1], f
			if try.Validate() != nil {
				break
			}
			a := get(try, url.Values{wire.ParamStartDate: {far[0]}, wire.ParamEndDate: {far[1]}})
			if j == 0 {
				tried = append(tried, n[0]+"/"+n[1])
			}
			switch {
			case a.err != nil || a.status >= 500 || a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
				return // not a question of names
			case a.status == http.StatusOK && !same(a):
				foundName, foundFormat = n, f
				break search
			case same(a), missing.MatchString(errorText(a)):
				continue search // ignored (answered as with no range, or "… is required"): not this name
			case !strings.Contains(errorText(a), n[0]) && !strings.Contains(errorText(a), n[1]) && !strings.Contains(strings.ToLower(errorText(a)), "date"):
				continue search // refused for something else than this name's value
			}
			// Refused, not as if absent: the name is known, the format not.
		}
	}
	if foundFormat == "" {
		r.Checks = append(r.Checks, Check{Name: "query parameters",
			Detail: "the API understood no date range among the names " + strings.Join(tried, ", ") + " and the formats " + strings.Join(formats[1:], ", "),
			Advice: `write the API's names and format in a contract file: "params": {"start_date": ..., "end_date": ...} and "date_format" (a layout with YYYY, MM and DD, or rfc3339, epoch_seconds, epoch_millis); then run doctor -contract FILE`})
		return
	}
	was := [3]string{c.Param(wire.ParamStartDate), c.Param(wire.ParamEndDate), c.DateFormat}
	var learnt []string
	if foundName[0] != was[0] {
		learnt = append(learnt, inferStyle(c, foundName))
	}
	if foundFormat != was[2] {
		c.DateFormat = foundFormat
		learnt = append(learnt, "dates are written "+foundFormat+" (not "+was[2]+")")
	}
	if l := learnLimit(ctx, in, get); l != "" {
		learnt = append(learnt, l)
	}
	if len(learnt) > 0 {
		r.Checks = append(r.Checks, Check{Name: "query parameters", Detail: strings.Join(learnt, "; "),
			Advice: "`doctor --write-contract FILE` writes a contract with them; start the server with -contract FILE"})
	}
}

// inferStyle sets the date parameters to n and, when n is the contract's
// in camelCase (or snake_case), spells every other parameter so too: the
// answers cannot show a sort or a filter ignored as cheaply, and one API
// spells its parameters one way.
func inferStyle(c *contract.Contract, n [2]string) string {
	was := c.Param(wire.ParamStartDate) + " and " + c.Param(wire.ParamEndDate)
	style := func(s string) string { return s }
	styleName := ""
	switch n[0] {
	case camelName(c.Param(wire.ParamStartDate)):
		style, styleName = camelName, "camelCase"
	case snakeName(c.Param(wire.ParamStartDate)):
		style, styleName = snakeName, "snake_case"
	}
	msg := "the dates are " + n[0] + " and " + n[1] + " (not " + was + ")"
	if styleName != "" {
		var others []string
		for _, p := range contract.ParamNames {
			if p == wire.ParamStartDate || p == wire.ParamEndDate {
				continue
			}
			if s := style(c.Param(p)); s != c.Param(p) {
				c.Params[p] = s
				others = append(others, s)
			}
		}
		if len(others) > 0 {
			slices.Sort(others)
			msg += "; the other parameters are taken to be " + styleName + " like them, not probed (" + strings.Join(others, ", ") + "): if a filter or sort seems ignored, check them in the written file"
		}
	}
	c.Params[wire.ParamStartDate], c.Params[wire.ParamEndDate] = n[0], n[1]
	return msg
}

// learnLimit checks that limit=1 answers one row over the last year; if
// more come, the API ignores the name, and the usual others are tried.
func learnLimit(ctx context.Context, in Input, get func(*contract.Contract, url.Values) answer) string {
	c := in.Contract
	end := aspire.DateOf(in.Now)
	year := url.Values{wire.ParamStartDate: {end.AddDays(-364).String()}, wire.ParamEndDate: {end.String()}}
	rows := func(a answer) int {
		r, _ := listRows(a.body)
		if a.status != http.StatusOK {
			return -1
		}
		return len(r)
	}
	if n := rows(get(c, cloneValues(year))); n <= 1 {
		return "" // understood, or nothing to tell it by
	}
	was := c.Param(wire.ParamLimit)
	for _, n := range limitNames {
		if n == was || in.spent() {
			continue
		}
		try := c.Clone()
		try.Params[wire.ParamLimit] = n
		if try.Validate() != nil {
			continue
		}
		if rows(get(try, cloneValues(year))) == 1 {
			c.Params[wire.ParamLimit] = n
			return "the page size is " + n + " (not " + was + ")"
		}
	}
	return "the API ignores " + was + " and " + strings.Join(limitNames, ", ") + ": pages are as long as it makes them; write its page-size parameter in params.limit"
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
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

func snakeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// learnBatch asks for two members by id as the contract batches ids, then
// the other way, and keeps the first form that returns both; when neither
// does, one by-id call per id. members is a list answer with two rows.
func learnBatch(ctx context.Context, in Input, r *Report, members answer, rng url.Values) {
	c := in.Contract
	rows, _ := listRows(members.body)
	idKey := c.Field("member", "id")
	var ids []string
	for _, row := range rows {
		if o, ok := row.(map[string]any); ok {
			if id, ok := o[idKey].(string); ok && id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) < 2 || c.IDs.Batch == contract.BatchSingle {
		return // nothing to tell it by, or nothing to learn
	}
	both := func(batch string) bool {
		try := c.Clone()
		try.IDs.Batch = batch
		q := cloneValues(rng)
		q.Set(wire.ParamMemberID, strings.Join(ids, ","))
		q.Set(wire.ParamLimit, "2")
		a := getAs(ctx, in, try, in.Creds.ClientID, wire.PathMembers, wire.PathMembers, q, true)
		got, _ := listRows(a.body)
		seen := 0
		for _, row := range got {
			if o, ok := row.(map[string]any); ok && slices.Contains(ids, fmt.Sprint(o[idKey])) {
				seen++
			}
		}
		return a.status == http.StatusOK && seen == len(ids) && len(got) == len(ids)
	}
	name := c.Param(wire.ParamMemberID)
	form := map[string]string{contract.BatchComma: "a comma list (" + name + "=1,2)", contract.BatchRepeat: "repeated parameters (" + name + "=1&" + name + "=2)"}
	was := c.IDs.Batch
	if both(was) {
		return
	}
	other := contract.BatchRepeat
	if was == contract.BatchRepeat {
		other = contract.BatchComma
	}
	if both(other) {
		c.IDs.Batch = other
		r.Checks = append(r.Checks, Check{Name: "ids in one call", Detail: "the API takes " + form[other] + ", not " + form[was] + " as the contract says",
			Advice: "`doctor --write-contract FILE` writes a contract with it; start the server with -contract FILE"})
		return
	}
	c.IDs.Batch = contract.BatchSingle
	r.Checks = append(r.Checks, Check{Name: "ids in one call", Detail: "two members asked for by " + form[was] + " or by " + form[other] + " did not both come back: the written contract looks them up one by-id call each (ids.batch single)",
		Advice: "if the API takes several ids some other way, ask Aspire; `doctor --write-contract FILE` writes ids.batch single meanwhile"})
}
