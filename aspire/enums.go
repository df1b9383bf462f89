package aspire

import (
	"fmt"
	"slices"
)

// The enums are strings holding the upstream's wire values. Decoding is
// lenient (an unknown value from the upstream is kept, and Valid reports it);
// the Parse functions are strict and are what callers use on user input.

// Network is a social network.
type Network string

// Networks the API reports on (CONFIRMED).
const (
	Instagram Network = "instagram"
	TikTok    Network = "tiktok"
	YouTube   Network = "youtube"
	Pinterest Network = "pinterest"
)

// Networks lists every Network in a stable order.
var Networks = []Network{Instagram, TikTok, YouTube, Pinterest}

// ParseNetwork parses a wire value.
func ParseNetwork(s string) (Network, error) { return parseEnum("network", s, Networks) }

// Valid reports whether n is a known network.
func (n Network) Valid() bool { return slices.Contains(Networks, n) }

// PostType is the kind of a post (ASSUMED values).
type PostType string

// Post types.
const (
	InstagramPost  PostType = "instagram_post"
	InstagramReel  PostType = "instagram_reel"
	InstagramStory PostType = "instagram_story"
	TikTokVideo    PostType = "tiktok_video"
	YouTubeVideo   PostType = "youtube_video"
	YouTubeShort   PostType = "youtube_short"
	PinterestPin   PostType = "pinterest_pin"
)

// PostTypes lists every PostType in a stable order.
var PostTypes = []PostType{InstagramPost, InstagramReel, InstagramStory, TikTokVideo, YouTubeVideo, YouTubeShort, PinterestPin}

// ParsePostType parses a wire value.
func ParsePostType(s string) (PostType, error) { return parseEnum("post_type", s, PostTypes) }

// Valid reports whether t is a known post type.
func (t PostType) Valid() bool { return slices.Contains(PostTypes, t) }

// Network is the network a post type belongs to ("" if unknown).
func (t PostType) Network() Network {
	switch t {
	case InstagramPost, InstagramReel, InstagramStory:
		return Instagram
	case TikTokVideo:
		return TikTok
	case YouTubeVideo, YouTubeShort:
		return YouTube
	case PinterestPin:
		return Pinterest
	}
	return ""
}

// MentionSource says how a post was found (CONFIRMED concepts).
type MentionSource string

// Mention sources.
const (
	BrandInitiated   MentionSource = "brand_initiated"
	CreatorSubmitted MentionSource = "creator_submitted"
	SocialListening  MentionSource = "social_listening"
)

// MentionSources lists every MentionSource in a stable order.
var MentionSources = []MentionSource{BrandInitiated, CreatorSubmitted, SocialListening}

// ParseMentionSource parses a wire value.
func ParseMentionSource(s string) (MentionSource, error) {
	return parseEnum("mention_source", s, MentionSources)
}

// Valid reports whether m is a known mention source.
func (m MentionSource) Valid() bool { return slices.Contains(MentionSources, m) }

// PostStatus is whether a post is still up (CONFIRMED values).
type PostStatus string

// Post statuses.
const (
	Live    PostStatus = "live"
	Expired PostStatus = "expired"
	Deleted PostStatus = "deleted"
)

// PostStatuses lists every PostStatus in a stable order.
var PostStatuses = []PostStatus{Live, Expired, Deleted}

// ParsePostStatus parses a wire value.
func ParsePostStatus(s string) (PostStatus, error) { return parseEnum("post_status", s, PostStatuses) }

// Valid reports whether s is a known status.
func (s PostStatus) Valid() bool { return slices.Contains(PostStatuses, s) }

// MetricsWindow says which period metrics cover: the post's whole life
// (the default) or only the requested date range.
type MetricsWindow string

// Metrics windows.
const (
	Lifetime  MetricsWindow = "lifetime"
	DateRange MetricsWindow = "date_range"
)

// MetricsWindows lists every MetricsWindow.
var MetricsWindows = []MetricsWindow{Lifetime, DateRange}

// ParseMetricsWindow parses a wire value.
func ParseMetricsWindow(s string) (MetricsWindow, error) {
	return parseEnum("metrics_window", s, MetricsWindows)
}

// Valid reports whether w is a known window.
func (w MetricsWindow) Valid() bool { return slices.Contains(MetricsWindows, w) }

// SortField is what a list is sorted by.
type SortField string

// Sort fields: the first five CONFIRMED, views and posted_at ASSUMED.
// PostedAt applies to posts only.
const (
	SortImpressions    SortField = "impressions"
	SortEngagements    SortField = "engagements"
	SortEngagementRate SortField = "engagement_rate"
	SortTMV            SortField = "tmv"
	SortViewTime       SortField = "view_time"
	SortViews          SortField = "views"
	SortPostedAt       SortField = "posted_at"
)

// SortFields lists every SortField.
var SortFields = []SortField{SortImpressions, SortEngagements, SortEngagementRate, SortTMV, SortViewTime, SortViews, SortPostedAt}

// ParseSortField parses a wire value.
func ParseSortField(s string) (SortField, error) { return parseEnum("sort_by", s, SortFields) }

// Valid reports whether f is a known sort field.
func (f SortField) Valid() bool { return slices.Contains(SortFields, f) }

// SortOrder is the direction of a sort; the upstream's default is Desc.
type SortOrder string

// Sort orders.
const (
	Desc SortOrder = "desc"
	Asc  SortOrder = "asc"
)

// SortOrders lists every SortOrder.
var SortOrders = []SortOrder{Desc, Asc}

// ParseSortOrder parses a wire value.
func ParseSortOrder(s string) (SortOrder, error) { return parseEnum("sort_order", s, SortOrders) }

// Valid reports whether o is a known order.
func (o SortOrder) Valid() bool { return slices.Contains(SortOrders, o) }

// ProjectStatus is whether a project (campaign) is running.
type ProjectStatus string

// Project statuses (ASSUMED).
const (
	ProjectActive   ProjectStatus = "active"
	ProjectArchived ProjectStatus = "archived"
)

// ProjectStatuses lists every ProjectStatus.
var ProjectStatuses = []ProjectStatus{ProjectActive, ProjectArchived}

// ParseProjectStatus parses a wire value.
func ParseProjectStatus(s string) (ProjectStatus, error) {
	return parseEnum("project status", s, ProjectStatuses)
}

// Valid reports whether s is a known project status.
func (s ProjectStatus) Valid() bool { return slices.Contains(ProjectStatuses, s) }

func parseEnum[E ~string](kind, s string, all []E) (E, error) {
	for _, e := range all {
		if string(e) == s {
			return e, nil
		}
	}
	return "", fmt.Errorf("unknown %s %q (want one of %v)", kind, s, all)
}
