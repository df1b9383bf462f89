package export

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// Params are the export's query parameters, mirroring the GraphQL filters:
// start, end (YYYY-MM-DD, epoch milliseconds or RFC 3339: see date), network,
// project_id, group_id, member_id, post_type, mention_source, status
// (comma lists), metrics_window, sort (a field, optionally ":asc").
func parseFilter(v url.Values) (aspire.Filter, error) {
	var f aspire.Filter
	var err error
	if f.Range.Start, err = date(v.Get("start"), "start", false); err != nil {
		return f, err
	}
	if f.Range.End, err = date(v.Get("end"), "end", true); err != nil {
		return f, err
	}
	if err := f.Range.Validate(); err != nil {
		return f, err
	}
	if f.Networks, err = enums(v, "network", aspire.ParseNetwork); err != nil {
		return f, err
	}
	if f.PostTypes, err = enums(v, "post_type", aspire.ParsePostType); err != nil {
		return f, err
	}
	if f.MentionSources, err = enums(v, "mention_source", aspire.ParseMentionSource); err != nil {
		return f, err
	}
	if f.Statuses, err = enums(v, "status", aspire.ParsePostStatus); err != nil {
		return f, err
	}
	// Ids may be pasted as the app's URLs.
	f.ProjectIDs = mapIDs(list(v, "project_id"), aspire.ProjectIDFrom)
	f.GroupIDs = mapIDs(list(v, "group_id"), aspire.GroupIDFrom)
	f.MemberIDs = mapIDs(list(v, "member_id"), aspire.MemberIDFrom)
	for name, ids := range map[string][]string{"project_id": f.ProjectIDs, "group_id": f.GroupIDs, "member_id": f.MemberIDs} {
		if len(ids) > aspire.MaxIDs {
			return f, fmt.Errorf("%s: at most %d ids, got %d", name, aspire.MaxIDs, len(ids))
		}
	}
	if s := v.Get("metrics_window"); s != "" {
		if f.MetricsWindow, err = aspire.ParseMetricsWindow(strings.ToLower(s)); err != nil {
			return f, fmt.Errorf("metrics_window: %v", err)
		}
	}
	return f, nil
}

func parseSort(v url.Values, posts bool) (aspire.Sort, error) {
	s := v.Get("sort")
	if s == "" {
		return aspire.Sort{}, nil
	}
	field, order, _ := strings.Cut(strings.ToLower(s), ":")
	by, err := aspire.ParseSortField(field)
	if err != nil || (!posts && by == aspire.SortPostedAt) {
		return aspire.Sort{}, fmt.Errorf("sort: %q is not a field to sort by", field)
	}
	out := aspire.Sort{By: by}
	if order != "" {
		if out.Order, err = aspire.ParseSortOrder(order); err != nil {
			return aspire.Sort{}, fmt.Errorf("sort: %v", err)
		}
	}
	return out, nil
}

// PostQuery reads a posts export's parameters.
func PostQuery(v url.Values) (aspire.PostQuery, error) {
	f, err := parseFilter(v)
	if err != nil {
		return aspire.PostQuery{}, err
	}
	s, err := parseSort(v, true)
	return aspire.PostQuery{Filter: f, Sort: s, Limit: aspire.MaxLimit}, err
}

// MemberQuery reads a members export's parameters.
func MemberQuery(v url.Values) (aspire.MemberQuery, error) {
	f, err := parseFilter(v)
	if err != nil {
		return aspire.MemberQuery{}, err
	}
	s, err := parseSort(v, false)
	return aspire.MemberQuery{Filter: f, Sort: s, Limit: aspire.MaxLimit}, err
}

