package aspire

import (
	"net/url"
	"strings"
)

// The Aspire app's URLs carry the ids people need: the workspace's client id
// after /client/, a project after /project/, a member after /member/, a
// group in groupIds.is=. Users paste those URLs where an id is asked for;
// these functions reduce them to the id (and leave a bare id alone).

// MaxIDLength is the longest record id sent upstream. ASSUMED: the
// contract's ids are numeric strings and client ids 32 characters; 64
// leaves room for other formats while refusing ids made to fill URLs, logs
// and messages.
const MaxIDLength = 64

// ClientIDFrom returns the client id in s: s itself, or the path segment
// after "client" in a pasted workspace URL.
func ClientIDFrom(s string) string { return afterSegment(s, "client") }

// ProjectIDFrom returns the project id in s (".../project/<id>").
func ProjectIDFrom(s string) string { return afterSegment(s, "project") }

// MemberIDFrom returns the member id in s (".../member/<id>").
func MemberIDFrom(s string) string { return afterSegment(s, "member") }

// GroupIDFrom returns the group id in s ("...groupIds.is=<id>...").
func GroupIDFrom(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "groupIds.is="); i >= 0 {
		rest := s[i+len("groupIds.is="):]
		if j := strings.IndexAny(rest, "&#/"); j >= 0 {
			rest = rest[:j]
		}
		if v, err := url.QueryUnescape(rest); err == nil {
			return v
		}
		return rest
	}
	return s
}

func afterSegment(s, segment string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		return s
	}
	path := s
	if u, err := url.Parse(s); err == nil && u.Path != "" {
		path = u.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == segment && parts[i+1] != "" {
			return parts[i+1]
		}
	}
	return s
}
