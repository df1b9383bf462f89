package server_test

import (
	"regexp"

	"github.com/aspire-graphql/aspire-graphql/internal/testwait"
)

// Where requests wait: on an identical request's execution in flight,
// theirs or one they joined (merge-inflight; the select of the middleware's
// closure), and on an upstream call in flight.
var (
	inMergedExecution = regexp.MustCompile(`/server\.(New\.)?\(\*responses\)\.wrap\.func\d+$`)
	onUpstreamCall    = testwait.OnUpstreamCall
	waitParked        = testwait.WaitParked
)
