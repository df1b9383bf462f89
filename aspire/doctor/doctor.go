// Package doctor runs the first-contact checks of the Aspire guide against
// an API base URL with a key and client id: does the host answer, is the key
// accepted and with which scopes, is the client id the key's workspace, are
// there posts in the last 30 days (and if not, where the nearest are), does
// the response shape match the contract, and how much rate-limit headroom is
// left. Each check says what to do when it fails.
package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
	"golang.org/x/time/rate"
)

// Check is one line of the report.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Advice string `json:"advice,omitempty"`
}

// Report is the doctor's answer.
type Report struct {
	OK     bool                      `json:"ok"`
	Checks []Check                   `json:"checks"`
	Drift  map[string][]aspire.Drift `json:"drift,omitempty"` // by endpoint
	// Unmapped lists, per record type, our fields the doctor found no
	// field for in the records it received.
	Unmapped map[string][]string `json:"unmapped,omitempty"`
	// Optional lists, per record type, optional fields (not in
	// contract.RequiredFields) no record received carried: information,
	// not a failure. They read as null.
	Optional map[string][]string `json:"optional,omitempty"`
	// Contract is the contract the findings call for: the checked one with
	// what the doctor learned (where the key goes, the paths and where the
	// client id goes, the parameter names and date format, the list and
	// record shapes, field names, enum spellings). --write-contract writes it.
	Contract *contract.Contract `json:"-"`
	// Requests is how many requests the doctor made (at most MaxRequests).
	Requests int `json:"requests"`
}

// Input is what the doctor checks.
type Input struct {
	BaseURL         string
	Creds           aspire.Creds
	KeyTrimmed      bool // the key had surrounding spaces (already removed)
	ClientIDFromURL bool // the client id was a pasted workspace URL (already reduced)
	Now             time.Time
	HTTP            *http.Client
	// Demo says BaseURL is the built-in simulator (no upstream-url given).
	Demo bool
	// Contract is the wire format to check against (nil: the built-in one).
	Contract *contract.Contract
	// Rate and Burst pace the doctor's requests as the client's bucket
	// would (-rate-limit, -rate-burst); Rate 0: unpaced.
	Rate  float64
	Burst int

	calls *calls // shared by the copies of Input
}

// calls counts and paces the doctor's requests.
type calls struct {
	n       int
	limiter *rate.Limiter
}

type answer struct {
	status int
	header http.Header
	body   []byte
	err    error
	code   string // the upstream's error code
	msg    string // and message
}

func get(ctx context.Context, in Input, path string, q url.Values, withKey bool) answer {
	return getAs(ctx, in, in.Contract, in.Creds.ClientID, path, path, q, withKey)
}