// date reads one end of the range. What it accepts, so that no value can be
// read as another day than the one meant:
//
//   - YYYY-MM-DD: that day, included.
//   - epoch milliseconds, exactly 13 digits (Grafana's ${__from} and
//     ${__to}; every instant from 2001-09-09 to 2286), or an RFC 3339 time
//     (${__to:date}): the UTC day of that instant. Ten digits are refused
//     as epoch seconds (the message gives the milliseconds to send); any
//     other number of digits is refused too.
//   - for end, an instant at exactly 00:00:00.000 UTC is exclusive, as
//     Grafana's range [from, to] means it: it holds no moment of that day,
//     so the range ends with the day before (2026-10-01T00:00:00Z ends a Q3
//     range on 2026-09-30).
//
// A day before 2000-01-01 or after 2100-12-31 is refused, saying what was
// read (aspire.CheckInputDate).
func date(s, name string, end bool) (aspire.Date, error) {
	const accepted = "YYYY-MM-DD, epoch milliseconds (13 digits) or an RFC 3339 time"
	if s == "" {
		return aspire.Date{}, fmt.Errorf("%s is required: %s", name, accepted)
	}
	var (
		d       aspire.Date
		instant time.Time
		read    string // what s was read as, for the errors
	)
	switch {
	case digits(s):
		ms, err := strconv.ParseInt(s, 10, 64)
		switch {
		case len(s) == 10 && err == nil:
			return d, fmt.Errorf("%s: %s has 10 digits, epoch seconds (%s); this endpoint reads epoch milliseconds, 13 digits: send %s000, or YYYY-MM-DD",
				name, s, time.Unix(ms, 0).UTC().Format(time.RFC3339), s)
		case len(s) != 13 || err != nil:
			return d, fmt.Errorf("%s: %s is a number of %d digits; send %s", name, s, len(s), accepted)
		}
		instant = time.UnixMilli(ms).UTC()
		read = fmt.Sprintf("epoch milliseconds %s are %s", s, instant.Format("2006-01-02T15:04:05.000Z"))
	case strings.Contains(s, "T"):
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return d, fmt.Errorf("%s: %q is not %s", name, s, accepted)
		}
		instant = t.UTC()
		read = fmt.Sprintf("%s is %s", s, instant.Format("2006-01-02T15:04:05.000Z"))
	default:
		p, err := aspire.ParseDate(s)
		if err != nil {
			return d, fmt.Errorf("%s: %q is not %s", name, s, accepted)
		}
		d, read = p, s
	}
	if !instant.IsZero() {
		d = aspire.DateOf(instant)
		if end && instant.Equal(d.Time()) {
			d = d.AddDays(-1) // exclusive at midnight: the day before is the last
		}
		read += ", the day " + d.String()
	}
	if aspire.CheckInputDate(d) != nil {
		return d, fmt.Errorf("%s: %s, outside the dates this server accepts (%s to %s)", name, read, aspire.FirstInputDate, aspire.LastInputDate)
	}
	return d, nil
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func list(v url.Values, name string) []string {
	var out []string
	for _, s := range v[name] {
		for p := range strings.SplitSeq(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func enums[E ~string](v url.Values, name string, parse func(string) (E, error)) ([]E, error) {
	var out []E
	for _, s := range list(v, name) {
		e, err := parse(strings.ToLower(s))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// FileName is the download's name: entity, range and format.
func FileName(entity string, r aspire.Range, f Format) string {
	return fmt.Sprintf("%s_%s_%s.%s", entity, r.Start, r.End, f)
}

func mapIDs(ids []string, f func(string) string) []string {
	for i, id := range ids {
		ids[i] = f(id)
	}
	return ids
}

// Job is one export, its parameters read and checked.
type Job struct {
	Entity string       // "posts", "members" or "performance"
	Range  aspire.Range // for the file name
	run    func(context.Context, *aspire.Tenant, io.Writer, Options) (int, error)
}

// NewJob reads an export of entity from its parameters; an error means the
// request is refused before any upstream call.
func NewJob(entity string, v url.Values) (*Job, error) {
	switch entity {
	case "posts":
		q, err := PostQuery(v)
		if err != nil {
			return nil, err
		}
		return &Job{Entity: entity, Range: q.Range, run: func(ctx context.Context, t *aspire.Tenant, w io.Writer, o Options) (int, error) {
			return Posts(ctx, t, q, w, o)
		}}, nil
	case "members":
		q, err := MemberQuery(v)
		if err != nil {
			return nil, err
		}
		return &Job{Entity: entity, Range: q.Range, run: func(ctx context.Context, t *aspire.Tenant, w io.Writer, o Options) (int, error) {
			return Members(ctx, t, q, w, o)
		}}, nil
	case "performance":
		req, by, err := PerformanceRequest(v)
		if err != nil {
			return nil, err
		}
		return &Job{Entity: entity, Range: req.Filter.Range, run: func(ctx context.Context, t *aspire.Tenant, w io.Writer, o Options) (int, error) {
			return Performance(ctx, t, req, by, w, o)
		}}, nil
	}
	return nil, fmt.Errorf("no export of %q: there are posts, members and performance", entity)
}

// Run writes the table and returns the rows written.
func (j *Job) Run(ctx context.Context, t *aspire.Tenant, w io.Writer, o Options) (int, error) {
	return j.run(ctx, t, w, o)
}
