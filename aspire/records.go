package aspire

import "time"

// The records as the upstream sends them. Their json tags are the ASSUMED
// field names of the contract, in this one file. Records handed out by the
// client may be shared between callers (the cache and the in-flight
// de-duplication return the same value to each), so treat them as read-only.

// Metrics are a post's numbers, or a roll-up of many posts'. A nil field is a
// metric the network does not report (never 0 in its place).
type Metrics struct {
	Impressions     *int64   `json:"impressions"`
	Reach           *int64   `json:"reach"`
	Views           *int64   `json:"views"`
	ViewTimeSeconds *int64   `json:"view_time_seconds"`
	Likes           *int64   `json:"likes"`
	Comments        *int64   `json:"comments"`
	Shares          *int64   `json:"shares"`
	Saves           *int64   `json:"saves"`
	Clicks          *int64   `json:"clicks"`
	Engagements     *int64   `json:"engagements"`
	EngagementRate  *float64 `json:"engagement_rate"`
	TMV             *float64 `json:"tmv"` // total media value, USD
	// Unreadable has a bit set per field (by its index in
	// contract.RecordFields) whose value was sent but could not be read: that
	// field is nil, and graph reports drift at its path.
	Unreadable uint64 `json:"_unreadable,omitempty"`
}

// Post is one piece of creator content.
type Post struct {
	ID         string   `json:"id"`
	MemberID   string   `json:"member_id"`
	ProjectIDs []string `json:"project_ids"`
	GroupIDs   []string `json:"group_ids"`
	// ProjectNames and GroupNames, where the upstream sends names with the
	// ids (embedded objects, parallel arrays, one project_name), are
	// parallel to the ids: "" where a name is not sent.
	ProjectNames  []string      `json:"project_names"`
	GroupNames    []string      `json:"group_names"`
	Network       Network       `json:"network"`
	PostType      PostType      `json:"post_type"`
	MentionSource MentionSource `json:"mention_source"`
	Status        PostStatus    `json:"status"`
	URL           string        `json:"url"`
	Caption       string        `json:"caption"`
	ThumbnailURL  string        `json:"thumbnail_url"`
	PostedAt      time.Time     `json:"posted_at"`
	IsEstimated   bool          `json:"is_estimated"`
	Metrics       Metrics       `json:"metrics"`
	Unreadable    uint64        `json:"_unreadable,omitempty"` // as Metrics.Unreadable
}

// Handles are a member's account names per network; empty where the member
// has no account.
type Handles struct {
	Instagram string `json:"instagram,omitempty"`
	TikTok    string `json:"tiktok,omitempty"`
	YouTube   string `json:"youtube,omitempty"`
	Pinterest string `json:"pinterest,omitempty"`
}

// Of returns the handle on network n.
func (h Handles) Of(n Network) string {
	switch n {
	case Instagram:
		return h.Instagram
	case TikTok:
		return h.TikTok
	case YouTube:
		return h.YouTube
	case Pinterest:
		return h.Pinterest
	}
	return ""
}

// Member is a creator with metrics rolled up over the posts a query selects.
type Member struct {
	ID           string               `json:"id"`
	Name         string               `json:"name"`
	Email        string               `json:"email"`
	Handles      Handles              `json:"handles"`
	ProjectIDs   []string             `json:"project_ids"`
	GroupIDs     []string             `json:"group_ids"`
	ProjectNames []string             `json:"project_names"` // as Post.ProjectNames
	GroupNames   []string             `json:"group_names"`
	PostCount    int                  `json:"post_count"`
	Metrics      Metrics              `json:"metrics"`
	ByNetwork    map[Network]Metrics  `json:"by_network"`
	ByPostType   map[PostType]Metrics `json:"by_post_type"`
	Unreadable   uint64               `json:"_unreadable,omitempty"` // as Metrics.Unreadable
}

// Project is a campaign of the workspace. Name, Status and CreatedAt are
// nil where the upstream sends none: without a /v1/projects endpoint the
// client builds projects from what members carry (see derived.go), and only
// the endpoint has a status and a creation date.
type Project struct {
	ID          string         `json:"id"`
	Name        *string        `json:"name"`
	Status      *ProjectStatus `json:"status"`
	CreatedAt   *time.Time     `json:"created_at"`
	MemberCount int            `json:"member_count"`
	Unreadable  uint64         `json:"_unreadable,omitempty"` // as Metrics.Unreadable
}

// Group is a named set of members; Name as Project's.
type Group struct {
	ID          string  `json:"id"`
	Name        *string `json:"name"`
	MemberCount int     `json:"member_count"`
	Unreadable  uint64  `json:"_unreadable,omitempty"` // as Metrics.Unreadable
}

// Record ids, so generic code can key rows by id.
func (p Post) key() string    { return p.ID }
func (m Member) key() string  { return m.ID }
func (p Project) key() string { return p.ID }
func (g Group) key() string   { return g.ID }
