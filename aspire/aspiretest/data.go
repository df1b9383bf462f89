package aspiretest

import (
	"slices"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// Posts returns a copy of every post of the workspace clientID as the
// simulator holds it (lifetime metrics), ordered by posted_at: tests
// compute expected sums from it without going through a client.
func (s *Server) Posts(clientID string) []aspire.Post {
	w := s.workspaces[clientID]
	if w == nil {
		return nil
	}
	return slices.Clone(w.posts)
}
