package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEExamplesRun runs the README's demo-mode curl command as pasted
// (the address swapped for the test server's) and its three queries with
// the variables printed next to them, against the demo server.
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

	queries := regexp.MustCompile("(?s)```graphql\n(query (\\w+).*?)\n```\nwith the variables\n<!-- variables: (\\w+) -->\n```json\n(.*?)\n```").FindAllSubmatch(readme, -1)
	if len(queries) != 3 {
		t.Fatalf("%d README queries with variables, want 3", len(queries))
	}
	for _, q := range queries {
		if string(q[2]) != string(q[3]) {
			t.Fatalf("query %s has the variables of %s", q[2], q[3])
		}
		body, _ := json.Marshal(map[string]any{"query": string(q[1]), "variables": json.RawMessage(q[4])})
		resp, err := http.Post(r.base+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		check(string(q[2]), b.Bytes())
	}
}
