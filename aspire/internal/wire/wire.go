// Package wire holds every ASSUMED detail of the Aspire REST wire format that
// is not a record field name: paths, query parameter names, headers, the
// envelope, the error body and the limits. The client (package aspire) and the
// simulator (package aspiretest) both read them from here, so meeting the real
// API where it differs is an edit to this file (and to the json tags in
// aspire/records.go), nothing else.
//
// See ../shared/design/aspire-rest-contract.md for what is CONFIRMED and what
// is ASSUMED.
package wire

// Paths of the list endpoints; a record is at Path + "/" + id.
const (
	PathPosts    = "/v1/posts"
	PathMembers  = "/v1/members"
	PathProjects = "/v1/projects"
	PathGroups   = "/v1/groups"
)

// Query parameter names.
const (
	ParamClientID      = "client_id" // name CONFIRMED, placement ASSUMED
	ParamStartDate     = "start_date"
	ParamEndDate       = "end_date"
	ParamNetwork       = "network"
	ParamProjectID     = "project_id"
	ParamGroupID       = "group_id"
	ParamMemberID      = "member_id"
	ParamPostID        = "post_id"
	ParamPostType      = "post_type"
	ParamMentionSource = "mention_source"
	ParamPostStatus    = "post_status"
	ParamMetricsWindow = "metrics_window"
	ParamSortBy        = "sort_by"
	ParamSortOrder     = "sort_order"
	ParamOffset        = "offset"
	ParamLimit         = "limit"
)

// Headers.
const (
	HeaderAuthorization      = "Authorization"
	AuthScheme               = "Bearer"
	HeaderRetryAfter         = "Retry-After"
	HeaderRateLimitLimit     = "X-RateLimit-Limit"
	HeaderRateLimitRemaining = "X-RateLimit-Remaining"
	HeaderRateLimitReset     = "X-RateLimit-Reset" // epoch seconds
)

// Limits of the upstream.
const (
	DefaultLimit  = 100 // CONFIRMED
	MaxLimit      = 500 // CONFIRMED
	MaxIDsPerCall = 100 // ASSUMED
	// MaxRangeDays is the longest start_date…end_date span, inclusive, that the
	// upstream accepts. ASSUMED: nothing is published; two years covers every
	// dashboard preset of the product.
	MaxRangeDays = 731
	// DateLayout is the format of start_date and end_date (CONFIRMED concept).
	DateLayout = "2006-01-02"
)

// Scopes of an API key (CONFIRMED names) and which endpoints need them
// (ASSUMED mapping).
const (
	ScopeSocial = "read:social"
	ScopeMember = "read:member"
)

// ScopeFor reports the scope an endpoint path needs.
func ScopeFor(path string) string {
	switch path {
	case PathPosts, PathMembers:
		return ScopeSocial
	default:
		return ScopeMember
	}
}

// Pagination is the paging block of a list envelope.
type Pagination struct {
	Offset  int  `json:"offset"`
	Limit   int  `json:"limit"`
	Total   int  `json:"total"`
	HasMore bool `json:"has_more"`
}

// List is the envelope of a list response.
type List[T any] struct {
	Data       []T        `json:"data"`
	Pagination Pagination `json:"pagination"`
}

// One is the envelope of a single-record response.
type One[T any] struct {
	Data T `json:"data"`
}

// ErrorBody is the body of every non-2xx response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes of ErrorDetail.Code.
const (
	ErrInvalidToken      = "invalid_token"
	ErrTokenExpired      = "token_expired"
	ErrInsufficientScope = "insufficient_scope"
	ErrInvalidParameter  = "invalid_parameter"
	ErrNotFound          = "not_found"
	ErrRateLimited       = "rate_limited"
	ErrInternal          = "internal"
	// ErrForbidden is not in the contract's list; the simulator uses it for a
	// foreign client_id (403).
	ErrForbidden = "forbidden"
)
