package aspire

import (
	"net/url"
	"slices"
	"strings"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// Filter is what /v1/posts and /v1/members share: the range and the filters.
// Empty lists mean "no filter".
type Filter struct {
	// Range is required on lists; on look-ups by ids it may be zero, and the
	// metrics are then lifetime.
	Range          Range
	Networks       []Network
	ProjectIDs     []string
	GroupIDs       []string
	MemberIDs      []string
	PostTypes      []PostType
	MentionSources []MentionSource
	Statuses       []PostStatus
	// MetricsWindow is Lifetime (the upstream's default) when empty.
	MetricsWindow MetricsWindow
}

// Sort orders a list; a zero Sort is the upstream's default.
type Sort struct {
	By    SortField
	Order SortOrder // Desc when empty
}

// values encodes f; endpoint names the caller in errors. needRange is false
// for look-ups by ids.
func (f Filter) values(endpoint string, needRange bool) (url.Values, error) {
	v := url.Values{}
	if !f.Range.Start.IsZero() || !f.Range.End.IsZero() || needRange {
		if err := f.Range.Validate(); err != nil {
			return nil, invalid(endpoint, "%v", err)
		}
		v.Set(wire.ParamStartDate, f.Range.Start.String())
		v.Set(wire.ParamEndDate, f.Range.End.String())
	}
	for _, l := range []struct {
		param string
		ids   []string
	}{{wire.ParamProjectID, f.ProjectIDs}, {wire.ParamGroupID, f.GroupIDs}, {wire.ParamMemberID, f.MemberIDs}} {
		if err := setIDs(v, endpoint, l.param, l.ids); err != nil {
			return nil, err
		}
	}
	if err := setEnums(v, endpoint, wire.ParamNetwork, f.Networks); err != nil {
		return nil, err
	}
	if err := setEnums(v, endpoint, wire.ParamPostType, f.PostTypes); err != nil {
		return nil, err
	}
	if err := setEnums(v, endpoint, wire.ParamMentionSource, f.MentionSources); err != nil {
		return nil, err
	}
	if err := setEnums(v, endpoint, wire.ParamPostStatus, f.Statuses); err != nil {
		return nil, err
	}
	if f.MetricsWindow != "" {
		if !f.MetricsWindow.Valid() {
			return nil, invalid(endpoint, "unknown metrics window %q", f.MetricsWindow)
		}
		v.Set(wire.ParamMetricsWindow, string(f.MetricsWindow))
	}
	return v, nil
}

func (s Sort) set(v url.Values, endpoint string, postsOnly bool) error {
	if s.By != "" {
		if !s.By.Valid() || (s.By == SortPostedAt && !postsOnly) {
			return invalid(endpoint, "cannot sort by %q", s.By)
		}
		v.Set(wire.ParamSortBy, string(s.By))
	}
	if s.Order != "" {
		if !s.Order.Valid() {
			return invalid(endpoint, "unknown sort order %q", s.Order)
		}
		v.Set(wire.ParamSortOrder, string(s.Order))
	}
	return nil
}

// setIDs writes a comma list, sorted so that equal sets make equal URLs (and
// share cache entries).
func setIDs(v url.Values, endpoint, param string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	ids = uniqueSorted(ids)
	if len(ids) > MaxIDs {
		return invalid(endpoint, "at most %d ids in %s per call, got %d", MaxIDs, param, len(ids))
	}
	for _, id := range ids {
		if id == "" || strings.Contains(id, ",") {
			return invalid(endpoint, "invalid id %q in %s", id, param)
		}
	}
	v.Set(param, strings.Join(ids, ","))
	return nil
}

func setEnums[E interface {
	~string
	Valid() bool
}](v url.Values, endpoint, param string, es []E) error {
	if len(es) == 0 {
		return nil
	}
	s := make([]string, 0, len(es))
	for _, e := range es {
		if !e.Valid() {
			return invalid(endpoint, "unknown %s %q", param, e)
		}
		s = append(s, string(e))
	}
	slices.Sort(s)
	v.Set(param, strings.Join(slices.Compact(s), ","))
	return nil
}
