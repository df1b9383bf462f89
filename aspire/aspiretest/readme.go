package aspiretest

// A READMEQuery is one of the three queries the README shows, with the
// variables its example uses: the wire-variant, contract and tracing tests
// all run these, so that what a new user pastes is what is proven.
type READMEQuery struct {
	Name, Query string
	Vars        map[string]any
}

// READMEQueries are the README's TopPosts, Creators and Campaigns, in that
// order. Their Vars are shared: read them, do not change them.
var READMEQueries = []READMEQuery{
	{"TopPosts", `query TopPosts($r: DateRangeInput!) { posts(range: $r, first: 3, sort: {field: TMV}) { totalCount
		nodes { id network type metrics { impressions engagements tmv } member { name handles { instagram tiktok } } } } }`,
		map[string]any{"r": map[string]any{"start": "2026-10-01", "end": "2026-10-31"}}},
	{"Creators", `query Creators($r: DateRangeInput!) { members(range: $r, first: 2, sort: {field: ENGAGEMENTS}) {
		nodes { name performance(range: $r) { postCount metrics { engagements tmv } byNetwork { network metrics { tmv } } } } } }`,
		map[string]any{"r": map[string]any{"start": "2026-07-01", "end": "2026-09-30"}}},
	{"Campaigns", `query Campaigns($r: DateRangeInput!) { projects(first: 2) { nodes { name status memberCount
		posts(range: $r, first: 2) { totalCount nodes { id member { name } } } } } }`,
		map[string]any{"r": map[string]any{"start": "2026-10-01", "end": "2026-10-31"}}},
}
