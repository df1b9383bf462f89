package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestREADMEExamplesRun runs the README's demo-mode curl command as pasted
// (the address swapped for the test server's) and its four queries with
// the variables printed next to them, against the demo server, each making
// the upstream requests the README says.
func TestREADMEExamplesRun(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, nil, nil)
	check := func(what string, body []byte) {
		t.Helper()
		var resp struct {
			Data   map[string]json.RawMessage
			Errors []any
		}
		if err := json.Unmarshal(body, &resp); err != nil || len(resp.Errors) > 0 || len(resp.Data) == 0 {
			t.Fatalf("%s: %v %.500s", what, err, body)
		}
	}

	m := regexp.MustCompile("(?s)<!-- demo-curl -->\n```sh\n(.*?)\n```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no demo-curl block")
	}
	cmd := strings.ReplaceAll(string(m[1]), "http://127.0.0.1:8080", r.base)
	if _, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command("sh", "-c", cmd).Output()
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		check("the demo curl", out)
	} else { // no curl here: send what it would
		d := regexp.MustCompile(`-d '([^']*)'`).FindStringSubmatch(cmd)
		resp, err := http.Post(r.base+"/graphql", "application/json", strings.NewReader(d[1]))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		check("the demo curl's request", b.Bytes())
	}

	// Each query: the upstream requests its paragraph says ("— 2 upstream
	// requests"), counted on a server of its own (a cold cache) from its
	// access-log line.
	queries := regexp.MustCompile("(?s)— (\\d+)\\s+upstream requests?[^`]*```graphql\n(query (\\w+).*?)\n```\nwith the variables\n<!-- variables: (\\w+) -->\n```json\n(.*?)\n```").FindAllSubmatch(readme, -1)
	if len(queries) != 4 {
		t.Fatalf("%d README queries with variables and an upstream count, want 4", len(queries))
	}
	for _, q := range queries {
		name := string(q[3])
		if name != string(q[4]) {
			t.Fatalf("query %s has the variables of %s", name, q[4])
		}
		r := start(t, nil, nil)
		body, _ := json.Marshal(map[string]any{"query": string(q[2]), "variables": json.RawMessage(q[5])})
		resp, err := http.Post(r.base+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		check(name, b.Bytes())
		if got, want := upstreamOf(t, r, name), string(q[1]); got != want {
			t.Errorf("%s: %s upstream requests, the README says %s", name, got, want)
		}
	}
}

// upstreamOf waits for the access-log line of operation name and returns
// its upstream_requests (the line is written as the answer goes out).
func upstreamOf(t *testing.T, r *running, name string) string {
	t.Helper()
	line := regexp.MustCompile(`"operation":"` + name + `","upstream_requests":(\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := line.FindStringSubmatch(r.out.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access-log line for %s in %.2000s", name, r.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPlaygroundReportTabIsTheREADMEs: the playground's second tab is the
// README's CampaignReport with its variables (in demo mode), so the page
// shows the answer the README prints; elsewhere an id to fill and the last
// full quarter.
func TestPlaygroundReportTabIsTheREADMEs(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	q := regexp.MustCompile("(?s)```graphql\n(query CampaignReport.*?)```").FindSubmatch(readme)
	v := regexp.MustCompile("(?s)<!-- variables: CampaignReport -->\n```json\n(.*?)```").FindSubmatch(readme)
	if q == nil || v == nil {
		t.Fatal("README.md has no CampaignReport query or variables")
	}
	r := start(t, nil, nil)
	_, js := get(t, r.base+"/config.js")
	var pc struct {
		Tabs []struct{ Query, Variables string }
	}
	if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(js, "window.ASPIRE_PLAYGROUND = ")), ";")), &pc); err != nil {
		t.Fatalf("config.js: %v\n%s", err, js)
	}
	if len(pc.Tabs) != 2 || !strings.Contains(pc.Tabs[0].Query, "query LastMonthPosts") {
		t.Fatalf("tabs: %+v", pc.Tabs)
	}
	if _, body, _ := strings.Cut(pc.Tabs[1].Query, "\n"); body != string(q[1]) {
		t.Fatalf("the report tab's query is not the README's:\n%s\nREADME:\n%s", body, q[1])
	}
	var got, want any
	if json.Unmarshal([]byte(pc.Tabs[1].Variables), &got) != nil || json.Unmarshal(v[1], &want) != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("the report tab's variables %s, the README's %s", pc.Tabs[1].Variables, v[1])
	}
}
