package server

import (
	"bytes"
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

// CampaignReportQuery is the playground's second tab: the README's
// fourth example, a project's quarter by ISO week with its top creators.
const CampaignReportQuery = `# A campaign report: a project's quarter by ISO week and its top five creators.
query CampaignReport($id: ID!, $r: DateRangeInput!) {
  project(id: $id) {
    name
    performance(range: $r) {
      postCount metrics { engagements engagementRate tmv }
      weeks: series(interval: WEEK) { start postCount metrics { engagements tmv } }
      topMembers(first: 5, sort: TMV) { member { name } postCount metrics { engagements tmv } }
    }
  }
}
`

// campaignVariables are the report tab's variables: the README's in demo
// mode (the simulator's project and quarter, the answer the README shows);
// elsewhere the last full quarter and an id to fill, with how to find one.
func campaignVariables(mode config.Mode, now time.Time) string {
	if mode == config.Demo {
		return "{\n  \"id\": \"10100001\",\n  \"r\": {\"start\": \"2026-01-01\", \"end\": \"2026-03-31\"}\n}"
	}
	q := time.Date(now.Year(), time.Month((int(now.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	start, end := aspire.DateOf(q.AddDate(0, -3, 0)), aspire.DateOf(q.AddDate(0, 0, -1))
	return "{\n  // one of your project ids (or its Aspire URL): { projects(first: 10) { nodes { id name } } } lists them\n" +
		"  \"id\": \"\",\n  \"r\": {\"start\": \"" + start.String() + "\", \"end\": \"" + end.String() + "\"}\n}"
}

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
		headers = map[string]string{"Authorization": "Bearer " + PlaceholderKey, HeaderClientID: PlaceholderClientID}
	case config.ServerKey:
		if len(o.Config.AccessTokens) > 0 {
			headers = map[string]string{"Authorization": "Bearer <an access token of this server>"}
		}
	}
	// The editor shows this text as it is: <placeholders>, not \u003c…\u003e
	// (config.js escapes it again as a JavaScript string).
	var hb bytes.Buffer
	enc := json.NewEncoder(&hb)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(headers)
	h := bytes.TrimSpace(hb.Bytes())
	if headers == nil {
		h = []byte("{}")
	}
	pc := playground.Config{Endpoint: "/graphql", Query: ExampleQuery, Variables: string(vars), Headers: string(h),
		Tabs: []playground.Tab{{Query: ExampleQuery, Variables: string(vars)}, {Query: CampaignReportQuery, Variables: campaignVariables(o.Config.Mode(), o.Now())}}}
	if o.Config.Mode() == config.Passthrough {
		pc.Notice = PassthroughNotice
		pc.Tools = "headers"
	}
	return pc
}

// The passthrough playground's placeholders. A value in angle brackets is
// never a key or a client id: the server refuses it without an upstream
// call (see placeholder).
const (
	PlaceholderKey      = "<your Aspire API key>"
	PlaceholderClientID = "<your workspace client id>"
)

// PassthroughNotice is what the passthrough playground says on load, above
// the editors, before anything can fail.
const PassthroughNotice = "This server uses your own Aspire key. Under Headers (bottom left, open), replace " + PlaceholderKey +
	" in Authorization with your Aspire API key and " + PlaceholderClientID + " in " + HeaderClientID +
	" with your workspace's client id (in your Aspire URL, after /client/). The schema (Docs, completion) loads as soon as they are filled."

// placeholder reports a value the caller did not fill in (never echoed: a
// real key pasted inside brackets is still a key): the
// playground's <…> placeholders, or any value in angle brackets copied
// from a document.
func placeholder(v string) bool {
	return len(v) >= 2 && v[0] == '<' && v[len(v)-1] == '>'
}
