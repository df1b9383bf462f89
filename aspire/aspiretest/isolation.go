package aspiretest

import (
	"regexp"
	"strconv"
)

// The tenant-isolation oracle, one for every test that checks that no
// answer carries another workspace's data (one server, or replicas sharing
// caches): IsolationQuery touches every entity type and relation over the
// ranges of IsolationRanges, and ForeignIDs reads the ids of an answer.

// IsolationQuery asks posts with their member's projects and groups, the
// projects and the members: every kind of id a workspace has.
const IsolationQuery = `query($r: DateRangeInput!) { posts(range: $r, first: 20) { nodes { id member { id projects { id } groups { id } } } }
	projects { nodes { id } } members(range: $r, first: 10) { nodes { id } } }`

// IsolationRanges are the variables of IsolationQuery: three ranges, so
// that concurrent requests of two workspaces meet on the same URLs.
var IsolationRanges = []map[string]any{
	{"r": map[string]any{"start": "2026-01-01", "end": "2026-01-31"}},
	{"r": map[string]any{"start": "2026-02-01", "end": "2026-03-31"}},
	{"r": map[string]any{"start": "2025-06-01", "end": "2025-12-31"}},
}

// idOfWorkspace matches an id in a JSON answer; its first digit is the
// workspace's (idBase: the demo workspace's ids are 1xxxxxxx, the other's
// 2xxxxxxx).
var idOfWorkspace = regexp.MustCompile(`"id":"(\d)\d{7}"`)

// ForeignIDs returns the ids of the JSON answer data that belong to another
// workspace than the one at index (0: DemoClientID, 1: OtherClientID), and
// how many ids the answer holds in all (none is a failed oracle, not a pass).
func ForeignIDs(data []byte, index int) (foreign []string, all int) {
	want := strconv.Itoa(idBase(index) / 10_000_000)
	ms := idOfWorkspace.FindAllSubmatch(data, -1)
	for _, m := range ms {
		if string(m[1]) != want {
			foreign = append(foreign, string(m[0]))
		}
	}
	return foreign, len(ms)
}
