package server

import (
	"encoding/json"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/playground"
)

// ExampleQuery is the playground's pre-filled query: last month's posts
// with their creators.
const ExampleQuery = `# Last month's posts with their creators, best total media value first.
# Press the ▶ button (or Ctrl-Enter) to run it; the Docs tab lists every field.
query LastMonthPosts($range: DateRangeInput!) {
  posts(range: $range, first: 10, sort: {field: TMV}) {
    totalCount
    nodes {
      id
      network
      type
      postedAt
      caption
      metrics { impressions engagements engagementRate tmv }
      member { id name handles { instagram tiktok youtube } }
    }
  }
}
`

// LastMonth is the calendar month before now's.
func LastMonth(now time.Time) aspire.Range {
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return aspire.Range{Start: aspire.DateOf(first.AddDate(0, -1, 0)), End: aspire.DateOf(first.AddDate(0, 0, -1))}
}

func playgroundConfig(o Options) playground.Config {
	r := LastMonth(o.Now())
	vars, _ := json.MarshalIndent(map[string]any{"range": map[string]string{"start": r.Start.String(), "end": r.End.String()}}, "", "  ")
	var headers map[string]string
	switch o.Config.Mode() {
	case config.Demo:
		headers = map[string]string{"Authorization": "Bearer " + o.Demo.APIKey, HeaderClientID: o.Demo.ClientID}
	case config.Passthrough:
		headers = map[string]string{"Authorization": "Bearer <your Aspire API key>", HeaderClientID: "<your workspace client id>"}
	case config.ServerKey:
		if len(o.Config.AccessTokens) > 0 {
			headers = map[string]string{"Authorization": "Bearer <an access token of this server>"}
		}
	}
	h, _ := json.MarshalIndent(headers, "", "  ")
	if headers == nil {
		h = []byte("{}")
	}
	return playground.Config{Endpoint: "/graphql", Query: ExampleQuery, Variables: string(vars), Headers: string(h)}
}
