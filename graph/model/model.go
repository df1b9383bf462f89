// Package model holds the GraphQL types that are not Aspire records: the
// connections, page info, handles and roll-ups the resolvers build, next to
// the input types gqlgen generates (models_gen.go).
package model

import (
	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/report"
)

// PageInfo is a Relay page info.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Window is where a page sits in its list: the offset of its first row and
// the fingerprint of the arguments, from which the edges' cursors are made
// only when a query asks for edges.
type Window struct {
	Offset      int
	Fingerprint string
	// Rows is how many upstream rows the nodes stand for (repeated ids
	// dropped, see aspire/dups.go); 0: one per node.
	Rows int
}

// PostConnection is a page of posts.
type PostConnection struct {
	Nodes      []*aspire.Post
	PageInfo   *PageInfo
	TotalCount int
	TotalErr   error // why TotalCount is unknown (see aspire.Page.TotalErr)
	Window     Window
}

// PostEdge is a post with its cursor.
type PostEdge struct {
	Cursor string
	Node   *aspire.Post
}

// MemberConnection is a page of members.
type MemberConnection struct {
	Nodes      []*aspire.Member
	PageInfo   *PageInfo
	TotalCount int
	TotalErr   error // why TotalCount is unknown (see aspire.Page.TotalErr)
	Window     Window
}

// MemberEdge is a member with its cursor.
type MemberEdge struct {
	Cursor string
	Node   *aspire.Member
}

// ProjectConnection is a page of projects.
type ProjectConnection struct {
	Nodes      []*aspire.Project
	PageInfo   *PageInfo
	TotalCount int
	TotalErr   error // why TotalCount is unknown (see aspire.Page.TotalErr)
	Window     Window
}

// ProjectEdge is a project with its cursor.
type ProjectEdge struct {
	Cursor string
	Node   *aspire.Project
}

// GroupConnection is a page of groups.
type GroupConnection struct {
	Nodes      []*aspire.Group
	PageInfo   *PageInfo
	TotalCount int
	TotalErr   error // why TotalCount is unknown (see aspire.Page.TotalErr)
	Window     Window
}

// GroupEdge is a group with its cursor.
type GroupEdge struct {
	Cursor string
	Node   *aspire.Group
}

// Handles are a member's account names; nil where there is none.
type Handles struct {
	Instagram *string
	TikTok    *string
	YouTube   *string
	Pinterest *string
}

// Performance is a roll-up.
type Performance struct {
	PostCount  int
	Metrics    *aspire.Metrics
	ByNetwork  []*NetworkMetrics
	ByPostType []*PostTypeMetrics
	// Report is the planner's answer behind series and topMembers (nil when
	// neither is selected on Member.performance).
	Report *report.Result
}

// PerformancePoint is one bucket of a series.
type PerformancePoint struct {
	Start     aspire.Date
	PostCount int
	Metrics   *aspire.Metrics
}

// MemberPerformance is a member's share of a roll-up.
type MemberPerformance struct {
	MemberID  string
	Record    *aspire.Member
	PostCount int
	Metrics   *aspire.Metrics
}

// NetworkMetrics are the metrics of one network.
type NetworkMetrics struct {
	Network aspire.Network
	Metrics *aspire.Metrics
}

// PostTypeMetrics are the metrics of one post type.
type PostTypeMetrics struct {
	PostType aspire.PostType
	Metrics  *aspire.Metrics
}