// getAs calls endpoint (ours: "/v1/posts", "/v1/posts/{id}") at path (ours,
// with the id) as contract c says, for clientID.
func getAs(ctx context.Context, in Input, c *contract.Contract, clientID, endpoint, path string, q url.Values, withKey bool) answer {
	if !c.HasEndpoint(strings.TrimSuffix(endpoint, "/{id}")) {
		return answer{status: http.StatusNotFound} // the API has no such endpoint: nothing to ask
	}
	if q == nil {
		q = url.Values{}
	}
	target := aspire.RequestURL(c, endpoint, path, q, clientID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(in.BaseURL, "/")+target, nil)
	if err != nil {
		return answer{err: err}
	}
	if withKey {
		aspire.Authorize(c, req, in.Creds.APIKey, clientID)
	} else {
		aspire.PlaceClientID(c, req, clientID)
	}
	if in.calls != nil {
		if in.calls.limiter != nil {
			if err := in.calls.limiter.Wait(ctx); err != nil {
				return answer{err: err}
			}
		}
		in.calls.n++
	}
	// Never follow a redirect, whatever client the caller gave: the key
	// would go to the other host (and a key in the query in Referer).
	hc := *in.HTTP
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	if aspire.IsRedirect(resp.StatusCode) {
		return answer{status: resp.StatusCode, err: redirectError(aspire.RedirectMessage(resp))}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	var eb wire.ErrorBody
	if json.Unmarshal(b, &eb) == nil {
		a.code, a.msg = eb.Error.Code, eb.Error.Message
	}
	return a
}

// MaxRequests bounds the requests of one doctor run: the learning searches
// stop short of it, leaving what the checks after them need.
const MaxRequests = 60

// searchBudget is what the learning searches may spend, keyPlacement's
// included: the checks after them make at most 14 requests, and a search
// step may make 2 past it.
const searchBudget = MaxRequests - 16

// spent says the learning searches have used their budget.
func (in Input) spent() bool { return in.calls != nil && in.calls.n >= searchBudget }

// probeOf is the call the doctor learns the key's and the client id's
// places with: one project where the contract has /v1/projects (no dates,
// the read:member scope), else one post of the last year (a year, not a
// month: a quiet workspace has none in the last month, and an empty list
// reads as a wrong client id).
func probeOf(c *contract.Contract, now time.Time) (endpoint string, q url.Values) {
	if c.HasEndpoint(wire.PathProjects) {
		return wire.PathProjects, url.Values{wire.ParamLimit: {"1"}}
	}
	end := aspire.DateOf(now)
	return wire.PathPosts, url.Values{wire.ParamStartDate: {end.AddDays(-364).String()}, wire.ParamEndDate: {end.String()}, wire.ParamLimit: {"1"}}
}

// Run runs every check.
func Run(ctx context.Context, in Input) Report {
	in.calls = &calls{}
	if in.Rate > 0 {
		in.calls.limiter = rate.NewLimiter(rate.Limit(in.Rate), max(1, in.Burst))
	}
	r := run(ctx, in)
	r.Requests = in.calls.n
	return r
}

func run(ctx context.Context, in Input) Report {
	if in.HTTP == nil {
		in.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if in.Contract == nil {
		// Without a contract the doctor asks whether /v1/projects and
		// /v1/groups exist (one call each): the built-in contract has
		// none, and an upstream that has them is told and written.
		in.Contract = contract.WithEndpoints()
	}
	// Findings go in a copy, which the later probes speak; drift is told
	// against the contract checked.
	checked := in.Contract
	in.Contract = checked.Clone()
	r := Report{Contract: in.Contract}
	add := func(c Check) { r.Checks = append(r.Checks, c) }

	// 1. The host answers.
	reachEP, _ := probeOf(in.Contract, in.Now)
	reach := get(ctx, in, reachEP, nil, false)
	if reach.err != nil {
		advice := "check the upstream URL, the network and any proxy"
		if _, ok := reach.err.(redirectError); ok {
			advice = "point the upstream URL at where it redirects (no key is sent after a redirect)"
		}
		add(Check{Name: "base URL answers", Detail: in.BaseURL + ": " + network(reach.err), Advice: advice})
		return r.done()
	}
	// The probe carries no key: a 401 or 403 is the answer a healthy API
	// gives, not a failure to show beside a ✓.
	where := in.BaseURL
	if in.Demo {
		where = "the built-in simulator (demo mode, no -upstream-url) at " + in.BaseURL
	}
	switch {
	case reach.status == http.StatusUnauthorized || reach.status == http.StatusForbidden:
		where += " (it asks for a key, as it should)"
	default:
		where += fmt.Sprintf(" (HTTP %d)", reach.status)
	}
	add(Check{Name: "base URL answers", OK: reach.status < 500, Detail: where,
		Advice: map[bool]string{true: "", false: "the API answers with a server error: try again later"}[reach.status < 500]})

	// 2–4. Key, scopes, client id.
	trimmed := ""
	if in.KeyTrimmed {
		trimmed = " (the key had spaces around it; they were removed: check how you copy it)"
	}
	fromURL := ""
	if in.ClientIDFromURL {
		fromURL = " (reduced from the pasted workspace URL)"
	}
	if in.Creds.APIKey != "" {
		a, at := keyPlacement(ctx, in, &r)
		in.Contract.Auth = a
		if at.status == http.StatusNotFound && in.Contract.HasEndpoint(wire.PathProjects) {
			// A 404 on /v1/projects where /v1/posts answers is an endpoint
			// the API does not have (Aspire's FAQ documents two), not a
			// sign the paths or the client id's place differ.
			ep, q := probeOf(&contract.Contract{}, in.Now)
			if pa := get(ctx, in, ep, q, true); pa.status == http.StatusOK {
				absent := []string{wire.PathProjects}
				in.Contract.Paths.Projects, in.Contract.Paths.Project = "", ""
				if g := get(ctx, in, wire.PathGroups, url.Values{wire.ParamLimit: {"1"}}, true); g.status == http.StatusNotFound {
					absent = append(absent, wire.PathGroups)
					in.Contract.Paths.Groups, in.Contract.Paths.Group = "", ""
				}
				add(Check{Name: "endpoints", OK: true, Detail: strings.Join(absent, " and ") + " absent (HTTP 404 where " + wire.PathPosts +
					" answers), as Aspire's FAQ documents: projects and groups are read from what members carry"})
				at = pa
			}
		}
		if found := learnLocation(ctx, in, &r, at); found {
			learnParams(ctx, in, &r)
		}
	}
	probeEP, probeQ := probeOf(in.Contract, in.Now)
	members := get(ctx, in, probeEP, probeQ, true)
	start := aspire.DateOf(in.Now).AddDays(-30)
	end := aspire.DateOf(in.Now)
	posts := get(ctx, in, wire.PathPosts, url.Values{wire.ParamStartDate: {start.String()}, wire.ParamEndDate: {end.String()}, wire.ParamLimit: {"1"}}, true)
	badKey := func(a answer) bool {
		return a.status == http.StatusUnauthorized && a.code != wire.ErrInsufficientScope
	}
	switch {
	case in.Creds.APIKey == "":
		add(Check{Name: "API key accepted", Detail: "no key given", Advice: "give the key (-api-key or ASPIRE_GRAPHQL_API_KEY): Settings → Integrations → Aspire API"})
		return r.done()
	case badKey(members) || badKey(posts):
		detail := "the key is wrong, has extra spaces, or has expired (HTTP 401)"
		if members.code == wire.ErrTokenExpired || posts.code == wire.ErrTokenExpired {
			detail = "the key has expired (HTTP 401)"
		}
		add(Check{Name: "API key accepted", Detail: detail + trimmed, Advice: "create or copy the key again in Settings → Integrations → Aspire API (it is shown once)"})
		return r.done()
	default:
		add(Check{Name: "API key accepted", OK: true, Detail: "yes" + trimmed})
	}
	var missing []string
	if members.code == wire.ErrInsufficientScope && probeEP == wire.PathProjects {
		missing = append(missing, wire.ScopeMember+" (projects, groups)")
	}
	if posts.code == wire.ErrInsufficientScope {
		missing = append(missing, wire.ScopeSocial+" (posts, members)")
	}
	if len(missing) > 0 {
		add(Check{Name: "scopes", Detail: "the key lacks " + strings.Join(missing, ", "), Advice: "create a key with those scopes in Settings → Integrations → Aspire API"})
	} else {
		scopes := wire.ScopeSocial + ", " + wire.ScopeMember
		if probeEP != wire.PathProjects {
			scopes = wire.ScopeSocial + " (posts and members; no projects endpoint to need " + wire.ScopeMember + ")"
		}
		add(Check{Name: "scopes", OK: true, Detail: scopes})
	}
	if members.status == http.StatusForbidden || posts.status == http.StatusForbidden {
		add(Check{Name: "client id matches the key's workspace", Detail: in.Creds.ClientID + fromURL + ": HTTP 403",
			Advice: "use the id after /client/ in your Aspire URL, of the workspace the key was made in"})
		return r.done()
	}
	add(Check{Name: "client id matches the key's workspace", OK: true, Detail: in.Creds.ClientID + fromURL})
	if posts.status == http.StatusNotFound || members.status == http.StatusNotFound {
		add(Check{Name: "endpoints found", Detail: "the list endpoints answer HTTP 404: the API's paths differ from the contract's",
			Advice: "set paths (and client_id, params, date_format if they differ) in a contract file and run doctor -contract FILE; the doctor learns the rest"})
	}

	// 5. Posts in the last 30 days, or the nearest range that has some.
	var shapeBody []byte
	if posts.status == http.StatusOK {
		learnList(in.Contract, posts.body)
	}
	pageTotal := func(body []byte) (int, string) {
		rows, total, err := aspire.DecodeListWith(in.Contract, wire.PathPosts, body)
		switch {
		case err != nil:
			return 0, ""
		case total != nil:
			return *total, ""
		}
		return len(rows), "at least " // no total sent; the probe asks for one row
	}
	foreign := foreignClientID(ctx, in, start, end)
	if foreign != nil {
		add(*foreign)
	}
	if posts.status == http.StatusOK {
		total, atLeast := pageTotal(posts.body)
		if total > 0 {
			add(Check{Name: "posts in the last 30 days", OK: true, Detail: fmt.Sprintf("%s%d posts (%s…%s)", atLeast, total, start, end)})
			shapeBody = posts.body
		} else {
			c := Check{Name: "posts in the last 30 days", Detail: fmt.Sprintf("none (%s…%s)", start, end),
				Advice: "check the client id, widen the range, drop filters"}
			for _, days := range []int{90, 365, wire.MaxRangeDays} {
				s := end.AddDays(-days + 1)
				wider := get(ctx, in, wire.PathPosts, url.Values{wire.ParamStartDate: {s.String()}, wire.ParamEndDate: {end.String()}, wire.ParamLimit: {"1"}}, true)
				if n, atLeast := pageTotal(wider.body); wider.status == http.StatusOK && n > 0 {
					shapeBody = wider.body
					if days <= 365 {
						// A quiet month is normal (a brand paused its
						// campaigns); posts this year prove the client id.
						c.OK = true
						c.Detail += fmt.Sprintf("; a quiet workspace: the latest posts are in the last %d days (%s…%s): %s%d posts", days, s, end, atLeast, n)
						break
					}
					c.Advice += fmt.Sprintf("; none in a year, but the last %d days (%s…%s) have %s%d posts", days, s, end, atLeast, n)
					break
				}
			}
			if !c.OK && foreign != nil && strings.Contains(foreign.Detail, "empty") {
				c.Advice += "; this API answers a wrong client id with an empty list, so check the client id first"
			}
			add(c)
		}
	}

	// 6. The response shape against the contract, and what it should be.
	r.Drift = map[string][]aspire.Drift{}
	r.Unmapped = map[string][]string{}
	// By record type: names sent inside the id lists' objects, and names
	// of id lists sent empty.
	embedded, emptyIDs := map[string][]string{}, map[string][]string{}
	year := url.Values{wire.ParamStartDate: {end.AddDays(-364).String()}, wire.ParamEndDate: {end.String()}}
	// Two rows: their ids tell how the API takes several ids (learnBatch).
	mem := get(ctx, in, wire.PathMembers, url.Values{wire.ParamStartDate: year[wire.ParamStartDate], wire.ParamEndDate: year[wire.ParamEndDate], wire.ParamLimit: {"2"}}, true)
	groups := get(ctx, in, wire.PathGroups, url.Values{wire.ParamLimit: {"1"}}, true)
	for _, b := range []struct {
		endpoint string
		a        answer
	}{{wire.PathPosts, answer{status: http.StatusOK, body: shapeBody}}, {wire.PathProjects, members}, {wire.PathMembers, mem}, {wire.PathGroups, groups}} {
		if b.endpoint == wire.PathProjects && probeEP != wire.PathProjects {
			continue // members is the posts probe: no projects endpoint
		}
		if b.a.status != http.StatusOK || b.a.body == nil {
			continue
		}
		if d := r.optional(aspire.ShapeDiffWith(checked, b.endpoint, b.a.body)); len(d) > 0 {
			r.Drift[b.endpoint] = d
		}
		id, ok := learnRecords(in.Contract, b.endpoint, b.a.body, r.Unmapped)
		names, none := embeddedNames(in.Contract, b.endpoint, b.a.body)
		embedded[recordOf[b.endpoint]] = append(embedded[recordOf[b.endpoint]], names...)
		emptyIDs[recordOf[b.endpoint]] = append(emptyIDs[recordOf[b.endpoint]], none...)
		if ok {
			rec := getAs(ctx, in, in.Contract, in.Creds.ClientID, b.endpoint+"/{id}", b.endpoint+"/"+url.PathEscape(id), nil, true)
			if rec.status == http.StatusOK {
				learnRecordShape(in.Contract, b.endpoint, id, rec.body)
				if d := r.optional(aspire.ShapeDiffWith(checked, b.endpoint+"/{id}", rec.body)); len(d) > 0 {
					r.Drift[b.endpoint+"/{id}"] = d
				}
			}
		}
	}
	for rec, fs := range r.Unmapped {
		// An optional field found nowhere is not a failure: the API may
		// leave it out when it has no value.
		for _, f := range fs {
			if !contract.Required(rec, f) {
				r.addOptional(rec, f)
			}
		}
		if fs = slices.DeleteFunc(fs, func(f string) bool { return !contract.Required(rec, f) }); len(fs) == 0 {
			delete(r.Unmapped, rec)
		} else {
			r.Unmapped[rec] = fs
		}
	}
	// Names embedded in the id lists' objects are sent: the diff against
	// the checked contract (which has them under keys of their own) found
	// them absent, wrongly. An empty id list beside names embedded
	// elsewhere (a post in no project, its groups named) is the same style.
	if len(slices.Concat(slices.Collect(maps.Values(embedded))...)) > 0 {
		for rec, fs := range emptyIDs {
			embedded[rec] = append(embedded[rec], fs...)
		}
	}
	for rec, fs := range embedded {
		if opt, ok := r.Optional[rec]; ok {
			if opt = slices.DeleteFunc(opt, func(f string) bool { return slices.Contains(fs, f) }); len(opt) > 0 {
				r.Optional[rec] = opt
			} else {
				delete(r.Optional, rec)
			}
		}
	}
	if n := len(r.Drift) + len(r.Unmapped); n > 0 {
		// The differences are listed once, in the table under the checks
		// (Text) and in the report's drift (--json): the check counts them.
		var fields []string
		if n := driftCount(r.Drift); n > 0 {
			fields = append(fields, fmt.Sprintf("%d field%s differ%s from the contract (the table below)", n,
				map[bool]string{true: "", false: "s"}[n == 1], map[bool]string{true: "s", false: ""}[n == 1]))
		}
		advice := "the API differs from the contract: `doctor --write-contract FILE` writes one that matches, then start with -contract FILE"
		if len(r.Unmapped) > 0 {
			var un []string
			for _, rec := range slices.Sorted(maps.Keys(r.Unmapped)) {
				for _, f := range r.Unmapped[rec] {
					un = append(un, rec+"."+f)
				}
			}
			fields = append(fields, "no field found for "+strings.Join(un, ", "))
			advice += "; map the fields not found by hand under \"fields\" in that file"
		}
		add(Check{Name: "response shape matches the contract", Detail: strings.Join(fields, "; "), Advice: advice})
	} else {
		add(Check{Name: "response shape matches the contract", OK: true, Detail: "envelope, paging keys and record fields as assumed"})
	}
	if len(r.Optional) > 0 {
		var fs []string
		for _, rec := range slices.Sorted(maps.Keys(r.Optional)) {
			for _, f := range r.Optional[rec] {
				fs = append(fs, rec+"."+f)
			}
		}
		add(Check{Name: "optional fields not sent", OK: true, Detail: strings.Join(fs, ", ") + " (they read as null; not an error)"})
	}
	if mem.status == http.StatusOK {
		learnBatch(ctx, in, &r, mem, year)
	}

	// 7. Rate-limit headroom.
	h := posts.header
	if h == nil {
		h = members.header
	}
	if lim, rem := h.Get(wire.HeaderRateLimitLimit), h.Get(wire.HeaderRateLimitRemaining); lim != "" && rem != "" {
		detail := fmt.Sprintf("%s of %s requests left", rem, lim)
		if reset, err := strconv.ParseInt(h.Get(wire.HeaderRateLimitReset), 10, 64); err == nil {
			detail += fmt.Sprintf(", the window resets in %v", time.Unix(reset, 0).Sub(in.Now).Round(time.Second))
		}
		remaining, _ := strconv.Atoi(rem)
		add(Check{Name: "rate-limit headroom", OK: remaining > 0, Detail: detail, Advice: map[bool]string{true: "", false: "wait for the window to reset"}[remaining > 0]})
	} else {
		add(Check{Name: "rate-limit headroom", OK: true, Detail: "the API reports no X-RateLimit headers"})
	}
	return r.done()
}

// optional moves the optional fields a record left out ("absent") from d
// to r.Optional, and returns the rest.
func (r *Report) optional(d []aspire.Drift) []aspire.Drift {
	return slices.DeleteFunc(d, func(x aspire.Drift) bool {
		if x.Kind != "absent" {
			return false
		}
		rec, f := x.Record()
		r.addOptional(rec, f)
		return true
	})
}

func (r *Report) addOptional(rec, f string) {
	if r.Optional == nil {
		r.Optional = map[string][]string{}
	}
	if !slices.Contains(r.Optional[rec], f) {
		r.Optional[rec] = append(r.Optional[rec], f)
		slices.Sort(r.Optional[rec])
	}
}

func (r Report) done() Report {
	r.OK = true
	for _, c := range r.Checks {
		r.OK = r.OK && c.OK
	}
	return r
}

// network tells DNS, TLS, timeout and refused connections apart.
// redirectError is a 3xx answer, which the doctor never follows.
type redirectError string

func (e redirectError) Error() string { return string(e) }

func network(err error) string {
	var redirect redirectError
	if errors.As(err, &redirect) {
		return string(redirect)
	}
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return "cannot resolve the host name (DNS): " + dns.Name
	case errors.As(err, &cert), errors.As(err, &unknownAuth), strings.Contains(err.Error(), "tls:"):
		return "the TLS handshake failed (certificate or protocol)"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused: nothing listens there"
	}
	return "unreachable"
}

func driftCount(d map[string][]aspire.Drift) int {
	n := 0
	for _, ds := range d {
		n += len(ds)
	}
	return n
}

// Text renders the report, one line per check.
func (r Report) Text() string {
	var b strings.Builder
	for _, c := range r.Checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
		}
		fmt.Fprintf(&b, "%s %s: %s", mark, c.Name, c.Detail)
		if !c.OK && c.Advice != "" {
			fmt.Fprintf(&b, " — %s", c.Advice)
		}
		b.WriteString("\n")
	}
	if len(r.Drift) > 0 {
		b.WriteString("\n  endpoint        field                          difference\n")
		for _, ep := range slices.Sorted(maps.Keys(r.Drift)) {
			for _, d := range r.Drift[ep] {
				k := d.Kind
				if d.Got != "" {
					k = "sent as " + d.Got
				}
				fmt.Fprintf(&b, "  %-15s %-30s %s\n", ep, d.Field, k)
			}
		}
	}
	if r.Requests > 0 {
		plural := map[bool]string{true: "", false: "s"}[r.Requests == 1]
		fmt.Fprintf(&b, "\n  %d request%s to the API (at most %d)\n", r.Requests, plural, MaxRequests)
	}
	return b.String()
}
